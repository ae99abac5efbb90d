/**
 * Object piece containment: A's piece ⊆ B's piece, key by key, with counterexamples built from A.
 *
 * Keys fall into classes: named keys (either side's `properties`/`required`, or A's finite key
 * set), keys matching one of A's patterns, and fresh keys matching none. Within a class A's
 * constraints are over-approximated and B's under-approximated (every B pattern that might match
 * counts), so each `yes` is sound without deciding pattern intersections.
 */
import type { JsonSchema, JsonValue } from "../def/graph-def.js";
import { syntheticLoc, type Doc, type Loc, type NodeSet } from "./context.js";
import { PieceCheck, type Engine } from "./engine-types.js";
import { isJsonObject, preview } from "./json.js";
import { finiteScalars, type ObjPiece } from "./norm.js";
import { normalizeSet } from "./normalize.js";
import { buildObject, closedKeys, freshKey, keyNodes, nameRejected } from "./object-keys.js";
import { sampleStrings } from "./regex-gen.js";
import { validateNodes } from "./validate.js";

const STRING_SCHEMA: JsonSchema = { type: "string" };
const STRING_DOC: Doc = { root: STRING_SCHEMA, draft: "draft-2020-12", id: -2, base: "", index: null };
const STRING_LOC: Loc = { doc: STRING_DOC, schema: STRING_SCHEMA, base: "" };

export function isAnyObject(p: ObjPiece): boolean {
  return p.min === 0 && p.max === Infinity && p.required.length === 0 && p.groups.length === 0 && p.names.length === 0 && p.values === null && p.excl.length === 0;
}

/** `union` says B has several object alternatives, where a cheap discriminator test pays off. */
export function objectContains(e: Engine, a: ObjPiece, b: ObjPiece, ctx: { readonly A: NodeSet; readonly union: boolean }): PieceCheck {
  if (isAnyObject(b)) return new PieceCheck();
  const A = ctx.A;
  const res = (ctx.union ? discriminated(e, a, b) : null) ?? compare(e, a, b, A);
  // Only when something differs is it worth proving that A's piece has no value at all.
  return !res.proven && objectPieceEmpty(e, a) ? new PieceCheck() : res;
}

/** A required key A cannot have, or more required keys than A allows. */
export function objectPieceEmpty(e: Engine, a: ObjPiece): boolean {
  if (a.required.length > a.max) return true;
  const closed = closedKeys(e, a);
  return a.required.some((k) => (closed !== null && !closed.has(k)) || nameRejected(e, a, k) || e.inhabit(keyNodes(e, a, k)) === "empty");
}

function compare(e: Engine, a: ObjPiece, b: ObjPiece, A: NodeSet): PieceCheck {
  const res = new PieceCheck();
  const closed = closedKeys(e, a);
  const aMin = Math.max(a.min, a.required.length);
  const aMax = Math.min(a.max, closed?.size ?? Infinity);
  if (aMin > aMax) return res;
  for (const v of b.excl) {
    const r = validateNodes(e, v, A);
    if (r.valid === true) res.fail(() => v, [], `B excludes ${preview(v)}`);
    else if (r.valid === "unknown") res.undecided(r.path, r.reason);
  }
  if (b.values !== null) {
    listedOnly(e, a, b.values, res);
    return res;
  }
  if (b.min > aMin) res.fail(() => buildObject(e, a, { size: aMin }), [], `A allows objects with ${aMin} properties; B requires minProperties ${b.min}`);
  if (b.max < aMax) res.fail(() => buildObject(e, a, { size: b.max + 1 }), [], `A allows objects with ${b.max + 1} properties; B requires maxProperties ${b.max}`);
  for (const k of b.required) {
    if (!a.required.includes(k)) res.fail(() => buildObject(e, a, { omit: k }), [k], `A does not require property "${k}"; B does`);
  }
  const named = new Set(a.required);
  for (const k of b.required) named.add(k);
  addGroupKeys(named, a);
  addGroupKeys(named, b);
  if (closed !== null) for (const k of closed) named.add(k);
  for (const k of named) {
    if ((closed !== null && !closed.has(k)) || nameRejected(e, a, k)) continue;
    checkKey(e, a, b, k, res);
  }
  if (closed === null) checkOtherKeys(e, a, b, named, res);
  return res;
}

/**
 * Fast rejection for discriminated unions: a key both require whose values are disjoint finite
 * sets (`const`/`enum`). A's smallest object is then the counterexample, built only if needed.
 */
function discriminated(e: Engine, a: ObjPiece, b: ObjPiece): PieceCheck | null {
  for (const k of b.required) {
    if (!a.required.includes(k)) continue;
    const av = finiteScalars(normalizeSet(e, keyNodes(e, a, k), "over"));
    if (av === null) continue;
    const bv = finiteScalars(normalizeSet(e, keyNodes(e, b, k), "under"));
    if (bv === null || av.some((v) => bv.includes(v))) continue;
    const res = new PieceCheck();
    res.fail(() => buildObject(e, a), [k], `A's "${k}" is one of ${preview(av)}; B requires one of ${preview(bv)}`);
    return res;
  }
  return null;
}

