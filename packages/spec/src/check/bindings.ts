import { compat, validateValue } from "../compat/index.js";
import type { CheckBudget } from "./budget.js";
import type { BindingDef, GraphDef, JsonSchema, JsonValue, NodeDef, ValuePath } from "../def/graph-def.js";
import { SchemaBundle, standalone } from "./bundle.js";
import { issue, type Issue } from "./issues.js";
import { PARSED_DIFFERS_KEYWORD } from "../contract/contract.js";
import { describePath, lookupPath, resolveLocalRef, type SchemaAt } from "./schema-path.js";

export interface BindingContext {
  readonly def: GraphDef;
  /** Block id → the first node with that id. */
  readonly nodes: ReadonlyMap<string, NodeDef>;
  readonly at: (path: ValuePath, block?: string) => { path: ValuePath; graph: readonly string[]; block: string | undefined };
  readonly report: (i: Issue) => void;
  /** The check's analysis budget, handed to each comparison. */
  readonly budget: CheckBudget;
}

/** Whose binding is checked: a block's input, or the graph's output. */
export type Reader = { readonly kind: "node"; readonly node: NodeDef; readonly at: number } | { readonly kind: "output" };

/** What a binding evaluates to, as far as the checker can tell. */
type Value =
  | { readonly kind: "schema"; readonly at: SchemaAt; readonly mayBeAbsent: boolean; readonly source: string }
  | { readonly kind: "literal"; readonly value: JsonValue }
  | { readonly kind: "object"; readonly fields: ReadonlyMap<string, Value> }
  | { readonly kind: "first"; readonly of: readonly Value[] }
  /** Already reported (unknown block, missing path) or not decidable: nothing more to say. */
  | { readonly kind: "skip" };

interface Target {
  readonly at: SchemaAt;
  readonly required: boolean;
  /** How the target is named in messages: `input field "text" of block "summarise"`. */
  readonly name: string;
  readonly path: ValuePath;
}

/** Type-checks the bindings of one reader against the schema they feed. */
export function checkBindingTypes(ctx: BindingContext, reader: Reader): void {
  const isNode = reader.kind === "node";
  const binding = isNode ? reader.node.input : ctx.def.output;
  const root = isNode ? reader.node.contract.input : ctx.def.contract.output;
  const block = isNode ? reader.node.id : undefined;
  const base: ValuePath = isNode ? ["nodes", reader.at, "input"] : ["output"];
  const owner = isNode ? `block "${reader.node.id}"` : `graph "${ctx.def.id}"`;
  const what = isNode ? "input" : "output";

  if (binding === undefined) {
    const required = requiredFields(root);
    if (required.length === 0 && acceptsEmptyObject(root, ctx.budget)) return;
    ctx.report(
      issue(
        isNode ? "unbound_input" : "unbound_output",
        ctx.at(base.slice(0, -1), block),
        isNode
          ? `The input of block "${reader.node.id}" is not bound${required.length ? `; it requires ${list(required)}` : ""}. Bind it: add(block, (input, blocks) => ({ ... })) or .bind("${reader.node.id}", ...) ("input" in JSON).`
          : `The output of graph "${ctx.def.id}" is not bound${required.length ? `; it requires ${list(required)}` : ""}. Bind it with .output((input, blocks) => ({ ... })) ("output" in JSON).`,
      ),
    );
    return;
  }
  const value = evaluate(ctx, binding, base, block);
  compare(ctx, value, { at: { root, node: root }, required: true, name: `the ${what} of ${owner}`, path: base }, { block, owner, what });
}

