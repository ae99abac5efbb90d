/**
 * The containment engine: A ⊆ B over node sets, by normal forms per JSON type.
 *
 * Soundness rests on three rules. (1) A is over-approximated and B under-approximated, so a proof
 * on the approximations is a proof on the schemas. (2) `no` is only returned with a counterexample
 * the concrete validator confirms (valid under A, invalid under B). (3) Recursion is co-inductive:
 * a pair met again while it is being proven is assumed to hold. Every nested call descends into a
 * strict sub-value (an item, a property value or a key), so a counterexample to an assumed pair
 * would yield a strictly smaller counterexample to the same pair — impossible for finite JSON
 * values. Results that relied on an assumption made further up are not memoised, because that
 * assumption may still fail.
 */
import type { JsonValue } from "../def/graph-def.js";
import { createCtx, nodeSetKey, spend, type Loc, type NodeSet } from "./context.js";
import type { AnalysisLimits } from "./types.js";
import { isTrivialSchema, JSON_TYPES, OPAQUE_KEYWORD, type JsonType } from "./draft.js";
import { arrayContains, arrayPieceEmpty, buildArray } from "./array-check.js";
import { YES, type Candidate, type Engine, type PieceCheck, type Sub } from "./engine-types.js";
import { jsonEqual, preview } from "./json.js";
import { FALSE_LOC, NUM_DOMAIN, STR_DOMAIN, type ArrPiece, type Domain, type ObjPiece, type Slot } from "./norm.js";
import { normalizeSet } from "./normalize.js";
import { describeNum, numWitness, type Emptiness } from "./number-domain.js";
import { objectContains, objectPieceEmpty } from "./object-check.js";
import { buildObject, keyNodes } from "./object-keys.js";
import { describeStr, strWitness } from "./string-domain.js";
import { validateNodes } from "./validate.js";

const MAX_DEPTH = 256;

export function createEngine(limits?: AnalysisLimits): Engine {
  // Fields are listed, not spread from createCtx(): V8 builds spread-then-extend literals in a
  // slow dictionary mode, which cost more than the whole comparison of two small schemas.
  const ctx = createCtx(limits);
  const e: Engine = {
    ids: ctx.ids,
    regexes: ctx.regexes,
    urls: ctx.urls,
    docCount: ctx.docCount,
    budget: ctx.budget,
    validationBudget: ctx.validationBudget,
    nodeBudget: ctx.nodeBudget,
    maxDepth: ctx.maxDepth,
    normDepth: 0,
    validationDepth: 0,
    deadline: ctx.deadline,
    timeMs: ctx.timeMs,
    exhausted: null,
    timedOut: false,
    validated: ctx.validated,
    norms: new Map(),
    normStack: new Set(),
    memo: new Map(),
    stack: new Map(),
    lowest: Infinity,
    depth: 0,
    floor: 0,
    provablyEmpty: (nodes) => isolated(e, () => subsume(e, nodes, [FALSE_LOC])).kind === "yes",
    keyNodes: (piece, key) => keyNodes(e, piece, key),
    sub: (a, b) => subsume(e, a, b),
    inhabit: (a) => {
      const r = subsume(e, a, [FALSE_LOC]);
      return r.kind === "no" ? { value: r.witness } : r.kind === "yes" ? "empty" : "unknown";
    },
  };
  return e;
}

/**
 * Runs a proof that must not lean on assumptions of the enclosing one, because its result is
 * cached inside a normal form: stack entries below `floor` are not assumptions for it.
 */
function isolated<T>(e: Engine, f: () => T): T {
  const { lowest, floor } = e;
  e.floor = e.depth;
  try {
    return f();
  } finally {
    [e.lowest, e.floor] = [lowest, floor];
  }
}

