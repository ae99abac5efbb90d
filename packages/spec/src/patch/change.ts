import type { ContractDef, EdgeDef, GraphDef, NodeDef } from "../def/graph-def.js";
import { canonicalJson } from "../def/version.js";
import { formatBinding, formatEdge, formatSchema } from "./notation.js";

/** What differs in a block between two versions of a graph. */
export type BlockAspect = "implementation" | "contract" | "input" | "join" | "retry" | "restart" | "description";

/**
 * The structural difference between two versions of a graph (its top level; a subgraph that
 * changed is a changed block). What people read as the change summary, and what the Mermaid view
 * highlights.
 */
export interface GraphChange {
  readonly addedBlocks: readonly string[];
  /** The removed blocks as they were (so that they can be drawn). */
  readonly removedBlocks: readonly NodeDef[];
  readonly changedBlocks: readonly { readonly id: string; readonly aspects: readonly BlockAspect[] }[];
  readonly addedEdges: readonly EdgeDef[];
  readonly removedEdges: readonly EdgeDef[];
  /** Same endpoints and condition, another bound or onExhausted. */
  readonly changedEdges: readonly { readonly before: EdgeDef; readonly after: EdgeDef }[];
  /** Set when the entry changed. */
  readonly entry?: { readonly before: readonly string[]; readonly after: readonly string[] };
  /** The parts of the graph's own contract that changed. */
  readonly contract: readonly (keyof ContractDef)[];
  /** Whether the graph's output binding changed. */
  readonly output: boolean;
}

/**
 * The structural difference from `before` to `after`.
 *
 * @example
 * const change = changeOf(graph.def, result.def);
 * console.log(describeChange(change, graph.def, result.def));
 */
export function changeOf(before: GraphDef, after: GraphDef): GraphChange {
  const old = new Map(before.nodes.map((n) => [n.id, n]));
  const now = new Map(after.nodes.map((n) => [n.id, n]));
  const changedBlocks = after.nodes.flatMap((node) => {
    const was = old.get(node.id);
    const aspects = was === undefined ? [] : blockAspects(was, node);
    return aspects.length ? [{ id: node.id, aspects }] : [];
  });
  const edges = edgeChanges(before.edges, after.edges);
  const entryChanged = !sameJson(before.entry, after.entry);
  const contract = (["input", "output", "error", "resume", "budget"] as const).filter((k) => !sameJson(before.contract[k], after.contract[k]));
  return {
    addedBlocks: after.nodes.filter((n) => !old.has(n.id)).map((n) => n.id),
    removedBlocks: before.nodes.filter((n) => !now.has(n.id)),
    changedBlocks,
    ...edges,
    ...(entryChanged ? { entry: { before: before.entry, after: after.entry } } : {}),
    contract,
    output: !sameJson(before.output, after.output),
  };
}

/** Whether a change changes nothing. */
export function isEmptyChange(change: GraphChange): boolean {
  return (
    change.addedBlocks.length + change.removedBlocks.length + change.changedBlocks.length + change.addedEdges.length + change.removedEdges.length + change.changedEdges.length + change.contract.length ===
      0 && change.entry === undefined && !change.output
  );
}

/**
 * A change as text for people, one line per difference: `+` added, `-` removed, `~` changed.
 *
 * @example
 * // + block "sentiment" (sentiment): input {text: input.text}
 * // + edge normalise -> sentiment
 * // ~ graph output: {summary: compose.summary, ..., mood: sentiment.mood}
 */
