/**
 * The normal form: per JSON type, a union of conjunctive pieces, plus the reasons the union is
 * only an approximation (an over-approximation on A's side, an under-approximation on B's side).
 */
import type { JsonValue } from "../def/graph-def.js";
import type { Doc, Loc, NodeSet } from "./context.js";
import { typeOfValue, type JsonType } from "./draft.js";
import { jsonIncludes } from "./json.js";
import { ANY_NUM, complementNum, intersectNum, type NumPiece } from "./number-domain.js";
import { ANY_STR, complementStr, intersectStr, type StrPiece } from "./string-domain.js";

export interface ArrPiece {
  readonly min: number;
  readonly max: number;
  readonly prefix: readonly NodeSet[];
  readonly rest: NodeSet;
  readonly unique: boolean;
  readonly contains: readonly NodeSet[];
  readonly values: readonly JsonValue[] | null;
  readonly excl: readonly JsonValue[];
}

/** The property keywords of one schema object: `additionalProperties` is relative to its siblings. */
export interface ObjGroup {
  readonly props: ReadonlyMap<string, Loc>;
  readonly patterns: readonly { readonly source: string; readonly loc: Loc }[];
  readonly additional: Loc | null;
}

export interface ObjPiece {
  readonly min: number;
  readonly max: number;
  readonly required: readonly string[];
  readonly groups: readonly ObjGroup[];
  readonly names: NodeSet;
  readonly values: readonly JsonValue[] | null;
  readonly excl: readonly JsonValue[];
}

export const ANY_ARR: ArrPiece = { min: 0, max: Infinity, prefix: [], rest: [], unique: false, contains: [], values: null, excl: [] };
export const ANY_OBJ: ObjPiece = { min: 0, max: Infinity, required: [], groups: [], names: [], values: null, excl: [] };

export interface Slot<P> {
  readonly pieces: readonly P[];
  readonly approx: readonly string[];
}

export interface Norm {
  readonly null: Slot<null>;
  readonly boolean: Slot<boolean>;
  readonly number: Slot<NumPiece>;
  readonly string: Slot<StrPiece>;
  readonly array: Slot<ArrPiece>;
  readonly object: Slot<ObjPiece>;
}

export type Polarity = "over" | "under";
export const flip = (pol: Polarity): Polarity => (pol === "over" ? "under" : "over");

/** Per-type set algebra. `complement` returns null when the complement is not representable. */
export interface Domain<P> {
  readonly any: P;
  intersect(a: P, b: P): P | null;
  complement(p: P): P[] | null;
}

const BOOL_DOC: Doc = { root: false, draft: "draft-2020-12", id: -1, base: "", index: null };
export const FALSE_LOC: Loc = { doc: BOOL_DOC, schema: false, base: "" };

const NULL_DOMAIN: Domain<null> = { any: null, intersect: () => null, complement: () => [] };
const BOOL_DOMAIN: Domain<boolean> = {
  any: true,
  intersect: (a, b) => (a === b ? a : null),
  complement: (p) => [!p],
};

function dedupeNodes(a: NodeSet, b: NodeSet): NodeSet {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = [...a];
  for (const n of b) if (!out.some((m) => m.schema === n.schema && m.doc === n.doc)) out.push(n);
  return out;
}

function intersectValues(a: readonly JsonValue[] | null, b: readonly JsonValue[] | null): readonly JsonValue[] | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.filter((v) => jsonIncludes(b, v));
}

const ARR_DOMAIN: Domain<ArrPiece> = {
  any: ANY_ARR,
  intersect(a, b) {
    const n = Math.max(a.prefix.length, b.prefix.length);
    const prefix: NodeSet[] = [];
    for (let i = 0; i < n; i++) prefix.push(dedupeNodes(a.prefix[i] ?? a.rest, b.prefix[i] ?? b.rest));
    const p: ArrPiece = {
      min: Math.max(a.min, b.min),
      max: Math.min(a.max, b.max),
      prefix,
      rest: dedupeNodes(a.rest, b.rest),
      unique: a.unique || b.unique,
      contains: [...a.contains, ...b.contains],
      values: intersectValues(a.values, b.values),
      excl: [...a.excl, ...b.excl],
    };
    return p.min > p.max || p.values?.length === 0 ? null : p;
  },
  complement(p) {
    if (p.prefix.length > 0 || p.rest.length > 0 || p.unique || p.contains.length > 0) return null;
    return lengthComplement(p, ANY_ARR);
  },
};

