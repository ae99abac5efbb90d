import { standalone } from "../check/bundle.js";
import { describePath, lookupPath } from "../check/schema-path.js";
import { compat } from "../compat/index.js";
import { jsonEqual, preview } from "../compat/json.js";
import type { CompatOptions } from "../compat/types.js";
import type { JsonSchema, ValuePath } from "../def/graph-def.js";

/**
 * The answer to "is every value of A also valid under B?" as the diff needs it: `yes` only when
 * the compatibility engine proved it; `unknown` is kept apart from `no` so messages can say that
 * containment could not be proven, but both count as "not contained".
 */
export type Containment =
  | { readonly verdict: "yes" }
  | { readonly verdict: "no" | "unknown"; readonly reason: string };

/** How the compared schemas are named in reasons, which speak of "A" and "B". */
export type Sides = "old ⊆ new" | "new ⊆ old";

/**
 * Whether every value valid under `a` is valid under `b`. An absent schema stands for "no value"
 * (a contract without `error` never fails with a typed error; one without `resume` is never resumed).
 * `sides` says which of A and B is the old schema, for the reason.
 */
export function contains(a: JsonSchema | undefined, b: JsonSchema | undefined, sides: Sides, options: CompatOptions = {}): Containment {
  if (a === undefined || a === false) return { verdict: "yes" };
  if (jsonEqual(a, b)) return { verdict: "yes" };
  const result = compat(a, b ?? false, options);
  if (result.verdict === "yes") return result;
  const where = `(A = the ${sides === "old ⊆ new" ? "old" : "new"} schema, B = the ${sides === "old ⊆ new" ? "new" : "old"} one) ${result.path.length ? `at ${describePath(result.path)}: ` : ""}`;
  if (result.verdict === "no") {
    const example = result.counterexample === undefined ? "" : ` (for example ${preview(result.counterexample, 80)})`;
    return { verdict: "no", reason: `${where}${result.reason}${example}` };
  }
  return { verdict: "unknown", reason: `could not be proven: ${where}${result.reason}` };
}

/** A read of a value as bindings make it: a path into a schema, maybe declared optional. */
export interface Read {
  readonly path: ValuePath;
  /** `maybe(...)`: the reader accepts that the value is absent. */
  readonly optional: boolean;
}

/**
 * Whether every value found at `read.path` in values of `before` is acceptable where a reader of
 * `after` expects the value at that path: the value must exist whenever the new contract says it
 * does, and its schema must be contained in the new one. Compares only what is read, so a new field
 * that nobody reads does not make old values unreadable.
 */
export function readContained(before: JsonSchema, after: JsonSchema, read: Read, options: CompatOptions & { readonly readsParsed?: boolean } = {}): Containment {
  if (jsonEqual(before, after)) return { verdict: "yes" };
  const lookup = { readsParsed: options.readsParsed ?? false };
  const now = lookupPath(after, read.path, lookup);
  const was = lookupPath(before, read.path, lookup);
  const where = read.path.length ? describePath(read.path) : "the value";
  if (now.kind === "missing") return { verdict: "no", reason: `the new contract has nothing at ${where}: ${now.reason}` };
  if (now.kind === "unknown") return { verdict: "unknown", reason: `could not be proven: ${now.reason}` };
  if (was.kind === "missing") return { verdict: "no", reason: `values of the old contract have nothing at ${where}: ${was.reason}` };
  if (was.kind === "unknown") return { verdict: "unknown", reason: `could not be proven: ${was.reason}` };
  if (was.mayBeAbsent && !now.mayBeAbsent && !read.optional) {
    return { verdict: "no", reason: `${where} may be absent in values of the old contract, but the new one requires it` };
  }
  const { readsParsed: _parsed, ...compatOptions } = options;
  return contains(standalone(was.at), standalone(now.at), "old ⊆ new", compatOptions);
}
