import { P as TsP } from "ts-pattern";
import { OPAQUE_KEYWORD } from "../contract/contract.js";
import type { JsonSchema } from "../def/graph-def.js";

/**
 * ts-pattern patterns as JSON Schema: the set of JSON values a pattern matches, so that the
 * checker can prove a pattern route exhaustive with the compatibility engine, and the runtime can
 * match with a plain predicate compiled from the GraphDef.
 *
 * Literals, object and tuple patterns describe themselves. ts-pattern's own matchers (`P.string`,
 * `P.number.gte(5)`, ...) are closures, so a pattern made with them cannot be read back; the `P`
 * exported here builds the very same ts-pattern matchers and remembers what each one means.
 * Values are matched as JSON: an absent field and a field set to `undefined` are the same (absent).
 */

/** What a pattern matches: its JSON Schema, and whether it also matches an absent field. */
interface Desc {
  readonly schema: JsonSchema;
  /** Also matches when the field is absent (`P.optional`, `P.nullish`, `undefined`). */
  readonly optional: boolean;
}

const MATCHER = Symbol.for("@ts-pattern/matcher");
const VARIADIC = Symbol.for("@ts-pattern/isVariadic");

/** Describers of the matchers this module made (and of ts-pattern's own singletons). */
const described = new WeakMap<object, () => Desc>();
/** The element pattern of a variadic `...P.array(x)` marker. */
const variadics = new WeakMap<object, () => Desc>();

const opaque = (reason: string): Desc => ({ schema: { [OPAQUE_KEYWORD]: reason }, optional: false });
const exact = (schema: JsonSchema): Desc => ({ schema, optional: false });

/** Conjunction, merged into one schema when the keywords do not collide. */
function both(a: JsonSchema, b: JsonSchema): JsonSchema {
  if (a === true) return b;
  if (b === true) return a;
  if (a === false || b === false) return false;
  const collide = Object.keys(b).some((k) => k in a && JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  return collide ? { allOf: [a, b] } : { ...a, ...b };
}

function anyOf(descs: readonly Desc[]): Desc {
  const schemas = descs.map((d) => d.schema).filter((s) => s !== false);
  const schema: JsonSchema = schemas.some((s) => s === true) ? true : schemas.length === 0 ? false : schemas.length === 1 ? (schemas[0] as JsonSchema) : { anyOf: schemas };
  return { schema, optional: descs.some((d) => d.optional) };
}

/** Describes any pattern (a literal, an object or tuple pattern, or a matcher). */
function describe(pattern: unknown): Desc {
  if (pattern === null) return exact({ type: "null" });
  switch (typeof pattern) {
    case "string":
    case "boolean":
      return exact({ const: pattern });
    case "number":
      return Number.isFinite(pattern) ? exact({ const: pattern }) : exact(false);
    case "undefined":
      return { schema: false, optional: true };
    case "bigint":
    case "symbol":
      return exact(false);
    case "function":
      return opaque("a function is not a pattern");
    default:
      break;
  }
  const object = pattern as Record<PropertyKey, unknown>;
  if (object[MATCHER] !== undefined) {
    const d = described.get(object);
    return d !== undefined ? d() : opaque("a ts-pattern matcher that Blockwork cannot read (P.when, P.instanceOf, a guard function, or a matcher chained from ts-pattern's own P: use P from @blockwork/spec)");
  }
  if (Array.isArray(pattern)) return tuple(pattern);
  if (Object.getOwnPropertySymbols(object).length > 0) return opaque("an object pattern with symbol keys");
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [key, value] of Object.entries(object)) {
    const d = describe(value);
    properties[key] = d.schema;
    if (!d.optional) required.push(key);
  }
  return exact({ type: "object", properties, ...(required.length ? { required } : {}) });
}

function tuple(items: readonly unknown[]): Desc {
  const at = items.findIndex((p) => typeof p === "object" && p !== null && variadics.has(p));
  const fixed = at < 0 ? items : items.slice(0, at);
  if (at >= 0 && at !== items.length - 1) return opaque("a tuple pattern with items after a variadic ...P.array(...) (JSON Schema addresses items from the start only)");
  const prefixItems = fixed.map((p) => describe(p).schema);
  const rest = at < 0 ? false : (variadics.get(items[at] as object) as () => Desc)().schema;
  return exact({ type: "array", ...(prefixItems.length ? { prefixItems } : {}), items: rest, ...(fixed.length ? { minItems: fixed.length } : {}) });
}

