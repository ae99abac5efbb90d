import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DevSession, diffValues } from "../src/dev-session.js";
import { root } from "./capture.js";

// The REPL's commands on a loaded session, in process (the watch loop itself is tested with a real
// child process in dev.test.ts).
describe("DevSession", { timeout: 120_000 }, () => {
  it("runs, suspends and resumes a run in its store, simulates and checks the loaded graph", async () => {
    const printed: string[] = [];
    const session = new DevSession({ file: "examples/refund-approval/refund.graph.ts", cwd: root, noTypecheck: true, print: (t) => printed.push(t) });
    const first = await session.cycle("start");
    expect(first.issues).toEqual([]);
    expect(first.verified.map((v) => [v.block, v.status])).toEqual(expect.arrayContaining([["assess", "passed"]]));
    expect(printed.join("")).toMatch(/start: feedback in [\d.]+ ms/);

    const request = JSON.parse(readFileSync(join(root, "examples/refund-approval/request.json"), "utf8")) as unknown;
    const suspended = await session.runInput(request);
    expect(suspended.suspended).toEqual(["approve#1"]);
    const resumed = await session.resumeRun(suspended.runId, "approve", { approved: true, reason: "loyal customer" });
    expect(resumed.error).toBeUndefined();
    expect(resumed.output).toMatchObject({ decision: { approved: true, by: "human" } });
    expect(resumed.coverage).toMatch(/^coverage: \d+\/\d+ blocks, \d+\/\d+ edges$/);

    expect(await session.simulate(5)).toMatch(/^simulated 5 runs: 5 completed, 0 failed; blocks \d+\/\d+, edges \d+\/\d+/);
    expect(session.checkText()).toBe("0 errors, 0 warnings\n");
    expect(await session.runBlock("assess", { nope: 1 })).toMatch(/^the input does not satisfy the input schema of "assess": /);
    expect(await session.runBlock("missing", {})).toMatch(/^no code block "missing"/);
  });

  it("diffs outputs path by path", () => {
    expect(diffValues({ a: 1, b: { c: "x" }, d: [1] }, { a: 1, b: { c: "y" }, e: true }, "")).toEqual(['~ b.c: "x" → "y"', "- d: [1]", "+ e: true"]);
    expect(diffValues(3, 3, "")).toEqual([]);
  });
});
