import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runOnce, shapeOf, specArb } from "../fixtures/random-loops.js";

// Issue 12: random graphs with one to three loops (nested, overlapping, side by side, self-loops,
// joins inside them) under random schedules, some crashed after a random number of journal
// entries and resumed. Every graph the checker accepts must run (and resume) without
// binding_failed or input_invalid and without hanging, no block may read a value from another
// pass of a loop it shares with the value's block (the loop's entry reads the pass before), no
// block runs twice in one pass, and no journaled block runs again after the resume: the rules
// docs/runtime.md ("Loops") states.

describe("loop passes under random schedules (property)", () => {
  it("accepted graphs with nested, overlapping and side-by-side loops never fail a binding, never hang, never mix passes, also when crashed and resumed", async () => {
    const seen = { accepted: 0, resumed: 0, compared: 0, passes: 0, nested: 0, disjoint: 0, selfLoop: 0, joinInLoop: 0, several: 0 };
    await fc.assert(
      fc.asyncProperty(specArb, async (spec) => {
        const result = await runOnce(spec);
        if (result.accepted) {
          seen.accepted++;
          if (result.resumed) seen.resumed++;
          seen.compared += result.compared;
          seen.passes += result.passes;
          const shape = shapeOf(spec);
          for (const k of ["nested", "disjoint", "selfLoop", "joinInLoop", "several"] as const) if (shape[k]) seen[k]++;
        }
        expect(result.problems, JSON.stringify(spec)).toEqual([]);
      }),
      { numRuns: 400 },
    );
    // The property says something only if the checker accepted a good share of the graphs, and
    // every kind of structure it promises was among them.
    expect(seen.accepted).toBeGreaterThan(50);
    expect(seen.resumed).toBeGreaterThan(20);
    // Loops came back, and values read inside loops were compared with the reader's pass.
    expect(seen.passes).toBeGreaterThan(seen.accepted / 2);
    expect(seen.compared).toBeGreaterThan(seen.accepted);
    expect(seen.several).toBeGreaterThan(10);
    expect(seen.nested).toBeGreaterThan(5);
    expect(seen.disjoint).toBeGreaterThan(0);
    expect(seen.selfLoop).toBeGreaterThan(0);
    expect(seen.joinInLoop).toBeGreaterThan(10);
  }, 300_000);
});
