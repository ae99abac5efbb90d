import type { BindingDef, GraphDef, NodeDef, ValuePath } from "../def/graph-def.js";
import { checkBindingTypes, type BindingContext } from "./bindings.js";
import { Flow, type BitSet, type FlowEdge } from "./flow.js";
import { MAX_DOCUMENT_DEPTH } from "../def/guard.js";
import { issue, type Issue } from "./issues.js";
import { checkRoutes } from "./routes.js";
import { checkSubgraphContract } from "./subgraphs.js";
import { checkMemory } from "../memory/check-memory.js";
import type { AnalysisLimits } from "../compat/types.js";
import { CheckBudget } from "./budget.js";

/** Options of {@link check}. */
export interface CheckOptions {
  /** Do not descend into subgraphs (their own problems are then not reported). */
  readonly shallow?: boolean;
  /**
   * The implementation names (a code node's `block`) of declared blocks whose implementation does
   * not exist yet: each is reported as `not_implemented`. A GraphDef alone cannot tell (its
   * implementations live in modules), so the caller who loaded the module says which are missing.
   */
  readonly unimplemented?: ReadonlySet<string>;
  /** Report `not_implemented` as a warning instead of an error (`blockwork check --allow-missing`). */
  readonly allowMissing?: boolean;
  /**
   * The budgets of the schema comparisons the check makes: `steps`, `nodes` and `depth` bound
   * each comparison; `timeMs` bounds them all together (default 10 s; each one at most 2 s). A
   * comparison past a budget is a `compat_unknown` issue naming it.
   */
  readonly limits?: AnalysisLimits;
}

/**
 * Checks a GraphDef statically and returns every problem found; an empty array means the graph is
 * sound as far as the checker can tell (warnings say where it could not tell). Pure: no I/O, no
 * exceptions for bad graphs.
 *
 * @example
 * const issues = check(graph.def);
 * if (issues.some((i) => i.severity === "error")) throw new Error(formatIssues(issues));
 */
export function check(def: GraphDef, options: CheckOptions = {}): Issue[] {
  const issues: Issue[] = [];
  try {
    checkGraph(def, { graph: [def.id], path: [], options, issues, budget: new CheckBudget(options.limits) });
  } catch (error) {
    // A GraphDef nested deeper than parseGraphDef admits (built in code, not loaded) can exhaust
    // the stack: that is a graph the checker cannot prove, so an error, not a crash.
    if (!(error instanceof RangeError && /call stack/i.test(error.message))) throw error;
    issues.push(issue("compat_unknown", { path: [], graph: [def.id] }, `Graph "${def.id}" nests too deeply to check (the checker ran out of stack), so it is not proven. GraphDefs may nest at most ${MAX_DOCUMENT_DEPTH} levels: flatten the deepest binding, literal or schema.`, "error"));
  }
  return issues;
}

interface Scope {
  readonly graph: readonly string[];
  /** Where this graph sits in the top GraphDef (empty for the top graph). */
  readonly path: ValuePath;
  readonly options: CheckOptions;
  readonly issues: Issue[];
  readonly budget: CheckBudget;
}

