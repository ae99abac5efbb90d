/**
 * Schema → normal form. Combinators and `$ref` are expanded at the current value level only;
 * property and item schemas stay lazy. A `$ref` cycle that comes back without descending into a
 * sub-value is unguarded recursion and is approximated (everything on A's side, nothing on B's).
 */
import { nodeSetKey, locKey, resolveRef, childLoc, spend, type Ctx, type Loc, type NodeSet } from "./context.js";
import { JSON_TYPES, OPAQUE_KEYWORD, refIgnoresSiblings, UNSUPPORTED_KEYWORDS, type JsonType } from "./draft.js";
import {
  ANY_ARR, ANY_OBJ, approximate, BOTTOM, finiteScalars, complementNorm, complementSlot, finiteNorm, flip, intersectNorm, intersectSlot, makeSlot,
  mapNorm, TOP, unionNorm, withReason, unionSlot, type ArrPiece, type Domain, type Norm, type ObjPiece, type Polarity, type Slot,
} from "./norm.js";
import { arrayPiece, numberPiece, objectPiece, stringPiece, type Built } from "./pieces.js";
import { ANY_NUM } from "./number-domain.js";
import { ANY_STR } from "./string-domain.js";

export interface EngineCtx extends Ctx {
  readonly norms: Map<string, Norm>;
  readonly normStack: Set<string>;
  /** Proves that a conjunction admits no value (used to show `oneOf` alternatives are disjoint). */
  readonly provablyEmpty: (nodes: NodeSet) => boolean;
  /** Schema locations whose conjunction constrains the value at key `k` of an object piece. */
  readonly keyNodes: (piece: ObjPiece, key: string) => NodeSet;
}

type Schema = { readonly [k: string]: unknown };

export function normalizeSet(ctx: EngineCtx, nodes: NodeSet, pol: Polarity): Norm {
  if (nodes.length === 0) return TOP;
  if (nodes.length === 1) return normalize(ctx, nodes[0] as Loc, pol);
  const key = `${nodeSetKey(ctx, nodes)}${pol === "over" ? "+" : "-"}`;
  let n = ctx.norms.get(key);
  if (n === undefined) {
    n = TOP;
    for (const loc of nodes) n = intersectNorm(n, normalize(ctx, loc, pol), pol);
    ctx.norms.set(key, n);
  }
  return n;
}

export function normalize(ctx: EngineCtx, loc: Loc, pol: Polarity): Norm {
  const s = loc.schema;
  if (s === true) return TOP;
  if (s === false) return BOTTOM;
  const key = `${locKey(ctx, loc)}${pol === "over" ? "+" : "-"}`;
  const cached = ctx.norms.get(key);
  if (cached !== undefined) return cached;
  if (ctx.normStack.has(key)) {
    return approximate(pol === "over" ? TOP : BOTTOM, JSON_TYPES, "unguarded recursion (a $ref cycle that does not descend into the value)", pol);
  }
  const spent = spend(ctx, "nodeBudget") ?? (ctx.normDepth >= ctx.maxDepth ? `the schema nests more than ${ctx.maxDepth} levels deep (limits.depth)` : null);
  if (spent !== null) return approximate(pol === "over" ? TOP : BOTTOM, JSON_TYPES, spent, pol);
  ctx.normStack.add(key);
  ctx.normDepth++;
  let n: Norm;
  try {
    n = withRef(ctx, loc, pol);
  } finally {
    ctx.normStack.delete(key);
    ctx.normDepth--;
  }
  ctx.norms.set(key, n);
  return n;
}

function withRef(ctx: EngineCtx, loc: Loc, pol: Polarity): Norm {
  const s = loc.schema as Schema;
  const ref = s["$ref"];
  if (typeof ref !== "string") return local(ctx, loc, pol);
  const target = resolveRef(ctx, loc, ref);
  const byRef = typeof target === "string" ? approximate(pol === "over" ? TOP : BOTTOM, JSON_TYPES, target, pol) : normalize(ctx, target, pol);
  // Drafts 04–07 ignore keywords beside `$ref`; some validators apply them anyway. Ignoring them
  // over-approximates both readings (A's side); applying them under-approximates both (B's side).
  if (refIgnoresSiblings(loc.doc.draft) && pol === "over") return byRef;
  return intersectNorm(byRef, local(ctx, loc, pol), pol);
}

