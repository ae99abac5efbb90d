/**
 * Sets of strings as conjunctions of length bounds, (negated) patterns, (negated) formats and
 * finite inclusions/exclusions. Patterns are tested with the real RegExp; formats are treated as
 * uninterpreted predicates, so a result never depends on whether a validator checks them.
 */
import { regex, type Ctx } from "./context.js";
import type { Emptiness } from "./number-domain.js";
import { sampleStrings } from "./regex-gen.js";

export interface StrPiece {
  readonly min: number;
  readonly max: number;
  readonly pats: readonly string[];
  readonly notPats: readonly string[];
  readonly fmts: readonly string[];
  readonly notFmts: readonly string[];
  readonly excl: readonly string[];
  readonly values: readonly string[] | null;
}

export const ANY_STR: StrPiece = { min: 0, max: Infinity, pats: [], notPats: [], fmts: [], notFmts: [], excl: [], values: null };

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Membership; `unknown` when a format or an invalid pattern would decide it. */
function strContains(ctx: Ctx, p: StrPiece, s: string): boolean | "unknown" {
  if (p.values !== null && !p.values.includes(s)) return false;
  if (p.excl.includes(s)) return false;
  const n = codePoints(s);
  if (n < p.min || n > p.max) return false;
  let unsure = false;
  for (const pat of p.pats) {
    const re = regex(ctx, pat);
    if (re === null) unsure = true;
    else if (!re.test(s)) return false;
  }
  for (const pat of p.notPats) {
    const re = regex(ctx, pat);
    if (re === null) unsure = true;
    else if (re.test(s)) return false;
  }
  if (p.notFmts.length > 0 || p.fmts.some((f) => !knownValid(f, s))) unsure = true;
  return unsure ? "unknown" : true;
}

export function intersectStr(a: StrPiece, b: StrPiece): StrPiece | null {
  let values = a.values ?? b.values;
  if (a.values !== null && b.values !== null) values = a.values.filter((v) => b.values?.includes(v));
  const p: StrPiece = {
    min: Math.max(a.min, b.min),
    max: Math.min(a.max, b.max),
    pats: merge(a.pats, b.pats),
    notPats: merge(a.notPats, b.notPats),
    fmts: merge(a.fmts, b.fmts),
    notFmts: merge(a.notFmts, b.notFmts),
    excl: merge(a.excl, b.excl),
    values,
  };
  if (p.min > p.max || (values !== null && values.length === 0)) return null;
  if (p.pats.some((x) => p.notPats.includes(x)) || p.fmts.some((x) => p.notFmts.includes(x))) return null;
  return p;
}

function merge(a: readonly string[], b: readonly string[]): readonly string[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return [...new Set([...a, ...b])];
}

export function complementStr(p: StrPiece): StrPiece[] {
  // ¬(V ∧ C) = ¬V ∨ ¬C: a listed value may still fail the piece's other constraints.
  const out: StrPiece[] = p.values === null ? [] : [{ ...ANY_STR, excl: p.values }];
  if (p.min > 0) out.push({ ...ANY_STR, max: p.min - 1 });
  if (p.max < Infinity) out.push({ ...ANY_STR, min: p.max + 1 });
  for (const x of p.pats) out.push({ ...ANY_STR, notPats: [x] });
  for (const x of p.notPats) out.push({ ...ANY_STR, pats: [x] });
  for (const x of p.fmts) out.push({ ...ANY_STR, notFmts: [x] });
  for (const x of p.notFmts) out.push({ ...ANY_STR, fmts: [x] });
  if (p.excl.length > 0) out.push({ ...ANY_STR, values: p.excl });
  return out;
}

/** A pattern that cannot match "" admits only strings of length ≥ 1. */
function impliedMin(ctx: Ctx, p: StrPiece): number {
  for (const pat of p.pats) if (regex(ctx, pat)?.test("") === false) return Math.max(p.min, 1);
  return p.min;
}

export function strWitness(ctx: Ctx, p: StrPiece): Emptiness<string> {
  const min = impliedMin(ctx, p);
  if (min > p.max) return { kind: "empty" };
  const candidates = p.values ?? candidateStrings(p, min);
  let unsure = false;
  for (const s of candidates) {
    const r = strContains(ctx, p, s);
    if (r === true) return { kind: "witness", value: s };
    if (r === "unknown") unsure = true;
  }
  if (p.values !== null && !unsure) return { kind: "empty" };
  const exact = p.pats.length === 0 && p.notPats.length === 0 && p.fmts.length === 0 && p.notFmts.length === 0;
  // Without patterns or formats only finitely many strings are excluded, and the candidates hold
  // more distinct strings of each admitted length than that: failing means only "" was admitted.
  if (exact) return p.max === 0 ? { kind: "empty" } : { kind: "unknown", reason: "no string found" };
  return { kind: "unknown", reason: undecidedReason(p) };
}

