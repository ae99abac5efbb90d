// toLangGraph: a Blockwork graph compiled to a LangGraph StateGraph that LangGraph's engine runs.
import { RunError } from "@blockwork/core";
import { type AnyBlock, type BindingDef, type EdgeDef, type GraphBlock, type GraphDef, failure, isBlockFailure, isBlockSuspension, suspension, loopEdges, type JsonValue, type NodeDef, formatZodIssues, zodIssueTexts } from "@blockwork/spec";
import { Annotation, Command, END, interrupt, type LangGraphRunnableConfig, type RetryPolicy, Send, START, StateGraph } from "@langchain/langgraph";
import { type z, z as zod } from "zod";

/** Thrown by {@link toLangGraph} for a graph that uses something LangGraph's engine cannot run as Blockwork does. */
export class LangGraphCompileError extends Error {
  override readonly name = "LangGraphCompileError";
  readonly code = "langgraph_unsupported";
  /** Where in the graph (`graph/block`). */
  readonly path: string;
  constructor(path: string, message: string) {
    super(`cannot compile ${path} to LangGraph: ${message}`);
    this.path = path;
  }
}

const RESET = "~bw.reset";

/** The compiled graph's state: what LangGraph checkpoints. */
const BlockworkState = Annotation.Root({
  /** The graph's input, as given to `invoke({ input })`. */
  input: Annotation<unknown>,
  /** The latest output of each block that completed (by block id). */
  outputs: Annotation<Record<string, unknown>>({ reducer: merge, default: () => ({}) }),
  /** The typed error of each block that failed with one (routed by an error edge). */
  failures: Annotation<Record<string, unknown>>({ reducer: merge, default: () => ({}) }),
  /** How often each bounded edge was taken (`from->to`). */
  taken: Annotation<Record<string, number>>({ reducer: (a, b) => ({ ...a, ...b }), default: () => ({}) }),
  /** The results of the items of each map, by map id and item index. */
  items: Annotation<Record<string, Record<string, unknown>>>({
    reducer: (a, b) => {
      const out = { ...a };
      for (const [id, results] of Object.entries(b)) out[id] = results === null ? {} : { ...(out[id] ?? {}), ...results };
      return out;
    },
    default: () => ({}),
  }),
  /** How many activations of each block are scheduled and not done (deltas are summed). */
  active: Annotation<Record<string, number>>({
    reducer: (a, b) => {
      const out = { ...a };
      for (const [id, n] of Object.entries(b)) out[id] = (out[id] ?? 0) + n;
      return out;
    },
    default: () => ({}),
  }),
  /** The blocks in the order they completed (a map's items as `map/index`). */
  trail: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  /** The graph's output, once the blocks its output binding reads have completed. */
  output: Annotation<unknown>,
});

/** The state type of a graph compiled by {@link toLangGraph}. */
export type BlockworkLangGraphState = typeof BlockworkState.State;

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [key, value] of Object.entries(b)) {
    if (value === RESET) delete out[key];
    else out[key] = value;
  }
  return out;
}

/**
 * Compiles a Blockwork graph to a LangGraph `StateGraph`, run by LangGraph's own engine: compile it
 * with any LangGraph checkpointer, invoke it with `{ input }`, and read `output` from the final
 * state. Contracts are still enforced at each node: a block's input is parsed by its input schema,
 * its output by its output schema, a typed failure by its error schema, resume data by its resume
 * schema (failures throw `RunError`s with the runtime's codes).
 *
 * How the parts map: a block is a node; routes (`case` / `otherwise` / error edges) are the node's
 * `Command({ goto })`; a bounded edge counts its passes in the state and takes `onExhausted` (or
 * fails with `loop_bound_exceeded`) past its `max`; a block that waits for all of several
 * predecessors starts once none of them can still run (routes not taken count as done); a map fans out with `Send`, one task per item, then
 * collects; a subgraph is compiled the same way and invoked as a LangGraph subgraph; a block that
 * suspends (`ctx.suspend`, human blocks) calls LangGraph's `interrupt`, and is run again with
 * `ctx.resumed` when the thread is resumed with `new Command({ resume })`.
 *
 * What LangGraph cannot run as Blockwork does is refused with a {@link LangGraphCompileError}
 * (code `langgraph_unsupported`), never dropped: supervision (restart policies and strategies),
 * and maps of maps. Resume data that the resume
 * schema rejects does not throw (LangGraph keeps a resume value once given): the block interrupts
 * again with `{ payload, code: "resume_invalid", issues }`.
 *
 * @example
 * const app = toLangGraph(releaseNotesGraph).compile({ checkpointer: new MemorySaver() });
 * const { output } = await app.invoke({ input }, { configurable: { thread_id: "t-1" } });
 */
