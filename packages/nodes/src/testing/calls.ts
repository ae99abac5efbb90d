import type { RunEvent } from "@blockwork/core";

/** One model call of an agent block, as the run reported it. */
export interface AgentCall {
  readonly path: string;
  readonly attempt: number;
  readonly call: number;
  readonly model: string;
  readonly contextTokens: number;
  readonly outcome: string;
}

/**
 * The model calls in a run's events, for assertions: which block called, how often, with how big
 * a context, and how each answer fared.
 *
 * @example
 * expect(agentCalls(events).map((c) => `${c.path}:${c.outcome}`)).toEqual(["classify:syntax", "classify:ok"]);
 */
export function agentCalls(events: Iterable<RunEvent>): AgentCall[] {
  const calls: AgentCall[] = [];
  for (const e of events) {
    if (e.type === "block.usage") calls.push({ path: e.path, attempt: e.attempt, call: e.call, model: e.model, contextTokens: e.contextTokens, outcome: e.outcome });
  }
  return calls;
}