export function subsume(e: Engine, a: NodeSet, b: NodeSet): Sub {
  if (a.some((l) => l.schema === false)) return YES;
  const bs = b.filter((l) => !isTrivialSchema(l.schema));
  if (bs.length === 0) return YES;
  if (a.length === 1 && bs.length === 1 && sameSchema(a[0] as Loc, bs[0] as Loc)) return YES;
  const spent = spend(e, "budget");
  if (spent !== null) return { kind: "unknown", path: [], reason: spent };
  const key = `${nodeSetKey(e, a)}<${nodeSetKey(e, bs)}`;
  const memo = e.memo.get(key);
  if (memo !== undefined) return memo;
  const onStack = e.stack.get(key);
  if (onStack !== undefined && onStack >= e.floor) {
    e.lowest = Math.min(e.lowest, onStack);
    return YES;
  }
  if (e.depth > Math.min(MAX_DEPTH, e.maxDepth)) return { kind: "unknown", path: [], reason: `the schemas nest too deeply to compare (more than ${Math.min(MAX_DEPTH, e.maxDepth)} levels, limits.depth)` };
  const depth = e.depth;
  const outer = e.lowest;
  e.stack.set(key, depth);
  [e.depth, e.lowest] = [depth + 1, Infinity];
  let r: Sub;
  try {
    r = compareNorms(e, a, bs);
  } finally {
    if (onStack === undefined) e.stack.delete(key);
    else e.stack.set(key, onStack);
    e.depth = depth;
  }
  const leaned = e.lowest < depth;
  if (r.kind !== "yes" || !leaned) e.memo.set(key, r);
  e.lowest = Math.min(outer, leaned ? e.lowest : Infinity);
  return r;
}

function sameSchema(x: Loc, y: Loc): boolean {
  if (x.doc.draft !== y.doc.draft) return false;
  if (x.schema === y.schema && x.base === y.base && (x.doc === y.doc || x.doc.root === y.doc.root)) return true;
  if (typeof x.schema !== "object" || typeof y.schema !== "object" || !jsonEqual(x.schema, y.schema)) return false;
  // An opaque schema stands for code (a refinement, a transform): equal text is no proof of equal code.
  if (hasOpaque(x.schema)) return false;
  // Equal text means equal meaning only if any $ref inside resolves the same way.
  return !hasRef(x.schema) || (x.base === y.base && (x.doc === y.doc || jsonEqual(x.doc.root, y.doc.root)));
}

