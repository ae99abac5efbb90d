import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runOnce, specArb } from "../fixtures/random-loops.js";

// Issue 12: random loop graphs under random schedules. Every graph the checker accepts must run
// without binding_failed or input_invalid and without hanging, and no block may ever see values
// from two passes (or from an earlier pass): the rules docs/runtime.md ("Loops") states.

describe("loop passes under random schedules (property)", () => {
  it("accepted loop graphs never fail a binding, never hang, never mix passes", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(specArb, async (spec) => {
        const result = await runOnce(spec);
        if (result.accepted) accepted++;
        expect(result.problems, JSON.stringify(spec)).toEqual([]);
      }),
      { numRuns: 200 },
    );
    // The property says something only if the checker accepted a good share of the graphs.
    expect(accepted).toBeGreaterThan(30);
  }, 120_000);
});