/** The JSON Schema of a route case's pattern, or why it has none (the schema is then opaque). */
export function patternSchema(pattern: unknown): JsonSchema {
  return describe(pattern).schema;
}

/** Whether a pattern schema could be read (no part of it is opaque). */
export function isSerialisable(schema: JsonSchema): boolean {
  return !JSON.stringify(schema).includes(`"${OPAQUE_KEYWORD}"`);
}

// --- building described matchers on top of ts-pattern's own ---------------------------------

type Fn = (...args: never[]) => unknown;
type Chain = Record<string, Fn>;

/** A described copy of a ts-pattern matcher: the same matcher protocol, its chain methods described. */
function wrap(matcher: object, describer: () => Desc, kind: "plain" | "string" | "number" | "array" = "plain"): object {
  const x = Object.create(matcher) as Record<PropertyKey, unknown>;
  const m = matcher as Chain;
  described.set(x, describer);
  const chain = (name: string, next: (...args: never[]) => () => Desc, k: typeof kind = kind) => {
    if (typeof m[name] === "function") x[name] = (...args: never[]) => wrap((m[name] as Fn)(...args) as object, next(...args), k);
  };
  const d = describer;
  chain("optional", () => () => ({ ...d(), optional: true }), kind === "array" ? "array" : "plain");
  chain("and", ((p: unknown) => () => exact(both(d().schema, describe(p).schema))) as never, "plain");
  chain("or", ((p: unknown) => () => anyOf([d(), describe(p)])) as never, "plain");
  chain("select", () => d);
  if (kind === "string") {
    const str = (extra: JsonSchema) => () => exact(both(d().schema, extra));
    chain("startsWith", ((s: string) => str({ pattern: `^${escape(s)}` })) as never);
    chain("endsWith", ((s: string) => str({ pattern: `${escape(s)}$` })) as never);
    chain("includes", ((s: string) => str({ pattern: escape(s) })) as never);
    chain("minLength", ((n: number) => str({ minLength: n })) as never);
    chain("maxLength", ((n: number) => str({ maxLength: n })) as never);
    chain("length", ((n: number) => str({ minLength: n, maxLength: n })) as never);
    chain("regex", ((r: string | RegExp) => {
      if (typeof r === "string") return str({ pattern: r });
      if (r.flags.replace("u", "") !== "") return () => opaque(`the regular expression ${String(r)} has flags that JSON Schema patterns cannot express`);
      return str({ pattern: r.source });
    }) as never);
  }
  if (kind === "number") {
    const num = (extra: JsonSchema) => () => exact(both(d().schema, extra));
    chain("between", ((a: number, b: number) => num({ minimum: a, maximum: b })) as never);
    chain("lt", ((n: number) => num({ exclusiveMaximum: n })) as never);
    chain("gt", ((n: number) => num({ exclusiveMinimum: n })) as never);
    chain("lte", ((n: number) => num({ maximum: n })) as never);
    chain("gte", ((n: number) => num({ minimum: n })) as never);
    chain("int", () => num({ type: "integer" }));
    // JSON has no infinities: every number a block outputs is finite.
    chain("finite", () => num({}));
    chain("positive", () => num({ exclusiveMinimum: 0 }));
    chain("negative", () => num({ exclusiveMaximum: 0 }));
  }
  if (kind === "array") {
    x[Symbol.iterator] = function* () {
      const marker = Object.create(matcher) as Record<PropertyKey, unknown>;
      marker[VARIADIC] = true;
      const items = itemOf.get(x);
      variadics.set(marker, items ?? (() => exact(true)));
      yield marker;
    };
  }
  return x;
}

