/**
 * Lists the values a schema admits when they are finitely many (route exhaustiveness).
 *
 * The list comes from A-side normal forms (a superset of the true set) and is then filtered by
 * the concrete validator, so a `finite` answer is exact. `infinite` is only claimed for a type
 * whose normal form is exact.
 */
import type { JsonSchema, JsonValue } from "../def/graph-def.js";
import { createDoc, rootLoc } from "./context.js";
import { draftOf, JSON_TYPES, type JsonType } from "./draft.js";
import { createEngine } from "./engine.js";
import { jsonUnique } from "./json.js";
import { normalize } from "./normalize.js";
import type { ArrPiece, Norm, ObjPiece } from "./norm.js";
import { isAnyArray } from "./array-check.js";
import { isAnyObject } from "./object-check.js";
import { strWitness, type StrPiece } from "./string-domain.js";
import { numWitness, type NumPiece } from "./number-domain.js";
import { ceilDiv, floorDiv, lcm, mul, toNumber, toRational, type Rational } from "./rational.js";
import type { CompatOptions, Enumeration } from "./types.js";
import { validateNodes } from "./validate.js";

type Listing = { readonly values: readonly JsonValue[] } | { readonly infinite: true } | { readonly unknown: string };

export function enumerate(schema: JsonSchema, options: CompatOptions & { readonly limit?: number } = {}): Enumeration {
  const limit = options.limit ?? 256;
  const e = createEngine(options.limits);
  const loc = rootLoc(createDoc(e, schema, draftOf(schema, options.draft)));
  const norm = normalize(e, loc, "over");
  const all: JsonValue[] = [];
  let unknown: string | null = null;
  for (const t of JSON_TYPES) {
    const listed = list(e, norm, t, limit);
    if ("infinite" in listed) return { kind: "infinite" };
    if ("unknown" in listed) unknown ??= listed.unknown;
    else all.push(...listed.values);
  }
  if (unknown !== null) return { kind: "unknown", reason: unknown };
  const values: JsonValue[] = [];
  for (const v of jsonUnique(all)) {
    const r = validateNodes(e, v, [loc]);
    if (r.valid === "unknown") return { kind: "unknown", reason: r.reason };
    if (r.valid) values.push(v);
  }
  return values.length > limit ? { kind: "infinite" } : { kind: "finite", values };
}

function list(e: ReturnType<typeof createEngine>, norm: Norm, t: JsonType, limit: number): Listing {
  const slot = norm[t];
  const exact = slot.approx.length === 0;
  const infinite = (): Listing => (exact ? { infinite: true } : { unknown: `${t} values: ${slot.approx[0]}` });
  const out: JsonValue[] = [];
  for (const p of slot.pieces) {
    if (t === "null" || t === "boolean") out.push(p as null | boolean);
    else if (t === "number") {
      const r = numbers(p as NumPiece, limit);
      if (r === null) return numWitness(p as NumPiece).kind === "empty" ? { values: [] } : infinite();
      out.push(...r);
    } else {
      const piece = p as StrPiece | ArrPiece | ObjPiece;
      if (piece.values !== null) out.push(...piece.values);
      else if (piece.max === 0) out.push(t === "string" ? "" : t === "array" ? [] : {});
      else if (t === "string") {
        const str = piece as StrPiece;
        if (str.pats.length > 0 || str.fmts.length > 0) return { unknown: "strings constrained by a pattern or format cannot be listed" };
        if (strWitness(e, str).kind !== "empty") return infinite();
      } else if (t === "array" ? isAnyArray(piece as ArrPiece) : isAnyObject(piece as ObjPiece)) return infinite();
      else return { unknown: `${t} values cannot be listed` };
    }
    if (out.length > limit) return { infinite: true };
  }
  return { values: out };
}

/** The members of a number piece, or null when there are infinitely many (or too many to list). */
function numbers(p: NumPiece, limit: number): number[] | null {
  if (p.points !== null) return [...p.points];
  if (p.lo === p.hi) return [p.lo];
  if (!p.int && p.mult.length === 0) return null;
  if (!Number.isFinite(p.lo) || !Number.isFinite(p.hi)) return null;
  let step: Rational = p.int ? { n: 1n, d: 1n } : toRational(p.mult[0] as number);
  for (const m of p.mult) step = lcm(step, toRational(m));
  const lo = toRational(p.lo);
  const hi = toRational(p.hi);
  const kLo = ceilDiv(lo.n * step.d, lo.d * step.n);
  const kHi = floorDiv(hi.n * step.d, hi.d * step.n);
  if (kHi - kLo > BigInt(limit) * 4n) return null;
  const out: number[] = [];
  for (let k = kLo; k <= kHi; k++) {
    const x = toNumber(mul({ n: k, d: 1n }, step));
    if (x === null) return null;
    out.push(x);
  }
  // Exclusive bounds, exclusions and the rest are applied by the validator afterwards.
  return out;
}