/** B is a finite list: look for a required key whose value A may choose outside the listed ones. */
function listedOnly(e: Engine, a: ObjPiece, listed: readonly JsonValue[], res: PieceCheck): void {
  for (const k of a.required) {
    const values = listed.flatMap((v) => (isJsonObject(v) && Object.hasOwn(v, k) ? [v[k] as JsonValue] : []));
    // A value of A at k outside every listed value at k: a witness of A_k \ enum(values).
    const r = e.sub(keyNodes(e, a, k), [syntheticLoc(e, { enum: values }, "draft-2020-12")]);
    if (r.kind === "no") {
      res.fail(() => buildObject(e, a, { set: [k, r.witness] }), [k], `B admits only ${preview(listed)}`);
      break;
    }
  }
  res.fail(() => buildObject(e, a), [], `B admits only ${preview(listed)}`);
  res.undecided([], "B admits only a finite list of objects; A's objects were not enumerated");
}

function addGroupKeys(into: Set<string>, p: ObjPiece): void {
  for (const g of p.groups) for (const k of g.props.keys()) into.add(k);
}

function checkKey(e: Engine, a: ObjPiece, b: ObjPiece, k: string, res: PieceCheck): void {
  const ak = keyNodes(e, a, k);
  const bk = keyNodes(e, b, k);
  if (bk.length > 0) res.child(e.sub(ak, bk), k, (w) => buildObject(e, a, { set: [k, w] }));
  if (b.names.length === 0) return;
  const r = validateNodes(e, k, b.names);
  if (r.valid === "unknown") res.undecided([k], r.reason);
  if (r.valid === false) rejectedKey(e, a, k, `B's propertyNames rejects "${k}" (${r.reason})`, res);
}

/** B rejects key `k`: a failure if A can have it, nothing if A never can, undecided otherwise. */
function rejectedKey(e: Engine, a: ObjPiece, k: string, reason: string, res: PieceCheck): void {
  const w = e.inhabit(keyNodes(e, a, k));
  if (w === "empty") return;
  if (w === "unknown") res.undecided([k], `${reason}, and whether A can have "${k}" is undecided`);
  else res.fail(() => buildObject(e, a, { set: [k, w.value] }), [k], reason);
}

function checkOtherKeys(e: Engine, a: ObjPiece, b: ObjPiece, named: ReadonlySet<string>, res: PieceCheck): void {
  const aPatterns = [...new Set(a.groups.flatMap((g) => g.patterns.map((p) => p.source)))];
  const fresh: Loc[] = a.groups.flatMap((g) => (g.additional === null ? [] : [g.additional]));
  const withValue = (key: string | null, w: JsonValue): JsonValue | undefined => (key === null ? undefined : buildObject(e, a, { set: [key, w] }));
  if (!fresh.some((l) => l.schema === false)) {
    const bf = b.groups.flatMap((g) => [
      ...(g.additional === null ? [] : [g.additional]),
      ...g.patterns.filter((p) => !aPatterns.includes(p.source)).map((p) => p.loc),
    ]);
    const key = freshKey(e, a, named);
    if (bf.length > 0) res.child(e.sub(fresh, bf), key ?? "*", (w) => withValue(key, w));
  }
  for (const source of aPatterns) {
    const ap = a.groups.flatMap((g) => g.patterns.filter((p) => p.source === source).map((p) => p.loc));
    if (ap.some((l) => l.schema === false)) continue;
    const bp = b.groups.flatMap((g) => [
      ...g.patterns.map((p) => p.loc),
      ...(g.additional !== null && !g.patterns.some((p) => p.source === source) ? [g.additional] : []),
    ]);
    const key = sampleStrings(source).find((k) => !named.has(k) && !nameRejected(e, a, k)) ?? null;
    if (bp.length > 0) res.child(e.sub(ap, bp), key ?? "*", (w) => withValue(key, w));
  }
  if (b.names.length > 0) {
    // A's possible keys are over-approximated by its propertyNames alone.
    const r = e.sub([STRING_LOC, ...a.names], b.names);
    if (r.kind === "unknown") res.undecided(["*"], `propertyNames: ${r.reason}`);
    if (r.kind !== "no") return;
    const key = r.witness;
    const reason = `B's propertyNames rejects ${preview(key)} (${r.reason})`;
    // One rejected key A may not actually allow proves nothing about the others.
    if (typeof key !== "string" || named.has(key)) res.undecided(["*"], reason);
    else if (e.inhabit(keyNodes(e, a, key)) === "empty") res.undecided([key], reason);
    else rejectedKey(e, a, key, reason, res);
  }
}