function evaluate(ctx: BindingContext, binding: BindingDef, path: ValuePath, block: string | undefined): Value {
  switch (binding.kind) {
    case "literal":
      return { kind: "literal", value: binding.value };
    case "input": {
      const source = `graph input ${describePath(binding.path)}`;
      return lookup(ctx, closedInput(ctx.def.contract.input), binding.path, { path, block, source, readsParsed: true, optional: false });
    }
    case "output": {
      const source = ctx.nodes.get(binding.node);
      if (source === undefined) {
        const known = [...ctx.nodes.keys()].slice(0, 12).join(", ");
        ctx.report(
          issue("unknown_block", ctx.at([...path, "node"], block), `A binding reads block "${binding.node}", which is not in graph "${ctx.def.id}" (blocks: ${known || "none"}). Fix the id or add the block.`),
        );
        return { kind: "skip" };
      }
      const name = `output ${binding.path.length ? `${describePath(binding.path)} ` : ""}of block "${binding.node}"`;
      return lookup(ctx, source.contract.output, binding.path, { path, block, source: name, readsParsed: false, optional: binding.optional === true });
    }
    case "object": {
      const fields = new Map<string, Value>();
      for (const [field, b] of Object.entries(binding.fields)) fields.set(field, evaluate(ctx, b, [...path, "fields", field], block));
      return { kind: "object", fields };
    }
    case "first":
      return { kind: "first", of: binding.of.map((b, i) => evaluate(ctx, b, [...path, "of", i], block)) };
  }
}

const closedInputs = new WeakMap<object, JsonSchema>();

/**
 * A graph's input schema as bindings read it: with every object closed that the runtime closes.
 * The runtime parses a run's input with unknown keys rejected (and a resumed or subgraph input
 * with them stripped), so an object without `additionalProperties` holds no other field there;
 * read as an open object it could hold any value in a field it does not declare (a spurious
 * `binding_type_mismatch` for a block's optional field). Objects that allow extra keys
 * (`additionalProperties` set: `z.looseObject`, a catchall), pattern properties, `$ref`s, `allOf`
 * and transformed values are left as they are (the runtime does not close them either).
 */
function closedInput(schema: JsonSchema): JsonSchema {
  if (typeof schema !== "object" || schema === null) return schema;
  let closed = closedInputs.get(schema);
  if (closed === undefined) {
    closed = close(schema);
    closedInputs.set(schema, closed);
  }
  return closed;
}

function close(node: JsonSchema): JsonSchema {
  if (typeof node !== "object" || node === null || Array.isArray(node) || node[PARSED_DIFFERS_KEYWORD] !== undefined) return node;
  const out: Record<string, unknown> = { ...node };
  const sub = (v: unknown) => (typeof v === "object" && v !== null && !Array.isArray(v) ? close(v as JsonSchema) : v);
  const props = node["properties"];
  if (typeof props === "object" && props !== null) out["properties"] = Object.fromEntries(Object.entries(props as Record<string, JsonSchema>).map(([k, v]) => [k, sub(v)]));
  if (node["items"] !== undefined) out["items"] = sub(node["items"]);
  if (Array.isArray(node["prefixItems"])) out["prefixItems"] = (node["prefixItems"] as unknown[]).map(sub);
  for (const key of ["anyOf", "oneOf"]) if (Array.isArray(node[key])) out[key] = (node[key] as unknown[]).map(sub);
  const additional = node["additionalProperties"];
  if (typeof additional === "object" && additional !== null) out["additionalProperties"] = sub(additional);
  if (node["type"] === "object" && additional === undefined && node["patternProperties"] === undefined) out["additionalProperties"] = false;
  return out as JsonSchema;
}

function lookup(
  ctx: BindingContext,
  root: JsonSchema,
  valuePath: ValuePath,
  o: { path: ValuePath; block: string | undefined; source: string; readsParsed: boolean; optional: boolean },
): Value {
  const found = lookupPath(root, valuePath, { readsParsed: o.readsParsed });
  if (found.kind === "missing") {
    ctx.report(issue("binding_type_mismatch", ctx.at(o.path, o.block), `A binding reads ${o.source}, which never exists: ${found.reason}. Fix the path.`));
    return { kind: "skip" };
  }
  if (found.kind === "unknown") {
    ctx.report(issue("compat_unknown", ctx.at(o.path, o.block), `Cannot tell the type of ${o.source}: ${found.reason}.`));
    return { kind: "skip" };
  }
  return { kind: "schema", at: found.at, mayBeAbsent: found.mayBeAbsent || o.optional, source: o.source };
}

