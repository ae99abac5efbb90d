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
  return gen(schema, { root, edges: false }, depth);
}

/**
 * Like {@link arbitraryOf}, but biased towards edge cases, for property tests (`verify`): empty
 * strings, strings of exactly the minimum and maximum length, unicode text (accents, CJK, emoji,
 * combining marks), numbers at their bounds and at zero, empty and full arrays. Shrinking works as
 * with any fast-check arbitrary: a failing value shrinks towards the smallest one that still fails.
 */
export function edgeCaseArbitraryOf(schema: JsonSchema): fc.Arbitrary<JsonValue> {
  return gen(schema, { root: schema, edges: true }, 0);
}

interface Gen {
  readonly root: JsonSchema;
  readonly edges: boolean;
}

function gen(schema: JsonSchema, c: Gen, depth: number): fc.Arbitrary<JsonValue> {
  const root = c.root;
  if (schema === true) return small(depth);
  if (schema === false) return fc.constant(null);
  if (depth > 6) return fc.constant(null);
  const s = schema as Record<string, unknown>;
  if (typeof s["$ref"] === "string") return gen(resolve(root, s["$ref"]), c, depth + 1);
  if ("const" in s) return fc.constant(s["const"] as JsonValue);
  if (Array.isArray(s["enum"])) return fc.constantFrom(...(s["enum"] as JsonValue[]));
  for (const key of ["anyOf", "oneOf"] as const) {
    if (Array.isArray(s[key])) return fc.oneof(...(s[key] as JsonSchema[]).map((branch) => gen(merge(s, branch, key), c, depth + 1)));
  }
  if (Array.isArray(s["allOf"])) {
    // Conjunctions are merged naively (later keywords win); the contract checks the result.
    const merged = (s["allOf"] as JsonSchema[]).reduce<JsonSchema>((a, b) => (typeof a === "boolean" ? b : merge(a, b, "allOf")), withoutKey(s, "allOf"));
    return gen(merged, c, depth + 1);
  }
  const type = s["type"];
  if (Array.isArray(type)) return fc.oneof(...(type as string[]).map((t) => gen({ ...s, type: t }, c, depth)));
  switch (type) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
    case "number":
      return withEdges(numberOf(s, type === "integer"), c.edges ? numberEdges(s, type === "integer") : []);
    case "string":
      return c.edges ? edgeStringOf(s) : stringOf(s);
    case "array":
      return arrayOf(s, c, depth);
    case "object":
      return objectOf(s, c, depth);
    default:
      return "properties" in s ? objectOf(s, c, depth) : small(depth);
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

function arrayOf(s: Record<string, unknown>, c: Gen, depth: number): fc.Arbitrary<JsonValue> {
  const prefix = Array.isArray(s["prefixItems"]) ? (s["prefixItems"] as JsonSchema[]) : [];
  const rest = s["items"] === undefined ? true : (s["items"] as JsonSchema);
  const minItems = typeof s["minItems"] === "number" ? s["minItems"] : 0;
  const maxItems = Math.min(typeof s["maxItems"] === "number" ? s["maxItems"] : minItems + 4, minItems + 6);
  const head = fc.tuple(...prefix.map((p) => gen(p, c, depth + 1)));
  if (rest === false) return head as fc.Arbitrary<JsonValue>;
  const tail = fc.array(gen(rest, c, depth + 1), { minLength: Math.max(0, minItems - prefix.length), maxLength: Math.max(0, maxItems - prefix.length) });
  return fc.tuple(head, tail).map(([h, t]) => [...h, ...t] as JsonValue);
}

function objectOf(s: Record<string, unknown>, c: Gen, depth: number): fc.Arbitrary<JsonValue> {
  const properties = (s["properties"] ?? {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(s["required"]) ? (s["required"] as string[]) : []);
  const fields: Record<string, fc.Arbitrary<JsonValue>> = {};
  for (const [key, value] of Object.entries(properties)) fields[key] = gen(value, c, depth + 1);
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

/** Mixes edge values in (a quarter of the time); shrinking of the other values is unchanged. */
function withEdges(base: fc.Arbitrary<JsonValue>, edges: readonly JsonValue[]): fc.Arbitrary<JsonValue> {
  if (edges.length === 0) return base;
  return fc.oneof({ weight: 3, arbitrary: base }, { weight: 1, arbitrary: fc.constantFrom(...edges) });
}

function numberEdges(s: Record<string, unknown>, integer: boolean): JsonValue[] {
  const values = new Set<number>();
  const min = typeof s["minimum"] === "number" ? s["minimum"] : undefined;
  const max = typeof s["maximum"] === "number" ? s["maximum"] : undefined;
  const xmin = typeof s["exclusiveMinimum"] === "number" ? s["exclusiveMinimum"] : undefined;
  const xmax = typeof s["exclusiveMaximum"] === "number" ? s["exclusiveMaximum"] : undefined;
  if (min !== undefined) values.add(min);
  if (max !== undefined) values.add(max);
  if (xmin !== undefined && integer) values.add(Math.floor(xmin) + 1);
  if (xmax !== undefined && integer) values.add(Math.ceil(xmax) - 1);
  for (const v of [0, 1, -1]) values.add(v);
  const step = typeof s["multipleOf"] === "number" ? s["multipleOf"] : undefined;
  const lo = min ?? (xmin !== undefined ? xmin + (integer ? 1 : 1e-9) : -Infinity);
  const hi = max ?? (xmax !== undefined ? xmax - (integer ? 1 : 1e-9) : Infinity);
  return [...values].filter((v) => v >= lo && v <= hi && (!integer || Number.isInteger(v)) && (step === undefined || Number.isInteger(Number((v / step).toFixed(9)))));
}

/** Text that breaks naive code: accents, CJK, emoji (astral, ZWJ sequences), combining marks, spaces. */
const UNICODE_SAMPLES = ["é", "Ä", "ß", "漢字", "😀", "👩‍💻", "e\u0301", "\u00a0", " ", "\t", "İ", "ǅ", "-", "--"];

function edgeStringOf(s: Record<string, unknown>): fc.Arbitrary<JsonValue> {
  const plain = stringOf(s);
  if (typeof s["format"] === "string" || typeof s["pattern"] === "string") return plain;
  const minLength = typeof s["minLength"] === "number" ? s["minLength"] : 0;
  const maxLength = typeof s["maxLength"] === "number" ? s["maxLength"] : Math.max(minLength, 24);
  // JSON Schema lengths count code points; zod counts UTF-16 units: the contract filters the rest.
  const unicode = fc.string({ minLength, maxLength, unit: fc.oneof(fc.constantFrom(...UNICODE_SAMPLES), fc.constantFrom(..."aZ09 .,")) });
  // Text made of words: several words, whitespace only, doubled separators (what word-level code gets wrong).
  const word = fc.oneof(fc.stringMatching(/^[a-z]{1,5}$/), fc.constantFrom(...UNICODE_SAMPLES));
  const separator = fc.constantFrom(" ", " ", " ", "  ", "\t", "\n", "-");
  const text = fc.array(fc.tuple(word, separator), { maxLength: 8 }).map((parts) => parts.map(([w, sep]) => w + sep).join("").trimEnd());
  const blank = fc.array(fc.constantFrom(" ", "\t", "\n"), { minLength: 1, maxLength: 3 }).map((parts) => parts.join(""));
  const edges = new Set<string>();
  if (minLength === 0) edges.add("");
  edges.add("a".repeat(minLength));
  if (maxLength <= 1_000) edges.add("z".repeat(maxLength));
  return fc.oneof(
    { weight: 3, arbitrary: plain },
    { weight: 2, arbitrary: unicode },
    { weight: 2, arbitrary: text },
    { weight: 1, arbitrary: blank },
    { weight: 1, arbitrary: fc.constantFrom(...edges) },
  );
}
