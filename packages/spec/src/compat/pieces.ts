/**
 * Reads one schema object's type-specific keywords into a piece per JSON type. Sub-schemas stay
 * as locations (lazy), so recursive and large schemas cost nothing until they are compared.
 */
import { childLoc, regex, toSchema, type Ctx, type Loc, type NodeSet } from "./context.js";
import { isTrivialSchema, usesPrefixItems } from "./draft.js";
import { ANY_ARR, ANY_OBJ, FALSE_LOC, type ArrPiece, type ObjGroup, type ObjPiece } from "./norm.js";
import { ANY_NUM, type NumPiece } from "./number-domain.js";
import { ANY_STR, type StrPiece } from "./string-domain.js";

type Schema = { readonly [k: string]: unknown };

/** A piece (null when provably empty) and the keywords that could not be represented. */
export interface Built<P> {
  readonly piece: P | null;
  readonly issues: readonly string[];
}

const NONE: readonly string[] = [];

export function numberPiece(s: Schema, loc: Loc, int: boolean): Built<NumPiece> {
  const has = "minimum" in s || "maximum" in s || "exclusiveMinimum" in s || "exclusiveMaximum" in s || "multipleOf" in s;
  if (!has) return { piece: int ? { ...ANY_NUM, int } : ANY_NUM, issues: NONE };
  const draft04 = loc.doc.draft === "draft-04";
  const issues: string[] = [];
  let { lo, loX, hi, hiX } = ANY_NUM;
  if (typeof s["minimum"] === "number") [lo, loX] = [s["minimum"], draft04 && s["exclusiveMinimum"] === true];
  if (typeof s["maximum"] === "number") [hi, hiX] = [s["maximum"], draft04 && s["exclusiveMaximum"] === true];
  for (const key of ["exclusiveMinimum", "exclusiveMaximum"] as const) {
    const v = s[key];
    if (v === undefined || (draft04 && typeof v === "boolean")) continue;
    if (typeof v !== "number" || draft04) {
      issues.push(`${key} ${JSON.stringify(v)} is not valid in ${loc.doc.draft}`);
    } else if (key === "exclusiveMinimum" && v >= lo) [lo, loX] = [v, true];
    else if (key === "exclusiveMaximum" && v <= hi) [hi, hiX] = [v, true];
  }
  const m = s["multipleOf"];
  const mult = typeof m === "number" && m > 0 && Number.isFinite(m) ? [m] : [];
  if (m !== undefined && mult.length === 0) issues.push(`multipleOf ${JSON.stringify(m)} is not a positive number`);
  return { piece: { ...ANY_NUM, lo, loX, hi, hiX, int, mult }, issues };
}

export function stringPiece(s: Schema): Built<StrPiece> {
  if (!("minLength" in s || "maxLength" in s || "pattern" in s || "format" in s)) return { piece: ANY_STR, issues: NONE };
  const issues: string[] = [];
  const min = typeof s["minLength"] === "number" ? Math.ceil(s["minLength"]) : 0;
  const max = typeof s["maxLength"] === "number" ? Math.floor(s["maxLength"]) : Infinity;
  const pats: string[] = [];
  const pattern = s["pattern"];
  // Patterns are compared as text and compiled only when a string must be tested: compiling a
  // zod email pattern costs more than a whole typical comparison.
  if (typeof pattern === "string") pats.push(pattern);
  const fmts = typeof s["format"] === "string" ? [s["format"]] : [];
  return { piece: min > max ? null : { ...ANY_STR, min, max, pats, fmts }, issues };
}

function nodes(ctx: Ctx, parent: Loc, schema: unknown): NodeSet {
  const s = toSchema(schema);
  if (isTrivialSchema(s)) return [];
  return s === false ? [FALSE_LOC] : [childLoc(ctx, parent, s)];
}

