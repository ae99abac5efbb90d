import { OPAQUE_KEYWORD } from "../contract/contract.js";
import type { JsonSchema } from "../def/graph-def.js";
import { BlockworkError } from "../errors.js";
import { jsonEqual } from "../compat/json.js";

/** A compiled route-case pattern: whether a block's output matches it. */
export type PatternPredicate = (value: unknown) => boolean;

/** The JSON Schema keywords a route-case pattern may use (what `P` and literal patterns produce). */
export const PATTERN_KEYWORDS: ReadonlySet<string> = new Set([
  "type", "const", "enum", "not", "anyOf", "allOf", "properties", "required", "prefixItems", "items", "minItems", "maxItems",
  "contains", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern",
  "propertyNames", "additionalProperties", OPAQUE_KEYWORD,
]);

/**
 * Compiles a route case's pattern (JSON Schema, the keywords of {@link PATTERN_KEYWORDS}) into a
 * plain predicate, once per graph, so that routing a block's output costs a few comparisons.
 * Values are read as JSON: a property whose value is `undefined` is absent, lengths count code
 * points. Returns undefined when the pattern has an opaque part (a `P.when`): such a case needs
 * its guard function.
 *
 * @example
 * const isBig = compilePattern({ type: "object", properties: { n: { type: "number", minimum: 100 } }, required: ["n"] });
 * isBig?.({ n: 150 }); // true
 */
export function compilePattern(schema: JsonSchema): PatternPredicate | undefined {
  try {
    return compile(schema);
  } catch (error) {
    if (error === OPAQUE) return undefined;
    throw error;
  }
}

const OPAQUE = Symbol("opaque");
const TRUE: PatternPredicate = () => true;
const FALSE: PatternPredicate = () => false;

function compile(schema: JsonSchema): PatternPredicate {
  if (schema === true) return TRUE;
  if (schema === false) return FALSE;
  const s = schema as Record<string, unknown>;
  const tests: PatternPredicate[] = [];
  for (const key of Object.keys(s)) {
    if (!PATTERN_KEYWORDS.has(key)) {
      throw new BlockworkError("invalid_route", `A route case's pattern uses the keyword "${key}", which patterns do not have (they may use: ${[...PATTERN_KEYWORDS].join(", ")}).`);
    }
  }
  if (OPAQUE_KEYWORD in s) throw OPAQUE;
  if (s["type"] !== undefined) tests.push(typeTest(s["type"]));
  if ("const" in s) {
    const c = s["const"];
    tests.push(typeof c === "object" && c !== null ? (v) => jsonEqual(json(v), c) : (v) => v === c);
  }
  if (Array.isArray(s["enum"])) {
    const values = s["enum"] as unknown[];
    tests.push((v) => values.some((c) => jsonEqual(json(v), c)));
  }
  numberTests(s, tests);
  stringTests(s, tests);
  arrayTests(s, tests);
  objectTests(s, tests);
  if (s["not"] !== undefined) {
    const inner = compile(s["not"] as JsonSchema);
    tests.push((v) => !inner(v));
  }
  if (Array.isArray(s["anyOf"])) {
    const alts = (s["anyOf"] as JsonSchema[]).map(compile);
    tests.push((v) => alts.some((t) => t(v)));
  }
  if (Array.isArray(s["allOf"])) tests.push(...(s["allOf"] as JsonSchema[]).map(compile));
  if (tests.length === 0) return TRUE;
  if (tests.length === 1) return tests[0] as PatternPredicate;
  return (v) => {
    for (const t of tests) if (!t(v)) return false;
    return true;
  };
}