const OBJ_DOMAIN: Domain<ObjPiece> = {
  any: ANY_OBJ,
  intersect(a, b) {
    const p: ObjPiece = {
      min: Math.max(a.min, b.min),
      max: Math.min(a.max, b.max),
      required: a.required.length === 0 ? b.required : [...new Set([...a.required, ...b.required])],
      groups: [...a.groups, ...b.groups],
      names: dedupeNodes(a.names, b.names),
      values: intersectValues(a.values, b.values),
      excl: [...a.excl, ...b.excl],
    };
    return p.min > p.max || p.values?.length === 0 ? null : p;
  },
  complement(p) {
    if (p.groups.length > 0 || p.names.length > 0) return null;
    const out = lengthComplement(p, ANY_OBJ);
    // "Some required key is missing": one piece per key, forbidding it.
    for (const key of p.required) {
      out.push({ ...ANY_OBJ, groups: [{ props: new Map([[key, FALSE_LOC]]), patterns: [], additional: null }] });
    }
    return out;
  },
};

function lengthComplement<P extends { readonly min: number; readonly max: number; readonly values: readonly JsonValue[] | null; readonly excl: readonly JsonValue[] }>(p: P, any: P): P[] {
  // ¬(V ∧ C) = ¬V ∨ ¬C: a listed value may still fail the piece's other constraints.
  const out: P[] = p.values === null ? [] : [{ ...any, excl: p.values }];
  if (p.min > 0) out.push({ ...any, max: p.min - 1 });
  if (p.max < Infinity) out.push({ ...any, min: p.max + 1 });
  if (p.excl.length > 0) out.push({ ...any, values: p.excl });
  return out;
}

export const NUM_DOMAIN: Domain<NumPiece> = { any: ANY_NUM, intersect: intersectNum, complement: complementNum };
export const STR_DOMAIN: Domain<StrPiece> = { any: ANY_STR, intersect: intersectStr, complement: complementStr };

const DOMAINS: { readonly [T in JsonType]: Domain<Norm[T]["pieces"][number]> } = {
  null: NULL_DOMAIN,
  boolean: BOOL_DOMAIN,
  number: NUM_DOMAIN,
  string: STR_DOMAIN,
  array: ARR_DOMAIN,
  object: OBJ_DOMAIN,
};

const MAX_PIECES = 64;
const NO_APPROX: readonly string[] = [];

function slot<P>(pieces: readonly P[], approx: readonly string[] = NO_APPROX): Slot<P> {
  return { pieces, approx };
}

/**
 * At most this many distinct reasons are kept per slot: a chain of `$ref`s that doubles at every
 * level (the "billion laughs" schema) would otherwise double the reasons too.
 */
const MAX_REASONS = 8;

function concat(a: readonly string[], b: readonly string[]): readonly string[] {
  if (a.length === 0 || a === b) return b;
  if (b.length === 0) return a;
  let out: string[] | null = null;
  for (const r of b) {
    if ((out ?? a).length >= MAX_REASONS) break;
    if ((out ?? a).includes(r)) continue;
    out ??= [...a];
    out.push(r);
  }
  return out ?? a;
}

/** `approx` with `reason` added (once, and only while there are fewer than MAX_REASONS). */
export function withReason(approx: readonly string[], reason: string): readonly string[] {
  return approx.includes(reason) || approx.length >= MAX_REASONS ? approx : [...approx, reason];
}

function topSlot<P>(d: Domain<P>): Slot<P> {
  return slot(d === BOOL_DOMAIN ? ([true, false] as P[]) : [d.any]);
}

export const TOP: Norm = {
  null: topSlot(NULL_DOMAIN), boolean: topSlot(BOOL_DOMAIN), number: topSlot(NUM_DOMAIN),
  string: topSlot(STR_DOMAIN), array: topSlot(ARR_DOMAIN), object: topSlot(OBJ_DOMAIN),
};
const EMPTY = slot<never>([]);
export const BOTTOM: Norm = { null: EMPTY, boolean: EMPTY, number: EMPTY, string: EMPTY, array: EMPTY, object: EMPTY };

export function intersectSlot<P>(d: Domain<P>, a: Slot<P>, b: Slot<P>, pol: Polarity): Slot<P> {
  const approx = concat(a.approx, b.approx);
  if (a.pieces.length === 0 || b.pieces.length === 0) return slot([], approx);
  // A single `any` piece is the whole type (booleans have two pieces, so never qualify).
  if (d !== BOOL_DOMAIN && b.pieces.length === 1 && b.pieces[0] === d.any) return slot(a.pieces, approx);
  if (d !== BOOL_DOMAIN && a.pieces.length === 1 && a.pieces[0] === d.any) return slot(b.pieces, approx);
  if (a.pieces.length * b.pieces.length > MAX_PIECES) {
    // Dropping a conjunct over-approximates; emptying under-approximates.
    const reason = "too many combinations of alternatives";
    return pol === "over" ? slot(a.pieces, withReason(approx, reason)) : slot([], withReason(approx, reason));
  }
  const out: P[] = [];
  for (const x of a.pieces) for (const y of b.pieces) {
    const z = d.intersect(x, y);
    if (z !== null) out.push(z);
  }
  return slot(out, approx);
}

