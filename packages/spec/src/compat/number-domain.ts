/**
 * Sets of numbers as conjunctions of simple constraints, closed under intersection and (as unions
 * of pieces) under complement, with an exact emptiness test that also yields a witness.
 */
import { ceilDiv, div, floorDiv, isMultipleOf, lcm, mul, toNumber, toRational, type Rational } from "./rational.js";

export interface NumPiece {
  readonly lo: number;
  readonly loX: boolean;
  readonly hi: number;
  readonly hiX: boolean;
  /** Must be an integer / must not be one. */
  readonly int: boolean;
  readonly frac: boolean;
  readonly mult: readonly number[];
  readonly notMult: readonly number[];
  readonly excl: readonly number[];
  /** When set, the piece is at most these points. */
  readonly points: readonly number[] | null;
}

export const ANY_NUM: NumPiece = {
  lo: -Infinity, loX: false, hi: Infinity, hiX: false, int: false, frac: false,
  mult: [], notMult: [], excl: [], points: null,
};

export type Emptiness<T> =
  | { readonly kind: "empty" }
  | { readonly kind: "witness"; readonly value: T }
  | { readonly kind: "unknown"; readonly reason: string };

function numContains(p: NumPiece, x: number): boolean {
  if (x < p.lo || (x === p.lo && p.loX) || x > p.hi || (x === p.hi && p.hiX)) return false;
  if (p.int && !Number.isInteger(x)) return false;
  if (p.frac && Number.isInteger(x)) return false;
  for (const m of p.mult) if (!isMultipleOf(x, m)) return false;
  for (const m of p.notMult) if (isMultipleOf(x, m)) return false;
  if (p.excl.includes(x)) return false;
  return p.points === null || p.points.includes(x);
}

/** The intersection, or null when it is empty (only cheap emptiness is detected here). */
export function intersectNum(a: NumPiece, b: NumPiece): NumPiece | null {
  const [lo, loX] = a.lo > b.lo ? [a.lo, a.loX] : b.lo > a.lo ? [b.lo, b.loX] : [a.lo, a.loX || b.loX];
  const [hi, hiX] = a.hi < b.hi ? [a.hi, a.hiX] : b.hi < a.hi ? [b.hi, b.hiX] : [a.hi, a.hiX || b.hiX];
  let points = a.points ?? b.points;
  if (a.points !== null && b.points !== null) points = a.points.filter((x) => b.points?.includes(x));
  const p: NumPiece = {
    lo, loX, hi, hiX,
    int: a.int || b.int,
    frac: a.frac || b.frac,
    mult: merge(a.mult, b.mult),
    notMult: merge(a.notMult, b.notMult),
    excl: merge(a.excl, b.excl),
    points,
  };
  if (lo > hi || (lo === hi && (loX || hiX)) || (p.int && p.frac)) return null;
  if (points !== null) {
    const kept = points.filter((x) => numContains({ ...p, points: null }, x));
    return kept.length === 0 ? null : { ...ANY_NUM, points: kept };
  }
  return p;
}

function merge(a: readonly number[], b: readonly number[]): readonly number[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return [...new Set([...a, ...b])];
}

/** The numbers outside the piece, as a union of pieces. */
export function complementNum(p: NumPiece): NumPiece[] {
  if (p.points !== null) return [{ ...ANY_NUM, excl: p.points }];
  // The order decides which counterexample is found first: a fraction against an integer type
  // reads better than a number just past a ±2^53 bound.
  const out: NumPiece[] = [];
  if (p.int) out.push({ ...ANY_NUM, frac: true });
  if (p.frac) out.push({ ...ANY_NUM, int: true });
  for (const m of p.mult) out.push({ ...ANY_NUM, notMult: [m] });
  for (const m of p.notMult) out.push({ ...ANY_NUM, mult: [m] });
  if (p.lo > -Infinity) out.push({ ...ANY_NUM, hi: p.lo, hiX: !p.loX });
  if (p.hi < Infinity) out.push({ ...ANY_NUM, lo: p.hi, loX: !p.hiX });
  if (p.excl.length > 0) out.push({ ...ANY_NUM, points: p.excl });
  return out;
}

const SCAN = 4096;

/** Decides whether the piece is empty; otherwise returns a member, preferring one near zero. */
export function numWitness(p: NumPiece): Emptiness<number> {
  if (p.points !== null) {
    const hit = p.points.find((x) => numContains({ ...p, points: null }, x));
    return hit === undefined ? { kind: "empty" } : { kind: "witness", value: hit };
  }
  if (p.lo > p.hi || (p.lo === p.hi && (p.loX || p.hiX)) || (p.int && p.frac)) return { kind: "empty" };
  if (p.lo === p.hi) return numContains(p, p.lo) ? { kind: "witness", value: p.lo } : { kind: "empty" };
  if (!p.int && p.mult.length === 0) return realWitness(p);
  return latticeWitness(p);
}

