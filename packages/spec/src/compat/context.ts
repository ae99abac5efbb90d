/**
 * Per-call state: schema documents, locations inside them, `$ref` resolution and caches.
 *
 * Everything here lives for one public call, so the engine stays a pure function of its inputs.
 */
import type { JsonSchema } from "../def/graph-def.js";
import { idKeyword } from "./draft.js";
import type { AnalysisLimits, Draft, ValidationResult } from "./types.js";

/** One schema document and the dialect it is read in. */
export interface Doc {
  readonly root: JsonSchema;
  readonly draft: Draft;
  readonly id: number;
  readonly base: string;
  /** Lazily built: resource URI → schema, and `uri#anchor` → schema. */
  index: { readonly resources: Map<string, Loc>; readonly anchors: Map<string, Loc> } | null;
}

/** A schema at a place in a document; `base` is the URI `$ref`s inside it resolve against. */
export interface Loc {
  readonly doc: Doc;
  readonly schema: JsonSchema;
  readonly base: string;
}

/** A conjunction of schemas (the empty set means `true`). */
export type NodeSet = readonly Loc[];

/** The per-call context. Only the engine's own modules touch its fields. */
export interface Ctx {
  readonly ids: Map<object, number>;
  readonly regexes: Map<string, RegExp | null>;
  readonly urls: Map<string, string | null>;
  docCount: number;
  /** Remaining work units; at zero the engine answers `unknown` rather than run away. */
  budget: number;
  /** Validation is linear in the value, so it gets its own, larger allowance. */
  validationBudget: number;
  /** Schema nodes that may still be normalised. */
  nodeBudget: number;
  /** How deep schemas and values may nest along one chain of calls. */
  readonly maxDepth: number;
  /** The current nesting of normalisation and of validation. */
  normDepth: number;
  validationDepth: number;
  /** `Date.now()` past which the call answers `unknown`. */
  readonly deadline: number;
  readonly timeMs: number;
  /** Why the call stopped early, once a budget is spent (the first reason wins). */
  exhausted: string | null;
  timedOut: boolean;
  /** Definite validation results of `$ref` targets, by value, value path and target. */
  readonly validated: Map<string, ValidationResult>;
}

const DEFAULT_BASE = "https://blockwork.invalid/schema.json";

/** The defaults of {@link AnalysisLimits}. */
export const DEFAULT_LIMITS = { steps: 200_000, nodes: 100_000, depth: 200, timeMs: 2_000 } as const;

export function createCtx(limits: AnalysisLimits = {}): Ctx {
  const timeMs = limits.timeMs ?? DEFAULT_LIMITS.timeMs;
  return {
    ids: new Map(), regexes: new Map(), urls: new Map(), docCount: 0,
    budget: limits.steps ?? DEFAULT_LIMITS.steps, validationBudget: 2_000_000, nodeBudget: limits.nodes ?? DEFAULT_LIMITS.nodes,
    maxDepth: limits.depth ?? DEFAULT_LIMITS.depth, normDepth: 0, validationDepth: 0,
    deadline: Date.now() + timeMs, timeMs, exhausted: null, timedOut: false, validated: new Map(),
  };
}

/**
 * Spends one unit of a budget; returns why the call must stop, or null to go on. The clock is
 * read every 256 units, so the time budget costs nothing measurable. Running out of validation
 * budget only makes validations `unknown`; the other budgets (and time) stop the whole call.
 */
export function spend(ctx: Ctx, which: "budget" | "nodeBudget" | "validationBudget"): string | null {
  if (ctx.exhausted !== null && (which !== "validationBudget" || ctx.timedOut)) return ctx.exhausted;
  const left = --ctx[which];
  if (left < 0) {
    if (which === "validationBudget") return "validation budget exhausted";
    ctx.exhausted = which === "budget" ? "the comparison exceeded its work budget (limits.steps)" : "the schemas are too large to analyse (limits.nodes)";
    return ctx.exhausted;
  }
  if ((left & 255) === 0 && Date.now() > ctx.deadline) {
    ctx.timedOut = true;
    ctx.exhausted = `the analysis exceeded its time budget of ${ctx.timeMs} ms (limits.timeMs)`;
    return ctx.exhausted;
  }
  return null;
}

export function createDoc(ctx: Ctx, root: JsonSchema, draft: Draft): Doc {
  const id = typeof root === "object" ? root[idKeyword(draft)] : undefined;
  const base = typeof id === "string" && !id.startsWith("#") ? (resolveUrl(ctx, id, DEFAULT_BASE) ?? DEFAULT_BASE) : DEFAULT_BASE;
  return { root, draft, id: ctx.docCount++, base, index: null };
}

export function rootLoc(doc: Doc): Loc {
  return { doc, schema: doc.root, base: doc.base };
}

/** A location for a schema the engine builds itself (key schemas, exclusions); it has no refs. */
export function syntheticLoc(ctx: Ctx, schema: JsonSchema, draft: Draft): Loc {
  return rootLoc(createDoc(ctx, schema, draft));
}

export function childLoc(ctx: Ctx, parent: Loc, schema: unknown): Loc {
  const s = toSchema(schema);
  if (typeof s === "object") {
    const id = s[idKeyword(parent.doc.draft)];
    if (typeof id === "string" && !id.startsWith("#")) {
      return { doc: parent.doc, schema: s, base: resolveUrl(ctx, id, parent.base) ?? parent.base };
    }
  }
  return { doc: parent.doc, schema: s, base: parent.base };
}

