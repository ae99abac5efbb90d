/**
 * A compiled LangGraph graph as a Blockwork block (needs `@langchain/langgraph`).
 *
 * @module @blockwork/nodes/langgraph
 */
import type { BlockContract, BlockTypes, CodeBlock, JsonValue } from "@blockwork/spec";
import { Command } from "@langchain/langgraph";
import type { z } from "zod";

type In<T extends BlockTypes> = z.output<T["input"]>;
type Out<T extends BlockTypes> = z.input<T["output"]>;

/** What a compiled LangGraph graph (`new StateGraph(...).compile(...)`) offers that this adapter uses. */
export interface LangGraphRunnable {
  invoke(input: unknown, config: { configurable: { thread_id: string }; signal?: AbortSignal }): Promise<unknown>;
  getState(config: { configurable: { thread_id: string } }): Promise<{
    readonly values: unknown;
    readonly next: readonly string[];
    readonly tasks: readonly { readonly interrupts: readonly { readonly value?: unknown }[] }[];
    readonly metadata?: unknown;
  }>;
  /** Set by `compile({ checkpointer })`: what makes the graph durable inside the block. */
  readonly checkpointer?: unknown;
}

/** Options of {@link fromLangGraph}. */
export interface LangGraphBlockOptions<T extends BlockTypes> {
  /** The graph's input state from the block's input. Default: the input as it is. */
  readonly input?: (input: In<T>) => unknown;
  /** The block's output from the graph's final state (then checked against the contract). Default: the state as it is. */
  readonly output?: (state: Record<string, unknown>, input: In<T>) => Out<T>;
}

/**
 * A compiled LangGraph graph as a block with a Blockwork contract: the block's input becomes the
 * graph's input state, its final state becomes the block's output (checked against the contract
 * like any block's), and the block's idempotency key is the LangGraph thread id.
 *
 * With a checkpointer (`compile({ checkpointer })`), LangGraph's own durability works inside the
 * block: a retried attempt, a supervisor restart or a run resumed after a crash continues the
 * thread from its last checkpoint (nodes that finished do not run again), and a thread that had
 * already finished gives its state without running again. LangGraph's `interrupt(value)` becomes a
 * Blockwork suspension (the contract needs a `resume` schema): the run waits with `value` as the
 * payload, and the data it is resumed with goes back to the graph as `new Command({ resume })`.
 *
 * @example
 * const research = fromLangGraph(
 *   defineContract({ id: "research", input: z.object({ topic: z.string() }), output: z.object({ notes: z.array(z.string()) }) }),
 *   new StateGraph(State).addNode(...).compile({ checkpointer: SqliteSaver.fromConnString(".blockwork/langgraph.sqlite") }),
 *   { output: (state) => ({ notes: state.notes as string[] }) },
 * );
 */
export function fromLangGraph<T extends BlockTypes>(contract: BlockContract<T>, graph: LangGraphRunnable, options: LangGraphBlockOptions<T> = {}): CodeBlock<T> {
  const durable = graph.checkpointer !== undefined && graph.checkpointer !== null && graph.checkpointer !== false;
  const outputOf = (state: unknown, input: In<T>): Out<T> => (options.output ? options.output(state as Record<string, unknown>, input) : (state as Out<T>));
  const run = async (input: In<T>, ctx: { idempotencyKey: string; signal: AbortSignal; resumed?: unknown; suspend?: (payload: JsonValue) => unknown }) => {
    const thread = { configurable: { thread_id: ctx.idempotencyKey } };
    const config = { ...thread, signal: ctx.signal };
    if (!durable) return outputOf(await graph.invoke(options.input ? options.input(input) : input, config), input);

    let next: unknown = options.input ? options.input(input) : input;
    const before = await graph.getState(thread);
    if (ctx.resumed !== undefined) {
      next = new Command({ resume: ctx.resumed });
    } else if (before.next.length > 0) {
      // An earlier attempt (or process) stopped inside the graph: continue from its checkpoint,
      // or wait again if it stopped at an interrupt.
      const waiting = interruptOf(before);
      if (waiting !== undefined) return suspend(waiting, ctx);
      next = null;
    } else if (before.metadata !== undefined) {
      // This thread already ran to the end (the block's outcome was not recorded): its state is the answer.
      return outputOf(before.values, input);
    }
    await graph.invoke(next, config);
    const after = await graph.getState(thread);
    const waiting = interruptOf(after);
    if (waiting !== undefined) return suspend(waiting, ctx);
    return outputOf(after.values, input);

    function suspend(value: { value: unknown }, c: typeof ctx) {
      if (c.suspend === undefined || contract.contract.resume === undefined) {
        throw new Error(`the LangGraph graph of block "${contract.id}" was interrupted (interrupt(${JSON.stringify(value.value)})), but the block's contract has no resume schema: add \`resume\` to its contract to wait for the answer`);
      }
      return c.suspend((value.value ?? null) as JsonValue);
    }
  };
  return contract.implement(run as never);
}

function interruptOf(snapshot: Awaited<ReturnType<LangGraphRunnable["getState"]>>): { value: unknown } | undefined {
  for (const task of snapshot.tasks) for (const interrupt of task.interrupts) return { value: interrupt.value };
  return undefined;
}

export { BlockworkCheckpointSaver } from "./checkpointer.js";
export type { CheckpointStore } from "./checkpointer.js";
export { LangGraphCompileError, toLangGraph } from "./to-langgraph.js";
export type { BlockworkLangGraphState } from "./to-langgraph.js";
