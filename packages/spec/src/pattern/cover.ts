import { SchemaBundle } from "../check/bundle.js";
import { compat, validateValue } from "../compat/index.js";
import { OPAQUE_KEYWORD } from "../contract/contract.js";
import type { JsonSchema, JsonValue } from "../def/graph-def.js";
import { compilePattern } from "./predicate.js";

/**
 * What the checker proves about the cases of a pattern route over a block's output schema O:
 * which cases can never match (every output they match is taken by an earlier case, or they match
 * no output), which pairs (leading to different targets, when `targets` are given) overlap without
 * one containing the other, and whether together they
 * cover O — with a value of O that no case matches when they do not.
 *
 * Method: O minus the cases, one case at a time, as a list of pieces (each a conjunction of JSON
 * Schemas). Subtracting an object pattern splits a piece by the first property the value fails
 * ("not an object", "key k absent", "key k present but not matching"); a tuple pattern by length
 * and item; a scalar pattern by negation (`not`, which the engine decides for scalar keywords).
 * The compatibility engine decides whether each piece is empty. The pieces cover O minus the cases
 * (they may overlap), so "every piece is empty" proves the route exhaustive; a counterexample is
 * only reported after the compiled predicates of every case reject it and O accepts it.
 */
export interface CaseAnalysis {
  /** Per case, in order. */
  readonly cases: readonly CaseVerdict[];
  /** Pairs `[i, j]` (i < j) that share a value while neither contains the other's outputs. */
  readonly overlaps: readonly { readonly first: number; readonly second: number; readonly witness: JsonValue }[];
  readonly exhaustive: { readonly kind: "yes" } | { readonly kind: "no"; readonly counterexample: JsonValue } | { readonly kind: "unknown"; readonly reason: string };
}

export type CaseVerdict =
  | { readonly kind: "reachable" }
  | { readonly kind: "unreachable"; readonly why: "never" | "shadowed" }
  | { readonly kind: "unknown"; readonly reason: string };

type Piece = readonly JsonSchema[];

const MAX_PIECES = 256;

class Undecided extends Error {}

/** Analyses the cases (pattern schemas, in order) of a route over the output schema `output`. */
export function analyseCases(output: JsonSchema, cases: readonly JsonSchema[], targets?: readonly string[]): CaseAnalysis {
  const bundle = new SchemaBundle();
  const O = bundle.embed({ root: output, node: output });
  const doc = (piece: Piece): JsonSchema => bundle.document({ allOf: [O, ...piece] });
  const emptiness = (piece: Piece) => compat(doc(piece), false);
  const predicates = cases.map((c) => compilePattern(c));

  const verdicts: CaseVerdict[] = [];
  let pieces: Piece[] | null = [[]];
  let undecided: string | null = null;
  for (const [i, pattern] of cases.entries()) {
    if (pieces === null) {
      verdicts.push({ kind: "unknown", reason: undecided ?? "an earlier case could not be analysed" });
      continue;
    }
    verdicts.push(reachability(pieces, pattern, emptiness, i));
    try {
      const next: Piece[] = [];
      for (const piece of pieces) {
        for (const rest of minus(piece, pattern)) {
          const e = emptiness(rest);
          if (e.verdict !== "yes") next.push(rest);
        }
        if (next.length > MAX_PIECES) throw new Undecided("the cases split the output into too many pieces to analyse");
      }
      pieces = next;
    } catch (error) {
      if (!(error instanceof Undecided)) throw error;
      undecided = `case ${i + 1}: ${error.message}`;
      pieces = null;
    }
  }

  const overlaps: { first: number; second: number; witness: JsonValue }[] = [];
  for (let j = 0; j < cases.length; j++) {
    for (let i = 0; i < j; i++) {
      // Overlapping cases that lead to the same place route alike whatever their order.
      if (targets !== undefined && targets[i] === targets[j]) continue;
      const both = compat(doc([cases[i] as JsonSchema, cases[j] as JsonSchema]), false);
      if (both.verdict !== "no" || both.counterexample === undefined) continue;
      const w = both.counterexample;
      if (!(predicates[i]?.(w) && predicates[j]?.(w))) continue;
      // Specific before general is the idiom: no warning when case i's outputs all match case j.
      if (compat(doc([cases[i] as JsonSchema]), cases[j] as JsonSchema).verdict === "yes") continue;
      if (verdicts[j]?.kind === "unreachable") continue;
      overlaps.push({ first: i, second: j, witness: w });
    }
  }

  return { cases: verdicts, overlaps, exhaustive: settle(pieces, undecided, { output, predicates, emptiness }) };
}

function reachability(pieces: readonly Piece[], pattern: JsonSchema, emptiness: (p: Piece) => ReturnType<typeof compat>, i: number): CaseVerdict {
  if (hasOpaque(pattern)) return { kind: "unknown", reason: `case ${i + 1} has a part the checker cannot read (a P.when or guard)` };
  let unknown: string | null = null;
  for (const piece of pieces) {
    const r = emptiness([...piece, pattern]);
    if (r.verdict === "no") return { kind: "reachable" };
    if (r.verdict === "unknown") unknown ??= r.reason;
  }
  if (unknown !== null) return { kind: "unknown", reason: unknown };
  return { kind: "unreachable", why: i === 0 || emptiness([pattern]).verdict === "yes" ? "never" : "shadowed" };
}

