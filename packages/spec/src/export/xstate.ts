import type { EdgeDef, GraphDef, NodeDef } from "../def/graph-def.js";
import { BlockworkError } from "../errors.js";

/** A transition of the exported machine (XState's config format, plain JSON). */
export interface XStateTransition {
  readonly target: string;
  readonly guard?: { readonly type: "case"; readonly params: { readonly field: string; readonly equals: string | number | boolean | null; readonly edge?: string; readonly max?: number } } | { readonly type: "withinBound"; readonly params: { readonly edge: string; readonly max: number } };
  readonly actions?: readonly { readonly type: "countPass"; readonly params: { readonly edge: string } }[];
}

/** A state of the exported machine. */
export interface XStateStateConfig {
  readonly type?: "final" | "parallel";
  readonly description?: string;
  readonly meta?: { readonly kind: NodeDef["kind"] | "fork" };
  readonly initial?: string;
  readonly states?: { readonly [id: string]: XStateStateConfig };
  readonly on?: { readonly [event: string]: readonly XStateTransition[] };
  readonly onDone?: readonly XStateTransition[];
}

/** The machine config of a graph: what `createMachine` takes and the Stately visualizer loads. */
export interface XStateMachineConfig extends XStateStateConfig {
  readonly id: string;
  readonly context: { readonly passes: Record<string, number> };
}

/**
 * A graph as an XState machine config (plain JSON): one state per block, `<block>.done` and
 * `<block>.failed` events, routes as guarded transitions (guard `case` with the route's field and
 * value; a bounded loop edge also counts its passes, `countPass`, and falls back to `onExhausted`),
 * subgraphs as nested states whose `onDone` continues the graph, fan-outs as parallel states (one
 * region per branch, joined where the branches meet), and a final state `done`.
 *
 * The guards and the action are named, with their parameters in the config: give them
 * implementations with `createMachine(config).provide(...)` (the CLI's `blockwork graph --format
 * xstate` prints the config; `blockwork simulate --paths` provides them). A fan-out whose branches
 * do not meet at one block is refused with `xstate_unsupported`.
 *
 * @example
 * const config = toXStateConfig(triageGraph.def);
 * const machine = createMachine(config); // xstate
 */
export function toXStateConfig(def: GraphDef): XStateMachineConfig {
  return { id: def.id, context: { passes: {} }, ...graphStates(def, def.id) };
}

