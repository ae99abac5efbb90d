import type { CodeBlock, FailureAction, GraphBlock, GraphDef, NodeDef, RestartDef, RestartType, RetryDef, SupervisionStrategy } from "@blockwork/spec";
import { check, compilePattern, deepStrict, formatIssues, graphVersion, loopEdges, type JsonSchema } from "@blockwork/spec";
import { z as zod, type z } from "zod";
import { RunError } from "../errors.js";
import { compileBinding, type Binder } from "./bindings.js";

/** How a block's attempts are retried, with every default filled in. */
export interface RetryPlan {
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly jitter: number;
}

/** A block's restart policy (see `RestartDef`), with every default filled in. */
export interface RestartPlan {
  readonly type: RestartType;
  readonly intensity: number;
  readonly periodMs: number;
  /** The backoff before restart n (`attempts` unused). */
  readonly backoff: RetryPlan;
  readonly on: Readonly<Record<string, FailureAction>>;
}

/** The edge kinds the runtime tells apart. */
export type EdgeKind = "always" | "case" | "otherwise" | "error";

export interface EdgePlan {
  readonly index: number;
  readonly from: number;
  readonly to: number;
  readonly kind: EdgeKind;
  /** Closes a loop: taking it asks for a new pass of the loop `loop` (whose entry is `to`). */
  readonly back: boolean;
  readonly max: number | undefined;
  /** Where to go when `max` is exhausted (-1: fail the run). */
  readonly exhausted: number;
  /** For back edges: the index of their loop in `GraphPlan.loops`; -1 for forward edges. */
  readonly loop: number;
}

/**
 * A loop of a graph: the blocks a pass runs over and resets when the loop is re-entered. Every
 * back edge into the same block belongs to the same loop.
 */
export interface LoopPlan {
  readonly index: number;
  /** The loop's entry: the block its back edges lead to, started at the beginning of each pass. */
  readonly entry: number;
  /**
   * The loop's region: every block forward-reachable from the entry (the cycle, and what the
   * blocks of the cycle lead to), in index order. A pass runs over it; a new pass resets it.
   */
  readonly region: readonly number[];
  /** Per block of the graph: 1 when it is in the region. */
  readonly member: Uint8Array;
  /** The forward edges that leave region blocks (they all end in the region): reset by a new pass. */
  readonly edges: readonly number[];
}

/** One case of a pattern route: its edge and its compiled pattern. */
export interface MatchCasePlan {
  readonly edge: number;
  readonly test: (output: unknown) => boolean;
}

/** What the runtime runs for one item of a map, or for a code block. */
export type Work =
  | { readonly kind: "code"; readonly run: CodeBlock["run"] }
  | { readonly kind: "graph"; readonly plan: GraphPlan }
  | { readonly kind: "map"; readonly item: ItemPlan & { readonly work: Exclude<Work, { kind: "map" }> }; readonly concurrency: number; readonly collect: boolean };

/** A block as the runtime runs it: a graph's node, or a map's item block. */
export interface ItemPlan {
  readonly id: string;
  readonly work: Work;
  readonly input: z.ZodType;
  readonly output: z.ZodType;
  readonly error: z.ZodType | undefined;
  /** What the block may be resumed with after it suspends (its contract's `resume`). */
  readonly resume: z.ZodType | undefined;
  readonly retry: RetryPlan;
  readonly timeoutMs: number | undefined;
}

export interface NodePlan extends ItemPlan {
  readonly index: number;
  readonly def: NodeDef;
  readonly bind: Binder;
  readonly joinAll: boolean;
  /** Forward incoming edges (loops excluded). */
  readonly inEdges: readonly number[];
  /** Forward outgoing edges of every kind, for ruling out successors. */
  readonly outForward: readonly number[];
  readonly always: readonly number[];
  readonly caseField: string | undefined;
  readonly cases: ReadonlyMap<unknown, readonly number[]>;
  readonly otherwise: readonly number[];
  /** A pattern route's cases, in order: the first whose predicate holds is taken. */
  readonly matchCases: readonly MatchCasePlan[] | undefined;
  readonly errorEdges: readonly number[];
  /**
   * Only unconditional, unbounded, forward success edges (a pipeline step or a fan-out): routing is
   * then "fire them all", with no choices, counters or loops to consider.
   */
  readonly plain: boolean;
  /** What the graph's supervisor does when the block fails for good; undefined: never restarted. */
  readonly restart: RestartPlan | undefined;
}

export interface GraphPlan {
  readonly def: GraphDef;
  readonly version: string;
  readonly graph: GraphBlock;
  readonly nodes: readonly NodePlan[];
  readonly edges: readonly EdgePlan[];
  readonly entry: readonly number[];
  /** The graph's loops (see `LoopPlan`), by the index their back edges carry. */
  readonly loops: readonly LoopPlan[];
  /** The graph's input as a caller gives it: unknown fields are rejected. */
  readonly strictInput: z.ZodType;
  readonly input: z.ZodType;
  readonly output: z.ZodType;
  readonly bindOutput: Binder;
  readonly strategy: SupervisionStrategy;
}

