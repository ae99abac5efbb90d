import type { ContractDef, EdgeDef, GraphDef, NodeDef } from "../def/graph-def.js";
import { formatEdge } from "./notation.js";
import { done, edgeName, nodeIndex, type OpContext, type OpResult, refuse, sameCondition, unknownCatalogueBlock, unknownIds } from "./op-result.js";
import type { PatchOp } from "./patch-schema.js";

type OpOf<$Name extends PatchOp["op"]> = Extract<PatchOp, { op: $Name }>;

export function addBlock(def: GraphDef, op: OpOf<"add_block">, ctx: OpContext): OpResult {
  const id = op.id ?? op.block;
  const node = ctx.catalogue?.nodeFor(op.block, id);
  if (node === undefined) return refuse(unknownCatalogueBlock(ctx, op.block, "add_block"));
  if (nodeIndex(def, id) >= 0) {
    return refuse({ code: "duplicate_id", message: `add_block: graph "${def.id}" already has a block "${id}". Give the new one another id ("id": "${id}_2").` });
  }
  const added: NodeDef = { ...node, ...(op.input !== undefined ? { input: op.input } : {}), ...(op.join !== undefined ? { join: op.join } : {}) };
  return done({ ...def, nodes: [...def.nodes, added] });
}

export function removeBlock(def: GraphDef, op: OpOf<"remove_block">): OpResult {
  const unknown = unknownIds(def, [op.id], "remove_block");
  if (unknown.length) return refuse(...unknown);
  return done({
    ...def,
    nodes: def.nodes.filter((n) => n.id !== op.id),
    edges: def.edges.filter((e) => e.from !== op.id && e.to !== op.id),
    entry: def.entry.filter((id) => id !== op.id),
  });
}

export function connect(def: GraphDef, op: OpOf<"connect">): OpResult {
  const unknown = unknownIds(def, [op.from, op.to, op.onExhausted], `connect ${op.from} -> ${op.to}`);
  if (unknown.length) return refuse(...unknown);
  const existing = def.edges.find((e) => e.from === op.from && e.to === op.to && sameCondition(e.when, op.when));
  if (existing) {
    return refuse({
      code: "duplicate_edge",
      message: `connect: the edge ${formatEdge(existing)} is already there. To change its bound use set_loop_bound; to add a second way between the blocks give another condition ("when").`,
    });
  }
  return done({ ...def, edges: [...def.edges, edgeOf(op)] });
}

export function disconnect(def: GraphDef, op: OpOf<"disconnect">): OpResult {
  const matches = (e: EdgeDef) => e.from === op.from && e.to === op.to && (op.when === undefined || sameCondition(e.when, op.when));
  if (!def.edges.some(matches)) return refuse({ code: "no_such_edge", message: `disconnect: there is no edge ${edgeName(op.from, op.to, op.when)}. ${edgesFrom(def, op.from)}` });
  return done({ ...def, edges: def.edges.filter((e) => !matches(e)) });
}

export function setCase(def: GraphDef, op: OpOf<"set_case">): OpResult {
  const unknown = unknownIds(def, [op.from, op.to, op.onExhausted], `set_case on ${op.from}`);
  if (unknown.length) return refuse(...unknown);
  const when = { kind: "case", field: op.field, equals: op.equals } as const;
  return done({ ...def, edges: replaceEdges(def.edges, (e) => e.from === op.from && sameCondition(e.when, when), edgeOf({ ...op, when })) });
}

export function setOtherwise(def: GraphDef, op: OpOf<"set_otherwise">): OpResult {
  const unknown = unknownIds(def, [op.from, op.to ?? undefined, op.onExhausted], `set_otherwise on ${op.from}`);
  if (unknown.length) return refuse(...unknown);
  const isOtherwise = (e: EdgeDef) => e.from === op.from && e.when?.kind === "otherwise";
  if (op.to === null) {
    if (!def.edges.some(isOtherwise)) return refuse({ code: "no_such_edge", message: `set_otherwise: block "${op.from}" has no otherwise edge to remove. ${edgesFrom(def, op.from)}` });
    return done({ ...def, edges: def.edges.filter((e) => !isOtherwise(e)) });
  }
  return done({ ...def, edges: replaceEdges(def.edges, isOtherwise, edgeOf({ ...op, to: op.to, when: { kind: "otherwise" } })) });
}

