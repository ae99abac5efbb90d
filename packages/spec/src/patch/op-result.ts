import type { Catalogue } from "../catalogue/catalogue.js";
import type { EdgeCondition, GraphDef, NodeDef } from "../def/graph-def.js";
import { formatCondition } from "./notation.js";
import type { PatchProblemCode } from "./problems.js";

/** What applying one operation gives: the next GraphDef, or why the operation was refused. */
export type OpResult = { readonly ok: true; readonly def: GraphDef } | { readonly ok: false; readonly refusals: readonly Refusal[] };

export interface Refusal {
  readonly code: PatchProblemCode;
  readonly message: string;
}

export interface OpContext {
  readonly catalogue: Catalogue | undefined;
}

export const done = (def: GraphDef): OpResult => ({ ok: true, def });

export const refuse = (...refusals: Refusal[]): OpResult => ({ ok: false, refusals });

/** A refusal for each id that is not a block of the graph (empty when all are). */
export function unknownIds(def: GraphDef, ids: readonly (string | undefined)[], what: string): Refusal[] {
  const known = new Set(def.nodes.map((n) => n.id));
  return [...new Set(ids.filter((id): id is string => id !== undefined && !known.has(id)))].map((id) => ({
    code: "unknown_block",
    message: `${what} names block "${id}", which is not in graph "${def.id}" (blocks: ${listIds(def)}). Use one of these ids, or add the block first.`,
  }));
}

export function unknownCatalogueBlock(ctx: OpContext, id: string, what: string): Refusal {
  const ids = ctx.catalogue?.entries.map((e) => e.id) ?? [];
  return {
    code: "unknown_catalogue_block",
    message: ids.length
      ? `${what} names "${id}", which is not in the catalogue (catalogue: ${ids.join(", ")}). Use one of these ids.`
      : `${what} names "${id}", but there is no catalogue of blocks to add from. Pass a catalogue (blockwork coordinate --catalogue <module>).`,
  };
}

function listIds(def: GraphDef): string {
  return def.nodes.map((n) => n.id).join(", ") || "none";
}

export function nodeIndex(def: GraphDef, id: string): number {
  return def.nodes.findIndex((n) => n.id === id);
}

export function withNode(def: GraphDef, index: number, node: NodeDef): GraphDef {
  const nodes = [...def.nodes];
  nodes[index] = node;
  return { ...def, nodes };
}

/** Whether two edge conditions are the same (absent = unconditional). */
export function sameCondition(a: EdgeCondition | undefined, b: EdgeCondition | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.kind !== b.kind) return false;
  return a.kind !== "case" || (b.kind === "case" && a.field === b.field && Object.is(a.equals, b.equals));
}

/** `a -> b [kind = "x"]` */
export function edgeName(from: string, to: string, when: EdgeCondition | undefined): string {
  const condition = formatCondition(when);
  return `${from} -> ${to}${condition ? ` ${condition}` : ""}`;
}