function local(ctx: EngineCtx, loc: Loc, pol: Polarity): Norm {
  const s = loc.schema as Schema;
  let n = base(ctx, s, loc, pol);
  const sub = (x: unknown, p: Polarity = pol): Norm => normalize(ctx, childLoc(ctx, loc, x), p);
  // One pass over the schema's own keys: most schemas have two or three.
  for (const key in s) {
    const v = s[key];
    switch (key) {
      case "const":
        n = intersectNorm(n, finiteNorm([v]), pol);
        break;
      case "enum":
        if (Array.isArray(v)) n = intersectNorm(n, finiteNorm(v), pol);
        break;
      case "allOf":
        if (Array.isArray(v)) for (const b of v) n = intersectNorm(n, sub(b), pol);
        break;
      case "anyOf":
        if (Array.isArray(v)) n = intersectNorm(n, v.reduce<Norm>((u, b) => unionNorm(u, sub(b), pol), BOTTOM), pol);
        break;
      case "oneOf":
        if (Array.isArray(v)) n = intersectNorm(n, oneOf(ctx, v.map((b) => sub(b)), pol), pol);
        break;
      case "not":
        n = intersectNorm(n, complementNorm(sub(v, flip(pol)), pol), pol);
        break;
      case OPAQUE_KEYWORD:
        n = approximate(n, JSON_TYPES, typeof v === "string" ? v : JSON.stringify(v), pol);
        break;
      default: {
        const types = UNSUPPORTED_KEYWORDS.get(key);
        if (types === undefined || (key === "if" && !("then" in s || "else" in s))) break;
        n = approximate(n, types.filter((t) => n[t].pieces.length > 0), `${key} is not supported`, pol);
      }
    }
  }
  return n;
}

const TYPE_BITS: Readonly<Record<string, number>> = { null: 1, boolean: 2, number: 4, integer: 8, string: 16, array: 32, object: 64 };
const ALL_BITS = 1 | 2 | 4 | 16 | 32 | 64;

/** The `type` keyword as a bit set; `integer` alone (bit 8 without 4) means integers only. */
function typeBits(type: unknown): number {
  if (type === undefined) return ALL_BITS;
  let bits = 0;
  if (Array.isArray(type)) for (const t of type) bits |= TYPE_BITS[t as string] ?? 0;
  else bits = TYPE_BITS[type as string] ?? 0;
  return bits;
}

const NONE = makeSlot<never>([]);
const NULL_SLOT = makeSlot([null]);
const BOOL_SLOT = makeSlot([true, false]);
const ANY_SLOTS: readonly (readonly [unknown, Slot<unknown>])[] = [ANY_NUM, ANY_STR, ANY_ARR, ANY_OBJ].map((p) => [p, makeSlot([p])] as const);

/** Slots of the shared `any` pieces are shared too, so building them allocates nothing. */
function slotOf<P>(piece: P | null): Slot<P> {
  if (piece === null) return NONE;
  for (const [p, slot] of ANY_SLOTS) if (p === piece) return slot as Slot<P>;
  return makeSlot([piece]);
}

function base(ctx: EngineCtx, s: Schema, loc: Loc, pol: Polarity): Norm {
  const bits = typeBits(s["type"]);
  if (bits === ALL_BITS && !hasTypedKeyword(s)) return TOP;
  const issues: [JsonType, string][] = [];
  const piece = <P>(t: JsonType, b: Built<P>): Slot<P> => {
    for (const issue of b.issues) issues.push([t, issue]);
    return slotOf(b.piece);
  };
  let n: Norm = {
    null: bits & 1 ? NULL_SLOT : NONE,
    boolean: bits & 2 ? BOOL_SLOT : NONE,
    number: bits & 12 ? piece("number", numberPiece(s, loc, (bits & 12) === 8)) : NONE,
    string: bits & 16 ? piece("string", stringPiece(s)) : NONE,
    array: bits & 32 ? piece("array", arrayPiece(ctx, s, loc)) : NONE,
    object: bits & 64 ? piece("object", objectPiece(ctx, s, loc)) : NONE,
  };
  for (const [t, issue] of issues) n = approximate(n, [t], issue, pol);
  return n;
}

