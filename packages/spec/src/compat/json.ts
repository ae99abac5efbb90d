/**
 * JSON value helpers: equality as JSON Schema defines it (`enum`, `const`, `uniqueItems`) and short
 * previews for messages.
 */
import type { JsonValue } from "../def/graph-def.js";

/** Deep equality of JSON values: object key order is irrelevant, 1 and 1.0 are the same number. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let count = 0;
  for (const key in ao) {
    if (!Object.hasOwn(bo, key) || !jsonEqual(ao[key], bo[key])) return false;
    count++;
  }
  for (const _ in bo) count--;
  return count === 0;
}

/** True when `values` contains a value JSON-equal to `value`. */
export function jsonIncludes(values: readonly unknown[], value: unknown): boolean {
  for (const v of values) if (jsonEqual(v, value)) return true;
  return false;
}

/** Values without JSON-equal duplicates, first occurrence kept. */
export function jsonUnique<T>(values: readonly T[]): T[] {
  const out: T[] = [];
  for (const v of values) if (!jsonIncludes(out, v)) out.push(v);
  return out;
}

/** A short rendering of a value for human-readable reasons. */
export function preview(value: unknown, max = 60): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Narrows `unknown` to a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is { readonly [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

