import type { GraphDef, JsonValue, ValuePath } from "../def/graph-def.js";
import type { CallersImpact, ChangeCode, FlowImpact } from "./types.js";

/**
 * The diff's working model: changes while they are being classified, and the facts about each
 * graph (the top one and every subgraph) that the in-flight rules read. Internal to `diff/`.
 */

/** A change whose in-flight impact is filled in by the position analysis. */
export interface DraftChange {
  readonly code: ChangeCode;
  readonly path: string;
  readonly callers: CallersImpact;
  flow: FlowImpact;
  readonly message: string;
  reasons: string[];
  readonly before?: JsonValue;
  readonly after?: JsonValue;
  /** How to find the new graph's checker issues this change causes, when `flow` is not decided yet. */
  readonly probe?: Probe;
  /** Positions this change makes unsafe. */
  readonly unsafeAt: Set<string>;
}

/**
 * Where the checker's new issues would show if a change broke the wiring. `scope` is the path of
 * the (sub)graph in the new GraphDef.
 *
 * - `reader`: issues on the bindings of one reader (a block's input, or the graph's output).
 * - `consumers`: issues on bindings that read a block's output (or the graph's input), and on
 *   routes on that block's output.
 * - `error-edges`: issues on the error edges of a block.
 */
export type Probe =
  | { readonly kind: "reader"; readonly scope: ValuePath; readonly reader: string | undefined }
  | { readonly kind: "consumers"; readonly scope: ValuePath; readonly source: string | undefined }
  | { readonly kind: "error-edges"; readonly scope: ValuePath; readonly block: string };

/**
 * A change of control flow whose decision may lie in a run's past: some edges out of `sources`
 * (undefined = START, i.e. the entry) changed, and `targets` are the blocks whose start depends on
 * them.
 */
export interface EdgeFact {
  readonly sources: readonly (string | undefined)[];
  readonly targets: readonly string[];
  readonly change: DraftChange;
}

/** A bound lowered (or added) on the edge `from -> to`. */
export interface BoundFact {
  readonly from: string;
  readonly to: string;
  readonly change: DraftChange;
}

/**
 * A limit of `block` got tighter (retries, budget, restarts, map concurrency): a run in which the
 * block is running may already be past it. `alsoAcrossActivations`: the limit counts over
 * several activations (restart intensity, budgets), so a block that ran before and runs again is
 * affected too.
 */
export interface LimitFact {
  readonly block: string;
  readonly change: DraftChange;
  readonly reason: string;
  readonly alsoAcrossActivations: boolean;
}

/** A change that affects every position of a graph (its own budget, its supervision strategy). */
export interface ScopeFact {
  readonly change: DraftChange;
  readonly reason: string;
}

/** One graph compared with its new version: the top graph, a subgraph block, or a map's item graph. */
export interface ScopeDiff {
  /** Prefix of block paths in this graph: `""`, `review/`, or `each/*` and a slash for a map's item graph. */
  readonly prefix: string;
  readonly before: GraphDef;
  readonly after: GraphDef;
  /** The two are the same JSON: nothing inside can be unsafe. */
  readonly same: boolean;
  /** Where `after` sits in the new top GraphDef. */
  readonly afterPath: ValuePath;
  readonly edges: EdgeFact[];
  readonly bounds: BoundFact[];
  readonly limits: LimitFact[];
  readonly scopeFacts: ScopeFact[];
  /** The change of this graph's input schema, if any (what runs in flight read from their input). */
  inputChange: DraftChange | undefined;
  /** Changes by block path, to cite them in position reasons. */
  readonly byPath: Map<string, DraftChange[]>;
  /** Subgraph blocks of the same kind on both sides, by block id. */
  readonly children: Map<string, ScopeDiff>;
  /** Item graphs of maps whose item is a graph on both sides, by map id. */
  readonly items: Map<string, ScopeDiff>;
}

/** The block path of `id` in a scope. */
export function pathIn(scope: { readonly prefix: string }, id: string): string {
  return `${scope.prefix}${id}`;
}

/** The first change at `path` with one of `codes`. */
export function changeAt(scope: ScopeDiff, path: string, ...codes: ChangeCode[]): DraftChange | undefined {
  return scope.byPath.get(path)?.find((c) => codes.includes(c.code));
}
