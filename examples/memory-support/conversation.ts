import { run, type Store } from "@blockwork/core";
import type { Model } from "@blockwork/nodes";
import { messageAt } from "./scripted.js";
import { supportGraph } from "./support.graph.js";

/** One model call's context, as the agent block reported its shares. */
export interface CallRow {
  readonly turn: number;
  readonly call: number;
  readonly total: number;
  readonly instructions: number;
  readonly contract: number;
  readonly input: number;
  readonly core: number;
  readonly fetched: number;
  readonly other: number;
}

/**
 * Runs turns 1..`turns` of the conversation, one run per turn on `store`; returns every call's
 * context and the replies. `onTurn` is called after each turn (progress, measurements).
 */
export async function converse(store: Store, model: Model, turns: number, customerId = "cust-42", onTurn?: (turn: number) => void): Promise<{ calls: CallRow[]; replies: Map<number, string>; evictions: number }> {
  const graph = supportGraph(model);
  const calls: CallRow[] = [];
  const replies = new Map<number, string>();
  let evictions = 0;
  for (let turn = 1; turn <= turns; turn++) {
    const handle = run(graph, { customerId, turn, message: messageAt(turn) }, {
      store,
      onEvent: (e) => {
        if (e.type !== "block.step") return;
        if (e.step.startsWith("memory.context.")) calls.push({ turn, call: Number(e.step.slice("memory.context.".length)), ...(e.detail as unknown as Omit<CallRow, "turn" | "call">) });
        if (e.step === "memory.evicted") evictions++;
      },
    });
    replies.set(turn, (await handle.result).reply);
    onTurn?.(turn);
  }
  return { calls, replies, evictions };
}

/** The calls as a chart-ready CSV: one row per model call. */
export function toCsv(calls: readonly CallRow[]): string {
  const header = "turn,call,context_tokens,instructions,contract,input,core_memory,fetched_memory,tools_and_framing";
  return `${[header, ...calls.map((c) => [c.turn, c.call, c.total, c.instructions, c.contract, c.input, c.core, c.fetched, c.other].join(","))].join("\n")}\n`;
}