function typeTest(type: unknown): PatternPredicate {
  const one = (t: unknown): PatternPredicate => {
    switch (t) {
      case "null":
        return (v) => v === null;
      case "boolean":
        return (v) => typeof v === "boolean";
      case "number":
        return (v) => typeof v === "number" && Number.isFinite(v);
      case "integer":
        return (v) => Number.isInteger(v);
      case "string":
        return (v) => typeof v === "string";
      case "array":
        return Array.isArray;
      case "object":
        return isObject;
      default:
        throw new BlockworkError("invalid_route", `A route case's pattern has the unknown type ${JSON.stringify(t)}.`);
    }
  };
  if (!Array.isArray(type)) return one(type);
  const alts = type.map(one);
  return (v) => alts.some((t) => t(v));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function numberTests(s: Record<string, unknown>, tests: PatternPredicate[]): void {
  const bound = (key: string, ok: (v: number, b: number) => boolean) => {
    const b = s[key];
    if (typeof b === "number") tests.push((v) => typeof v !== "number" || ok(v, b));
  };
  bound("minimum", (v, b) => v >= b);
  bound("maximum", (v, b) => v <= b);
  bound("exclusiveMinimum", (v, b) => v > b);
  bound("exclusiveMaximum", (v, b) => v < b);
}

function stringTests(s: Record<string, unknown>, tests: PatternPredicate[]): void {
  const length = (v: string) => {
    let n = 0;
    for (const _ of v) n++;
    return n;
  };
  const min = s["minLength"];
  if (typeof min === "number") tests.push((v) => typeof v !== "string" || length(v) >= min);
  const max = s["maxLength"];
  if (typeof max === "number") tests.push((v) => typeof v !== "string" || length(v) <= max);
  if (typeof s["pattern"] === "string") {
    const re = new RegExp(s["pattern"], "u");
    tests.push((v) => typeof v !== "string" || re.test(v));
  }
}

function arrayTests(s: Record<string, unknown>, tests: PatternPredicate[]): void {
  const prefix = Array.isArray(s["prefixItems"]) ? (s["prefixItems"] as JsonSchema[]).map(compile) : [];
  const items = s["items"] === undefined ? undefined : compile(s["items"] as JsonSchema);
  const min = typeof s["minItems"] === "number" ? s["minItems"] : undefined;
  const max = typeof s["maxItems"] === "number" ? s["maxItems"] : undefined;
  const contains = s["contains"] === undefined ? undefined : compile(s["contains"] as JsonSchema);
  if (prefix.length === 0 && items === undefined && min === undefined && max === undefined && contains === undefined) return;
  tests.push((v) => {
    if (!Array.isArray(v)) return true;
    if (min !== undefined && v.length < min) return false;
    if (max !== undefined && v.length > max) return false;
    for (let i = 0; i < v.length; i++) {
      const item = json(v[i]);
      const t = i < prefix.length ? prefix[i] : items;
      if (t !== undefined && !t(item)) return false;
    }
    return contains === undefined || v.some((x) => contains(json(x)));
  });
}

function objectTests(s: Record<string, unknown>, tests: PatternPredicate[]): void {
  const properties = Object.entries((s["properties"] as Record<string, JsonSchema> | undefined) ?? {}).map(([k, p]) => [k, compile(p)] as const);
  const required = (s["required"] as string[] | undefined) ?? [];
  const names = s["propertyNames"] === undefined ? undefined : compile(s["propertyNames"] as JsonSchema);
  const extra = s["additionalProperties"] === undefined ? undefined : compile(s["additionalProperties"] as JsonSchema);
  if (properties.length === 0 && required.length === 0 && names === undefined && extra === undefined) return;
  const known = new Set(properties.map(([k]) => k));
  tests.push((v) => {
    if (!isObject(v)) return true;
    for (const key of required) if (v[key] === undefined || !Object.hasOwn(v, key)) return false;
    for (const [key, test] of properties) {
      const x = Object.hasOwn(v, key) ? v[key] : undefined;
      if (x !== undefined && !test(json(x))) return false;
    }
    if (names !== undefined || extra !== undefined) {
      for (const key of Object.keys(v)) {
        if (v[key] === undefined) continue;
        if (names !== undefined && !names(key)) return false;
        if (extra !== undefined && !known.has(key) && !extra(json(v[key]))) return false;
      }
    }
    return true;
  });
}

/** Values inside arrays are JSON: `undefined` items are `null`, as JSON.stringify writes them. */
function json(v: unknown): unknown {
  return v === undefined ? null : v;
}
