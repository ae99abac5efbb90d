import { PARSED_DIFFERS_KEYWORD } from "../contract/contract.js";
import type { JsonSchema, ValuePath } from "../def/graph-def.js";

/**
 * A JSON Schema node together with the document its local `$ref`s resolve against. A node may be
 * synthetic (an `allOf` / `anyOf` wrapper around nodes of the same document).
 */
export interface SchemaAt {
  readonly root: JsonSchema;
  readonly node: JsonSchema;
}

/** What a path into a value of some schema can hold. */
export type PathLookup =
  /** The value at the path satisfies `at`; `mayBeAbsent` when some valid value lacks it. */
  | { readonly kind: "found"; readonly at: SchemaAt; readonly mayBeAbsent: boolean }
  /** No valid value has anything at the path. */
  | { readonly kind: "missing"; readonly reason: string }
  /** The checker cannot tell (for example a remote `$ref`). */
  | { readonly kind: "unknown"; readonly reason: string };


type Step = { kind: "value"; node: JsonSchema; absent: boolean } | { kind: "none"; reason: string } | { kind: "unknown"; reason: string };

/**
 * Finds the schema of the value at `path` inside values of `root`. Sound over-approximation:
 * every value that can be at the path satisfies the returned schema.
 */
export function lookupPath(root: JsonSchema, path: ValuePath, options: { readsParsed?: boolean } = {}): PathLookup {
  let node: JsonSchema = root;
  let absent = false;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] as string | number;
    const step = stepInto(root, node, segment, new Set(), options.readsParsed ?? false);
    const where = describePath(path.slice(0, i + 1));
    if (step.kind === "none") return { kind: "missing", reason: `${where}: ${step.reason}` };
    if (step.kind === "unknown") return { kind: "unknown", reason: `${where}: ${step.reason}` };
    node = step.node;
    absent ||= step.absent;
  }
  if (options.readsParsed && hasKeyword(node, PARSED_DIFFERS_KEYWORD)) {
    return { kind: "unknown", reason: `${describePath(path)}: the parsed value differs from the input (a zod transform)` };
  }
  return { kind: "found", at: { root, node }, mayBeAbsent: absent };
}

function stepInto(root: JsonSchema, node: JsonSchema, segment: string | number, seen: Set<unknown>, readsParsed: boolean): Step {
  if (node === true) return { kind: "value", node: true, absent: true };
  if (node === false) return { kind: "none", reason: "the schema admits no value" };
  if (readsParsed && PARSED_DIFFERS_KEYWORD in node) {
    return { kind: "unknown", reason: "the parsed value differs from the input (a zod transform)" };
  }
  if (seen.has(node)) return { kind: "unknown", reason: "the schema refers to itself without structure" };
  seen.add(node);

  const parts: Step[] = [ownStep(node, segment, readsParsed)];
  const ref = node["$ref"];
  if (typeof ref === "string") {
    const target = resolveLocalRef(root, ref);
    if (target === undefined) return { kind: "unknown", reason: `cannot resolve $ref ${JSON.stringify(ref)}` };
    parts.push(stepInto(root, target, segment, seen, readsParsed));
  }
  const allOf = node["allOf"];
  if (Array.isArray(allOf)) for (const branch of allOf) parts.push(stepInto(root, branch as JsonSchema, segment, seen, readsParsed));
  for (const key of ["anyOf", "oneOf"] as const) {
    const branches = node[key];
    if (Array.isArray(branches)) parts.push(unionSteps(branches.map((b) => stepInto(root, b as JsonSchema, segment, new Set(seen), readsParsed))));
  }
  return intersectSteps(parts);
}

/** What the keywords of one node (without combinators and refs) say about the child at `segment`. */
function ownStep(node: Exclude<JsonSchema, boolean>, segment: string | number, readsParsed: boolean): Step {
  const types = typeList(node["type"]);
  const index = typeof segment === "number" ? segment : /^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : undefined;
  const canBeObject = types === undefined || types.includes("object");
  const canBeArray = index !== undefined && (types === undefined || types.includes("array"));
  if (!canBeObject && !canBeArray) {
    return { kind: "none", reason: `the value is ${types?.join(" or ")}, which has no field ${JSON.stringify(String(segment))}` };
  }
  // A value of another type (for example null) has nothing at the path: absent.
  const otherTypes = types?.some((t) => t !== "object" && !(canBeArray && t === "array"));
  const steps: Step[] = [];
  if (canBeObject) steps.push(objectChild(node, String(segment), types === undefined || otherTypes || canBeArray, readsParsed));
  if (canBeArray && index !== undefined) steps.push(arrayChild(node, index, types === undefined || otherTypes || canBeObject));
  const united = unionSteps(steps);
  return otherTypes && united.kind === "value" ? { ...united, absent: true } : united;
}

