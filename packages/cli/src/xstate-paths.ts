// The exported XState machine made runnable (guards and action given), and route-coverage paths
// computed with xstate's own graph utilities (`xstate/graph`).
import { type GraphDef, toXStateConfig } from "@blockwork/spec";
import { assign, createMachine } from "xstate";
import { getSimplePaths } from "xstate/graph";

interface Ctx {
  passes: Record<string, number>;
}
interface BlockEvent {
  type: string;
  output?: Record<string, unknown>;
}

/** `createMachine` over `toXStateConfig(def)`, with the `case` and `withinBound` guards and the `countPass` action. */
export function graphMachine(def: GraphDef) {
  return createMachine(toXStateConfig(def) as never).provide({
    guards: {
      case: ({ context, event }: { context: Ctx; event: BlockEvent }, params: { field: string; equals: unknown; edge?: string; max?: number }) =>
        event.output?.[params.field] === params.equals && (params.edge === undefined || params.max === undefined || (context.passes[params.edge] ?? 0) < params.max),
      withinBound: ({ context }: { context: Ctx }, params: { edge: string; max: number }) => (context.passes[params.edge] ?? 0) < params.max,
    } as never,
    actions: {
      countPass: assign({ passes: ({ context }: { context: Ctx }, params: { edge: string }) => ({ ...context.passes, [params.edge]: (context.passes[params.edge] ?? 0) + 1 }) }) as never,
    },
  });
}

/** Every event the graph's blocks can send: one `done` per route case, a plain `done`, and `failed` where an error edge waits. */
function blockEvents(def: GraphDef, prefix = ""): BlockEvent[] {
  const events: BlockEvent[] = [];
  for (const node of def.nodes) {
    const out = def.edges.filter((e) => e.from === node.id);
    const type = `${node.id}.done`;
    for (const edge of out) if (edge.when?.kind === "case") events.push({ type, output: { [edge.when.field]: edge.when.equals } });
    events.push({ type, output: {} });
    if (out.some((e) => e.when?.kind === "error")) events.push({ type: `${node.id}.failed` });
    if (node.kind === "graph") events.push(...blockEvents(node.graph, `${prefix}${node.id}/`));
  }
  return events;
}

/** One route-coverage path: the blocks' events from the start to the end, in order. */
export interface CoveragePath {
  readonly steps: readonly string[];
}

/**
 * Paths from the start to the final state that together take every transition the machine can
 * take (xstate's `getSimplePaths` enumerates the paths; a greedy pass keeps those that add a
 * transition not yet covered). Bounded loops are walked up to their bound (the pass count is in
 * the machine's context).
 */
export function coveragePaths(def: GraphDef): { paths: CoveragePath[]; transitions: number } {
  const machine = graphMachine(def);
  const events = blockEvents(def);
  const all = getSimplePaths(machine as never, { events: events as never, toState: (s: { status: string }) => s.status === "done" } as never) as unknown as {
    steps: { state: { value: unknown; context: Ctx }; event: BlockEvent }[];
  }[];
  const label = (e: BlockEvent) => (e.output && Object.keys(e.output).length > 0 ? `${e.type}(${Object.entries(e.output).map(([k, v]) => `${k}=${String(v)}`).join(",")})` : e.type);
  // A transition: the state it leaves, the event, and the state it enters (a loop's bounded edge
  // and its onExhausted fallback share the event but not the target).
  const taken = (p: (typeof all)[number]) => {
    const keys: string[] = [];
    for (let i = 1; i < p.steps.length; i++) {
      const before = p.steps[i - 1] as (typeof p.steps)[number];
      const step = p.steps[i] as (typeof p.steps)[number];
      keys.push(`${JSON.stringify(before.state.value)} ${label(step.event)} ${JSON.stringify(step.state.value)}`);
    }
    return keys;
  };
  const covered = new Set<string>();
  const universe = new Set(all.flatMap(taken));
  const chosen: CoveragePath[] = [];
  // Shortest first, so that the kept paths are the simplest ones that cover something new.
  for (const p of [...all].sort((a, b) => a.steps.length - b.steps.length)) {
    const keys = taken(p);
    if (keys.every((k) => covered.has(k))) continue;
    for (const k of keys) covered.add(k);
    chosen.push({ steps: p.steps.slice(1).map((s) => label(s.event)) });
  }
  return { paths: chosen, transitions: universe.size };
}
