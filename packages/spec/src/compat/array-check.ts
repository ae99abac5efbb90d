/**
 * Array piece containment: lengths, positions (prefix and rest), uniqueness and `contains`, with
 * counterexamples built from A's shortest arrays.
 */
import type { JsonValue } from "../def/graph-def.js";
import { syntheticLoc, type NodeSet } from "./context.js";
import { PieceCheck, valueOf, type Engine } from "./engine-types.js";
import { preview } from "./json.js";
import type { ArrPiece } from "./norm.js";
import { validateNodes } from "./validate.js";

export function isAnyArray(p: ArrPiece): boolean {
  return p.min === 0 && p.max === Infinity && p.prefix.length === 0 && p.rest.length === 0 && !p.unique && p.contains.length === 0 && p.values === null && p.excl.length === 0;
}

const at = (p: ArrPiece, i: number): NodeSet => p.prefix[i] ?? p.rest;

/** The longest array A's piece admits: positions whose schema is empty cut it short. */
function effectiveMax(e: Engine, p: ArrPiece): number {
  let max = p.max;
  for (let i = 0; i < Math.min(p.prefix.length, max); i++) if (e.inhabit(at(p, i)) === "empty") max = i;
  if (max > p.prefix.length && p.rest.length > 0 && e.inhabit(p.rest) === "empty") max = p.prefix.length;
  return max;
}

/** A position below minItems that no value can fill. */
export function arrayPieceEmpty(e: Engine, a: ArrPiece): boolean {
  return a.min > effectiveMax(e, a);
}

export function arrayContains(e: Engine, a: ArrPiece, b: ArrPiece, A: NodeSet): PieceCheck {
  if (isAnyArray(b)) return new PieceCheck();
  const res = compare(e, a, b, { A, aMax: a.max });
  if (res.proven) return res;
  // Only when something differs is it worth finding positions A can never fill.
  const aMax = effectiveMax(e, a);
  if (a.min > aMax) return new PieceCheck();
  return aMax < a.max ? compare(e, a, b, { A, aMax }) : res;
}

function compare(e: Engine, a: ArrPiece, b: ArrPiece, { A, aMax }: { readonly A: NodeSet; readonly aMax: number }): PieceCheck {
  const res = new PieceCheck();
  for (const v of b.excl) {
    const r = validateNodes(e, v, A);
    if (r.valid === true) res.fail(() => v, [], `B excludes ${preview(v)}`);
    else if (r.valid === "unknown") res.undecided(r.path, r.reason);
  }
  if (b.values !== null) {
    res.fail(() => buildArray(e, a, {}), [], "B admits only the listed arrays");
    res.undecided([], "B admits only a finite list of arrays; A's arrays were not enumerated");
    return res;
  }
  if (b.min > a.min) res.fail(() => buildArray(e, a, { length: a.min }), [], `A allows arrays of ${a.min} items; B requires minItems ${b.min}`);
  if (b.max < aMax) res.fail(() => buildArray(e, a, { length: b.max + 1 }), [], `A allows arrays of ${b.max + 1} items; B requires maxItems ${b.max}`);
  const k = Math.max(a.prefix.length, b.prefix.length);
  for (let i = 0; i < Math.min(k, aMax); i++) {
    const bi = at(b, i);
    if (bi.length > 0) res.child(e.sub(at(a, i), bi), i, (w) => buildArray(e, a, { length: Math.max(a.min, i + 1), set: [i, w] }));
  }
  if (aMax > k && b.rest.length > 0) {
    res.child(e.sub(a.rest, b.rest), k, (w) => buildArray(e, a, { length: Math.max(a.min, k + 1), set: [k, w] }));
  }
  if (b.unique && !a.unique && aMax >= 2) {
    res.fail(() => buildArray(e, a, { length: Math.max(a.min, 2), duplicate: true }), [1], "A allows repeated items; B requires uniqueItems");
  }
  for (const c of b.contains) {
    const proven = a.contains.some((ac) => e.sub(ac, c).kind === "yes") || range(a.min).some((i) => e.sub(at(a, i), c).kind === "yes");
    if (proven) continue;
    res.fail(() => buildArray(e, a, { avoid: c }), [], "A does not guarantee an item matching B's contains");
    res.undecided([], "contains: A does not guarantee an item matching B's contains schema");
  }
  return res;
}

function range(n: number): number[] {
  return Array.from({ length: Math.min(n, 64) }, (_, i) => i);
}

interface BuildArray {
  readonly length?: number;
  readonly set?: readonly [number, JsonValue];
  readonly duplicate?: boolean;
  readonly avoid?: NodeSet;
}

/** An array of the piece, shortest by default, honouring `uniqueItems` and `contains`. */
export function buildArray(e: Engine, p: ArrPiece, opts: BuildArray): JsonValue | undefined {
  const n = opts.length ?? p.min;
  if (p.unique && n > 256) return undefined;
  const items: JsonValue[] = [];
  for (let i = 0; i < n; i++) {
    let w: JsonValue | undefined;
    if (opts.set?.[0] === i) w = opts.set[1];
    else if (opts.duplicate === true && i < 2) w = i === 1 ? items[0] : valueOf(e.inhabit([...at(p, 0), ...at(p, 1)]));
    else if (opts.avoid !== undefined) {
      const r = e.sub(at(p, i), opts.avoid);
      w = r.kind === "no" ? r.witness : undefined;
    } else w = valueOf(e.inhabit(p.unique && items.length > 0 ? [...at(p, i), distinctFrom(e, items)] : at(p, i)));
    if (w === undefined) return undefined;
    items.push(w);
  }
  for (const c of p.contains) {
    if (items.some((v) => validateNodes(e, v, c).valid === true)) continue;
    const j = opts.set?.[0] === 0 ? items.length : 0;
    const w = valueOf(e.inhabit([...at(p, j), ...c]));
    if (w === undefined) return undefined;
    if (j < items.length) items[j] = w;
    else items.push(w);
  }
  return items;
}

function distinctFrom(e: Engine, items: readonly JsonValue[]) {
  return syntheticLoc(e, { not: { enum: [...items] } }, "draft-2020-12");
}