function objectChild(node: Exclude<JsonSchema, boolean>, key: string, typeOpen: boolean, readsParsed: boolean): Step {
  const properties = node["properties"] as Record<string, JsonSchema> | undefined;
  const required = Array.isArray(node["required"]) ? (node["required"] as unknown[]) : [];
  const own = properties && Object.hasOwn(properties, key) ? properties[key] : undefined;
  if (own !== undefined) {
    // After parsing, zod fills in a field that has a default: it is present even if not required.
    const defaulted = readsParsed && typeof own === "object" && "default" in own;
    return { kind: "value", node: own, absent: typeOpen || (!required.includes(key) && !defaulted) };
  }
  const patterns = node["patternProperties"] as Record<string, JsonSchema> | undefined;
  if (patterns) {
    for (const [pattern, schema] of Object.entries(patterns)) {
      try {
        if (new RegExp(pattern, "u").test(key)) return { kind: "value", node: schema, absent: true };
      } catch {
        return { kind: "unknown", reason: `patternProperties has a pattern JavaScript cannot compile: ${pattern}` };
      }
    }
  }
  const additional = node["additionalProperties"] as JsonSchema | undefined;
  if (additional === false) {
    const known = properties ? Object.keys(properties) : [];
    return { kind: "none", reason: `there is no field ${JSON.stringify(key)}${known.length ? ` (fields: ${known.join(", ")})` : ""}` };
  }
  return { kind: "value", node: additional ?? true, absent: true };
}

function arrayChild(node: Exclude<JsonSchema, boolean>, index: number, typeOpen: boolean): Step {
  const minItems = typeof node["minItems"] === "number" ? node["minItems"] : 0;
  const absent = typeOpen || index >= minItems;
  const prefix = Array.isArray(node["prefixItems"]) ? (node["prefixItems"] as JsonSchema[]) : Array.isArray(node["items"]) ? (node["items"] as JsonSchema[]) : undefined;
  if (prefix && index < prefix.length) return { kind: "value", node: prefix[index] as JsonSchema, absent };
  const rest = prefix ? (Array.isArray(node["items"]) ? node["additionalItems"] : node["items"]) : node["items"];
  if (rest === false) return { kind: "none", reason: `the array has at most ${prefix?.length ?? 0} items` };
  return { kind: "value", node: (rest as JsonSchema | undefined) ?? true, absent };
}

function intersectSteps(steps: Step[]): Step {
  const none = steps.find((s) => s.kind === "none");
  if (none) return none;
  const unknown = steps.find((s) => s.kind === "unknown");
  if (unknown) return unknown;
  const values = steps.filter((s): s is Extract<Step, { kind: "value" }> => s.kind === "value").filter((s) => s.node !== true);
  const absent = steps.every((s) => s.kind === "value" && s.absent);
  if (values.length === 0) return { kind: "value", node: true, absent };
  if (values.length === 1) return { kind: "value", node: (values[0] as { node: JsonSchema }).node, absent };
  return { kind: "value", node: { allOf: values.map((v) => v.node) }, absent };
}

function unionSteps(steps: Step[]): Step {
  const values = steps.filter((s): s is Extract<Step, { kind: "value" }> => s.kind === "value");
  const unknown = steps.find((s) => s.kind === "unknown");
  if (unknown) return unknown;
  if (values.length === 0) return steps[0] ?? { kind: "none", reason: "no alternative has it" };
  const absent = values.some((v) => v.absent) || values.length < steps.length;
  if (values.length === 1) return { kind: "value", node: (values[0] as { node: JsonSchema }).node, absent };
  if (values.some((v) => v.node === true)) return { kind: "value", node: true, absent };
  return { kind: "value", node: { anyOf: values.map((v) => v.node) }, absent };
}

function typeList(type: unknown): string[] | undefined {
  if (typeof type === "string") return type === "integer" ? ["integer"] : [type];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === "string");
  return undefined;
}

/** Resolves `#`, `#/$defs/X`, `#/definitions/X` and other local JSON pointers. */
export function resolveLocalRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith("#")) return undefined;
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === "boolean" || (typeof node === "object" && node !== null) ? (node as JsonSchema) : undefined;
}

function hasKeyword(node: JsonSchema, keyword: string): boolean {
  return typeof node === "object" && keyword in node;
}

/** `input.items[0].name` style text for a value path. */
export function describePath(path: ValuePath): string {
  let out = "";
  for (const segment of path) {
    out += typeof segment === "number" || /^(0|[1-9]\d*)$/.test(segment) ? `[${segment}]` : `.${segment}`;
  }
  return out.startsWith(".") ? out.slice(1) : out || "(the whole value)";
}