export function unionSlot<P>(d: Domain<P>, a: Slot<P>, b: Slot<P>, pol: Polarity): Slot<P> {
  if (a === b) return a;
  const approx = concat(a.approx, b.approx);
  // Pieces are shared between normal forms (a `$ref` target is normalised once), so the same
  // piece reached twice is dropped: x ∪ x = x keeps `$ref` chains linear.
  const extra = a.pieces.length === 0 || b.pieces.length === 0 ? b.pieces : b.pieces.filter((p) => !a.pieces.includes(p));
  if (extra.length === 0) return approx === a.approx ? a : slot(a.pieces, approx);
  if (a.pieces.length + extra.length > MAX_PIECES) {
    const reason = "too many alternatives";
    return pol === "over" ? slot(topSlot(d).pieces, withReason(approx, reason)) : slot(a.pieces, withReason(approx, reason));
  }
  if (d === BOOL_DOMAIN) return slot([...new Set([...a.pieces, ...extra])], approx);
  if (d === NULL_DOMAIN) return slot(a.pieces.length > 0 ? a.pieces : b.pieces, approx);
  return slot(a.pieces.length === 0 ? extra : [...a.pieces, ...extra], approx);
}

export function complementSlot<P>(d: Domain<P>, s: Slot<P>, pol: Polarity, what: string): Slot<P> {
  let out: Slot<P> = topSlot(d);
  for (const p of s.pieces) {
    const comp = d.complement(p);
    if (comp === null) {
      const reason = `negation of ${what} constraints is not supported`;
      out = pol === "over" ? slot(out.pieces, withReason(out.approx, reason)) : slot([], withReason(out.approx, reason));
      continue;
    }
    out = intersectSlot(d, out, slot(comp), pol);
  }
  return slot(out.pieces, concat(out.approx, s.approx));
}

type NormMap = { -readonly [T in JsonType]: Slot<Norm[T]["pieces"][number]> };

export function mapNorm(f: <T extends JsonType>(t: T, d: Domain<Norm[T]["pieces"][number]>) => Slot<Norm[T]["pieces"][number]>): Norm {
  const out = {} as NormMap;
  for (const t of ["null", "boolean", "number", "string", "array", "object"] as const) {
    (out as Record<JsonType, unknown>)[t] = f(t, DOMAINS[t] as never);
  }
  return out;
}

export function intersectNorm(a: Norm, b: Norm, pol: Polarity): Norm {
  if (a === TOP) return b;
  if (b === TOP) return a;
  return mapNorm((t, d) => intersectSlot(d, a[t], b[t], pol));
}

export function unionNorm(a: Norm, b: Norm, pol: Polarity): Norm {
  if (a === BOTTOM || a === b) return b;
  if (b === BOTTOM) return a;
  return mapNorm((t, d) => unionSlot(d, a[t], b[t], pol));
}

export function complementNorm(n: Norm, pol: Polarity): Norm {
  return mapNorm((t, d) => complementSlot(d, n[t], pol, t));
}

/** The finite set `values`, split by type. */
export function finiteNorm(values: readonly unknown[]): Norm {
  const by: Record<JsonType, JsonValue[]> = { null: [], boolean: [], number: [], string: [], array: [], object: [] };
  for (const v of values) by[typeOfValue(v)].push(v as JsonValue);
  return {
    null: slot(by.null.length > 0 ? [null] : []),
    boolean: slot([...new Set(by.boolean as boolean[])]),
    number: slot(by.number.length > 0 ? [{ ...ANY_NUM, points: by.number as number[] }] : []),
    string: slot(by.string.length > 0 ? [{ ...ANY_STR, values: [...new Set(by.string as string[])] }] : []),
    array: slot(by.array.length > 0 ? [{ ...ANY_ARR, values: by.array }] : []),
    object: slot(by.object.length > 0 ? [{ ...ANY_OBJ, values: by.object }] : []),
  };
}

/** Marks the given types as approximated: kept as they are over, emptied under. */
export function approximate(n: Norm, types: readonly JsonType[], reason: string, pol: Polarity): Norm {
  return mapNorm((t) => {
    const s = n[t] as Slot<never>;
    if (!types.includes(t)) return s;
    return pol === "over" ? slot(s.pieces, withReason(s.approx, reason)) : slot<never>([], withReason(s.approx, reason));
  });
}

export function makeSlot<P>(pieces: readonly P[], approx: readonly string[] = NO_APPROX): Slot<P> {
  return slot(pieces, approx);
}

/** The values of a normal form that is a finite set of scalars, else null. */
export function finiteScalars(n: Norm): (string | number | boolean | null)[] | null {
  if (n.array.pieces.length > 0 || n.object.pieces.length > 0) return null;
  const out: (string | number | boolean | null)[] = [...n.boolean.pieces, ...n.null.pieces];
  for (const p of n.number.pieces) {
    if (p.points === null) return null;
    out.push(...p.points);
  }
  for (const p of n.string.pieces) {
    if (p.values === null) return null;
    out.push(...p.values);
  }
  return out;
}