export function arrayPiece(ctx: Ctx, s: Schema, loc: Loc): Built<ArrPiece> {
  const keys = ["items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"];
  if (!keys.some((k) => k in s)) return { piece: ANY_ARR, issues: NONE };
  const issues: string[] = [];
  let prefixSchemas: readonly unknown[] = [];
  let rest: NodeSet = [];
  if (usesPrefixItems(loc.doc.draft)) {
    if (Array.isArray(s["prefixItems"])) prefixSchemas = s["prefixItems"];
    if (Array.isArray(s["items"])) issues.push("array-form items is not valid in draft-2020-12");
    else if ("items" in s) rest = nodes(ctx, loc, s["items"]);
    if ("additionalItems" in s) issues.push("additionalItems is not part of draft-2020-12");
  } else {
    if (Array.isArray(s["items"])) {
      prefixSchemas = s["items"];
      if ("additionalItems" in s) rest = nodes(ctx, loc, s["additionalItems"]);
    } else if ("items" in s) rest = nodes(ctx, loc, s["items"]);
    if ("prefixItems" in s) issues.push(`prefixItems is not part of ${loc.doc.draft}`);
  }
  const prefix = prefixSchemas.map((x) => nodes(ctx, loc, x));
  while (rest.length === 0 && prefix.length > 0 && (prefix[prefix.length - 1] as NodeSet).length === 0) prefix.pop();
  let min = typeof s["minItems"] === "number" ? Math.ceil(s["minItems"]) : 0;
  const max = typeof s["maxItems"] === "number" ? Math.floor(s["maxItems"]) : Infinity;
  const contains: NodeSet[] = [];
  // With minContains/maxContains (unsupported) `contains` may be vacuous (minContains: 0), so it
  // is only read on its own; the unsupported keyword empties B's arrays elsewhere.
  if ("contains" in s && !("minContains" in s || "maxContains" in s)) {
    const c = nodes(ctx, loc, s["contains"]);
    if (c.length === 0) min = Math.max(min, 1);
    else if (c[0] === FALSE_LOC) return { piece: null, issues };
    else contains.push(c);
  }
  const piece: ArrPiece = { ...ANY_ARR, min, max, prefix, rest, unique: s["uniqueItems"] === true, contains };
  return { piece: min > max ? null : piece, issues };
}

export function objectPiece(ctx: Ctx, s: Schema, loc: Loc): Built<ObjPiece> {
  const keys = ["properties", "patternProperties", "additionalProperties", "required", "minProperties", "maxProperties", "propertyNames"];
  if (!keys.some((k) => k in s)) return { piece: ANY_OBJ, issues: NONE };
  const issues: string[] = [];
  const min = typeof s["minProperties"] === "number" ? Math.ceil(s["minProperties"]) : 0;
  let max = typeof s["maxProperties"] === "number" ? Math.floor(s["maxProperties"]) : Infinity;
  const required = Array.isArray(s["required"]) ? [...new Set(s["required"].filter((k): k is string => typeof k === "string"))] : [];
  const group = readGroup(ctx, s, loc, issues);
  let names: NodeSet = [];
  if ("propertyNames" in s) {
    names = nodes(ctx, loc, s["propertyNames"]);
    if (names[0] === FALSE_LOC) [names, max] = [[], 0];
  }
  const piece: ObjPiece = { ...ANY_OBJ, min, max, required, groups: group === null ? [] : [group], names };
  return { piece: min > max ? null : piece, issues };
}

function readGroup(ctx: Ctx, s: Schema, loc: Loc, issues: string[]): ObjGroup | null {
  const props = new Map<string, Loc>();
  let constrains = false;
  const properties = s["properties"];
  if (isMap(properties)) {
    for (const [key, value] of Object.entries(properties)) {
      const n = nodes(ctx, loc, value);
      props.set(key, n[0] ?? childLoc(ctx, loc, true));
      if (n.length > 0) constrains = true;
    }
  }
  const patterns: { source: string; loc: Loc }[] = [];
  const pp = s["patternProperties"];
  if (isMap(pp)) {
    for (const [source, value] of Object.entries(pp)) {
      if (regex(ctx, source) === null) {
        issues.push(`patternProperties ${JSON.stringify(source)} is not a valid regular expression`);
        continue;
      }
      patterns.push({ source, loc: nodes(ctx, loc, value)[0] ?? childLoc(ctx, loc, true) });
    }
  }
  const ap = nodes(ctx, loc, s["additionalProperties"]);
  // With a pattern dropped, keys it matched would fall under additionalProperties: only leaving
  // that unconstrained keeps the piece an over-approximation (the issue empties B's side).
  const additional = patterns.length < Object.keys(isMap(pp) ? pp : {}).length ? null : (ap[0] ?? null);
  // A group whose schemas are all trivial constrains nothing, whatever keys it names.
  if (!constrains && additional === null && patterns.every((p) => isTrivialSchema(p.loc.schema))) return null;
  return { props, patterns, additional };
}

function isMap(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
