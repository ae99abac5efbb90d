import type { AnyBlock, GraphBlock } from "../contract/block.js";
import { assertId, isBlock } from "../contract/block.js";
import { contractToDef } from "../contract/contract.js";
import type { ContractDef, NodeDef, NodeKind } from "../def/graph-def.js";
import { BlockworkError } from "../errors.js";
import { nodeDefOf } from "../builder/node-def.js";

/** What a catalogue says about one block: id, purpose and contract. Plain data, no implementation. */
export interface CatalogueEntryInfo {
  /** The id a patch names it by (`add_block`, `replace_block`). */
  readonly id: string;
  /** One line: what the block is for. */
  readonly purpose: string;
  readonly kind: NodeKind;
  readonly contract: ContractDef;
}

/** A catalogue entry: its description, and the block that implements it. */
export interface CatalogueEntry extends CatalogueEntryInfo {
  readonly block: AnyBlock;
}

/** How an entry is given to {@link defineCatalogue}: a block, or a block with its catalogue id and purpose. */
export type CatalogueItem = AnyBlock | { readonly block: AnyBlock; readonly id?: string; readonly purpose?: string };

/**
 * The blocks available to a graph editor (the coordinator agent, a patch): described by their
 * contracts only, and carrying the implementations so that a patched GraphDef can be run again
 * (`graphFromDef`).
 */
export interface Catalogue {
  readonly kind: "catalogue";
  readonly entries: readonly CatalogueEntry[];
  /** The entry with this id, or undefined. */
  get(id: string): CatalogueEntry | undefined;
  /** The node a patch adds for entry `id` under the block id `nodeId` (without bindings). */
  nodeFor(id: string, nodeId: string): NodeDef | undefined;
  /** Implementations by the name a GraphDef refers to (a code node's `block`, a graph node's graph id). */
  readonly implementations: ReadonlyMap<string, AnyBlock>;
  /** The entries as plain data: what a model may be shown. */
  describe(): CatalogueEntryInfo[];
}

/**
 * Builds a catalogue from real blocks. The catalogue id of a block is its id (or the one given);
 * its purpose is its description (or the one given). Ids must be unique, and two entries that name
 * the same implementation must be the same block.
 *
 * @example
 * export const catalogue = defineCatalogue([normalise, summarise, { block: sentiment, purpose: "Scores the mood of a text." }]);
 */
export function defineCatalogue(items: readonly CatalogueItem[]): Catalogue {
  const entries: CatalogueEntry[] = [];
  const byId = new Map<string, CatalogueEntry>();
  const implementations = new Map<string, AnyBlock>();
  items.forEach((item, i) => {
    const block = isBlock(item) ? item : item.block;
    if (!isBlock(block)) {
      throw new BlockworkError("invalid_block", `defineCatalogue: item ${i} is not a block (got ${describeValue(item)}). Pass blocks made with defineContract(...).implement, agentBlock, mapOf or createGraph(...).build().`);
    }
    const id = (!isBlock(item) && item.id) || block.id;
    assertId(id, "defineCatalogue");
    const purpose = ((!isBlock(item) && item.purpose) || block.description || "").trim();
    if (byId.has(id)) {
      throw new BlockworkError("conflicting_block", `defineCatalogue: two entries have the id "${id}". Give one of them another id: { block, id: "other-id" }.`, { id });
    }
    const entry: CatalogueEntry = Object.freeze({ id, purpose: purpose || `(no description: add one to block "${block.id}")`, kind: block.kind, contract: contractOf(block), block });
    for (const [name, impl] of implementationsOf(block)) register(implementations, name, impl, id);
    byId.set(id, entry);
    entries.push(entry);
  });
  return Object.freeze({
    kind: "catalogue" as const,
    entries: Object.freeze(entries),
    implementations,
    get: (id: string) => byId.get(id),
    nodeFor(id: string, nodeId: string) {
      const entry = byId.get(id);
      return entry === undefined ? undefined : nodeDefOf(entry.block, { id: nodeId });
    },
    describe: () => entries.map(({ id, purpose, kind, contract }) => ({ id, purpose, kind, contract })),
  });
}

/**
 * The catalogue of the blocks a built graph already uses (its implementation table): what an
 * editor may add again, or rewire, without any other catalogue.
 */
export function catalogueOf(graph: GraphBlock): Catalogue {
  return defineCatalogue([...graph.blocks].map(([name, block]) => ({ block, id: name })));
}

/**
 * Several catalogues as one. The first entry with an id wins, and so does the first block with an
 * implementation name: a later entry that would bring another block under a name already taken
 * (the same block loaded twice, from two copies of a module) is left out. Put the preferred one first.
 */
export function mergeCatalogues(...catalogues: readonly Catalogue[]): Catalogue {
  const seen = new Set<string>();
  const taken = new Map<string, AnyBlock>();
  const items: CatalogueItem[] = [];
  for (const catalogue of catalogues) {
    for (const entry of catalogue.entries) {
      const names = implementationsOf(entry.block);
      if (seen.has(entry.id) || names.some(([name, block]) => taken.has(name) && !sameImplementation(taken.get(name) as AnyBlock, block))) continue;
      seen.add(entry.id);
      for (const [name, block] of names) if (!taken.has(name)) taken.set(name, block);
      items.push({ block: entry.block, id: entry.id, purpose: entry.purpose });
    }
  }
  return defineCatalogue(items);
}

/** Whether a value is a catalogue (structural: survives duplicate package copies). */
export function isCatalogue(value: unknown): value is Catalogue {
  const v = value as Record<string, unknown> | null;
  return typeof v === "object" && v !== null && v["kind"] === "catalogue" && Array.isArray(v["entries"]) && typeof v["get"] === "function";
}

function contractOf(block: AnyBlock): ContractDef {
  return block.kind === "graph" ? block.def.contract : contractToDef(block.contract);
}

/** The implementations a node made from `block` needs, by the name its GraphDef refers to. */
function implementationsOf(block: AnyBlock): [string, AnyBlock][] {
  switch (block.kind) {
    case "code":
      return [[block.ref, block]];
    case "graph":
      return [[block.def.id, block]];
    case "map":
      return implementationsOf(block.item);
  }
}

function register(table: Map<string, AnyBlock>, name: string, block: AnyBlock, entry: string): void {
  const existing = table.get(name);
  if (existing === undefined) {
    table.set(name, block);
    return;
  }
  if (sameImplementation(existing, block)) return;
  throw new BlockworkError(
    "conflicting_block",
    `defineCatalogue: entry "${entry}" and an earlier entry are different blocks that share the implementation name "${name}". Give one of them another id in defineContract().`,
    { name },
  );
}

/** Whether two blocks run the same thing (the same function, or the same graph). */
function sameImplementation(a: AnyBlock, b: AnyBlock): boolean {
  if (a === b) return true;
  if (a.kind === "code" && b.kind === "code") return a.run === b.run;
  if (a.kind === "graph" && b.kind === "graph") return a.def === b.def;
  return false;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  const kind = (value as { kind?: unknown }).kind;
  return typeof kind === "string" ? `an object of kind "${kind}"` : "an object";
}
