import { DEFAULT_LIMITS } from "../compat/context.js";
import type { AnalysisLimits, CompatOptions } from "../compat/types.js";

/**
 * The analysis budget of one `check` call, handed to each schema comparison it makes: every
 * comparison runs under the call's `limits` (steps, nodes, depth), and under what is left of its
 * time, so that a graph with many hostile edges takes at most `limits.timeMs` in all, not that
 * much per edge. Once the time is spent, the comparisons left answer `unknown` at once, each with
 * the reason.
 */
export class CheckBudget {
  private readonly deadline: number;
  private readonly timeMs: number;

  constructor(private readonly limits: AnalysisLimits = {}) {
    this.timeMs = limits.timeMs ?? DEFAULT_LIMITS.timeMs * 5;
    this.deadline = Date.now() + this.timeMs;
  }

  /** The options of the next comparison: the call's limits, its time clamped to what is left. */
  options(): CompatOptions {
    const left = this.deadline - Date.now();
    // At least 1 ms: a comparison past the deadline stops at its first clock reading.
    return { limits: { ...this.limits, timeMs: Math.max(1, Math.min(left, this.limits.timeMs ?? DEFAULT_LIMITS.timeMs)) } };
  }
}
