import type { BindingDef, EdgeCondition, EdgeDef, JsonSchema, ValuePath } from "../def/graph-def.js";
import { resolveLocalRef } from "../check/schema-path.js";
import { OPAQUE_KEYWORD } from "../contract/contract.js";

/**
 * A compact text notation for GraphDef parts, for people and for model contexts: bindings as
 * `input.text`, `classify.kind`, `maybe(review.remarks)`, `firstOf(a.x, b.x, "default")`; edges as
 * `classify -> reply [kind = "billing"] max 2`; schemas as TypeScript-like types.
 */

/**
 * A binding in compact notation.
 *
 * @example
 * formatBinding({ kind: "object", fields: { text: { kind: "input", path: ["text"] } } }); // "{text: input.text}"
 */
export function formatBinding(binding: BindingDef | undefined): string {
  if (binding === undefined) return "(unbound)";
  switch (binding.kind) {
    case "input":
      return `input${formatPath(binding.path)}`;
    case "output": {
      const ref = `${binding.node}${formatPath(binding.path)}`;
      return binding.optional ? `maybe(${ref})` : ref;
    }
    case "literal":
      return JSON.stringify(binding.value);
    case "object":
      return `{${Object.entries(binding.fields)
        .map(([field, b]) => `${safeKey(field)}: ${formatBinding(b)}`)
        .join(", ")}}`;
    case "first":
      return `firstOf(${binding.of.map(formatBinding).join(", ")})`;
  }
}

