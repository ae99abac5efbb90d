/**
 * The checker hands its analysis budget down to every comparison it makes (issue 20, part 5):
 * `check(def, { limits })` bounds each binding, route and subgraph comparison by `limits`, and
 * all of them together by `limits.timeMs`. Measured with the step budget, not the clock.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { check, createGraph, defineContract } from "../../src/index.js";
import { CheckBudget } from "../../src/check/budget.js";

const Short = z.object({ s: z.string().max(3), k: z.enum(["a", "b"]) });
const Any = z.object({ s: z.string(), k: z.enum(["a", "b"]) });

function graph() {
  const a = defineContract({ id: "a", input: Any, output: Short }).implement(async (v) => ({ s: v.s.slice(0, 3), k: v.k }));
  const b = defineContract({ id: "b", input: Any, output: Any }).implement(async (v) => v);
  return createGraph({ id: "budgeted", input: Any, output: Any })
    .then(a)
    .then(b)
    .output((_, r) => r.b)
    .build();
}

describe("check: the analysis budget reaches each comparison", () => {
  it("proves the graph under the default budgets", () => {
    expect(check(graph().def)).toEqual([]);
  });

  it("answers compat_unknown, naming the budget, when each comparison may take no step", () => {
    const issues = check(graph().def, { limits: { steps: 0 } });
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) expect(issue).toMatchObject({ code: "compat_unknown", message: expect.stringMatching(/limits\.steps/) });
  });

  it("gives each comparison only what is left of the check's time", async () => {
    const budget = new CheckBudget({ timeMs: 50, steps: 7 });
    expect(budget.options().limits).toMatchObject({ steps: 7 });
    expect(budget.options().limits?.timeMs).toBeLessThanOrEqual(50);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(budget.options().limits).toEqual({ steps: 7, timeMs: 1 });
    // Default: 10 s in all, 2 s at most per comparison.
    expect(new CheckBudget().options().limits?.timeMs).toBe(2_000);
  });
});
