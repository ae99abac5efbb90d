import type { RunEvent } from "@blockwork/core";

type UsageEvent = Extract<RunEvent, { type: "block.usage" }>;

/** Token and cost totals, overall and per block path. */
export interface UsageSummary {
  /** Every model call, answered or not. */
  readonly calls: number;
  /** Calls that got no answer (a 429, a 5xx, a timeout): counted in `calls`, with no provider tokens. */
  readonly failedCalls: number;
  readonly contextTokens: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly byBlock: Readonly<Record<string, UsageTotals>>;
}

/** The totals of {@link UsageSummary}, for one block. */
export interface UsageTotals {
  calls: number;
  failedCalls: number;
  contextTokens: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/**
 * Adds up the model calls of a run from its events: for a batch (a map over an agent block), the
 * totals of every item. `inputTokens` uses the provider's count where it gave one, else the count
 * made before the call (a call that got no answer adds none). Map items (`each/3`) are grouped under the map's path (`each`).
 *
 * @example
 * const events: RunEvent[] = [];
 * await run(graph, input, { onEvent: (e) => events.push(e) }).result;
 * console.log(summarizeUsage(events).outputTokens);
 */
export function summarizeUsage(events: Iterable<RunEvent>): UsageSummary {
  const total: UsageTotals = { calls: 0, failedCalls: 0, contextTokens: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  const byBlock: Record<string, UsageTotals> = {};
  for (const event of events) {
    if (event.type !== "block.usage") continue;
    const key = event.path.replace(/\/\d+(?=\/|$)/g, "");
    const block = (byBlock[key] ??= { calls: 0, failedCalls: 0, contextTokens: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    for (const sum of [total, block]) add(sum, event);
  }
  return { ...total, byBlock };
}

function add(sum: UsageTotals, event: UsageEvent): void {
  sum.calls++;
  if (event.answered === false) sum.failedCalls++;
  sum.contextTokens += event.contextTokens;
  sum.inputTokens += event.inputTokens ?? (event.answered === false ? 0 : event.contextTokens);
  sum.outputTokens += event.outputTokens ?? 0;
  sum.costUsd += event.costUsd ?? 0;
}