interface Naming {
  readonly block: string | undefined;
  readonly owner: string;
  readonly what: "input" | "output";
}

function compare(ctx: BindingContext, value: Value, target: Target, naming: Naming): void {
  switch (value.kind) {
    case "skip":
      return;
    case "object": {
      const shape = plainObject(target.at);
      if (shape) return compareFields(ctx, value.fields, shape, target, naming);
      return compareWhole(ctx, value, target, naming);
    }
    case "first": {
      value.of.forEach((alt) => compare(ctx, alt, { ...target, required: false }, naming));
      const absent = value.of.every((alt) => alt.kind === "schema" && alt.mayBeAbsent);
      if (absent && target.required) reportAbsent(ctx, target, "every alternative of firstOf(...) may be absent", naming);
      return;
    }
    case "literal": {
      const result = validateValue(value.value, standalone(target.at), ctx.budget.options());
      if (result.valid === true) return;
      const shown = JSON.stringify(value.value);
      if (result.valid === false) {
        ctx.report(
          issue(
            "binding_type_mismatch",
            ctx.at(target.path, naming.block),
            `The literal ${truncate(shown)} bound to ${target.name} is not valid: ${at(result.path)}${result.reason}. Change the literal or the schema.`,
          ),
        );
      } else {
        ctx.report(issue("compat_unknown", ctx.at(target.path, naming.block), `Cannot tell whether the literal ${truncate(shown)} fits ${target.name}: ${result.reason}.`));
      }
      return;
    }
    case "schema":
      return compareWhole(ctx, value, target, naming);
  }
}

function compareFields(ctx: BindingContext, fields: ReadonlyMap<string, Value>, shape: ObjectShape, target: Target, naming: Naming): void {
  const missing = shape.required.filter((f) => !fields.has(f));
  for (const field of missing) {
    const code = naming.what === "input" ? "unbound_input" : "unbound_output";
    ctx.report(
      issue(
        code,
        ctx.at([...target.path, "fields", field], naming.block),
        `The required ${naming.what} field "${field}" of ${naming.owner} is not bound. Add ${field}: <ref or literal> to its bindings.`,
      ),
    );
  }
  for (const [field, value] of fields) {
    const schema = shape.properties[field];
    const path = [...target.path, "fields", field];
    if (schema === undefined && !shape.matchesExtra(field)) {
      const known = Object.keys(shape.properties);
      ctx.report(
        issue(
          "unknown_input_field",
          ctx.at(path, naming.block),
          `A binding sets "${field}", but the ${naming.what} of ${naming.owner} has no such field (fields: ${known.join(", ") || "none"}). Fix the name or remove the binding.`,
          shape.closed ? "error" : "warning",
        ),
      );
      continue;
    }
    const node = schema ?? shape.extra;
    compare(ctx, value, { at: { root: target.at.root, node }, required: shape.required.includes(field), name: `${naming.what} field "${field}" of ${naming.owner}`, path }, naming);
  }
}

function compareWhole(ctx: BindingContext, value: Value, target: Target, naming: Naming): void {
  if (value.kind === "schema" && value.mayBeAbsent && target.required) {
    reportAbsent(ctx, target, `${value.source} may be absent`, naming);
  }
  const bundle = new SchemaBundle();
  const source = schemaOf(value, bundle);
  if (source === undefined) return;
  const a = bundle.document(source);
  const b = standalone(target.at);
  const result = compat(a, b, ctx.budget.options());
  if (result.verdict === "yes") return;
  const from = value.kind === "schema" ? value.source : "the bound value";
  if (result.verdict === "no") {
    const example = result.counterexample === undefined ? "" : ` For example ${truncate(JSON.stringify(result.counterexample))} is allowed by A but not by B.`;
    ctx.report(
      issue(
        "binding_type_mismatch",
        ctx.at(target.path, naming.block),
        `${cap(from)} (A) does not fit ${target.name} (B): ${at(result.path)}${result.reason}.${example} Bind a value of the right type or change one of the schemas.`,
      ),
    );
  } else {
    ctx.report(
      issue("compat_unknown", ctx.at(target.path, naming.block), `Cannot tell whether ${from} (A) fits ${target.name} (B): ${at(result.path)}${result.reason}.`),
    );
  }
}