export function toLangGraph(graph: GraphBlock) {
  return compileGraph(graph, graph.def.id);
}

function compileGraph(graph: GraphBlock, where: string) {
  const def = graph.def;
  if (def.supervision !== undefined) {
    throw new LangGraphCompileError(where, `its supervision strategy "${def.supervision.strategy}" has no LangGraph equivalent (LangGraph retries nodes, it does not restart groups of them); remove \`supervision\` to compile it`);
  }
  const builder = new StateGraph(BlockworkState);
  const flow = forwardFlow(def);
  const outputOf = bindingReader(def.output);
  for (const node of def.nodes) {
    const path = `${where}/${node.id}`;
    if (node.restart !== undefined) {
      throw new LangGraphCompileError(path, `its restart policy ("${node.restart.type}") is supervision, which LangGraph has no equivalent for; remove \`restart\` (retries with \`retry.attempts\` compile)`);
    }
    const retryPolicy = retryOf(node);
    const targets = [...new Set(def.edges.filter((e) => e.from === node.id).flatMap((e) => [e.to, ...(e.onExhausted ? [e.onExhausted] : [])]))];
    const ends = [...targets, "__bw_output"];
    const route = router(def, node, path);
    const deferred = joinGuard(node, flow);
    if (node.kind === "map") {
      const item = graph.blocks.get(node.item.kind === "code" ? node.item.block : node.item.graph.id);
      if (item === undefined || item.kind === "map") throw new LangGraphCompileError(path, "its item block is not in the graph's block table");
      const itemNode = `${node.id}__item`;
      const collect = `${node.id}__collect`;
      const readInput = bindingReader(node.input);
      builder.addNode(
        node.id,
        (state: BlockworkLangGraphState) => {
          const input = parseWith(MapInput, readInput(state), path, "input_invalid");
          const items = (input as { items: unknown[] }).items;
          if (items.length === 0) return new Command({ update: { items: { [node.id]: null } }, goto: collect });
          return new Command({ update: { items: { [node.id]: null } }, goto: items.map((value, index) => new Send(itemNode, { ...state, item: { map: node.id, index, value } })) });
        },
        { ends: [itemNode, collect] },
      );
      const runItem = compileBlock(item, `${path}/item`);
      builder.addNode(
        itemNode,
        async (state: BlockworkLangGraphState & { item: { map: string; index: number; value: unknown } }, config: LangGraphRunnableConfig) => {
          const { index, value } = state.item;
          const itemPath = `${path}/${index}`;
          try {
            const result = await runItem(value, config, itemPath);
            if (result.failed) throw new RunError({ code: "typed_failure", message: "the item failed with a typed error", path: itemPath, error: result.error as JsonValue });
            return { items: { [node.id]: { [index]: node.onItemError === "collect" ? { ok: true, value: result.output } : result.output } }, trail: [`${node.id}/${index}`] };
          } catch (error) {
            if (node.onItemError !== "collect" || isInterrupt(error)) throw error;
            const info: { code: string; message: string; error?: unknown } = error instanceof RunError ? error.info : { code: "block_failed", message: error instanceof Error ? error.message : String(error) };
            const failure = { code: info.code, message: info.message, ...(info.error !== undefined ? { error: info.error } : {}) };
            return { items: { [node.id]: { [index]: { ok: false, error: failure } } }, trail: [`${node.id}/${index}`] };
          }
        },
        retryPolicy === undefined ? {} : { retryPolicy },
      );
      builder.addNode(
        collect,
        (state: BlockworkLangGraphState) => {
          const got = state.items[node.id] ?? {};
          const results = Object.keys(got)
            .map(Number)
            .sort((a, b) => a - b)
            .map((i) => got[i]);
          const raw = node.onItemError === "collect" ? { results, failed: results.filter((r) => (r as { ok: boolean }).ok === false).length } : { results };
          // Each result was checked by the item block's output schema as it ran.
          const output = raw;
          return route({ ...state, outputs: { ...state.outputs, [node.id]: output } }, { outputs: { [node.id]: output } }, output, undefined);
        },
        { ends },
      );
      builder.addEdge(itemNode as never, collect as never);
      continue;
    }
    const block = graph.blocks.get(node.kind === "code" ? node.block : node.graph.id);
    if (block === undefined) throw new LangGraphCompileError(path, `its implementation "${node.kind === "code" ? node.block : node.graph.id}" is not in the graph's block table`);
    const run = compileBlock(block, path);
    const readInput = bindingReader(node.input);
    builder.addNode(
      node.id,
      async (state: BlockworkLangGraphState, config: LangGraphRunnableConfig) => {
        if (deferred(state)) return new Command({ update: { active: { [node.id]: -1 } }, goto: [] });
        const result = await run(readInput(state), config, path);
        if (result.failed) return route(state, { failures: { [node.id]: result.error }, trail: [node.id] }, undefined, result.error);
        const trail = result.trail === undefined ? [node.id] : result.trail.map((t) => `${node.id}/${t}`);
        return route({ ...state, outputs: { ...state.outputs, [node.id]: result.output } }, { outputs: { [node.id]: result.output }, trail }, result.output, undefined);
      },
      { ends, ...(retryPolicy === undefined ? {} : { retryPolicy }) },
    );
  }
  // The output is assembled whenever a branch ends; a later branch's end assembles it again.
  builder.addNode("__bw_output", (state: BlockworkLangGraphState) => {
    try {
      return { output: outputOf(state) };
    } catch {
      return {};
    }
  });
  builder.addEdge("__bw_output" as never, END);
  // The entry blocks start from one node, so that they count as running (see joinGuard).
  builder.addNode("__bw_start", () => new Command({ update: { active: Object.fromEntries(def.entry.map((e) => [e, 1])) }, goto: [...def.entry] }), { ends: [...def.entry] });
  builder.addEdge(START, "__bw_start" as never);
  return builder;
}