export function describeChange(change: GraphChange, before: GraphDef, after: GraphDef): string {
  const lines: string[] = [];
  const now = new Map(after.nodes.map((n) => [n.id, n]));
  const old = new Map(before.nodes.map((n) => [n.id, n]));
  for (const id of change.addedBlocks) {
    const node = now.get(id) as NodeDef;
    lines.push(`+ block "${id}" (${implementationOf(node)}): input ${formatBinding(node.input)}`);
  }
  for (const node of change.removedBlocks) lines.push(`- block "${node.id}" (${implementationOf(node)})`);
  for (const { id, aspects } of change.changedBlocks) {
    const was = old.get(id) as NodeDef;
    const node = now.get(id) as NodeDef;
    const parts = aspects.map((aspect) => {
      if (aspect === "implementation") return `implementation ${implementationOf(was)} → ${implementationOf(node)}`;
      if (aspect === "input") return `input ${formatBinding(node.input)}`;
      if (aspect === "join") return `join ${node.join ?? "all"}`;
      return aspect;
    });
    lines.push(`~ block "${id}": ${parts.join("; ")}`);
  }
  for (const edge of change.addedEdges) lines.push(`+ edge ${formatEdge(edge)}`);
  for (const edge of change.removedEdges) lines.push(`- edge ${formatEdge(edge)}`);
  for (const { before: b, after: a } of change.changedEdges) lines.push(`~ edge ${formatEdge(b)} → ${formatEdge(a)}`);
  if (change.entry) lines.push(`~ entry: ${change.entry.before.join(", ") || "none"} → ${change.entry.after.join(", ") || "none"}`);
  for (const part of change.contract) {
    const value = after.contract[part];
    lines.push(`~ graph contract ${part}: ${value === undefined ? "removed" : typeof value === "object" && part === "budget" ? JSON.stringify(value) : formatSchema(value as never, { maxLength: 200 })}`);
  }
  if (change.output) lines.push(`~ graph output: ${formatBinding(after.output)}`);
  return lines.length ? lines.join("\n") : "(no change)";
}

function implementationOf(node: NodeDef): string {
  switch (node.kind) {
    case "code":
      return node.block;
    case "graph":
      return `graph ${node.graph.id}`;
    case "map":
      return `map of ${node.item.kind === "code" ? node.item.block : `graph ${node.item.graph.id}`}`;
  }
}

function blockAspects(was: NodeDef, node: NodeDef): BlockAspect[] {
  const aspects: BlockAspect[] = [];
  if (implementationOf(was) !== implementationOf(node) || (was.kind === "graph" && node.kind === "graph" && !sameJson(was.graph, node.graph))) aspects.push("implementation");
  if (!sameJson(was.contract, node.contract)) aspects.push("contract");
  if (!sameJson(was.input, node.input)) aspects.push("input");
  if ((was.join ?? "all") !== (node.join ?? "all")) aspects.push("join");
  if (!sameJson(was.retry, node.retry)) aspects.push("retry");
  if (!sameJson(was.restart, node.restart)) aspects.push("restart");
  if (was.description !== node.description && !aspects.includes("implementation")) aspects.push("description");
  return aspects;
}

/** Matches edges by endpoints and condition (a multiset: two identical edges count twice). */
function edgeChanges(before: readonly EdgeDef[], after: readonly EdgeDef[]) {
  const key = (e: EdgeDef) => `${e.from}\u0000${e.to}\u0000${JSON.stringify(e.when ?? null)}`;
  const pool = new Map<string, EdgeDef[]>();
  for (const e of before) pool.set(key(e), [...(pool.get(key(e)) ?? []), e]);
  const addedEdges: EdgeDef[] = [];
  const changedEdges: { before: EdgeDef; after: EdgeDef }[] = [];
  for (const e of after) {
    const candidates = pool.get(key(e));
    if (!candidates?.length) {
      addedEdges.push(e);
      continue;
    }
    const exact = candidates.findIndex((c) => c.max === e.max && c.onExhausted === e.onExhausted);
    const [match] = candidates.splice(Math.max(exact , 0), 1) as [EdgeDef];
    if (exact < 0) changedEdges.push({ before: match, after: e });
  }
  const left = new Set([...pool.values()].flat());
  const removedEdges = before.filter((e) => left.has(e));
  return { addedEdges, removedEdges, changedEdges };
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || (a !== undefined && b !== undefined && canonicalJson(a) === canonicalJson(b));
}