function checkGraph(def: GraphDef, scope: Scope): void {
  const at = (path: ValuePath, block?: string) => ({ path: [...scope.path, ...path], graph: scope.graph, block });
  const report = (i: Issue) => scope.issues.push(i);

  const { index, nodeAt } = indexNodes(def, at, report);
  checkReferences(def, index, at, report);

  const flow = new Flow(def, index, nodeAt);
  checkFlow(def, flow, nodeAt, at, report);
  checkRoutes(def, index, nodeAt, at, report, scope.budget);

  const nodes = new Map(nodeAt.map((i) => [(def.nodes[i] as NodeDef).id, def.nodes[i] as NodeDef]));
  const ctx: BindingContext = { def, nodes, at, report, budget: scope.budget };
  def.nodes.forEach((node, i) => {
    if (node.input !== undefined || hasRequiredInput(node)) checkBindingTypes(ctx, { kind: "node", node, at: i });
  });
  checkBindingTypes(ctx, { kind: "output" });
  checkBindingOrder(def, flow, nodeAt, at, report);
  checkMemory(def, at, report);
  checkImplemented(def, scope.options, at, report);

  def.nodes.forEach((node, i) => {
    if (node.kind === "graph") {
      checkSubgraphContract(node, at(["nodes", i], node.id), report, scope.budget);
      if (!scope.options.shallow) {
        checkGraph(node.graph, { ...scope, graph: [...scope.graph, node.graph.id], path: [...scope.path, "nodes", i, "graph"] });
      }
    } else if (node.kind === "map" && node.item.kind === "graph" && !scope.options.shallow) {
      const inner = node.item.graph;
      checkGraph(inner, { ...scope, graph: [...scope.graph, inner.id], path: [...scope.path, "nodes", i, "item", "graph"] });
    }
  });
}

function checkImplemented(def: GraphDef, options: CheckOptions, at: At, report: Report): void {
  const missing = options.unimplemented;
  if (missing === undefined || missing.size === 0) return;
  def.nodes.forEach((node, i) => {
    const code = node.kind === "code" ? node : node.kind === "map" && node.item.kind === "code" ? node.item : undefined;
    if (code === undefined || code.declared === undefined || !missing.has(code.block)) return;
    report(
      issue(
        "not_implemented",
        at(["nodes", i], node.id),
        `Block "${node.id}" is declared (${code.declared.purpose}) but not implemented: its implementation module does not exist yet. Write it with \`blockwork implement <graph> --block ${code.block}\` (or by hand); \`blockwork check --allow-missing\` accepts the graph meanwhile.`,
        options.allowMissing ? "warning" : "error",
      ),
    );
  });
}

type At = (path: ValuePath, block?: string) => { path: ValuePath; graph: readonly string[]; block: string | undefined };
type Report = (i: Issue) => void;

function indexNodes(def: GraphDef, at: At, report: Report): { index: Map<string, number>; nodeAt: number[] } {
  const index = new Map<string, number>();
  const nodeAt: number[] = [];
  def.nodes.forEach((node, i) => {
    const first = index.get(node.id);
    if (first !== undefined) {
      report(
        issue(
          "duplicate_id",
          at(["nodes", i, "id"], node.id),
          `Block id "${node.id}" is used by nodes[${nodeAt[first]}] and nodes[${i}]. Ids must be unique within a graph: rename one (in TypeScript, add it with block.as("other-id")).`,
        ),
      );
      return;
    }
    index.set(node.id, nodeAt.length);
    nodeAt.push(i);
  });
  return { index, nodeAt };
}

function checkReferences(def: GraphDef, index: ReadonlyMap<string, number>, at: At, report: Report): void {
  const known = () => (index.size ? [...index.keys()].slice(0, 12).join(", ") + (index.size > 12 ? ", ..." : "") : "none");
  const unknown = (path: ValuePath, id: string, what: string) =>
    report(issue("unknown_block", at(path, id), `${what} names block "${id}", which is not in graph "${def.id}" (blocks: ${known()}). Add the block or fix the id.`));

  if (def.entry.length === 0) {
    report(issue("missing_entry", at(["entry"]), `Graph "${def.id}" has no entry block, so nothing would run. Name the first block(s) with .start("id") (or "entry": ["id"] in JSON).`));
  }
  def.entry.forEach((id, i) => index.has(id) || unknown(["entry", i], id, "The graph's entry"));
  def.edges.forEach((edge, i) => {
    if (!index.has(edge.from)) unknown(["edges", i, "from"], edge.from, `Edge ${edge.from} -> ${edge.to}`);
    if (!index.has(edge.to)) unknown(["edges", i, "to"], edge.to, `Edge ${edge.from} -> ${edge.to}`);
    if (edge.onExhausted !== undefined && !index.has(edge.onExhausted)) {
      unknown(["edges", i, "onExhausted"], edge.onExhausted, `The onExhausted of edge ${edge.from} -> ${edge.to}`);
    }
    if (edge.onExhausted !== undefined && edge.max === undefined) {
      report(
        issue(
          "on_exhausted_without_max",
          at(["edges", i, "onExhausted"], edge.from),
          `Edge ${edge.from} -> ${edge.to} names onExhausted "${edge.onExhausted}" but has no max, so it is never exhausted. Add "max": N or remove onExhausted.`,
        ),
      );
    }
  });
}

