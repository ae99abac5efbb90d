import { createHash } from "node:crypto";
import type { GraphDef } from "./graph-def.js";

const versions = new WeakMap<GraphDef, string>();

/**
 * A graph's version: the first 16 hex digits of the SHA-256 of its GraphDef in canonical JSON
 * (keys sorted), so the same graph has the same version in every process. A run is pinned to it.
 */
export function graphVersion(def: GraphDef): string {
  let version = versions.get(def);
  if (version === undefined) {
    version = createHash("sha256").update(canonicalJson(def)).digest("hex").slice(0, 16);
    versions.set(def, version);
  }
  return version;
}

/**
 * JSON with object keys in sorted order and `undefined` properties left out, so two values that are
 * equal as JSON give the same string. A top-level `undefined` gives `"null"` (as in an array).
 * The one canonical form of the project: graph versions, contract and edge equality, and
 * uniqueness checks of JSON values all use it.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}
