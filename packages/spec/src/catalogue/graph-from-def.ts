import { z } from "zod";
import type { AnyBlock, BlockTypes, GraphBlock } from "../contract/block.js";
import { graphBlockOf } from "../contract/graph-block.js";
import type { Contract } from "../contract/contract.js";
import type { ContractDef, GraphDef, JsonSchema, NodeDef } from "../def/graph-def.js";
import { canonicalJson } from "../def/version.js";
import { BlockworkError } from "../errors.js";
import { type Catalogue, isCatalogue } from "./catalogue.js";

/** Options of {@link graphFromDef}. */
export interface GraphFromDefOptions {
  /**
   * The zod contract to use when the GraphDef's contract is unchanged from `reuse.def.contract`
   * (typically: the graph the GraphDef was patched from). The original schemas keep what JSON
   * Schema cannot say (transforms, refinements); otherwise the contract is rebuilt from JSON Schema.
   */
  readonly reuse?: GraphBlock;
}

/**
 * Turns a GraphDef back into a runnable graph block, with implementations from a catalogue, a
 * block table (`graph.blocks`), or several of them (the first that has a name wins). This is how a
 * patched GraphDef runs: `graphFromDef(result.def, [catalogue, original])`.
 *
 * The graph's own contract is the original graph's zod contract when it did not change (see
 * `options.reuse`), and otherwise rebuilt from its JSON Schema with `z.fromJSONSchema`; there,
 * an input object that does not say `additionalProperties` drops unknown fields, as `z.object` does.
 * Throws when a block has no implementation of its kind, naming the block and what is available.
 *
 * @example
 * const result = applyPatch(graph.def, patch, catalogue);
 * if (result.ok) await run(graphFromDef(result.def, [catalogue, graph], { reuse: graph }), input).result;
 */
export function graphFromDef(def: GraphDef, implementations: ImplementationSource | readonly ImplementationSource[], options: GraphFromDefOptions = {}): GraphBlock {
  const sources = (Array.isArray(implementations) ? implementations : [implementations]) as readonly ImplementationSource[];
  const lookup = (name: string) => {
    for (const source of sources) {
      const found = tableOf(source).get(name);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const blocks = new Map<string, AnyBlock>();
  for (const node of def.nodes) {
    for (const [kind, name] of implementationNames(node)) {
      const block = lookup(name);
      if (block === undefined || block.kind !== kind) {
        const known = sources.flatMap((s) => [...tableOf(s).keys()]);
        throw new BlockworkError(
          "invalid_block",
          `graphFromDef: block "${node.id}" of graph "${def.id}" needs a ${kind} implementation named "${name}", and ${block === undefined ? "none is" : `the one given is a ${block.kind} block`} available (implementations: ${[...new Set(known)].join(", ") || "none"}). Add the block to the catalogue.`,
          { graph: def.id, block: node.id, implementation: name },
        );
      }
      blocks.set(name, block);
    }
  }
  const contract = options.reuse !== undefined && sameContract(options.reuse.def.contract, def.contract) ? options.reuse.contract : contractFromDef(def.contract);
  return graphBlockOf({ id: def.id, def, contract, blocks, description: def.description });
}

/** Where implementations come from: a catalogue, a built graph (its block table), or a table. */
export type ImplementationSource = Catalogue | GraphBlock | ReadonlyMap<string, AnyBlock>;

function tableOf(source: ImplementationSource): ReadonlyMap<string, AnyBlock> {
  if (source instanceof Map) return source;
  if (isCatalogue(source)) return source.implementations;
  return (source as GraphBlock).blocks;
}

function implementationNames(node: NodeDef): [NodeDef["kind"], string][] {
  switch (node.kind) {
    case "code":
      return [["code", node.block]];
    case "graph":
      return [["graph", node.graph.id]];
    case "map":
      return implementationNames(node.item);
  }
}

/**
 * A zod contract from a contract's JSON Schemas (`z.fromJSONSchema`). Inputs are read in input
 * mode, where zod's `z.object` writes no `additionalProperties`: such objects strip unknown fields
 * here too (instead of keeping them, as `fromJSONSchema` would).
 */
export function contractFromDef(def: ContractDef): Contract<BlockTypes> {
  return {
    input: schemaFromJson(def.input, "input"),
    output: schemaFromJson(def.output, "output"),
    error: def.error === undefined ? undefined : schemaFromJson(def.error, "output"),
    resume: def.resume === undefined ? undefined : schemaFromJson(def.resume, "input"),
    ...(def.budget ? { budget: def.budget } : {}),
  } as unknown as Contract<BlockTypes>;
}

const STRIP = "x-blockwork-strip";

function schemaFromJson(schema: JsonSchema, io: "input" | "output"): z.ZodType {
  if (io === "output") return z.fromJSONSchema(schema as never);
  const registry = z.registry<Record<string, unknown>>();
  return stripMarked(z.fromJSONSchema(markOpenObjects(schema) as never, { registry }), registry, new Map());
}

/** Marks every object schema without `additionalProperties` (zod's `z.object` in input mode). */
function markOpenObjects(schema: unknown): unknown {
  if (typeof schema !== "object" || schema === null) return schema;
  if (Array.isArray(schema)) return schema.map(markOpenObjects);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DATA_KEYWORDS.has(key)) out[key] = value;
    else if (SCHEMA_MAPS.has(key) && typeof value === "object" && value !== null) {
      // Keys here are field or definition names, not keywords.
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, markOpenObjects(sub)]));
    } else out[key] = markOpenObjects(value);
  }
  if (out["type"] === "object" && !("additionalProperties" in out) && !("patternProperties" in out)) out[STRIP] = true;
  return out;
}