/** Anything that is not a schema (a malformed document) is read as `true`: keyword typos are ignored too. */
export function toSchema(value: unknown): JsonSchema {
  if (typeof value === "boolean") return value;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as JsonSchema;
  return true;
}

/** A stable per-call identity of a location, used in memo keys. */
export function locKey(ctx: Ctx, loc: Loc): string {
  const s = loc.schema;
  if (typeof s === "boolean") return s ? "T" : "F";
  let id = ctx.ids.get(s);
  if (id === undefined) {
    id = ctx.ids.size;
    ctx.ids.set(s, id);
  }
  return `${loc.doc.id}.${id}`;
}

export function nodeSetKey(ctx: Ctx, nodes: NodeSet): string {
  if (nodes.length === 1) return locKey(ctx, nodes[0] as Loc);
  return nodes.map((n) => locKey(ctx, n)).sort().join("&");
}

/** Compiles a JSON Schema pattern the way ECMA-262 validators do (`u` flag); null when invalid. */
export function regex(ctx: Ctx, pattern: string): RegExp | null {
  let re = ctx.regexes.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern, "u");
    } catch {
      re = null;
    }
    ctx.regexes.set(pattern, re);
  }
  return re;
}

function resolveUrl(ctx: Ctx, ref: string, base: string): string | null {
  const key = `${base}\u0000${ref}`;
  let out = ctx.urls.get(key);
  if (out === undefined) {
    try {
      out = new URL(ref, base).href;
    } catch {
      out = null;
    }
    ctx.urls.set(key, out);
  }
  return out;
}

/** Resolves a `$ref` inside the document; a string result explains why it could not. */
export function resolveRef(ctx: Ctx, from: Loc, ref: string): Loc | string {
  const doc = from.doc;
  const local = ref.startsWith("#") && from.base === doc.base;
  const abs = local ? `${doc.base}${ref}` : resolveUrl(ctx, ref, from.base);
  if (abs === null) return `$ref "${ref}" is not a valid URI reference`;
  const hash = abs.indexOf("#");
  const resourceUri = hash < 0 ? abs : abs.slice(0, hash);
  const fragment = hash < 0 ? "" : abs.slice(hash + 1);
  const resource = resourceUri === doc.base ? rootLoc(doc) : indexOf(ctx, doc).resources.get(resourceUri);
  if (resource === undefined) return `$ref "${ref}" points outside the schema document (remote references are not fetched)`;
  if (fragment === "") return resource;
  if (!fragment.startsWith("/")) {
    const anchored = indexOf(ctx, doc).anchors.get(`${resourceUri}#${decodeURIComponent(fragment)}`);
    return anchored ?? `$ref "${ref}": anchor "${fragment}" not found`;
  }
  return walkPointer(ctx, resource, fragment, ref);
}

function walkPointer(ctx: Ctx, start: Loc, fragment: string, ref: string): Loc | string {
  let cur: unknown = start.schema;
  let loc = start;
  for (const raw of fragment.slice(1).split("/")) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    } catch {
      return `$ref "${ref}" has a malformed JSON pointer`;
    }
    if (typeof cur !== "object" || cur === null || !Object.hasOwn(cur, seg)) return `$ref "${ref}" does not resolve`;
    cur = (cur as Record<string, unknown>)[seg];
    if (typeof cur === "object" && cur !== null && !Array.isArray(cur)) loc = childLoc(ctx, loc, cur);
  }
  if (typeof cur !== "boolean" && (typeof cur !== "object" || cur === null || Array.isArray(cur))) {
    return `$ref "${ref}" does not point to a schema`;
  }
  return { doc: loc.doc, schema: cur as JsonSchema, base: loc.base };
}

const SCHEMA_KEYWORDS = [
  "additionalItems", "additionalProperties", "contains", "propertyNames", "not", "if", "then", "else",
  "items", "unevaluatedItems", "unevaluatedProperties", "contentSchema",
];
const ARRAY_KEYWORDS = ["allOf", "anyOf", "oneOf", "prefixItems", "items"];
const MAP_KEYWORDS = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"];

function indexOf(ctx: Ctx, doc: Doc): NonNullable<Doc["index"]> {
  if (doc.index !== null) return doc.index;
  const index = { resources: new Map<string, Loc>(), anchors: new Map<string, Loc>() };
  const idKey = idKeyword(doc.draft);
  const visit = (loc: Loc, depth: number): void => {
    const s = loc.schema;
    if (typeof s !== "object" || depth > 64) return;
    const id = s[idKey];
    if (typeof id === "string") {
      if (id.startsWith("#")) index.anchors.set(`${loc.base}${id}`, loc);
      else index.resources.set(loc.base, loc);
    }
    for (const key of ["$anchor", "$dynamicAnchor"]) {
      const anchor = s[key];
      if (typeof anchor === "string") index.anchors.set(`${loc.base}#${anchor}`, loc);
    }
    for (const key of SCHEMA_KEYWORDS) if (key in s) visit(childLoc(ctx, loc, s[key]), depth + 1);
    for (const key of ARRAY_KEYWORDS) {
      const v = s[key];
      if (Array.isArray(v)) for (const item of v) visit(childLoc(ctx, loc, item), depth + 1);
    }
    for (const key of MAP_KEYWORDS) {
      const v = s[key];
      if (typeof v === "object" && v !== null && !Array.isArray(v)) {
        for (const item of Object.values(v)) if (!Array.isArray(item)) visit(childLoc(ctx, loc, item), depth + 1);
      }
    }
  };
  visit(rootLoc(doc), 0);
  doc.index = index;
  return index;
}
