import type { Issue } from "../check/issues.js";
import type { BindingDef, GraphDef, NodeDef, ValuePath } from "../def/graph-def.js";
import type { DraftChange, Probe } from "./model.js";

/**
 * The checker's issues of `after` that `before` did not have (same code, graph, block and message;
 * as a multiset, so a second identical issue counts as new).
 */
export function newIssues(before: readonly Issue[], after: readonly Issue[]): Issue[] {
  const seen = new Map<string, number>();
  for (const i of before) seen.set(issueKey(i), (seen.get(issueKey(i)) ?? 0) + 1);
  const out: Issue[] = [];
  for (const i of after) {
    const left = seen.get(issueKey(i)) ?? 0;
    if (left > 0) seen.set(issueKey(i), left - 1);
    else out.push(i);
  }
  return out;
}

function issueKey(i: Issue): string {
  return [i.code, i.graph.join("\u0000"), i.block ?? "", i.message].join("\u0001");
}

/**
 * Decides the `flow` of changes that could break the new graph's wiring, with the checker's view:
 * a change breaks the flow when the new graph has new issues where the change would show (on the
 * bindings of the block whose input changed, on the consumers of an output that was widened, ...).
 * Otherwise the checker proved that the wiring still fits: compatible.
 */
export function resolveProbes(changes: readonly DraftChange[], after: GraphDef, fresh: readonly Issue[]): void {
  const located = fresh.map((issue) => ({ issue, site: locate(after, issue.path) }));
  for (const change of changes) {
    if (change.probe === undefined) continue;
    const probe = change.probe;
    const hits = located.filter(({ issue, site }) => site !== undefined && matches(probe, issue, site));
    // An undecided comparison is not a proof that the wiring fits; other warnings are only noted.
    change.flow = hits.some(({ issue }) => issue.severity === "error" || issue.code === "compat_unknown") ? "breaking" : "compatible";
    for (const { issue } of hits) change.reasons.push(`${issue.code}: ${issue.message}`);
  }
}

/** Where an issue sits: the graph it is in (its path in the GraphDef), and what in that graph. */
interface Site {
  readonly scope: ValuePath;
  readonly def: GraphDef;
  readonly rest: ValuePath;
}

function locate(top: GraphDef, path: ValuePath): Site | undefined {
  let def = top;
  let start = 0;
  // Descend through `nodes[i].graph` and `nodes[i].item.graph` to the innermost graph on the path.
  for (;;) {
    const [n, i, k, l] = path.slice(start, start + 4);
    if (n !== "nodes" || typeof i !== "number") break;
    const node = def.nodes[i];
    if (node?.kind === "graph" && k === "graph") {
      def = node.graph;
      start += 3;
    } else if (node?.kind === "map" && k === "item" && l === "graph" && node.item.kind === "graph") {
      def = node.item.graph;
      start += 4;
    } else {
      break;
    }
  }
  return { scope: path.slice(0, start), def, rest: path.slice(start) };
}

function matches(probe: Probe, issue: Issue, site: Site): boolean {
  if (!samePath(probe.scope, site.scope)) return false;
  const { rest, def } = site;
  const node = rest[0] === "nodes" && typeof rest[1] === "number" ? def.nodes[rest[1]] : undefined;
  switch (probe.kind) {
    case "reader":
      if (probe.reader === undefined) return rest[0] === "output" || (rest.length === 0 && issue.code === "unbound_output");
      return node?.id === probe.reader && (rest[2] === "input" || (rest.length === 2 && (issue.code === "unbound_input" || issue.code === "unknown_input_field")));
    case "error-edges":
      return issue.code === "error_edge_without_error_schema" && issue.block === probe.block;
    case "consumers": {
      const binding = bindingAt(def, node, rest);
      if (binding !== undefined && reads(binding, probe.source)) return true;
      if (probe.source === undefined || issue.block !== probe.source || !ROUTE_CODES.has(issue.code)) return false;
      return rest[0] === "edges" || (node?.id === probe.source && rest.length === 2);
    }
  }
}

const ROUTE_CODES: ReadonlySet<string> = new Set(["non_exhaustive_route", "unknown_route_case", "compat_unknown"]);

/** The binding (or part of one) an issue points into, if it points into a binding. */
function bindingAt(def: GraphDef, node: NodeDef | undefined, rest: ValuePath): BindingDef | undefined {
  let value: unknown;
  let path: ValuePath;
  if (node !== undefined && rest[2] === "input") {
    value = node.input;
    path = rest.slice(3);
  } else if (rest[0] === "output") {
    value = def.output;
    path = rest.slice(1);
  } else {
    return undefined;
  }
  for (const segment of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return typeof value === "object" && value !== null && "kind" in value ? (value as BindingDef) : undefined;
}

/** Whether a binding reads `source` (a block id; undefined = the graph input). */
function reads(binding: BindingDef, source: string | undefined): boolean {
  switch (binding.kind) {
    case "input":
      return source === undefined;
    case "output":
      return binding.node === source;
    case "literal":
      return false;
    case "object":
      return Object.values(binding.fields).some((b) => reads(b, source));
    case "first":
      return binding.of.some((b) => reads(b, source));
  }
}

function samePath(a: ValuePath, b: ValuePath): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