function graphStates(def: GraphDef, where: string): XStateStateConfig {
  const nodes = new Map(def.nodes.map((n) => [n.id, n]));
  const outgoing = (id: string) => def.edges.filter((e) => e.from === id);
  const states: Record<string, XStateStateConfig> = {};
  const forks = new Map<string, string>();

  const plainSuccessors = (id: string) => outgoing(id).filter((e) => e.when === undefined && e.max === undefined);

  // A fan-out (several unconditional successors) becomes a parallel state: one region per branch,
  // each a chain of blocks, joined at the block where the branches meet.
  const chainFrom = (start: string): { chain: string[]; join: string | undefined } => {
    const chain: string[] = [];
    let at: string | undefined = start;
    while (at !== undefined) {
      const incoming = def.edges.filter((e) => e.to === at);
      if (chain.length > 0 && incoming.length > 1) return { chain, join: at };
      chain.push(at);
      const out = outgoing(at);
      if (out.length === 0) return { chain, join: undefined };
      if (out.length > 1 || out[0]?.when !== undefined || out[0]?.max !== undefined) {
        throw new BlockworkError("xstate_unsupported", `cannot export ${where}/${at} as XState: a branch of a fan-out routes or fans out again; only branches that are chains of blocks meeting at one block become parallel regions`, { path: `${where}/${at}` });
      }
      at = out[0]?.to;
    }
    return { chain, join: undefined };
  };

  const stateOf = (node: NodeDef, on: XStateStateConfig["on"] & object): XStateStateConfig => {
    const base = { ...(node.description ? { description: node.description } : {}), meta: { kind: node.kind } };
    if (node.kind === "graph") {
      // The subgraph's blocks are nested states; its end (onDone) continues this graph.
      const inner = graphStates(node.graph, `${where}/${node.id}`);
      const { [`${node.id}.done`]: done, ...rest } = on;
      return { ...base, ...inner, ...(done ? { onDone: done } : {}), ...(Object.keys(rest).length > 0 ? { on: rest } : {}) };
    }
    return { ...base, on };
  };

  const transitionsOf = (id: string, inRegion: string | undefined): XStateStateConfig["on"] & object => {
    const out = outgoing(id);
    const plain = plainSuccessors(id);
    const on: Record<string, XStateTransition[]> = {};
    const done: XStateTransition[] = [];
    if (plain.length > 1) {
      done.push({ target: fork(id, plain) });
    } else if (plain.length === 1) {
      const to = (plain[0] as EdgeDef).to;
      done.push({ target: inRegion !== undefined ? to : `#${stateId(where, to)}` });
    }
    const routed = out.filter((e) => e.when?.kind === "case");
    for (const edge of routed) {
      if (edge.when?.kind !== "case") continue;
      const key = `${edge.from}->${edge.to}`;
      const { field, equals } = edge.when;
      if (edge.max !== undefined) {
        done.push({ target: `#${stateId(where, edge.to)}`, guard: { type: "case", params: { field, equals, edge: key, max: edge.max } }, actions: [{ type: "countPass", params: { edge: key } }] });
        if (edge.onExhausted !== undefined) done.push({ target: `#${stateId(where, edge.onExhausted)}`, guard: { type: "case", params: { field, equals } } });
      } else done.push({ target: `#${stateId(where, edge.to)}`, guard: { type: "case", params: { field, equals } } });
    }
    for (const edge of out.filter((e) => e.when?.kind === "otherwise" || (e.when === undefined && e.max !== undefined))) {
      const key = `${edge.from}->${edge.to}`;
      if (edge.max !== undefined) {
        done.push({ target: `#${stateId(where, edge.to)}`, guard: { type: "withinBound", params: { edge: key, max: edge.max } }, actions: [{ type: "countPass", params: { edge: key } }] });
        if (edge.onExhausted !== undefined) done.push({ target: `#${stateId(where, edge.onExhausted)}` });
      } else done.push({ target: `#${stateId(where, edge.to)}` });
    }
    if (done.length === 0) {
      done.push({ target: inRegion !== undefined ? "end" : `#${stateId(where, "done")}` });
    }
    if (done.length > 0) on[`${id}.done`] = done;
    const errors = out.filter((e) => e.when?.kind === "error");
    if (errors.length > 0) on[`${id}.failed`] = errors.map((e) => ({ target: `#${stateId(where, e.to)}` }));
    return on;
  };

  const fork = (from: string, edges: readonly EdgeDef[]): string => {
    const name = `${from}__fork`;
    if (forks.has(name)) return `#${stateId(where, name)}`;
    const regions: Record<string, XStateStateConfig> = {};
    let join: string | undefined;
    for (const edge of edges) {
      const branch = chainFrom(edge.to);
      if (join !== undefined && branch.join !== join) {
        throw new BlockworkError("xstate_unsupported", `cannot export ${where}/${from} as XState: the branches of its fan-out do not meet at one block (${join}, ${branch.join ?? "the end"})`, { path: `${where}/${from}` });
      }
      join = branch.join;
      const inner: Record<string, XStateStateConfig> = {};
      branch.chain.forEach((id, i) => {
        const node = nodes.get(id) as NodeDef;
        const next = branch.chain[i + 1];
        inner[id] = stateOf(node, { [`${id}.done`]: [{ target: next ?? "end" }] });
        claimed.add(id);
      });
      inner["end"] = { type: "final" };
      regions[edge.to] = { initial: edge.to, states: inner };
    }
    forks.set(name, join ?? "done");
    states[name] = { type: "parallel", meta: { kind: "fork" }, states: regions, onDone: [{ target: join ?? "done" }] };
    return `#${stateId(where, name)}`;
  };

  const claimed = new Set<string>();
  const order = def.nodes.map((n) => n.id);
  const pending: [string, XStateStateConfig["on"] & object][] = [];
  for (const id of order) pending.push([id, transitionsOf(id, undefined)]);
  for (const [id, on] of pending) {
    if (claimed.has(id)) continue;
    states[id] = stateOf(nodes.get(id) as NodeDef, on);
  }
  states["done"] = { type: "final" };
  if (def.entry.length !== 1) {
    throw new BlockworkError("xstate_unsupported", `cannot export ${where} as XState: it has ${def.entry.length} entry blocks (a machine has one initial state)`, { path: where });
  }
  // Ids make targets absolute, so that a transition inside a subgraph or region can name any state.
  return { initial: def.entry[0] as string, states: withIds(states, where) };
}

function stateId(where: string, state: string): string {
  return `${where}/${state}`;
}

function withIds(states: Record<string, XStateStateConfig>, where: string): Record<string, XStateStateConfig> {
  const out: Record<string, XStateStateConfig> = {};
  for (const [name, state] of Object.entries(states)) out[name] = { id: stateId(where, name), ...state } as XStateStateConfig;
  return out;
}
