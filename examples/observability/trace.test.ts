import { describe, expect, it } from "vitest";
import { traceTriage } from "./trace.js";

describe("examples/observability", () => {
  it("traces the triage run through the globally registered provider: a run span with its blocks", async () => {
    const lines = await traceTriage();
    expect(lines.map((l) => l.replace(/ {2}[\d.]+ ms/, ""))).toEqual(["run support-triage  completed", "  block classify  completed", "  block billingReply  completed"]);
  });
});
