/**
 * Results of the concrete validator, shared by its scalar (validate.ts) and structural
 * (validate-structure.ts) halves.
 */
import type { ValuePath } from "../def/graph-def.js";
import type { ValidationResult } from "./types.js";

export type VResult = ValidationResult;
export const VALID: VResult = { valid: true };

/** A value path as a linked list from the leaf, materialised only when a result needs it. */
export type Path = { readonly up: Path; readonly key: string | number } | null;

export const step = (up: Path, key: string | number): Path => ({ up, key });

function toArray(path: Path): ValuePath {
  const out: (string | number)[] = [];
  for (let p = path; p !== null; p = p.up) out.push(p.key);
  return out.reverse();
}

export const fail = (path: Path, reason: string): VResult => ({ valid: false, path: toArray(path), reason });
export const unsure = (path: Path, reason: string): VResult => ({ valid: "unknown", path: toArray(path), reason });

/** Accumulates keyword results: the first failure wins, else the first `unknown`, else valid. */
export class Verdict {
  private pending: VResult = VALID;
  /** Returns true when the value has definitely failed and checking can stop. */
  add(r: VResult): boolean {
    if (r.valid === false) {
      this.pending = r;
      return true;
    }
    if (r.valid === "unknown" && this.pending.valid === true) this.pending = r;
    return false;
  }
  get result(): VResult {
    return this.pending;
  }
}

/**
 * The schemas entered since the validator last descended into a sub-value. Meeting one again
 * means a `$ref` cycle that never consumes the value: validators loop forever on it.
 */
export type Trail = { readonly schema: object; readonly next: Trail } | null;