const plans = new WeakMap<GraphBlock, GraphPlan>();
const checked = new WeakSet<GraphDef>();

/**
 * Compiles a built graph once (cached per graph object, since two graphs may share a GraphDef with
 * different implementations, as `simulate` does): checks it (a graph with checker errors is not
 * run; checked once per GraphDef), resolves implementations, compiles bindings, and precomputes
 * edges and loop bodies, so that a step does no lookups by name.
 */
export function planOf(graph: GraphBlock): GraphPlan {
  let plan = plans.get(graph);
  if (plan === undefined) {
    const errors = checked.has(graph.def) ? [] : check(graph.def).filter((i) => i.severity === "error");
    if (errors.length > 0) {
      throw new RunError({
        code: "graph_invalid",
        message: `graph "${graph.def.id}" has ${errors.length} checker error${errors.length === 1 ? "" : "s"}; fix them (blockwork check) before running it:\n${formatIssues(errors)}`,
      });
    }
    checked.add(graph.def);
    plan = compileGraph(graph);
    plans.set(graph, plan);
  }
  return plan;
}

function compileGraph(graph: GraphBlock): GraphPlan {
  const { def } = graph;
  const index = new Map(def.nodes.map((n, i) => [n.id, i]));
  const indexOf = (id: string) => index.get(id) ?? -1;
  const loops = loopEdges(def);
  const edges: EdgePlan[] = def.edges.map((e, i) => ({
    index: i,
    from: indexOf(e.from),
    to: indexOf(e.to),
    // A pattern-route case is taken like a discriminant case.
    kind: e.when?.kind === "match" ? "case" : (e.when?.kind ?? "always"),
    back: loops.has(i),
    max: e.max,
    exhausted: e.onExhausted === undefined ? -1 : indexOf(e.onExhausted),
    loop: -1,
  }));
  const loopPlans = loopRegions(edges, def.nodes.length);
  const nodes = def.nodes.map((node, i) => compileNode(graph, node, i, { edges, indexOf }));
  return {
    def,
    version: graphVersion(def),
    graph,
    nodes,
    edges,
    entry: def.entry.map(indexOf),
    loops: loopPlans,
    strictInput: deepStrict(graph.contract.input as z.ZodType),
    input: graph.contract.input as z.ZodType,
    output: deepStrict(graph.contract.output as z.ZodType),
    bindOutput: compileBinding(def.output, indexOf),
    strategy: def.supervision?.strategy ?? "one_for_one",
  };
}

/**
 * One loop per block that back edges lead to: its region is what is forward-reachable from it.
 * Sets `loop` on the back edges.
 */
function loopRegions(edges: EdgePlan[], size: number): LoopPlan[] {
  const forwardOut: number[][] = Array.from({ length: size }, () => []);
  for (const e of edges) if (!e.back && e.from >= 0 && e.to >= 0) (forwardOut[e.from] as number[]).push(e.index);
  const loops: LoopPlan[] = [];
  const byEntry = new Map<number, number>();
  for (const edge of edges) {
    if (!edge.back) continue;
    let index = byEntry.get(edge.to);
    if (index === undefined) {
      const member = new Uint8Array(size);
      const stack = [edge.to];
      member[edge.to] = 1;
      while (stack.length) {
        for (const e of forwardOut[stack.pop() as number] as number[]) {
          const t = (edges[e] as EdgePlan).to;
          if (!member[t]) (member[t] = 1), stack.push(t);
        }
      }
      const region = [...Array(size).keys()].filter((v) => member[v]);
      const regionEdges = region.flatMap((v) => forwardOut[v] as number[]);
      index = loops.length;
      byEntry.set(edge.to, index);
      loops.push({ index, entry: edge.to, region, member, edges: regionEdges });
    }
    (edge as { loop: number }).loop = index;
  }
  return loops;
}