const TYPED_KEYWORDS = new Set([
  "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern", "format",
  "items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains", "properties",
  "patternProperties", "additionalProperties", "required", "minProperties", "maxProperties", "propertyNames",
]);

function hasTypedKeyword(s: Schema): boolean {
  for (const key in s) if (TYPED_KEYWORDS.has(key)) return true;
  return false;
}

const SCALAR: ReadonlySet<JsonType> = new Set(["null", "boolean", "number", "string"]);

/**
 * `oneOf` is `anyOf` when the alternatives are disjoint. For scalars the exact form
 * ∪ᵢ (Sᵢ ∧ ⋀ⱼ≠ᵢ ¬Sⱼ) is computable; for arrays and objects disjointness must be proven, else the
 * union over-approximates and nothing under-approximates.
 */
function oneOf(ctx: EngineCtx, branches: readonly Norm[], pol: Polarity): Norm {
  return mapNorm(<P>(t: JsonType, d: Domain<P>): Slot<P> => {
    const slots = branches.map((b) => b[t] as unknown as Slot<P>);
    const live = slots.filter((x) => x.pieces.length > 0 || x.approx.length > 0);
    if (live.length <= 1) return live[0] ?? makeSlot([]);
    const union = live.reduce((a, b) => unionSlot(d, a, b, pol));
    if (live.some((x) => x.approx.length > 0)) {
      const reason = "oneOf over approximated alternatives";
      return pol === "over" ? makeSlot(union.pieces, withReason(union.approx, reason)) : makeSlot([], withReason(union.approx, reason));
    }
    if (SCALAR.has(t)) {
      let out = makeSlot<P>([]);
      for (let i = 0; i < live.length; i++) {
        let only = live[i] as Slot<P>;
        for (let j = 0; j < live.length; j++) if (j !== i) only = intersectSlot(d, only, complementSlot(d, live[j] as Slot<P>, pol, t), pol);
        out = unionSlot(d, out, only, pol);
      }
      return out;
    }
    if (pairwiseDisjoint(ctx, t, live as readonly Slot<unknown>[])) return union;
    const reason = "oneOf alternatives that may overlap";
    return pol === "over" ? makeSlot(union.pieces, [reason]) : makeSlot([], [reason]);
  });
}

function pairwiseDisjoint(ctx: EngineCtx, t: JsonType, slots: readonly Slot<unknown>[]): boolean {
  for (let i = 0; i < slots.length; i++) {
    for (let j = i + 1; j < slots.length; j++) {
      for (const p of (slots[i] as Slot<unknown>).pieces) for (const q of (slots[j] as Slot<unknown>).pieces) {
        const ok = t === "array" ? arraysDisjoint(ctx, p as ArrPiece, q as ArrPiece) : objectsDisjoint(ctx, p as ObjPiece, q as ObjPiece);
        if (!ok) return false;
      }
    }
  }
  return true;
}

function arraysDisjoint(ctx: EngineCtx, p: ArrPiece, q: ArrPiece): boolean {
  if (p.max < q.min || q.max < p.min) return true;
  for (let i = 0; i < Math.min(p.min, q.min); i++) {
    if (ctx.provablyEmpty([...(p.prefix[i] ?? p.rest), ...(q.prefix[i] ?? q.rest)])) return true;
  }
  return false;
}

/** A key both require with disjoint values (a discriminator), or one requires and the other forbids. */
function objectsDisjoint(ctx: EngineCtx, p: ObjPiece, q: ObjPiece): boolean {
  if (p.max < q.min || q.max < p.min) return true;
  for (const k of p.required) {
    if (!q.required.includes(k)) continue;
    const pk = ctx.keyNodes(p, k);
    const qk = ctx.keyNodes(q, k);
    // Discriminators are usually `const`s: compare the finite sets before attempting a proof.
    const pv = finiteScalars(normalizeSet(ctx, pk, "over"));
    const qv = pv === null ? null : finiteScalars(normalizeSet(ctx, qk, "over"));
    if (pv !== null && qv !== null ? !pv.some((v) => qv.includes(v)) : ctx.provablyEmpty([...pk, ...qk])) return true;
  }
  const forbids = (x: ObjPiece, k: string): boolean => ctx.keyNodes(x, k).some((l) => l.schema === false);
  return p.required.some((k) => forbids(q, k)) || q.required.some((k) => forbids(p, k));
}
