import type { ValuePath } from "../def/graph-def.js";

/**
 * Every issue code the checker can return, with its severity and what it means. Codes are stable:
 * tools, tests and suppressions key on them.
 */
export const ISSUE_CODES = {
  duplicate_id: { severity: "error", summary: "Two blocks in one graph share an id." },
  unknown_block: { severity: "error", summary: "An entry, edge or binding names a block that is not in the graph." },
  missing_entry: { severity: "error", summary: "The graph has no entry block." },
  unreachable_block: { severity: "error", summary: "No path from an entry reaches the block." },
  no_path_to_end: { severity: "error", summary: "From the block, no path leads to the end of the graph." },
  unbounded_cycle: { severity: "error", summary: "A cycle has no bounded edge (`max`), so it could loop forever." },
  on_exhausted_without_max: { severity: "error", summary: "An edge names `onExhausted` but has no `max`." },
  non_exhaustive_route: { severity: "error", summary: "A route does not cover every value of its discriminant and has no `otherwise`." },
  unknown_route_case: { severity: "error", summary: "A route case is not a possible value of the discriminant field (or the field does not exist)." },
  conflicting_route_fields: { severity: "error", summary: "One block routes on two different fields (or both on a field and with patterns)." },
  unreachable_route_case: { severity: "error", summary: "A pattern-route case can never be taken: no output matches it, or earlier cases take every output it matches." },
  overlapping_route_cases: { severity: "warning", summary: "Two pattern-route cases match a common output and neither contains the other, so their order decides." },
  otherwise_without_cases: { severity: "warning", summary: "An `otherwise` edge from a block that has no case edges." },
  error_edge_without_error_schema: { severity: "error", summary: "An error edge leaves a block whose contract declares no `error` schema." },
  unbound_input: { severity: "error", summary: "A required input field of a block is not bound." },
  unknown_input_field: { severity: "error", summary: "A binding sets a field the block's input does not have (a warning when the input schema is open)." },
  binding_type_mismatch: { severity: "error", summary: "A bound value does not satisfy the schema of the field it is bound to." },
  binding_may_be_absent: { severity: "error", summary: "A bound value may be absent, but the field it is bound to is required." },
  binding_may_not_run: {
    severity: "error",
    summary: "A binding reads a block that does not certainly run before the reader (declare it with maybe() or firstOf()).",
  },
  unbound_output: { severity: "error", summary: "A required field of the graph's output is not bound." },
  subgraph_contract_mismatch: { severity: "error", summary: "A subgraph is used against its own contract." },
  memory_core_over_context: { severity: "error", summary: "The core memory a block reads can be larger than its context budget." },
  memory_scope_unwritten: { severity: "error", summary: "A block reads a memory scope no block of the graph writes (a warning for thread scopes)." },
  memory_scope_conflict: { severity: "error", summary: "Two blocks declare one shared memory scope differently." },
  memory_policy_invalid: { severity: "error", summary: "A retention policy contradicts itself (a summary larger than core, compact without compaction)." },
  not_implemented: { severity: "error", summary: "A declared block (declareBlock) has no implementation yet (a warning with --allow-missing)." },
  compat_unknown: { severity: "warning", summary: "The checker could not decide whether two schemas fit; it says why." },
} as const satisfies Record<string, { severity: Severity; summary: string }>;

/** The `code` of a checker {@link Issue}: one of the keys of {@link ISSUE_CODES} (docs/checker.md explains each rule). */
export type IssueCode = keyof typeof ISSUE_CODES;
/** How bad an issue is: an `error` fails `blockwork check`; a `warning` fails it only with `--strict`. */
export type Severity = "error" | "warning";

/** One problem found by the checker. Plain data: format it with `formatIssues`. */
export interface Issue {
  readonly code: IssueCode;
  readonly severity: Severity;
  /** Where in the GraphDef (JSON path), e.g. `["nodes", 2, "input", "fields", "text"]`. */
  readonly path: ValuePath;
  /** Graph ids from the checked graph down to the one the issue is in. */
  readonly graph: readonly string[];
  /** The block the issue is about, when there is one. */
  readonly block?: string;
  /** What is wrong, where, and how to fix it. */
  readonly message: string;
}

/** Creates an issue with the code's default severity (or the one given). */
export function issue(
  code: IssueCode,
  at: { path: ValuePath; graph: readonly string[]; block?: string | undefined },
  message: string,
  severity: Severity = ISSUE_CODES[code].severity,
): Issue {
  return {
    code,
    severity,
    path: at.path,
    graph: at.graph,
    ...(at.block !== undefined ? { block: at.block } : {}),
    message,
  };
}