type Router = (state: BlockworkLangGraphState, update: Record<string, unknown>, output: unknown, failure: unknown) => Command;

/** A node's successors, as Blockwork takes its edges: cases, otherwise, error edges, bounds. */
function router(def: GraphDef, node: NodeDef, path: string): Router {
  const edges = def.edges.filter((e) => e.from === node.id);
  return (state, update, output, failure) => {
    let chosen: EdgeDef[];
    if (failure !== undefined) {
      chosen = edges.filter((e) => e.when?.kind === "error");
      if (chosen.length === 0) throw new RunError({ code: "typed_failure", message: `the block failed with a typed error (${JSON.stringify(failure)}) and has no error edge`, path, error: failure as JsonValue });
    } else {
      const cases = edges.filter((e) => e.when?.kind === "case" && (output as Record<string, unknown> | null)?.[e.when.field] === e.when.equals);
      chosen = edges.filter((e) => e.when === undefined || cases.includes(e) || (e.when.kind === "otherwise" && cases.length === 0));
    }
    const goto: string[] = [];
    const taken: Record<string, number> = {};
    for (const edge of chosen) {
      let to = edge.to;
      if (edge.max !== undefined) {
        const key = `${edge.from}->${edge.to}`;
        const count = (state.taken[key] ?? 0) + 1;
        if (count > edge.max) {
          if (edge.onExhausted === undefined) throw new RunError({ code: "loop_bound_exceeded", message: `the edge ${edge.from} -> ${edge.to} was taken more than its max of ${edge.max} times`, path });
          to = edge.onExhausted;
        } else taken[key] = count;
      }
      goto.push(to);
    }
    const targets = [...new Set(goto)];
    const active: Record<string, number> = { [node.id]: -1 };
    for (const t of targets) active[t] = (active[t] ?? 0) + 1;
    if (targets.length === 0) targets.push("__bw_output");
    return new Command({ update: { ...update, active, ...(Object.keys(taken).length > 0 ? { taken } : {}) }, goto: targets });
  };
}

