import type { JsonSchema, JsonValue } from "@blockwork/spec";
import fc from "fast-check";

/**
 * A fast-check arbitrary of JSON values that satisfy a JSON Schema (draft 2020-12, as zod emits
 * it): types, enum/const, object properties/required/additionalProperties, arrays with bounds and
 * tuples, string lengths/patterns/common formats, numeric bounds and multipleOf, anyOf/oneOf,
 * local $refs. Values are candidates: the runtime's zod contract has the last word (refinements,
 * transforms), and the simulator retries when a candidate is rejected.
 */
export function arbitraryOf(schema: JsonSchema, root: JsonSchema = schema, depth = 0): fc.Arbitrary<JsonValue> {
  if (schema === true) return small(depth);
  if (schema === false) return fc.constant(null);
  if (depth > 6) return fc.constant(null);
  const s = schema as Record<string, unknown>;
  if (typeof s["$ref"] === "string") return arbitraryOf(resolve(root, s["$ref"]), root, depth + 1);
  if ("const" in s) return fc.constant(s["const"] as JsonValue);
  if (Array.isArray(s["enum"])) return fc.constantFrom(...(s["enum"] as JsonValue[]));
  for (const key of ["anyOf", "oneOf"] as const) {
    if (Array.isArray(s[key])) return fc.oneof(...(s[key] as JsonSchema[]).map((branch) => arbitraryOf(merge(s, branch, key), root, depth + 1)));
  }
  if (Array.isArray(s["allOf"])) {
    // Conjunctions are merged naively (later keywords win); the contract checks the result.
    const merged = (s["allOf"] as JsonSchema[]).reduce<JsonSchema>((a, b) => (typeof a === "boolean" ? b : merge(a, b, "allOf")), withoutKey(s, "allOf"));
    return arbitraryOf(merged, root, depth + 1);
  }
  const type = s["type"];
  if (Array.isArray(type)) return fc.oneof(...(type as string[]).map((t) => arbitraryOf({ ...s, type: t }, root, depth)));
  switch (type) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
    case "number":
      return numberOf(s, type === "integer");
    case "string":
      return stringOf(s);
    case "array":
      return arrayOf(s, root, depth);
    case "object":
      return objectOf(s, root, depth);
    default:
      return "properties" in s ? objectOf(s, root, depth) : small(depth);
  }
}

function small(depth: number): fc.Arbitrary<JsonValue> {
  return depth > 2 ? fc.constantFrom(null, 0, "", true) : (fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<JsonValue>);
}

function numberOf(s: Record<string, unknown>, integer: boolean): fc.Arbitrary<JsonValue> {
  const min = typeof s["minimum"] === "number" ? s["minimum"] : typeof s["exclusiveMinimum"] === "number" ? s["exclusiveMinimum"] + (integer ? 1 : 1e-6) : -1_000;
  const max = typeof s["maximum"] === "number" ? s["maximum"] : typeof s["exclusiveMaximum"] === "number" ? s["exclusiveMaximum"] - (integer ? 1 : 1e-6) : 1_000;
  const lo = Math.max(min, -1e6);
  const hi = Math.min(max, 1e6);
  const step = typeof s["multipleOf"] === "number" ? s["multipleOf"] : undefined;
  if (step !== undefined) {
    const first = Math.ceil(lo / step);
    const last = Math.floor(hi / step);
    return fc.integer({ min: Math.min(first, last), max: last }).map((k) => Number((k * step).toFixed(10)));
  }
  if (integer) return fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) });
  return fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
}

// Plain values for formats: validators (zod among them) accept a narrower set than the RFCs allow.
// Each arbitrary is built on first use: fast-check's webUrl() alone takes seconds to construct, and
// building them at module load made every import of @blockwork/nodes (the CLI's, too) pay for it.
const FORMATS: Record<string, () => fc.Arbitrary<string>> = {
  email: () => fc.tuple(fc.stringMatching(/^[a-z][a-z0-9.]{0,10}[a-z0-9]$/), fc.constantFrom("example.com", "example.org", "mail.test")).map(([local, domain]) => `${local.replace(/\.\.+/g, ".")}@${domain}`),
  uuid: () => fc.uuid({ version: 4 }),
  "date-time": () => fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }).map((d) => d.toISOString()),
  date: () => fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  uri: () => fc.webUrl(),
  url: () => fc.webUrl(),
};

const builtFormats = new Map<string, fc.Arbitrary<string>>();
function formatArbitrary(format: string): fc.Arbitrary<string> | undefined {
  let built = builtFormats.get(format);
  if (!built && Object.hasOwn(FORMATS, format)) builtFormats.set(format, (built = (FORMATS[format] as () => fc.Arbitrary<string>)()));
  return built;
}

function stringOf(s: Record<string, unknown>): fc.Arbitrary<JsonValue> {
  const format = typeof s["format"] === "string" ? formatArbitrary(s["format"]) : undefined;
  if (format) return format;
  const minLength = typeof s["minLength"] === "number" ? s["minLength"] : 0;
  const maxLength = typeof s["maxLength"] === "number" ? s["maxLength"] : Math.max(minLength, 24);
  if (typeof s["pattern"] === "string") {
    try {
      return fc.stringMatching(new RegExp(s["pattern"])).filter((x) => x.length >= minLength && x.length <= maxLength);
    } catch {
      // A pattern JavaScript cannot compile: fall through to plain strings (the contract decides).
    }
  }
  return fc.string({ minLength, maxLength, unit: "grapheme-ascii" });
}

function arrayOf(s: Record<string, unknown>, root: JsonSchema, depth: number): fc.Arbitrary<JsonValue> {
  const prefix = Array.isArray(s["prefixItems"]) ? (s["prefixItems"] as JsonSchema[]) : [];
  const rest = s["items"] === undefined ? true : (s["items"] as JsonSchema);
  const minItems = typeof s["minItems"] === "number" ? s["minItems"] : 0;
  const maxItems = Math.min(typeof s["maxItems"] === "number" ? s["maxItems"] : minItems + 4, minItems + 6);
  const head = fc.tuple(...prefix.map((p) => arbitraryOf(p, root, depth + 1)));
  if (rest === false) return head as fc.Arbitrary<JsonValue>;
  const tail = fc.array(arbitraryOf(rest, root, depth + 1), { minLength: Math.max(0, minItems - prefix.length), maxLength: Math.max(0, maxItems - prefix.length) });
  return fc.tuple(head, tail).map(([h, t]) => [...h, ...t] as JsonValue);
}

function objectOf(s: Record<string, unknown>, root: JsonSchema, depth: number): fc.Arbitrary<JsonValue> {
  const properties = (s["properties"] ?? {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(s["required"]) ? (s["required"] as string[]) : []);
  const fields: Record<string, fc.Arbitrary<JsonValue>> = {};
  for (const [key, value] of Object.entries(properties)) fields[key] = arbitraryOf(value, root, depth + 1);
  return fc.record(fields, { requiredKeys: [...required].filter((k) => k in fields) }) as fc.Arbitrary<JsonValue>;
}

function merge(base: Record<string, unknown>, branch: JsonSchema, drop: string): JsonSchema {
  if (typeof branch === "boolean") return branch;
  return { ...withoutKey(base, drop), ...branch };
}

function withoutKey(s: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = s;
  return rest;
}

function resolve(root: JsonSchema, ref: string): JsonSchema {
  if (ref === "#") return root;
  let node: unknown = root;
  for (const part of ref.replace(/^#\//, "").split("/")) node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  return (node as JsonSchema | undefined) ?? true;
}
