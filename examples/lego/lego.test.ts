import { formatVerifyReport, verifyGraph } from "@blockwork/nodes";
import { describe, expect, it } from "vitest";
import { postGraph } from "./slug.graph.js";

// The generated property tests of the example, in CI: the pattern docs/lego.md recommends.
describe("examples/lego", () => {
  it("every block keeps its contract, its properties and its examples", async () => {
    const report = await verifyGraph(postGraph, { runs: 200 });
    expect(report.ok, formatVerifyReport(report)).toBe(true);
    expect(report.blocks.map((b) => [b.block, b.status, b.runs])).toEqual([
      ["slugify", "passed", 200],
      ["readingTime", "passed", 200],
    ]);
  });
});
