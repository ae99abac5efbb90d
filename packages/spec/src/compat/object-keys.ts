/**
 * Which schemas apply to which keys of an object piece, and how to build an object of a piece.
 */
import type { JsonValue } from "../def/graph-def.js";
import { regex, type Ctx, type Loc, type NodeSet } from "./context.js";
import { isTrivialSchema } from "./draft.js";
import { valueOf, type Engine } from "./engine-types.js";
import { normalizeSet } from "./normalize.js";
import type { ObjPiece } from "./norm.js";
import { sampleStrings } from "./regex-gen.js";
import { validateNodes } from "./validate.js";

/** The conjunction constraining the value at `key`: per group, its property, else matching patterns, else additionalProperties. */
export function keyNodes(ctx: Ctx, piece: ObjPiece, key: string): NodeSet {
  const out: Loc[] = [];
  const push = (loc: Loc): void => {
    if (!isTrivialSchema(loc.schema) && !out.includes(loc)) out.push(loc);
  };
  for (const g of piece.groups) {
    let matched = false;
    const prop = g.props.get(key);
    if (prop !== undefined) [matched] = [true, push(prop)];
    for (const p of g.patterns) {
      if (regex(ctx, p.source)?.test(key) === true) [matched] = [true, push(p.loc)];
    }
    if (!matched && g.additional !== null) push(g.additional);
  }
  return out;
}

const isFalse = (loc: Loc): boolean => loc.schema === false;

/**
 * A finite set every key of the piece belongs to, or null: from a group that allows no other keys,
 * or from `propertyNames` listing its strings (zod's records over enums).
 */
export function closedKeys(e: Engine, piece: ObjPiece): ReadonlySet<string> | null {
  let keys: ReadonlySet<string> | null = null;
  const narrow = (allowed: ReadonlySet<string> | ReadonlyMap<string, unknown>): void => {
    keys = keys === null ? new Set(allowed.keys()) : new Set([...keys].filter((k) => allowed.has(k)));
  };
  for (const g of piece.groups) {
    if (g.patterns.length === 0 && g.additional !== null && isFalse(g.additional)) narrow(g.props);
  }
  if (piece.names.length > 0) {
    const strings = normalizeSet(e, piece.names, "over").string.pieces;
    if (strings.every((p) => p.values !== null)) narrow(new Set(strings.flatMap((p) => p.values ?? [])));
  }
  return keys;
}

/** Whether the piece's `propertyNames` definitely rejects `key`. */
export function nameRejected(ctx: Ctx, piece: ObjPiece, key: string): boolean {
  return piece.names.length > 0 && validateNodes(ctx, key, piece.names).valid === false;
}

/** A key outside `taken` that matches none of the piece's patterns, so additionalProperties governs it. */
export function freshKey(ctx: Ctx, piece: ObjPiece, taken: ReadonlySet<string>): string | null {
  const patterns = piece.groups.flatMap((g) => g.patterns.map((p) => regex(ctx, p.source)));
  for (const key of ["x", "y", "z", "extra", "k", "a", "b", "key1", "key2", "other", "_", "0"]) {
    if (taken.has(key) || nameRejected(ctx, piece, key)) continue;
    if (patterns.every((re) => re?.test(key) === false)) return key;
  }
  return null;
}

interface BuildObject {
  readonly omit?: string;
  readonly set?: readonly [string, JsonValue];
  readonly size?: number;
}

/** A small object of the piece: its required keys, then optional and fresh keys up to `size`. */
export function buildObject(e: Engine, piece: ObjPiece, opts: BuildObject = {}): JsonValue | undefined {
  const obj: { [k: string]: JsonValue } = {};
  for (const k of piece.required) {
    if (k === opts.omit) return undefined;
    const v = opts.set?.[0] === k ? opts.set[1] : valueOf(e.inhabit(keyNodes(e, piece, k)));
    if (v === undefined) return undefined;
    obj[k] = v;
  }
  if (opts.set !== undefined) obj[opts.set[0]] = opts.set[1];
  const target = Math.max(piece.min, opts.size ?? 0);
  let count = Object.keys(obj).length;
  if (count >= target) return obj;
  for (const k of extraKeys(e, piece, obj, opts.omit)) {
    const v = valueOf(e.inhabit(keyNodes(e, piece, k)));
    if (v === undefined) continue;
    obj[k] = v;
    if (++count >= target) return obj;
  }
  return undefined;
}

function* extraKeys(e: Engine, piece: ObjPiece, obj: object, omit: string | undefined): Generator<string> {
  const seen = new Set([...Object.keys(obj), ...(omit === undefined ? [] : [omit])]);
  const ok = (k: string): boolean => !seen.has(k) && !nameRejected(e, piece, k) && (seen.add(k), true);
  for (const g of piece.groups) for (const k of g.props.keys()) if (ok(k)) yield k;
  for (let i = 0; i < 64; i++) {
    const k = i < 26 ? String.fromCharCode(97 + i) : `k${i}`;
    if (ok(k)) yield k;
  }
  for (const g of piece.groups) for (const p of g.patterns) for (const k of sampleStrings(p.source)) if (ok(k)) yield k;
}