/** For `P.array(x)`: the describer of `x`, for its variadic form `...P.array(x)`. */
const itemOf = new WeakMap<object, () => Desc>();

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function registerSingletons(): void {
  const singletons: [unknown, Desc][] = [
    [TsP.any, exact(true)],
    [TsP._, exact(true)],
    [TsP.unknown, exact(true)],
    [TsP.string, exact({ type: "string" })],
    [TsP.number, exact({ type: "number" })],
    [TsP.boolean, exact({ type: "boolean" })],
    [TsP.nullish, { schema: { type: "null" }, optional: true }],
    [TsP.nonNullable, exact({ not: { type: "null" } })],
    [TsP.bigint, exact(false)],
    [TsP.symbol, exact(false)],
  ];
  for (const [matcher, desc] of singletons) if (!described.has(matcher as object)) described.set(matcher as object, () => desc);
}
registerSingletons();

const array = (...args: unknown[]) => {
  const item = args.length === 0 ? () => exact(true) : () => describe(args[0]);
  const x = wrap((TsP.array as Fn)(...(args as never[])) as object, () => exact({ type: "array", items: item().schema }), "array");
  itemOf.set(x, item);
  return x;
};

/**
 * ts-pattern's `P`, with the same API and types, whose patterns the checker can read: use it for
 * the patterns of `.match()` routes. Everything it builds is an ordinary ts-pattern pattern, usable
 * with ts-pattern's `match` and `isMatching` too.
 *
 * @example
 * import { P } from "@blockwork/spec";
 * graph.match("classify", (m) => m
 *   .with({ kind: "refund", amount: P.number.gte(100) }, () => "review")
 *   .with({ kind: P.union("refund", "question") }, () => "answer")
 *   .exhaustive());
 */
export const P: typeof TsP = Object.freeze({
  ...TsP,
  any: wrap(TsP.any, () => exact(true)),
  _: wrap(TsP._, () => exact(true)),
  unknown: wrap(TsP.unknown, () => exact(true)),
  string: wrap(TsP.string, () => exact({ type: "string" }), "string"),
  number: wrap(TsP.number, () => exact({ type: "number" }), "number"),
  boolean: wrap(TsP.boolean, () => exact({ type: "boolean" })),
  nullish: wrap(TsP.nullish, () => ({ schema: { type: "null" }, optional: true })),
  nonNullable: wrap(TsP.nonNullable, () => exact({ not: { type: "null" } })),
  bigint: wrap(TsP.bigint, () => exact(false)),
  symbol: wrap(TsP.symbol, () => exact(false)),
  optional: (p: unknown) => wrap((TsP.optional as Fn)(p as never) as object, () => ({ ...describe(p), optional: true })),
  array,
  union: (...ps: unknown[]) => wrap((TsP.union as Fn)(...(ps as never[])) as object, () => anyOf(ps.map(describe))),
  intersection: (...ps: unknown[]) =>
    wrap((TsP.intersection as Fn)(...(ps as never[])) as object, () => {
      const ds = ps.map(describe);
      return { schema: ds.reduce<JsonSchema>((s, d) => both(s, d.schema), true), optional: ds.every((d) => d.optional) };
    }),
  not: (p: unknown) => wrap((TsP.not as Fn)(p as never) as object, () => exact({ not: describe(p).schema })),
  select: (...args: unknown[]) => {
    const inner = args.find((a) => typeof a !== "string");
    return wrap((TsP.select as Fn)(...(args as never[])) as object, () => (inner === undefined ? exact(true) : describe(inner)));
  },
  shape: (p: unknown) => wrap((TsP.shape as Fn)(p as never) as object, () => describe(p)),
  record: (...args: unknown[]) => {
    const [key, value] = args.length === 1 ? [TsP.string, args[0]] : args;
    return wrap((TsP.record as Fn)(...(args as never[])) as object, () => exact({ type: "object", propertyNames: describe(key).schema, additionalProperties: describe(value).schema }));
  },
  when: (predicate: unknown) => {
    const m = (TsP.when as Fn)(predicate as never) as object;
    described.set(m, () => opaque("P.when(...) is a function, which JSON Schema cannot describe"));
    return m;
  },
  instanceOf: (type: unknown) => {
    const m = (TsP.instanceOf as Fn)(type as never) as object;
    described.set(m, () => opaque("P.instanceOf(...) tests a class, which JSON values do not have"));
    return m;
  },
  set: (...args: unknown[]) => wrap((TsP.set as Fn)(...(args as never[])) as object, () => exact(false)),
  map: (...args: unknown[]) => wrap((TsP.map as Fn)(...(args as never[])) as object, () => exact(false)),
}) as unknown as typeof TsP;
