/**
 * The GraphDef / JSON Schema fuzzer (issue 20, part 7b): mutations of the example GraphDefs and
 * generated hostile shapes — depth, width, `$ref` cycles and chains, prototype keys, NaN/Infinity,
 * huge strings, invalid keyword types — run through what `check`, `compat` and `diff` do, in
 * process: load (parseGraphDef + the ajv edge checks), check, compat, diffGraphs.
 *
 * A case fails when anything throws (a crash) or takes longer than 5 s (a hang). Everything else
 * is a diagnostic: a load problem (the CLI's exit 2), checker errors (exit 1), or a verdict.
 *
 *   npm run fuzz:schemas -- --cases 10000 --seed 1
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { check, compat, diffGraphs, parseGraphDef, validateValue, type GraphDef, type JsonSchema } from "@blockwork/spec";
import { graphDefProblems } from "../../packages/cli/src/schema-check.js";

/** What one fuzz run found. */
export interface FuzzReport {
  readonly cases: number;
  readonly crashes: readonly { readonly name: string; readonly error: string }[];
  readonly hangs: readonly { readonly name: string; readonly ms: number }[];
  /** Outcomes by kind: load problems, checker errors, passes, compat verdicts. */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly slowestMs: number;
}

const HANG_MS = 5_000;
const root = fileURLToPath(new URL("../..", import.meta.url));

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

/** The example GraphDefs in JSON (examples/broken). */
export function seedDefs(): unknown[] {
  const dir = join(root, "examples/broken");
  return readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as unknown);
}

function nest(depth: number, wrap: (inner: JsonSchema) => JsonSchema, leaf: JsonSchema): JsonSchema {
  let s = leaf;
  for (let i = 0; i < depth; i++) s = wrap(s);
  return s;
}

