/**
 * Schema compatibility: does every JSON value valid under schema A also satisfy schema B?
 *
 * The static checker asks it for every binding (A = the schema of what is read, B = the schema of
 * the input field it feeds). See docs/design/compat.md for the method and its limits.
 */
import type { JsonSchema, JsonValue } from "../def/graph-def.js";
import { createDoc, rootLoc } from "./context.js";
import { draftOf } from "./draft.js";
import { createEngine, subsume } from "./engine.js";
import { enumerate } from "./enumerate.js";
import type { CompatOptions, CompatResult, Enumeration, ValidationResult } from "./types.js";
import { validateNodes } from "./validate.js";

export type { AnalysisLimits, CompatOptions, CompatResult, Draft, Enumeration, ValidationResult } from "./types.js";

/**
 * Decides whether every value valid under `a` is valid under `b`.
 *
 * `yes` is proven; `no` comes with the value path where they differ and, when found, a
 * counterexample the concrete validator confirmed; `unknown` says where and why it is undecided.
 * Each schema is read in its own `$schema` dialect unless `options.draft` forces one.
 *
 * @example
 * compat({ type: "integer", minimum: 1 }, { type: "number" }); // { verdict: "yes" }
 * compat({ type: "string" }, { type: "string", maxLength: 5 });
 * // { verdict: "no", path: [], reason: "A allows strings of any length; B requires maxLength 5", counterexample: "aaaaaa" }
 */
export function compat(a: JsonSchema, b: JsonSchema, options: CompatOptions = {}): CompatResult {
  const draftA = draftOf(a, options.draft);
  const draftB = draftOf(b, options.draft);
  if (draftA === draftB && a === b) return { verdict: "yes" };
  const e = createEngine(options.limits);
  const r = bounded(() => subsume(e, [rootLoc(createDoc(e, a, draftA))], [rootLoc(createDoc(e, b, draftB))]));
  if (typeof r === "string") return { verdict: "unknown", path: [], reason: r };
  if (r.kind === "yes") return { verdict: "yes" };
  if (r.kind === "no") return { verdict: "no", path: r.path, reason: r.reason, counterexample: r.witness };
  return { verdict: "unknown", path: r.path, reason: r.reason };
}

/**
 * Runs one analysis; a stack overflow (a nesting the depth guards did not foresee) or a JavaScript
 * size limit (a huge string or pattern) becomes the reason of an `unknown` instead of an exception.
 * Other errors are bugs and are rethrown.
 */
function bounded<T>(f: () => T): T | string {
  try {
    return f();
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message)) return "the schemas nest too deeply to analyse (the call stack ran out)";
    // Hostile sizes hit JavaScript's own limits (a string or pattern too large to build or compile).
    if (error instanceof RangeError || (error instanceof SyntaxError && /regular expression/i.test(error.message))) {
      return `the schemas exceed what the engine can build (${error.message.length > 120 ? `${error.message.slice(0, 120)}…` : error.message})`;
    }
    throw error;
  }
}

/**
 * Validates one value against a schema, answering `unknown` wherever validators legitimately
 * disagree (formats, non-dyadic `multipleOf`, keywords beside `$ref` in drafts 04–07).
 *
 * @example
 * validateValue("abc", { type: "string", maxLength: 2 }); // { valid: false, path: [], reason: "maxLength 2" }
 */
export function validateValue(value: JsonValue, schema: JsonSchema, options: CompatOptions = {}): ValidationResult {
  const e = createEngine(options.limits);
  const r = bounded(() => validateNodes(e, value, [rootLoc(createDoc(e, schema, draftOf(schema, options.draft)))]));
  return typeof r === "string" ? { valid: "unknown", path: [], reason: r } : r;
}

/**
 * Lists the values a schema admits when there are at most `limit` (default 256) of them.
 *
 * @example
 * enumerateValues({ enum: ["a", "b"] }); // { kind: "finite", values: ["a", "b"] }
 */
export function enumerateValues(schema: JsonSchema, options: CompatOptions & { readonly limit?: number } = {}): Enumeration {
  const r = bounded(() => enumerate(schema, options));
  return typeof r === "string" ? { kind: "unknown", reason: r } : r;
}