function settle(
  pieces: readonly Piece[] | null,
  undecided: string | null,
  ctx: { output: JsonSchema; predicates: readonly (((v: unknown) => boolean) | undefined)[]; emptiness: (p: Piece) => ReturnType<typeof compat> },
): CaseAnalysis["exhaustive"] {
  if (pieces === null) return { kind: "unknown", reason: undecided ?? "the cases could not be analysed" };
  if (pieces.length === 0) return { kind: "yes" };
  let reason: string | null = null;
  for (const piece of pieces) {
    const r = ctx.emptiness(piece);
    if (r.verdict === "yes") continue;
    if (r.verdict === "unknown" || r.counterexample === undefined) {
      reason ??= r.verdict === "unknown" ? r.reason : "no value could be built for the uncovered part";
      continue;
    }
    const w = r.counterexample;
    const inOutput = validateValue(w, ctx.output).valid === true;
    const matched = ctx.predicates.some((p) => p === undefined || p(w));
    if (inOutput && !matched) return { kind: "no", counterexample: w };
    reason ??= ctx.predicates.some((p) => p === undefined) ? "a case with a P.when or guard may or may not match the rest" : "a possible counterexample could not be confirmed";
  }
  return reason === null ? { kind: "yes" } : { kind: "unknown", reason };
}

function hasOpaque(schema: unknown): boolean {
  return JSON.stringify(schema).includes(`"${OPAQUE_KEYWORD}"`);
}

/** The values of `piece` that `pattern` does not match, as pieces (their union; they may overlap). */
function minus(piece: Piece, pattern: JsonSchema): Piece[] {
  if (pattern === true) return [];
  if (pattern === false) return [piece];
  if (hasOpaque(pattern)) throw new Undecided("it has a part the checker cannot read (a P.when or guard), so what it leaves for later cases is unknown");
  const p = pattern as Record<string, unknown>;
  const keys = Object.keys(p);
  if (keys.length === 1 && Array.isArray(p["anyOf"])) {
    let rest: Piece[] = [piece];
    for (const alt of p["anyOf"] as JsonSchema[]) rest = rest.flatMap((r) => minus(r, alt));
    return rest;
  }
  if (keys.length === 1 && Array.isArray(p["allOf"])) {
    const parts = p["allOf"] as JsonSchema[];
    return parts.flatMap((part, j) => minus([...piece, ...parts.slice(0, j)], part));
  }
  if (keys.length === 1 && p["not"] !== undefined) return [[...piece, p["not"] as JsonSchema]];
  if (p["type"] === "object" && !("propertyNames" in p) && !("additionalProperties" in p)) return minusObject(piece, p);
  if (p["type"] === "array" && !("contains" in p)) return minusArray(piece, p);
  if (isScalar(p)) return [[...piece, { not: pattern }]];
  throw new Undecided(`the checker cannot subtract the pattern ${JSON.stringify(pattern).slice(0, 80)}`);
}

const SCALAR_KEYWORDS = new Set(["type", "const", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern"]);

function isScalar(p: Record<string, unknown>): boolean {
  const types = p["type"] === undefined ? [] : Array.isArray(p["type"]) ? p["type"] : [p["type"]];
  if (types.some((t) => t === "object" || t === "array")) return false;
  if ("const" in p && typeof p["const"] === "object" && p["const"] !== null) return false;
  return Object.keys(p).every((k) => SCALAR_KEYWORDS.has(k));
}

function minusObject(piece: Piece, p: Record<string, unknown>): Piece[] {
  const properties = (p["properties"] as Record<string, JsonSchema> | undefined) ?? {};
  const required = new Set((p["required"] as string[] | undefined) ?? []);
  const out: Piece[] = [[...piece, { not: { type: "object" } }]];
  const matched: JsonSchema[] = [];
  for (const [key, schema] of Object.entries(properties)) {
    const prefix = [...piece, ...matched];
    if (required.has(key)) out.push([...prefix, { type: "object", properties: { [key]: false } }]);
    for (const rest of minus([], schema)) {
      out.push([...prefix, { type: "object", properties: { [key]: rest.length === 1 ? (rest[0] as JsonSchema) : { allOf: [...rest] } }, required: [key] }]);
    }
    matched.push({ type: "object", properties: { [key]: schema }, ...(required.has(key) ? { required: [key] } : {}) });
  }
  for (const key of required) {
    if (key in properties) continue;
    out.push([...piece, ...matched, { type: "object", properties: { [key]: false } }]);
  }
  return out;
}

function minusArray(piece: Piece, p: Record<string, unknown>): Piece[] {
  const prefix = (p["prefixItems"] as JsonSchema[] | undefined) ?? [];
  const items = p["items"] as JsonSchema | undefined;
  const min = typeof p["minItems"] === "number" ? p["minItems"] : 0;
  const max = typeof p["maxItems"] === "number" ? p["maxItems"] : items === false ? prefix.length : undefined;
  const out: Piece[] = [[...piece, { not: { type: "array" } }]];
  if (min > 0) out.push([...piece, { type: "array", maxItems: min - 1 }]);
  if (max !== undefined) out.push([...piece, { type: "array", minItems: max + 1 }]);
  const bounds = { ...(min > 0 ? { minItems: min } : {}), ...(max !== undefined ? { maxItems: max } : {}) };
  prefix.forEach((schema, j) => {
    for (const rest of minus([], schema)) {
      const at = rest.length === 1 ? (rest[0] as JsonSchema) : { allOf: [...rest] };
      out.push([...piece, { type: "array", ...bounds, minItems: Math.max(min, j + 1), prefixItems: [...prefix.slice(0, j), at] }]);
    }
  });
  if (items !== undefined && items !== false && items !== true) {
    for (const rest of minus([], items)) {
      const at = rest.length === 1 ? (rest[0] as JsonSchema) : { allOf: [...rest] };
      // Some item past the prefix fails: `contains` over-approximates (it also looks at the prefix).
      out.push([...piece, { type: "array", ...bounds, prefixItems: prefix, contains: at }]);
    }
  }
  return out;
}