function reportAbsent(ctx: BindingContext, target: Target, why: string, naming: Naming): void {
  ctx.report(
    issue(
      "binding_may_be_absent",
      ctx.at(target.path, naming.block),
      `${cap(target.name)} is required, but ${why}. Make the field optional, make the source field required, or use firstOf(ref, default).`,
    ),
  );
}

/** The JSON Schema a bound value satisfies, with refs embedded in `bundle`; undefined when unknown. */
function schemaOf(value: Value, bundle: SchemaBundle): JsonSchema | undefined {
  switch (value.kind) {
    case "skip":
      return undefined;
    case "literal":
      return { const: value.value };
    case "schema":
      return bundle.embed(value.at);
    case "first": {
      const parts = value.of.map((v) => schemaOf(v, bundle));
      return parts.some((p) => p === undefined) ? undefined : { anyOf: parts as JsonSchema[] };
    }
    case "object": {
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const [field, v] of value.fields) {
        const s = schemaOf(v, bundle);
        if (s === undefined) return undefined;
        properties[field] = s;
        const absent = (v.kind === "schema" && v.mayBeAbsent) || (v.kind === "first" && v.of.every((a) => a.kind === "schema" && a.mayBeAbsent));
        if (!absent) required.push(field);
      }
      return { type: "object", properties, required, additionalProperties: false };
    }
  }
}

interface ObjectShape {
  readonly properties: Readonly<Record<string, JsonSchema>>;
  readonly required: readonly string[];
  /** `additionalProperties: false` */
  readonly closed: boolean;
  readonly extra: JsonSchema;
  matchesExtra(field: string): boolean;
}

/** The target as a plain object schema (after following `$ref`s), or undefined when it is not one. */
function plainObject(at: SchemaAt): ObjectShape | undefined {
  let node = at.node;
  for (let hops = 0; typeof node === "object" && typeof node["$ref"] === "string" && hops < 32; hops++) {
    const keys = Object.keys(node).filter((k) => !ANNOTATIONS.has(k));
    if (keys.length > 1) return undefined;
    const next = resolveLocalRef(at.root, node["$ref"] as string);
    if (next === undefined) return undefined;
    node = next;
  }
  if (typeof node !== "object") return undefined;
  if (node["type"] !== "object") return undefined;
  if (Object.keys(node).some((k) => !OBJECT_KEYWORDS.has(k) && !ANNOTATIONS.has(k))) return undefined;
  const properties = (node["properties"] ?? {}) as Record<string, JsonSchema>;
  const required = Array.isArray(node["required"]) ? (node["required"] as string[]) : [];
  const additional = node["additionalProperties"] as JsonSchema | undefined;
  const patterns = (node["patternProperties"] ?? {}) as Record<string, JsonSchema>;
  return {
    properties,
    required,
    closed: additional === false,
    extra: additional === undefined || additional === true ? true : additional,
    matchesExtra: (field) =>
      (additional !== undefined && additional !== false) || Object.keys(patterns).some((p) => safeTest(p, field)),
  };
}

const OBJECT_KEYWORDS = new Set(["type", "properties", "required", "additionalProperties", "patternProperties"]);
const ANNOTATIONS = new Set(["title", "description", "default", "examples", "$comment", "$schema", "$id", "$defs", "definitions", "deprecated", "readOnly", "writeOnly"]);

function safeTest(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, "u").test(value);
  } catch {
    return false;
  }
}

function requiredFields(schema: JsonSchema): string[] {
  return typeof schema === "object" && Array.isArray(schema["required"]) ? (schema["required"] as string[]) : [];
}

function acceptsEmptyObject(schema: JsonSchema, budget: CheckBudget): boolean {
  return validateValue({}, schema, budget.options()).valid === true;
}

function list(fields: readonly string[]): string {
  return fields.map((f) => `"${f}"`).join(", ");
}

function at(path: ValuePath): string {
  return path.length ? `at ${describePath(path)}: ` : "";
}

function truncate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