function laughs(n: number, leaf: JsonSchema): JsonSchema {
  const defs: Record<string, JsonSchema> = {};
  for (let i = 0; i < n; i++) defs[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
  defs[`d${n}`] = leaf;
  return { $defs: defs, $ref: "#/$defs/d0" };
}

/** A JSON object with an own `__proto__` key, as JSON.parse makes it. */
const protoKey = (value: unknown): Record<string, unknown> => JSON.parse(`{"__proto__":${JSON.stringify(value)}}`) as Record<string, unknown>;

/** A hostile JSON Schema (not necessarily a valid one). */
export function hostileSchema(r: Rand): JsonSchema {
  const depth = pick(r, [5, 50, 300, 1000, 3000]);
  const leaf = pick<JsonSchema>(r, [{ type: "string" }, { type: "integer", minimum: 0 }, true, false, {}, { const: null }]);
  const kinds: (() => JsonSchema)[] = [
    () => nest(depth, (s) => ({ anyOf: [s, { type: "null" }] }), leaf),
    () => nest(depth, (s) => ({ allOf: [s] }), leaf),
    () => nest(depth, (s) => ({ not: s }), leaf),
    () => nest(depth, (s) => ({ type: "array", items: s }), leaf),
    () => nest(depth, (s) => ({ type: "object", properties: { x: s }, required: ["x"] }), leaf),
    () => nest(depth, (s) => ({ oneOf: [s, { type: "number" }] }), leaf),
    () => ({ anyOf: Array.from({ length: pick(r, [100, 1000, 5000]) }, (_, i) => ({ const: i })) }),
    () => ({ type: "object", properties: Object.fromEntries(Array.from({ length: pick(r, [100, 2000]) }, (_, i) => [`p${i}`, { type: pick(r, ["string", "number"]) }])) }),
    () => ({ enum: Array.from({ length: pick(r, [10, 10_000]) }, (_, i) => (r() < 0.5 ? i : `v${i}`)) }),
    () => ({ $ref: "#" }),
    () => ({ $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a" } }, $ref: "#/$defs/a" }),
    () => ({ type: "array", items: { $ref: "#" } }),
    () => laughs(pick(r, [10, 40, 90, 400]), leaf),
    () => ({ type: "object", properties: { ...protoKey({ type: "string" }), constructor: { type: "number" }, toString: { const: 1 } }, required: ["__proto__", "constructor"] }),
    () => ({ $defs: { ...protoKey({ type: "string" }) }, $ref: "#/$defs/__proto__" }),
    () => ({ minimum: Number.NaN }),
    () => ({ maximum: Number.POSITIVE_INFINITY, minimum: Number.NEGATIVE_INFINITY, type: "number" }),
    () => ({ const: Number.NaN }),
    () => ({ multipleOf: pick(r, [0, -1, Number.NaN, 1e-300, 0.1]) }),
    () => ({ minLength: pick(r, [Number.POSITIVE_INFINITY, -1, 1.5, "abc", 1e9]), type: "string" }),
    () => ({ pattern: "a".repeat(pick(r, [1000, 100_000])) }),
    () => ({ pattern: pick(r, ["(", "[", "(a+)+$", "\\p{Bogus}", "(?<n>a)\\k<m>"]) }),
    () => ({ const: "x".repeat(pick(r, [10_000, 1_000_000])) }),
    () => ({ type: "object", properties: { ["k".repeat(100_000)]: { type: "string" } }, required: ["k".repeat(100_000)] }),
    () => ({ type: pick<unknown>(r, ["bogus", 5, [], ["string", "bogus"], null, {}]) }) as JsonSchema,
    () => ({ required: pick<unknown>(r, ["x", [1], {}, null]), properties: pick<unknown>(r, [[], 5, "x"]) }) as JsonSchema,
    () => ({ items: pick<unknown>(r, [5, "x", null, [[]]]), anyOf: pick<unknown>(r, [{}, [], 5, [5]]) }) as JsonSchema,
    () => ({ $ref: pick<unknown>(r, [5, "#/%%", "http://remote.invalid/x.json", "#/$defs/missing", "#nope", ""]) }) as JsonSchema,
    () => ({ $schema: pick(r, ["http://json-schema.org/draft-04/schema#", "http://json-schema.org/draft-07/schema#", "bogus"]), exclusiveMinimum: pick<unknown>(r, [true, 5, "x"]) }) as JsonSchema,
    () => ({ if: { type: "string" }, then: { minLength: 2 }, else: { type: "number" }, dependentSchemas: { a: false }, unevaluatedProperties: false }),
  ];
  return (pick(r, kinds) as () => JsonSchema)();
}

/** A mutation of an example GraphDef: a hostile schema, binding, key or value somewhere in it. */
export function mutateDef(r: Rand, seed: unknown): unknown {
  const def = JSON.parse(JSON.stringify(seed)) as Record<string, unknown>;
  const places: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown, depth: number) => {
    if (typeof v !== "object" || v === null || depth > 12) return;
    for (const [k, x] of Object.entries(v)) {
      places.push({ parent: v as Record<string, unknown>, key: Array.isArray(v) ? Number(k) : k });
      walk(x, depth + 1);
    }
  };
  walk(def, 0);
  const times = 1 + Math.floor(r() * 3);
  for (let i = 0; i < times && places.length > 0; i++) {
    const { parent, key } = pick(r, places);
    const target = parent as Record<string | number, unknown>;
    const value = target[key];
    const m = Math.floor(r() * 10);
    if (m === 0) delete target[key];
    else if (m === 1) target[key] = hostileSchema(r);
    else if (m === 2) target[key] = nest(pick(r, [10, 500, 2000]), (b) => ({ kind: "object", fields: { f: b } }) as never, { kind: "input", path: [] } as never);
    else if (m === 3) target[key] = { kind: "literal", value: nest(pick(r, [10, 2000]), (x) => [x] as never, 0 as never) };
    else if (m === 4 && typeof value === "object" && value !== null && !Array.isArray(value)) Object.assign(value, protoKey({ kind: "input", path: [] }), { constructor: { kind: "literal", value: 1 } });
    else if (m === 5) target[key] = pick<unknown>(r, [null, 5, "x".repeat(100_000), [], {}, true, -1, 1e308, Number.NaN, Number.POSITIVE_INFINITY]);
    else if (m === 6 && Array.isArray(value)) for (let j = 0; j < pick(r, [2, 100]); j++) value.push(JSON.parse(JSON.stringify(value[0] ?? null)));
    else if (m === 7) target[key] = pick(r, ["__proto__", "constructor", "", "a".repeat(200), "ü", "\u0000"]);
    else if (m === 8 && typeof value === "object" && value !== null) target[key] = { ...(value as object), $ref: "#" };
    else target[key] = JSON.parse(JSON.stringify(pick(r, places).parent));
  }
  return def;
}

type Outcome = string;

/** What `blockwork check <file>` does to one document, in process. */
export function checkDocument(value: unknown): Outcome {
  const parsed = parseGraphDef(value);
  if (!parsed.ok) return "load problem (exit 2)";
  const edge = graphDefProblems(parsed.def);
  if (edge.length > 0) return "invalid JSON Schema (exit 2)";
  const issues = check(parsed.def);
  return issues.some((i) => i.severity === "error") ? "checker errors (exit 1)" : "passes (exit 0)";
}

function graphWith(input: JsonSchema): GraphDef {
  return { format: "blockwork/graph@1", id: "fuzz", contract: { input, output: {} }, entry: ["a"], nodes: [{ id: "a", kind: "code", block: "a", contract: { input, output: {} }, input: { kind: "input", path: [] } }], edges: [] } as unknown as GraphDef;
}

/** One case: a name and what to run. */
interface Case {
  readonly name: string;
  readonly run: () => Outcome;
}

function makeCase(r: Rand, i: number, seeds: readonly unknown[]): Case {
  const kind = i % 5;
  if (kind === 0 || kind === 1) {
    const doc = mutateDef(r, pick(r, seeds));
    return { name: `check mutated example #${i}`, run: () => checkDocument(doc) };
  }
  if (kind === 2) {
    const a = hostileSchema(r);
    const b = r() < 0.5 ? hostileSchema(r) : pick<JsonSchema>(r, [{ type: "string" }, true, false, {}, { type: "array", items: { type: "number" } }]);
    return { name: `compat hostile #${i}`, run: () => `compat ${compat(a, b).verdict}/${compat(b, a).verdict}` };
  }
  if (kind === 3) {
    const s = hostileSchema(r);
    return { name: `check graph with hostile contract #${i}`, run: () => `${checkDocument(graphWith(s))}; validate ${String(validateValue(pick(r, [null, 1, "x", [], {}]), s).valid)}` };
  }
  const before = pick(r, seeds);
  const after = mutateDef(r, before);
  return {
    name: `diff mutated example #${i}`,
    run: () => {
      const a = parseGraphDef(before);
      const b = parseGraphDef(after);
      if (!a.ok || !b.ok || graphDefProblems(b.def).length > 0) return "diff: load problem (exit 2)";
      return `diff ${diffGraphs(a.def, b.def).breaking ? "breaking (exit 1)" : "compatible (exit 0)"}`;
    },
  };
}

/** Runs `cases` fuzz cases from `seed`. */
export function fuzzSchemas(options: { readonly cases: number; readonly seed?: number; readonly onProgress?: (done: number) => void }): FuzzReport {
  const r = rng(options.seed ?? 1);
  const seeds = seedDefs();
  const crashes: { name: string; error: string }[] = [];
  const hangs: { name: string; ms: number }[] = [];
  const outcomes: Record<string, number> = {};
  let slowestMs = 0;
  for (let i = 0; i < options.cases; i++) {
    let c: Case;
    try {
      c = makeCase(r, i, seeds);
    } catch {
      // The generator's own deep copy overflowed on an already hostile document: a fresh shape instead.
      const s = hostileSchema(r);
      c = { name: `compat hostile (regenerated) #${i}`, run: () => `compat ${compat(s, { type: "string" }).verdict}` };
    }
    const started = performance.now();
    try {
      const outcome = c.run();
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    } catch (error) {
      const text = error instanceof Error ? (error.stack ?? error.message).split("\n").slice(0, 6).map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l)).join("\n") : String(error);
      crashes.push({ name: c.name, error: text });
    }
    const ms = performance.now() - started;
    slowestMs = Math.max(slowestMs, ms);
    if (ms > HANG_MS) hangs.push({ name: c.name, ms: Math.round(ms) });
    if ((i + 1) % 500 === 0) options.onProgress?.(i + 1);
  }
  return { cases: options.cases, crashes, hangs, outcomes, slowestMs: Math.round(slowestMs) };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const report = fuzzSchemas({ cases: arg("cases", 10_000), seed: arg("seed", 1), onProgress: (n) => process.stderr.write(`${n} cases\n`) });
  console.log(JSON.stringify(report, null, 2));
  process.exitCode = report.crashes.length > 0 || report.hangs.length > 0 ? 1 : 0;
}