function checkFlow(def: GraphDef, flow: Flow, nodeAt: readonly number[], at: At, report: Report): void {
  const idOf = (v: number) => (def.nodes[nodeAt[v] as number] as NodeDef).id;
  for (let v = 0; v < flow.n; v++) {
    const node = def.nodes[nodeAt[v] as number] as NodeDef;
    if (!flow.reachable[v]) {
      report(
        issue(
          "unreachable_block",
          at(["nodes", nodeAt[v] as number], node.id),
          `Block "${node.id}" is never reached: no path from the entry (${def.entry.join(", ") || "none"}) leads to it. Connect it with an edge, add it to the entry, or remove it.`,
        ),
      );
    } else if (!flow.reachesEnd[v]) {
      report(
        issue(
          "no_path_to_end",
          at(["nodes", nodeAt[v] as number], node.id),
          `From block "${node.id}" no path leads to an end of graph "${def.id}": every path loops or stops at an exhausted bound. Give the loop an exit (a route case or onExhausted) or a block without outgoing edges.`,
        ),
      );
    }
  }
  const cycles = flow.unboundedCycles();
  const starts = cycles.length > 0 ? flow.passStarts() : undefined;
  for (const cycle of cycles) {
    const ids = cycle.map(idOf);
    const edgeIndex = cycleEdge(flow, cycle);
    // A cycle closed by a loop pass's other start: no edge between the loop's entry and that block bounds it.
    const members = new Set(cycle);
    const bypass = cycle.flatMap((e) => (starts?.get(e) ?? []).filter((v) => members.has(v)).map((v) => [e, v] as const))[0];
    const why =
      bypass === undefined
        ? ""
        : ` Block "${idOf(bypass[1])}" starts again at every new pass of the loop at "${idOf(bypass[0])}" (it has a way in from outside the loop, or is an entry block, and that still counts in a new pass), so a bound between "${idOf(bypass[0])}" and it does not limit the loop.`;
    report(
      issue(
        "unbounded_cycle",
        at(edgeIndex === undefined ? ["nodes", nodeAt[cycle[0] as number] as number] : ["edges", edgeIndex], ids[0]),
        `Blocks ${ids.map((id) => `"${id}"`).join(" -> ")} -> "${ids[0]}" form a cycle with no bound, so a run could loop forever.${why} Bound one of its edges: .edge(from, to, { max: N }) or a route case { to, max: N } ("max" in JSON).`,
      ),
    );
  }
}

function cycleEdge(flow: Flow, cycle: readonly number[]): number | undefined {
  const members = new Set(cycle);
  for (const v of cycle) {
    for (const e of flow.out[v] as number[]) {
      const edge = flow.edges[e] as FlowEdge;
      if (members.has(edge.to) && edge.def !== undefined) return edge.def;
    }
  }
  return undefined;
}

function hasRequiredInput(node: NodeDef): boolean {
  const input = node.contract.input;
  return typeof input === "object" && Array.isArray(input["required"]) && input["required"].length > 0;
}

/** A ref the reader needs, with where it sits in the GraphDef. */
interface Needed {
  readonly source: string;
  readonly path: ValuePath;
}