export function setLoopBound(def: GraphDef, op: OpOf<"set_loop_bound">): OpResult {
  const unknown = unknownIds(def, [op.from, op.to, op.onExhausted ?? undefined], `set_loop_bound on ${op.from} -> ${op.to}`);
  if (unknown.length) return refuse(...unknown);
  const matching = def.edges.flatMap((e, i) => (e.from === op.from && e.to === op.to && (op.when === undefined || sameCondition(e.when, op.when)) ? [i] : []));
  if (matching.length === 0) return refuse({ code: "no_such_edge", message: `set_loop_bound: there is no edge ${edgeName(op.from, op.to, op.when)}. ${edgesFrom(def, op.from)}` });
  if (matching.length > 1) {
    return refuse({
      code: "ambiguous_edge",
      message: `set_loop_bound: ${matching.length} edges go from ${op.from} to ${op.to} (${matching.map((i) => formatEdge(def.edges[i] as EdgeDef)).join("; ")}). Say which with "when".`,
    });
  }
  const index = matching[0] as number;
  const { max: _max, onExhausted: _onExhausted, ...rest } = def.edges[index] as EdgeDef;
  const onExhausted = op.onExhausted === undefined ? (def.edges[index] as EdgeDef).onExhausted : (op.onExhausted ?? undefined);
  const edge: EdgeDef = { ...rest, ...(op.max !== null ? { max: op.max } : {}), ...(onExhausted !== undefined ? { onExhausted } : {}) };
  const edges = [...def.edges];
  edges[index] = edge;
  return done({ ...def, edges });
}

export function setEntry(def: GraphDef, op: OpOf<"set_entry">): OpResult {
  const unknown = unknownIds(def, op.entry, "set_entry");
  if (unknown.length) return refuse(...unknown);
  return done({ ...def, entry: [...new Set(op.entry)] });
}

export function setContract(def: GraphDef, op: OpOf<"set_contract">): OpResult {
  const { error: _error, ...rest } = def.contract;
  const error = op.error === undefined ? def.contract.error : (op.error ?? undefined);
  const contract: ContractDef = {
    ...rest,
    ...(op.input !== undefined ? { input: op.input } : {}),
    ...(op.output !== undefined ? { output: op.output } : {}),
    ...(error !== undefined ? { error } : {}),
  };
  return done({ ...def, contract });
}

function edgeOf(o: { from: string; to: string; when?: EdgeDef["when"] | undefined; max?: number | undefined; onExhausted?: string | undefined }): EdgeDef {
  return {
    from: o.from,
    to: o.to,
    ...(o.when !== undefined ? { when: o.when } : {}),
    ...(o.max !== undefined ? { max: o.max } : {}),
    ...(o.onExhausted !== undefined ? { onExhausted: o.onExhausted } : {}),
  };
}

/** The edges with the matching ones replaced by `edge` (at the first one's place), or `edge` appended. */
function replaceEdges(edges: readonly EdgeDef[], matches: (e: EdgeDef) => boolean, edge: EdgeDef): EdgeDef[] {
  const first = edges.findIndex(matches);
  if (first < 0) return [...edges, edge];
  return edges.flatMap((e, i) => (i === first ? [edge] : matches(e) ? [] : [e]));
}

function edgesFrom(def: GraphDef, from: string): string {
  const out = def.edges.filter((e) => e.from === from);
  return out.length ? `Edges from ${from}: ${out.map(formatEdge).join("; ")}.` : `Block "${from}" has no outgoing edges.`;
}