function candidateStrings(p: StrPiece, min: number): string[] {
  const out: string[] = [];
  for (const f of p.fmts) {
    const known = canonicalFor(f);
    if (known !== undefined) out.push(known);
  }
  const lengths = [min, min + 1, min + 2].filter((n) => n <= p.max);
  for (const n of lengths) {
    for (const ch of ["a", "b", "0", "x", "A"]) out.push(ch.repeat(n));
    // |excl| + 1 distinct strings of one length always include one that is not excluded.
    if (n > 0) for (let i = 0; i <= p.excl.length && i < 26 ** Math.min(n, 4); i++) out.push(nthString(i, n));
  }
  for (const pat of p.pats) {
    for (const s of sampleStrings(pat, min)) {
      out.push(s);
      const n = codePoints(s);
      if (n < min) out.push(s + "a".repeat(min - n), "a".repeat(min - n) + s);
    }
  }
  return out;
}

function nthString(i: number, n: number): string {
  let out = "";
  for (let k = 0; k < n; k++, i = Math.floor(i / 26)) out = String.fromCharCode(97 + (i % 26)) + out;
  return out;
}

function undecidedReason(p: StrPiece): string {
  if (p.notPats.length > 0) return `pattern containment: B requires pattern ${JSON.stringify(p.notPats[0])}, which A does not imply`;
  if (p.notFmts.length > 0) return `format: B requires format "${p.notFmts[0]}", which A does not imply`;
  if (p.fmts.length > 0) return `format "${p.fmts[0]}" is not interpreted, so no example string can be confirmed`;
  return `pattern ${JSON.stringify(p.pats[0])}: no matching string within the other constraints was found`;
}

export function describeStr(p: StrPiece): string {
  if (p.values !== null) return `the strings ${p.values.map((v) => JSON.stringify(v)).join(", ")}`;
  const parts: string[] = [];
  if (p.min > 0 && p.max < Infinity) parts.push(p.min === p.max ? `of length ${p.min}` : `of length ${p.min}–${p.max}`);
  else if (p.min > 0) parts.push(`of length ≥ ${p.min}`);
  else if (p.max < Infinity) parts.push(`of length ≤ ${p.max}`);
  else parts.push("of any length");
  for (const x of p.pats) parts.push(`matching ${JSON.stringify(x)}`);
  for (const x of p.fmts) parts.push(`with format "${x}"`);
  if (p.excl.length > 0) parts.push(`other than ${p.excl.map((v) => JSON.stringify(v)).join(", ")}`);
  return `strings ${parts.join(", ")}`;
}

/*
 * Formats are uninterpreted predicates (validators disagree on them, and 2019-09+ make them
 * annotations by default), with one exception: a few canonical strings that every mainstream
 * implementation accepts for their format. They let the engine confirm counterexamples whose
 * parts must satisfy a format, without ever claiming a string violates one.
 */
const CANONICAL: Readonly<Record<string, string>> = {
  email: "user@example.com",
  "idn-email": "user@example.com",
  uuid: "123e4567-e89b-42d3-a456-426614174000",
  "date-time": "2020-01-01T00:00:00Z",
  date: "2020-01-01",
  time: "00:00:00Z",
  duration: "P1D",
  uri: "https://example.com/",
  url: "https://example.com/",
  "uri-reference": "https://example.com/",
  iri: "https://example.com/",
  "iri-reference": "https://example.com/",
  "uri-template": "https://example.com/",
  hostname: "example.com",
  "idn-hostname": "example.com",
  ipv4: "127.0.0.1",
  ipv6: "::1",
  "json-pointer": "/a",
  "relative-json-pointer": "0",
  regex: "a",
};

/** A string valid for `format` under every mainstream validator, if the engine knows one. */
function canonicalFor(format: string): string | undefined {
  return Object.hasOwn(CANONICAL, format) ? CANONICAL[format] : undefined;
}

/** True only when `value` is certainly valid for `format`; false means "not known". */
export function knownValid(format: string, value: string): boolean {
  return canonicalFor(format) === value;
}