/** Refs that must have run, and `firstOf` groups of which one must have run. */
function neededRefs(binding: BindingDef | undefined, path: ValuePath, needs: Needed[], groups: { path: ValuePath; sources: string[] }[]): void {
  if (binding === undefined) return;
  switch (binding.kind) {
    case "output":
      if (!binding.optional) needs.push({ source: binding.node, path });
      return;
    case "object":
      for (const [field, b] of Object.entries(binding.fields)) neededRefs(b, [...path, "fields", field], needs, groups);
      return;
    case "first": {
      const refs = binding.of.filter((b): b is Extract<BindingDef, { kind: "output" }> => b.kind === "output");
      const alwaysAvailable = binding.of.some((b) => b.kind === "input" || b.kind === "literal");
      const required = refs.filter((r) => !r.optional);
      if (!alwaysAvailable && required.length > 0) groups.push({ path, sources: required.map((r) => r.node) });
      binding.of.forEach((b, i) => {
        if (b.kind === "object") neededRefs(b, [...path, "of", i], needs, groups);
      });
      return;
    }
    default:
      return;
  }
}

/** Dominance: every binding reads only blocks that have certainly completed before its reader. */
function checkBindingOrder(def: GraphDef, flow: Flow, nodeAt: readonly number[], at: At, report: Report): void {
  const readers = new Map<number, { needs: Needed[]; groups: { path: ValuePath; sources: string[] }[]; name: string; block?: string }>();
  for (let v = 0; v < flow.n; v++) {
    const node = def.nodes[nodeAt[v] as number] as NodeDef;
    const needs: Needed[] = [];
    const groups: { path: ValuePath; sources: string[] }[] = [];
    neededRefs(node.input, ["nodes", nodeAt[v] as number, "input"], needs, groups);
    if (needs.length || groups.length) readers.set(v, { needs, groups, name: `block "${node.id}"`, block: node.id });
  }
  const outNeeds: Needed[] = [];
  const outGroups: { path: ValuePath; sources: string[] }[] = [];
  neededRefs(def.output, ["output"], outNeeds, outGroups);
  if (outNeeds.length || outGroups.length) readers.set(flow.END, { needs: outNeeds, groups: outGroups, name: "the graph output" });
  if (readers.size === 0) return;

  const pendingGroups: { v: number; path: ValuePath; sources: Set<number>; ids: string[]; name: string; block?: string }[] = [];
  flow.walkCompleted((v: number, done: BitSet) => {
    const reader = readers.get(v);
    if (!reader) return;
    for (const need of reader.needs) {
      const s = flow.index.get(need.source);
      if (s === undefined || done.has(s)) continue;
      const self = s === v;
      report(
        issue(
          "binding_may_not_run",
          at(need.path, reader.block),
          self
            ? `${cap(reader.name)} reads its own output "${need.source}", which does not exist on its first run. Wrap the ref in maybe(...) (and make the field optional) or use firstOf(ref, default).`
            : `${cap(reader.name)} reads the output of block "${need.source}", which does not certainly complete before it (some path reaches ${reader.name} without "${need.source}" succeeding first). Add an edge so "${need.source}" runs first, wrap the ref in maybe(...) if the field is optional, or use firstOf(...) with a default.`,
        ),
      );
    }
    for (const group of reader.groups) {
      const sources = new Set(group.sources.map((id) => flow.index.get(id)).filter((s): s is number => s !== undefined));
      pendingGroups.push({ v, path: group.path, sources, ids: group.sources, name: reader.name, ...(reader.block ? { block: reader.block } : {}) });
    }
  });
  for (const group of pendingGroups) {
    if (group.sources.size === 0 || flow.someCompleted(group.sources, group.v)) continue;
    report(
      issue(
        "binding_may_not_run",
        at(group.path, group.block),
        `${cap(group.name)} takes firstOf(${group.ids.map((id) => `"${id}"`).join(", ")}), but on some path none of them completes before it. Add a literal default as the last alternative, or wrap the refs in maybe(...) if the field is optional.`,
      ),
    );
  }
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