/** `.a.b[0]` for a value path. */
function formatPath(path: ValuePath): string {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`)).join("");
}

/** `[kind = "billing"]`, `[otherwise]`, `[error]`, or "" for an unconditional edge. */
export function formatCondition(when: EdgeCondition | undefined): string {
  if (when === undefined) return "";
  switch (when.kind) {
    case "case":
      return `[${when.field} = ${JSON.stringify(when.equals)}]`;
    case "match":
      return `[matches ${formatSchema(when.pattern, { maxLength: 80 })}${when.guard !== undefined ? ` guard ${when.guard}` : ""}]`;
    case "otherwise":
      return "[otherwise]";
    case "error":
      return "[error]";
  }
}

/**
 * An edge in compact notation.
 *
 * @example
 * formatEdge({ from: "review", to: "draft", when: { kind: "case", field: "verdict", equals: "revise" }, max: 2, onExhausted: "send" });
 * // 'review -> draft [verdict = "revise"] max 2 onExhausted send'
 */
export function formatEdge(edge: EdgeDef): string {
  const parts = [`${edge.from} -> ${edge.to}`];
  const when = formatCondition(edge.when);
  if (when) parts.push(when);
  if (edge.max !== undefined) parts.push(`max ${edge.max}`);
  if (edge.onExhausted !== undefined) parts.push(`onExhausted ${edge.onExhausted}`);
  return parts.join(" ");
}

/** Options of {@link formatSchema}. */
export interface FormatSchemaOptions {
  /** Cut the text at this many characters (with `…`). Default: no limit. */
  readonly maxLength?: number;
}

/**
 * A JSON Schema as a compact TypeScript-like type: `{text: string(min 1), maxSentences?: int(1..20) = 3}`,
 * `"billing" | "technical"`, `string[](max 10)`. Lossy on purpose (it is for reading, not for
 * validating): formats, patterns and bounds are kept, rarer keywords are shown as `…`.
 *
 * @example
 * formatSchema({ type: "object", properties: { kind: { enum: ["a", "b"] } }, required: ["kind"] }); // '{kind: "a" | "b"}'
 */
export function formatSchema(schema: JsonSchema, options: FormatSchemaOptions = {}): string {
  const text = typeText(schema, schema, 0, new Set());
  const max = options.maxLength;
  return max !== undefined && text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
}

const INT_LIMIT = 9007199254740991;

function typeText(schema: unknown, root: JsonSchema, depth: number, seen: Set<unknown>): string {
  if (schema === true || (typeof schema === "object" && schema !== null && Object.keys(schema).every((k) => k === "description" || k === "title"))) return "any";
  if (schema === false) return "never";
  if (typeof schema !== "object" || schema === null) return "any";
  const s = schema as Record<string, unknown>;
  if (depth > 8) return "…";
  // A type JSON Schema cannot describe (a transform's output, a date, ...): nothing is known about it.
  if (OPAQUE_KEYWORD in s) return "unknown";
  const withDefault = (text: string) => ("default" in s ? `${text} = ${JSON.stringify(s["default"])}` : text);
  if (typeof s["$ref"] === "string") {
    const ref = s["$ref"];
    const name = ref.split("/").pop() ?? ref;
    if (seen.has(ref)) return name;
    const target = resolveLocalRef(root, ref);
    return target === undefined ? name : withDefault(typeText(target, root, depth + 1, new Set([...seen, ref])));
  }
  if ("const" in s) return JSON.stringify(s["const"]);
  if (Array.isArray(s["enum"])) return (s["enum"] as unknown[]).map((v) => JSON.stringify(v)).join(" | ");
  for (const key of ["anyOf", "oneOf"] as const) {
    if (Array.isArray(s[key])) return withDefault((s[key] as unknown[]).map((b) => typeText(b, root, depth + 1, seen)).join(" | "));
  }
  if (Array.isArray(s["allOf"])) return (s["allOf"] as unknown[]).map((b) => typeText(b, root, depth + 1, seen)).join(" & ");
  const type = s["type"];
  if (Array.isArray(type)) return withDefault(type.map((t) => typeText({ ...s, type: t }, root, depth, seen)).join(" | "));
  switch (type) {
    case "string":
      return withDefault(`string${bounds(s, "minLength", "maxLength")}${extra(s)}`);
    case "integer":
    case "number":
      return withDefault(`${type === "integer" ? "int" : "number"}${numberBounds(s)}`);
    case "boolean":
    case "null":
      return withDefault(type);
    case "array": {
      if (Array.isArray(s["prefixItems"])) return `[${(s["prefixItems"] as unknown[]).map((i) => typeText(i, root, depth + 1, seen)).join(", ")}]`;
      const item = typeText(s["items"] ?? true, root, depth + 1, seen);
      const wrap = !item.startsWith("{") && (item.includes(" | ") || item.includes(" & ") || item.includes(" = "));
      return withDefault(`${wrap ? `(${item})` : item}[]${bounds(s, "minItems", "maxItems")}`);
    }
    case "object":
    case undefined:
      if (type === undefined && !("properties" in s) && !("additionalProperties" in s)) return "any";
      return withDefault(objectText(s, root, depth, seen));
    default:
      return String(type);
  }
}

function objectText(s: Record<string, unknown>, root: JsonSchema, depth: number, seen: Set<unknown>): string {
  const properties = (s["properties"] ?? {}) as Record<string, unknown>;
  const required = new Set(Array.isArray(s["required"]) ? (s["required"] as string[]) : []);
  const fields = Object.entries(properties).map(([key, value]) => `${safeKey(key)}${required.has(key) ? "" : "?"}: ${typeText(value, root, depth + 1, seen)}`);
  const additional = s["additionalProperties"];
  if (additional !== undefined && additional !== false && additional !== true && Object.keys(additional as object).length > 0) {
    fields.push(`[key: string]: ${typeText(additional, root, depth + 1, seen)}`);
  }
  if (fields.length === 0) return additional === false ? "{}" : "object";
  return `{${fields.join(", ")}}`;
}

function bounds(s: Record<string, unknown>, minKey: string, maxKey: string): string {
  const min = typeof s[minKey] === "number" ? (s[minKey] as number) : undefined;
  const max = typeof s[maxKey] === "number" ? (s[maxKey] as number) : undefined;
  if (min === undefined && max === undefined) return "";
  if (min !== undefined && max !== undefined) return min === max ? `(${min})` : `(${min}..${max})`;
  return min !== undefined ? `(min ${min})` : `(max ${max})`;
}

function numberBounds(s: Record<string, unknown>): string {
  const num = (key: string) => (typeof s[key] === "number" && Math.abs(s[key] as number) !== INT_LIMIT ? (s[key] as number) : undefined);
  const min = num("minimum");
  const max = num("maximum");
  const xmin = num("exclusiveMinimum");
  const xmax = num("exclusiveMaximum");
  const parts: string[] = [];
  if (min !== undefined && max !== undefined) parts.push(`${min}..${max}`);
  else if (min !== undefined) parts.push(`≥${min}`);
  else if (max !== undefined) parts.push(`≤${max}`);
  if (xmin !== undefined) parts.push(`>${xmin}`);
  if (xmax !== undefined) parts.push(`<${xmax}`);
  if (typeof s["multipleOf"] === "number") parts.push(`×${s["multipleOf"]}`);
  return parts.length ? `(${parts.join(", ")})` : "";
}

function extra(s: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof s["format"] === "string") parts.push(s["format"]);
  if (typeof s["pattern"] === "string") parts.push(`/${s["pattern"]}/`);
  return parts.length ? `<${parts.join(", ")}>` : "";
}

function safeKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
}