/** Without a lattice the set is an interval of positive length minus a null set: never empty. */
function realWitness(p: NumPiece): Emptiness<number> {
  const widen = (x: number, dir: number): number => {
    const y = x + dir * Math.max(1, Math.abs(x) / 4);
    return Number.isFinite(y) ? y : dir * Number.MAX_VALUE;
  };
  const lo = Number.isFinite(p.lo) ? p.lo : Number.isFinite(p.hi) ? widen(p.hi, -1) : -1;
  const hi = Number.isFinite(p.hi) ? p.hi : widen(lo, 1);
  const candidates = [0, 1, -1, 0.5, -0.5, 1.5, 0.25, 0.75, lo + 1, hi - 1, lo + 0.5, hi - 0.5];
  for (let k = 1; k <= 40; k++) {
    const step = (hi - lo) / 2 ** k;
    candidates.push(lo + step, hi - step, lo + step * 3);
  }
  for (const x of candidates) if (Number.isFinite(x) && numContains(p, x)) return { kind: "witness", value: x };
  return { kind: "unknown", reason: "no representable number found in a very narrow interval" };
}

/** With `integer`/`multipleOf` the members are k·L for the rational L = lcm of the steps. */
function latticeWitness(p: NumPiece): Emptiness<number> {
  let step: Rational = p.int ? { n: 1n, d: 1n } : toRational(p.mult[0] as number);
  for (const m of p.mult) step = lcm(step, toRational(m));
  const kLo = boundIndex(p.lo, p.loX, step, "lo");
  const kHi = boundIndex(p.hi, p.hiX, step, "hi");
  if (kLo !== null && kHi !== null && kLo > kHi) return { kind: "empty" };
  // A k is excluded when k·L is a multiple of some `notMult` n (period q: L/n = p/q), or an
  // integer under `frac` (period den(L)). Both are periodic, so k ≡ 1 mod every period is good;
  // scanning a window larger than the periods plus the excluded points is therefore exhaustive.
  const periods = p.notMult.map((n) => div(step, toRational(n)).d);
  if (p.frac) periods.push(step.d);
  if (periods.includes(1n)) return { kind: "empty" };
  let anchor = 0n;
  if (kLo !== null && anchor < kLo) anchor = kLo;
  if (kHi !== null && anchor > kHi) anchor = kHi;
  const span = kLo !== null && kHi !== null ? kHi - kLo + 1n : null;
  let tried = 0;
  for (let i = 0n; tried < SCAN; i++) {
    let progressed = false;
    for (const k of i === 0n ? [anchor] : [anchor + i, anchor - i]) {
      if ((kLo !== null && k < kLo) || (kHi !== null && k > kHi)) continue;
      progressed = true;
      tried++;
      if (periods.some((q) => k % q === 0n)) continue;
      const x = toNumber(mul({ n: k, d: 1n }, step));
      if (x === null) return { kind: "unknown", reason: `multipleOf: ${k}·${fmt(step)} is not representable` };
      if (!p.excl.includes(x)) return { kind: "witness", value: x };
    }
    if (!progressed) break;
  }
  if (span !== null && span <= BigInt(tried)) return { kind: "empty" };
  return { kind: "unknown", reason: "multipleOf: the admitted multiples are too sparse to search" };
}

function boundIndex(bound: number, exclusive: boolean, step: Rational, side: "lo" | "hi"): bigint | null {
  if (!Number.isFinite(bound)) return null;
  const q = div(toRational(bound), step);
  if (side === "lo") {
    const k = ceilDiv(q.n, q.d);
    return exclusive && q.d === 1n && k === q.n ? k + 1n : k;
  }
  const k = floorDiv(q.n, q.d);
  return exclusive && q.d === 1n && k === q.n ? k - 1n : k;
}

function fmt(r: Rational): string {
  return r.d === 1n ? `${r.n}` : `${r.n}/${r.d}`;
}

/** A short description for messages, e.g. "integers ≥ 10". */
export function describeNum(p: NumPiece): string {
  if (p.points !== null) return `the numbers ${p.points.join(", ")}`;
  const parts: string[] = [];
  if (p.lo > -Infinity) parts.push(`${p.loX ? ">" : "≥"} ${p.lo}`);
  if (p.hi < Infinity) parts.push(`${p.hiX ? "<" : "≤"} ${p.hi}`);
  for (const m of p.mult) parts.push(`multiple of ${m}`);
  for (const m of p.notMult) parts.push(`not a multiple of ${m}`);
  if (p.excl.length > 0) parts.push(`other than ${p.excl.join(", ")}`);
  const noun = p.int ? "integers" : p.frac ? "non-integer numbers" : "numbers";
  return parts.length === 0 ? `any ${p.int ? "integer" : "number"}` : `${noun} ${parts.join(", ")}`;
}