function hasOpaque(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return value.some(hasOpaque);
  for (const key in value) {
    if (key === OPAQUE_KEYWORD || hasOpaque((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

function hasRef(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return value.some(hasRef);
  for (const key in value) {
    if (key === "$ref" || key === "$dynamicRef" || key === "$recursiveRef") return true;
    if (hasRef((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

function compareNorms(e: Engine, a: NodeSet, b: NodeSet): Sub {
  const na = normalizeSet(e, a, "over");
  const nb = normalizeSet(e, b, "under");
  let undecided: Sub | null = null;
  for (const t of JSON_TYPES) {
    if (na[t].pieces.length === 0) continue;
    const r = compareType(e, t, { a, b, sa: na[t], sb: nb[t], candidates: [], unknown: null });
    if (r.kind === "no") return r;
    if (r.kind === "unknown") undecided ??= r;
  }
  return undecided ?? YES;
}

/** One type's comparison: the two slots, and what was found so far. */
interface Found {
  readonly a: NodeSet;
  readonly b: NodeSet;
  readonly sa: Slot<unknown>;
  readonly sb: Slot<unknown>;
  readonly candidates: Candidate[];
  unknown: { readonly path: readonly (string | number)[]; readonly reason: string } | null;
}

function compareType(e: Engine, t: JsonType, found: Found): Sub {
  const { sa, sb } = found;
  if (t === "null" && sb.pieces.length === 0) found.candidates.push({ build: () => null, path: [], reason: "A allows null", partial: true });
  if (t === "boolean") {
    for (const v of sa.pieces as readonly boolean[]) {
      if (!(sb.pieces as readonly boolean[]).includes(v)) found.candidates.push({ build: () => v, path: [], reason: `A allows ${v}`, partial: true });
    }
  }
  if (t === "number") scalarDiff(NUM_DOMAIN, found, numWitness, describeNum);
  if (t === "string") scalarDiff(STR_DOMAIN, found, (p) => strWitness(e, p), describeStr);
  if (t === "array" || t === "object") structured(e, t, found);
  return settle(e, found);
}

function scalarDiff<P>(d: Domain<P>, found: Found, witness: (p: P) => Emptiness<JsonValue>, describe: (p: P) => string): void {
  for (const ap of found.sa.pieces as readonly P[]) {
    let rest: P[] = [ap];
    for (const bp of found.sb.pieces as readonly P[]) {
      const comp = d.complement(bp);
      if (comp === null) {
        found.unknown ??= { path: [], reason: "a constraint of B cannot be negated" };
        return;
      }
      const next: P[] = [];
      for (const x of rest) for (const c of comp) {
        const z = d.intersect(x, c);
        if (z !== null) next.push(z);
      }
      rest = next.length > 32 ? next.filter((p) => witness(p).kind !== "empty") : next;
      if (rest.length === 0) break;
      if (rest.length > 256) {
        found.unknown ??= { path: [], reason: "too many cases to decide" };
        rest = [];
      }
    }
    for (const r of rest) {
      const w = witness(r);
      if (w.kind === "witness") found.candidates.push({ build: () => w.value, path: [], reason: `A allows ${describe(ap)}`, partial: true });
      else if (w.kind === "unknown") found.unknown ??= { path: [], reason: w.reason };
    }
  }
}

function structured(e: Engine, t: "array" | "object", found: Found): void {
  const sb = found.sb as Slot<ArrPiece | ObjPiece>;
  for (const p of found.sa.pieces as readonly (ArrPiece | ObjPiece)[]) {
    if (p.values !== null) {
      for (const v of p.values) finiteValue(e, v, found);
      continue;
    }
    const checks: PieceCheck[] = [];
    for (const q of sb.pieces) {
      checks.push(t === "array" ? arrayContains(e, p as ArrPiece, q as ArrPiece, found.a) : objectContains(e, p as ObjPiece, q as ObjPiece, { A: found.a, union: sb.pieces.length > 1 }));
      if ((checks[checks.length - 1] as PieceCheck).proven) break;
    }
    if ((checks[checks.length - 1] as PieceCheck | undefined)?.proven === true) continue;
    if (t === "array" ? arrayPieceEmpty(e, p as ArrPiece) : objectPieceEmpty(e, p as ObjPiece)) continue;
    for (const c of checks) found.candidates.push(...c.candidates);
    const build = (): JsonValue | undefined => (t === "array" ? buildArray(e, p as ArrPiece, {}) : buildObject(e, p as ObjPiece));
    found.candidates.push(sb.pieces.length === 0
      ? { build, path: [], reason: `A allows ${t}s; B allows none` }
      : { build, path: [], reason: `A allows this ${t}`, partial: true });
    const first = checks.find((c) => c.unknown !== null)?.unknown ?? null;
    found.unknown ??= sb.pieces.length > 1
      ? { path: [], reason: `A's ${t}s are not contained in any single alternative of B (a union of alternatives may still cover them)` }
      : first;
  }
}

function finiteValue(e: Engine, v: JsonValue, found: Found): void {
  const va = validateNodes(e, v, found.a);
  if (va.valid === false) return;
  const vb = validateNodes(e, v, found.b);
  if (vb.valid === true) return;
  if (va.valid === "unknown") found.unknown ??= { path: va.path, reason: va.reason };
  else if (vb.valid === "unknown") found.unknown ??= { path: vb.path, reason: vb.reason };
  else found.candidates.push({ build: () => v, path: vb.path, reason: `A allows ${preview(v)}`, partial: true });
}

/** Confirms candidates with the concrete validator; the first confirmed one is the answer. */
function settle(e: Engine, found: Found): Sub {
  const s = found;
  let unconfirmed: { path: readonly (string | number)[]; reason: string } | null = null;
  for (const c of found.candidates) {
    const w = c.build();
    if (w === undefined) continue;
    const va = validateNodes(e, w, s.a);
    if (va.valid !== true) {
      if (va.valid === "unknown") unconfirmed ??= { path: va.path, reason: `a possible counterexample could not be confirmed: ${va.reason}` };
      continue;
    }
    const vb = validateNodes(e, w, s.b);
    if (vb.valid === false) {
      // The candidate's own explanation holds when B rejects it where the candidate differs.
      const same = vb.path.length === c.path.length && vb.path.every((x, i) => x === c.path[i]);
      const reason = !same ? `A allows ${preview(valueAt(w, vb.path))}; B requires ${vb.reason}` : c.partial === true ? `${c.reason}; B requires ${vb.reason}` : c.reason;
      return { kind: "no", witness: w, path: vb.path, reason };
    }
    if (vb.valid === "unknown") unconfirmed ??= { path: vb.path, reason: `a possible counterexample could not be confirmed: ${vb.reason}` };
  }
  if (found.candidates.length === 0 && found.unknown === null) return YES;
  const approx = s.sb.approx[0] ?? s.sa.approx[0];
  const why = found.unknown ?? (approx === undefined ? null : { path: [], reason: approx }) ?? unconfirmed;
  return { kind: "unknown", path: why?.path ?? [], reason: why?.reason ?? "no counterexample was found, and containment could not be proven" };
}

function valueAt(value: JsonValue, path: readonly (string | number)[]): JsonValue {
  let v: unknown = value;
  for (const key of path) v = typeof v === "object" && v !== null ? (v as Record<string | number, unknown>)[key] : undefined;
  return (v ?? value) as JsonValue;
}