interface ForwardFlow {
  /** Per block: the blocks it can reach on forward edges (itself included). */
  readonly reach: ReadonlyMap<string, ReadonlySet<string>>;
  /** Per block: its predecessors on forward edges. */
  readonly preds: ReadonlyMap<string, readonly string[]>;
}

/** The graph without its loop edges (the checker's back edges): what joins wait on. */
function forwardFlow(def: GraphDef): ForwardFlow {
  const back = loopEdges(def);
  const next = new Map<string, string[]>();
  const preds = new Map<string, string[]>();
  def.edges.forEach((edge, i) => {
    if (back.has(i)) return;
    for (const to of [edge.to, ...(edge.onExhausted ? [edge.onExhausted] : [])]) {
      next.set(edge.from, [...(next.get(edge.from) ?? []), to]);
      if (!preds.get(to)?.includes(edge.from)) preds.set(to, [...(preds.get(to) ?? []), edge.from]);
    }
  });
  const reach = new Map<string, Set<string>>();
  for (const node of def.nodes) {
    const seen = new Set<string>([node.id]);
    const todo = [node.id];
    while (todo.length > 0) for (const n of next.get(todo.pop() as string) ?? []) if (!seen.has(n)) (seen.add(n), todo.push(n));
    reach.set(node.id, seen);
  }
  return { reach, preds };
}

/**
 * A block that waits for all of several predecessors (join `all`) starts when none of them can
 * still run: every predecessor has completed or failed, or no running block can reach it any more
 * (its route was not taken). Until then, a predecessor's arrival is deferred: the last one to
 * complete starts the block. Blocks count as running from when an edge schedules them.
 */
function joinGuard(node: NodeDef, flow: ForwardFlow): (state: BlockworkLangGraphState) => boolean {
  const preds = flow.preds.get(node.id) ?? [];
  if (preds.length < 2 || node.join === "any") return () => false;
  return (state) => {
    const running = Object.entries(state.active).filter(([id, n]) => n > 0 && id !== node.id).map(([id]) => id);
    return preds.some((p) => !(p in state.outputs) && !(p in state.failures) && running.some((r) => flow.reach.get(r)?.has(p)));
  };
}

/** Blockwork's retry settings as LangGraph's retry policy: thrown errors and timeouts are retried, contract violations not. */
function retryOf(node: NodeDef): RetryPolicy | undefined {
  const attempts = node.retry?.attempts ?? node.contract.budget?.attempts;
  if (attempts === undefined || attempts <= 1) return undefined;
  const retry = node.retry ?? {};
  return {
    maxAttempts: attempts,
    initialInterval: retry.initialDelayMs ?? 100,
    maxInterval: retry.maxDelayMs ?? 30_000,
    backoffFactor: retry.factor ?? 2,
    jitter: (retry.jitter ?? 0.2) > 0,
    retryOn: (error: unknown) => !(error instanceof RunError && NOT_RETRIED.has(error.code)),
    logWarning: false,
  };
}

const NOT_RETRIED = new Set<string>(["input_invalid", "output_invalid", "error_invalid", "binding_failed", "suspend_invalid", "typed_failure", "loop_bound_exceeded"]);

/** `trail`: the leaf blocks a subgraph ran, by their paths inside it. */
type BlockOutcome = { failed: false; output: unknown; trail?: string[] } | { failed: true; error: unknown };

