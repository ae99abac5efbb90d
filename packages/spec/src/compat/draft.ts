/**
 * Dialect detection and the keyword tables that differ between dialects.
 */
import type { JsonSchema } from "../def/graph-def.js";
import type { Draft } from "./types.js";

export type JsonType = "null" | "boolean" | "number" | "string" | "array" | "object";
export const JSON_TYPES: readonly JsonType[] = ["null", "boolean", "number", "string", "array", "object"];

/** The vendor keyword that marks a schema whose values cannot be described (e.g. a transform's output). */
export const OPAQUE_KEYWORD = "x-blockwork-opaque";

const DRAFT_URIS: readonly (readonly [RegExp, Draft])[] = [
  [/json-schema\.org\/draft-04\/schema/, "draft-04"],
  [/json-schema\.org\/draft-06\/schema/, "draft-06"],
  [/json-schema\.org\/draft-07\/schema/, "draft-07"],
  [/json-schema\.org\/draft\/2019-09\/schema/, "draft-2019-09"],
  [/json-schema\.org\/draft\/2020-12\/schema/, "draft-2020-12"],
];

/** The dialect a schema document declares with `$schema`, or the forced/default one. */
export function draftOf(schema: JsonSchema, forced: Draft | undefined): Draft {
  if (forced !== undefined) return forced;
  if (typeof schema === "object" && typeof schema["$schema"] === "string") {
    const uri = schema["$schema"];
    if (uri === "https://json-schema.org/draft/2020-12/schema") return "draft-2020-12";
    for (const [re, draft] of DRAFT_URIS) if (re.test(uri)) return draft;
  }
  return "draft-2020-12";
}

/** Drafts 04–07 define `$ref` as replacing its siblings; 2019-09 onwards apply them alongside. */
export function refIgnoresSiblings(draft: Draft): boolean {
  return draft === "draft-04" || draft === "draft-06" || draft === "draft-07";
}

/** 2020-12 replaced array-form `items` + `additionalItems` by `prefixItems` + `items`. */
export function usesPrefixItems(draft: Draft): boolean {
  return draft === "draft-2020-12";
}

/** The keyword naming a schema resource's URI. */
export function idKeyword(draft: Draft): "id" | "$id" {
  return draft === "draft-04" ? "id" : "$id";
}

const ALL: readonly JsonType[] = JSON_TYPES;

/**
 * Keywords that change validation but that the engine does not reason about, with the value types
 * they constrain. Normalisation drops them from A (dropping a conjunct enlarges A, so `yes` stays
 * sound) and empties the constrained types of B (the only sound under-approximation), recording why.
 */
export const UNSUPPORTED_KEYWORDS: ReadonlyMap<string, readonly JsonType[]> = new Map([
  ["dependencies", ["object"]],
  ["dependentRequired", ["object"]],
  ["dependentSchemas", ["object"]],
  ["unevaluatedProperties", ["object"]],
  ["unevaluatedItems", ["array"]],
  ["minContains", ["array"]],
  ["maxContains", ["array"]],
  ["contentSchema", ["string"]],
  ["contentMediaType", ["string"]],
  ["contentEncoding", ["string"]],
  ["if", ALL],
  ["$dynamicRef", ALL],
  ["$recursiveRef", ALL],
]);

/**
 * Every keyword whose presence makes a schema more than "anything goes". Anything else (title,
 * default, vendor keywords, typos such as `"maxItems:"`) is an annotation and is ignored.
 */
const VALIDATING_KEYWORDS: ReadonlySet<string> = new Set([
  "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
  "maxLength", "minLength", "pattern", "format", "items", "additionalItems", "prefixItems", "maxItems",
  "minItems", "uniqueItems", "contains", "maxProperties", "minProperties", "required", "properties",
  "patternProperties", "additionalProperties", "propertyNames", "allOf", "anyOf", "oneOf", "not", "$ref",
  OPAQUE_KEYWORD, ...UNSUPPORTED_KEYWORDS.keys(),
]);

/** True when a schema constrains nothing: `true`, `{}`, or only annotations. */
export function isTrivialSchema(schema: JsonSchema): boolean {
  if (schema === true) return true;
  if (schema === false) return false;
  for (const key in schema) if (VALIDATING_KEYWORDS.has(key)) return false;
  return true;
}

/** The JSON type of a value; integers are numbers here (integer-ness is a number constraint). */
export function typeOfValue(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  const t = typeof value;
  if (t === "boolean" || t === "number" || t === "string") return t;
  return "object";
}