const DATA_KEYWORDS = new Set(["const", "enum", "default", "examples"]);
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]);

interface Walkable {
  _zod: { def: { type: string; shape?: Record<string, z.ZodType>; catchall?: z.ZodType; element?: z.ZodType; innerType?: z.ZodType; options?: z.ZodType[]; items?: z.ZodType[]; rest?: z.ZodType | null; valueType?: z.ZodType; left?: z.ZodType; right?: z.ZodType } };
  clone(def: unknown): z.ZodType;
}

/** Replaces the catchall of marked objects by none (strip), keeping every other schema as it is. */
function stripMarked(schema: z.ZodType, registry: z.core.$ZodRegistry<Record<string, unknown>>, done: Map<z.ZodType, z.ZodType>): z.ZodType {
  const known = done.get(schema);
  if (known) return known;
  const s = schema as unknown as Walkable;
  const def = s._zod.def;
  const walk = (inner: z.ZodType) => stripMarked(inner, registry, done);
  let result: z.ZodType = schema;
  switch (def.type) {
    case "object": {
      const shape: Record<string, z.ZodType> = {};
      for (const [key, value] of Object.entries(def.shape ?? {})) shape[key] = walk(value);
      const marked = registry.get(schema)?.[STRIP] === true;
      result = s.clone({ ...def, shape, catchall: marked ? undefined : def.catchall });
      break;
    }
    case "array":
      result = s.clone({ ...def, element: walk(def.element as z.ZodType) });
      break;
    case "optional":
    case "nullable":
    case "default":
    case "readonly":
      result = s.clone({ ...def, innerType: walk(def.innerType as z.ZodType) });
      break;
    case "union":
      result = s.clone({ ...def, options: (def.options ?? []).map(walk) });
      break;
    case "intersection":
      result = s.clone({ ...def, left: walk(def.left as z.ZodType), right: walk(def.right as z.ZodType) });
      break;
    case "record":
      result = s.clone({ ...def, valueType: walk(def.valueType as z.ZodType) });
      break;
    case "tuple":
      result = s.clone({ ...def, items: (def.items ?? []).map(walk), rest: def.rest ? walk(def.rest) : (def.rest ?? null) });
      break;
    default:
      // Lazy schemas (recursive $refs) and leaves stay as they are: open objects inside them keep
      // unknown fields, which no binding reads.
      break;
  }
  done.set(schema, result);
  return result;
}

function sameContract(a: ContractDef, b: ContractDef): boolean {
  return a === b || canonicalJson(a) === canonicalJson(b);
}