/** Runs one block with its contract enforced: input, output, typed failure and resume data parsed. */
function compileBlock(block: AnyBlock, path: string): (raw: unknown, config: LangGraphRunnableConfig, at: string) => Promise<BlockOutcome> {
  const contract = block.contract as unknown as { input: z.ZodType; output: z.ZodType; error?: z.ZodType; resume?: z.ZodType; budget?: { timeoutMs?: number } };
  if (block.kind === "map") throw new LangGraphCompileError(path, "a map's item cannot be a map");
  const sub = block.kind === "graph" ? compileGraph(block, path).compile() : undefined;
  return async (raw, config, at) => {
    const input = parseWith(contract.input, raw, at, "input_invalid");
    if (sub !== undefined) {
      const state = (await sub.invoke({ input }, config)) as BlockworkLangGraphState;
      if (state.output === undefined) throw new RunError({ code: "binding_failed", message: "the subgraph ended without its output (a block its output reads did not complete)", path: at });
      return { failed: false, output: parseWith(contract.output, state.output, at, "output_invalid"), trail: state.trail };
    }
    const code = block as Extract<AnyBlock, { kind: "code" }>;
    let resumed: unknown;
    for (;;) {
      const ctx = {
        signal: config.signal ?? new AbortController().signal,
        runId: String(config.configurable?.["thread_id"] ?? ""),
        path: at.split("/").slice(1),
        attempt: 1,
        idempotencyKey: `${String(config.configurable?.["thread_id"] ?? "")}:${at}`,
        ...(resumed !== undefined ? { resumed } : {}),
        fail: failure,
        report: () => undefined,
        suspend: suspension,
      };
      const result = await withTimeout(Promise.resolve(code.run(input as never, ctx as never)), contract.budget?.timeoutMs, at);
      if (isBlockSuspension(result)) {
        if (contract.resume === undefined) throw new RunError({ code: "suspend_invalid", message: "the block suspended but its contract declares no resume schema", path: at });
        if (resumed !== undefined) throw new RunError({ code: "suspend_invalid", message: "the block suspended again after it was resumed", path: at });
        // First run: interrupt() stops the graph here. Resumed: it returns the data given to
        // Command({ resume }). Data the resume schema rejects asks again (a new interrupt, with the
        // issues): LangGraph keeps a resume value once given, so it cannot be refused by throwing.
        let answer = interrupt(result.payload);
        for (;;) {
          const parsed = contract.resume.safeParse(answer);
          if (parsed.success) {
            resumed = parsed.data;
            break;
          }
          answer = interrupt({ payload: result.payload, code: "resume_invalid", issues: zodIssueTexts(parsed.error, { root: "(root)" }) });
        }
        continue;
      }
      if (isBlockFailure(result)) {
        const error = result.error;
        if (contract.error === undefined) throw new RunError({ code: "error_invalid", message: "the block failed with a typed error but its contract declares no error schema", path: at });
        return { failed: true, error: parseWith(contract.error, error, at, "error_invalid") };
      }
      return { failed: false, output: parseWith(contract.output, result, at, "output_invalid") };
    }
  };
}

async function withTimeout<T>(work: Promise<T>, ms: number | undefined, path: string): Promise<T> {
  if (ms === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RunError({ code: "block_timeout", message: `the block ran longer than its ${ms} ms budget`, path })), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function parseWith(schema: z.ZodType, value: unknown, path: string, code: "input_invalid" | "output_invalid" | "error_invalid" | "resume_invalid"): unknown {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = formatZodIssues(parsed.error, { root: "(root)" });
  throw new RunError({ code, message: `${code.replace("_invalid", "")} does not satisfy the contract: ${issues}`, path });
}

/** A map's input: `{ items }` (each item is checked by the item block's input schema when it runs). */
const MapInput = zod.object({ items: zod.array(zod.unknown()) });

function isInterrupt(error: unknown): boolean {
  return error instanceof Error && (error.name === "GraphInterrupt" || error.name === "NodeInterrupt");
}

/** A binding evaluated over the compiled state (as the runtime's bindings read the run). */
function bindingReader(binding: BindingDef | undefined): (state: BlockworkLangGraphState) => unknown {
  if (binding === undefined) return () => ({});
  switch (binding.kind) {
    case "literal":
      return () => binding.value;
    case "input":
      return (state) => at(state.input, binding.path);
    case "output":
      return (state) => {
        if (!(binding.node in state.outputs)) {
          if (binding.optional) return undefined;
          throw new RunError({ code: "binding_failed", message: `block "${binding.node}" has not completed` });
        }
        return at(state.outputs[binding.node], binding.path);
      };
    case "object": {
      const fields = Object.entries(binding.fields).map(([key, b]) => [key, bindingReader(b)] as const);
      return (state) => {
        const out: Record<string, unknown> = {};
        for (const [key, read] of fields) {
          const value = read(state);
          if (value !== undefined) out[key] = value;
        }
        return out;
      };
    }
    case "first": {
      const alternatives = binding.of.map((b) => bindingReader(b.kind === "output" ? { ...b, optional: true } : b));
      return (state) => {
        for (const read of alternatives) {
          const value = read(state);
          if (value !== undefined) return value;
        }
        return undefined;
      };
    }
  }
}

function at(value: unknown, path: readonly (string | number)[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}
