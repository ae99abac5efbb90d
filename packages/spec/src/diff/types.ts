import type { Issue } from "../check/issues.js";
import type { CompatOptions } from "../compat/types.js";
import type { JsonValue } from "../def/graph-def.js";

/**
 * Every kind of change `diffGraphs` reports, in the order changes of one block are listed. Codes
 * are stable: CI filters and tools key on them. See docs/versioning.md for what each one means.
 */
export const CHANGE_CODES = {
  graph_id_changed: "The graph's id changed (a rename: callers that find the graph by id must follow).",
  description_changed: "A description changed; documentation only.",
  graph_input_changed: "The graph's input schema changed; compatible when every old input is still accepted.",
  graph_output_changed: "The graph's output schema changed; compatible when every new output satisfies the old schema.",
  graph_error_changed: "The graph's typed-error schema changed; compatible when every new error satisfies the old schema.",
  graph_resume_changed: "The graph's resume schema changed; compatible when every old resume value is still accepted.",
  graph_budget_changed: "The graph's budget (time, attempts, tokens, cost) changed.",
  graph_output_binding_changed: "How the graph's output is assembled from blocks changed.",
  entry_changed: "The blocks that start when the graph starts changed.",
  supervision_changed: "The graph's supervision strategy changed.",
  block_added: "A block was added.",
  block_removed: "A block was removed.",
  block_kind_changed: "A block changed kind (code, graph or map).",
  block_implementation_changed: "A code block refers to another implementation.",
  map_item_replaced: "A map runs another block for each item.",
  block_input_changed: "A block's input schema changed.",
  block_output_changed: "A block's output schema changed.",
  block_error_changed: "A block's typed-error schema changed.",
  block_resume_changed: "A block's resume schema (what it is resumed with after suspending) changed.",
  block_budget_changed: "A block's budget (timeout, attempts, tokens, cost) changed.",
  binding_added: "A block's input got bindings where it had none.",
  binding_removed: "A block's input bindings were removed.",
  binding_changed: "Where a block's input comes from changed.",
  join_changed: "When a block with several incoming edges starts (join all / any) changed.",
  retry_changed: "A block's retry policy changed.",
  restart_changed: "A block's restart policy (supervision) changed.",
  map_concurrency_changed: "How many items a map runs at once changed.",
  map_item_error_changed: "What a map does when an item fails (fail / collect) changed.",
  edge_added: "An edge (always or on error) was added.",
  edge_removed: "An edge (always or on error) was removed.",
  route_case_added: "A route case was added.",
  route_case_removed: "A route case was removed.",
  route_case_retargeted: "A route case leads to other blocks.",
  route_otherwise_changed: "Where a route's otherwise edge leads changed.",
  loop_bound_raised: "An edge's bound (max) was raised or removed.",
  loop_bound_lowered: "An edge's bound (max) was lowered or added.",
  on_exhausted_changed: "Where a bounded edge leads when its bound is used up changed.",
  loop_edge_changed: "An edge started or stopped closing a loop (the order of edges changed which edges are loop re-entries).",
  option_changed: "A field the diff has no specific rule for changed (compared as JSON).",
} as const satisfies Record<string, string>;

/** A stable code for one kind of change. */
export type ChangeCode = keyof typeof CHANGE_CODES;

/** What a change means for callers of the graph (its own contract, and the resume schemas they answer). */
export type CallersImpact = "none" | "compatible" | "breaking";

/** What a change means for the graph's own wiring: do the consumers of what changed still accept it? */
export type FlowImpact = "none" | "compatible" | "breaking";

/** One change between two GraphDefs, classified. Plain JSON data. */
export interface DiffChange {
  readonly code: ChangeCode;
  /**
   * The block path the change is about: `""` for the graph itself, `review` for a block, `review/approve`
   * inside the subgraph block `review`, `each/*` for the item block of the map `each`. Edge changes
   * carry the path of their source block.
   */
  readonly path: string;
  readonly callers: CallersImpact;
  readonly flow: FlowImpact;
  /** `breaking` when the change makes moving a run unsafe at some position (listed in `unsafeAt`). */
  readonly inFlight: "compatible" | "breaking";
  /** The positions (block paths of the old graph) where this change makes an upgrade unsafe. */
  readonly unsafeAt: readonly string[];
  /** What changed, naming the block, in one sentence. */
  readonly message: string;
  /** Why it is classified as it is: compat reasons with counterexamples, consumers that break, ... */
  readonly reasons?: readonly string[];
  /** The old value, for changes of one small field (a bound, a join mode, a retry policy, ...). */
  readonly before?: JsonValue;
  /** The new value, likewise. */
  readonly after?: JsonValue;
}

/** Whether a run of the old graph at one block position can be moved to the new graph there. */
export interface PositionVerdict {
  /** The block path in the old graph (`publish`, `review/approve`; map items count as the map). */
  readonly block: string;
  readonly safe: boolean;
  /** Why not (empty when safe). */
  readonly reasons: readonly string[];
}

/** The overall verdict on one axis. */
export type DiffVerdict = "unchanged" | "compatible" | "breaking";

/** The result of {@link diffGraphs}. Plain JSON data, in a stable order. */
export interface GraphDiff {
  /** Every change, ordered by block path, then by code (in {@link CHANGE_CODES} order), then by message. */
  readonly changes: readonly DiffChange[];
  /** The worst `callers` impact of any change. */
  readonly callers: DiffVerdict;
  /** The worst `flow` impact of any change. */
  readonly flow: DiffVerdict;
  /** `breaking` when some position is unsafe. */
  readonly inFlight: DiffVerdict;
  /** One verdict per block path of the old graph, in the old graph's order (nested blocks after their subgraph). */
  readonly positions: readonly PositionVerdict[];
  /** Checker issues of the new graph that the old graph did not have. */
  readonly issues: readonly Issue[];
  /** `callers`, `flow` or `inFlight` is `breaking`. */
  readonly breaking: boolean;
}

/** Options of {@link diffGraphs}. */
export interface DiffOptions {
  /** Passed to every schema comparison (for example a forced JSON Schema draft). */
  readonly compat?: CompatOptions;
}