function compileNode(graph: GraphBlock, node: NodeDef, i: number, ctx: { edges: readonly EdgePlan[]; indexOf: (id: string) => number }): NodePlan {
  const out = ctx.edges.filter((e) => e.from === i);
  const cases = new Map<unknown, number[]>();
  let caseField: string | undefined;
  const matchCases: MatchCasePlan[] = [];
  for (const e of out) {
    const when = graph.def.edges[e.index]?.when;
    if (when?.kind === "match") matchCases.push({ edge: e.index, test: matchTest(graph, node, when) });
    if (when?.kind !== "case") continue;
    caseField = when.field;
    cases.set(when.equals, [...(cases.get(when.equals) ?? []), e.index]);
  }
  const routed = caseField !== undefined || matchCases.length > 0;
  return {
    ...(node.kind === "map" ? compileMap(graph, node) : compileItem(graph, node)),
    index: i,
    def: node,
    bind: compileBinding(node.input, ctx.indexOf),
    joinAll: node.join !== "any",
    inEdges: ctx.edges.filter((e) => e.to === i && !e.back).map((e) => e.index),
    outForward: out.filter((e) => !e.back).map((e) => e.index),
    // An otherwise edge from a block without case edges is always taken (the checker warns about it).
    always: out.filter((e) => e.kind === "always" || (!routed && e.kind === "otherwise")).map((e) => e.index),
    caseField,
    cases,
    matchCases: matchCases.length > 0 ? matchCases : undefined,
    otherwise: out.filter((e) => e.kind === "otherwise").map((e) => e.index),
    errorEdges: out.filter((e) => e.kind === "error").map((e) => e.index),
    plain: out.every((e) => e.kind === "always" && !e.back && e.max === undefined),
    restart: node.restart === undefined ? undefined : restartPlanOf(node.restart),
  };
}

/**
 * A pattern-route case as a plain predicate: compiled from its pattern in the GraphDef, or, for a
 * pattern with a part JSON Schema cannot describe (`P.when`), the guard the graph block carries.
 */
function matchTest(graph: GraphBlock, node: NodeDef, when: { readonly pattern: JsonSchema; readonly guard?: string }): (output: unknown) => boolean {
  if (when.guard !== undefined) {
    const guard = graph.guards?.get(when.guard);
    if (guard === undefined) {
      throw new RunError({
        code: "missing_implementation",
        message: `graph "${graph.def.id}" has no guard named "${when.guard}" for a pattern-route case of block "${node.id}" (a P.when or guard function): build the graph with createGraph(...).match(...) so that its guards travel with it.`,
      });
    }
    return guard;
  }
  const test = compilePattern(when.pattern);
  if (test === undefined) {
    throw new RunError({ code: "missing_implementation", message: `graph "${graph.def.id}": a pattern-route case of block "${node.id}" has a part without JSON Schema and names no guard.` });
  }
  return test;
}

function compileItem(graph: GraphBlock, node: Exclude<NodeDef, { kind: "map" }>): ItemPlan {
  const name = node.kind === "code" ? node.block : node.graph.id;
  const block = graph.blocks.get(name);
  if (block === undefined || block.kind !== node.kind) {
    throw new RunError({
      code: "missing_implementation",
      message: `graph "${graph.def.id}" has no ${node.kind} implementation named "${name}" for block "${node.id}" (it knows: ${[...graph.blocks.keys()].join(", ") || "none"}). Build the graph with createGraph so that its blocks travel with it.`,
    });
  }
  return {
    id: node.id,
    work: block.kind === "graph" ? { kind: "graph", plan: planOf(block) } : { kind: "code", run: (block as CodeBlock).run },
    input: block.contract.input as z.ZodType,
    output: deepStrict(block.contract.output as z.ZodType),
    error: block.contract.error === undefined ? undefined : deepStrict(block.contract.error as z.ZodType),
    resume: block.contract.resume === undefined ? undefined : deepStrict(block.contract.resume as z.ZodType),
    retry: retryPlan(node.retry, node.contract.budget?.attempts),
    timeoutMs: node.contract.budget?.timeoutMs,
  };
}

/**
 * A map node: its work is the item block, run once per element of `items`. The map's own input is
 * `{ items: ItemInput[] }`; its output is assembled from item outputs that were each validated, so
 * it is not parsed again.
 */
function compileMap(graph: GraphBlock, node: Extract<NodeDef, { kind: "map" }>): ItemPlan {
  const item = compileItem(graph, node.item);
  return {
    id: node.id,
    work: { kind: "map", item: item as ItemPlan & { work: Exclude<Work, { kind: "map" }> }, concurrency: node.concurrency ?? 8, collect: node.onItemError === "collect" },
    input: zod.object({ items: zod.array(item.input) }),
    output: zod.unknown(),
    error: undefined,
    resume: undefined,
    retry: retryPlan(undefined, 1),
    timeoutMs: undefined,
  };
}

/** A restart policy with its defaults filled in. */
export function restartPlanOf(restart: RestartDef): RestartPlan {
  return {
    type: restart.type,
    intensity: restart.intensity ?? 3,
    periodMs: restart.periodMs ?? 60_000,
    backoff: { ...retryPlan(restart, 1), attempts: 0 },
    on: { ...restart.on },
  };
}

function retryPlan(retry: RetryDef | undefined, budgetAttempts: number | undefined): RetryPlan {
  return {
    attempts: retry?.attempts ?? budgetAttempts ?? 1,
    initialDelayMs: retry?.initialDelayMs ?? 100,
    maxDelayMs: retry?.maxDelayMs ?? 30_000,
    factor: retry?.factor ?? 2,
    jitter: retry?.jitter ?? 0.2,
  };
}
