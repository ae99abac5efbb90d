import { z } from "zod";
import type { BudgetDef, ContractDef, JsonSchema } from "../def/graph-def.js";
import { BLOB_KEYWORD, blobJsonSchema } from "./blob.js";
import { declarationCovers, declaredFragment, FINGERPRINT_KEYWORD, lostConstraint } from "./refinements.js";

/** Any zod schema. Contracts are written in zod; the GraphDef holds their JSON Schema. */
export type AnySchema = z.ZodType;

/** Marks a type slot that was not provided (a contract without `error`, a builder without a last block). */
export interface Unset {
  readonly "~unset": true;
}

/** Budgets as users write them: the same fields as the plain-data {@link BudgetDef}. */
export type Budget = BudgetDef;

/** The schemas of a contract, as zod. `error` and `resume` are {@link Unset} when not declared. */
export interface ContractTypes {
  readonly input: AnySchema;
  readonly output: AnySchema;
  readonly error: AnySchema | Unset;
  readonly resume: AnySchema | Unset;
}

/** A contract: zod schemas for input and output, optional typed `error` and `resume`, and budgets. */
export interface Contract<T extends ContractTypes = ContractTypes> {
  readonly input: T["input"];
  readonly output: T["output"];
  readonly error: T["error"] extends AnySchema ? T["error"] : undefined;
  readonly resume: T["resume"] extends AnySchema ? T["resume"] : undefined;
  readonly budget?: Budget;
}

/** The value a block is given: its input schema's output type (after parsing and defaults). */
export type InputValue<T extends ContractTypes> = z.output<T["input"]>;
/** The value a caller must supply: the input schema's input type (before parsing and defaults). */
export type InputArg<T extends ContractTypes> = z.input<T["input"]>;
/** The value a block produces, as successors see it. */
export type OutputValue<T extends ContractTypes> = z.output<T["output"]>;
/** The typed error a block may fail with (`never` when its contract declares none). */
export type ErrorValue<T extends ContractTypes> = T["error"] extends AnySchema ? z.output<T["error"]> : never;
/** The data a suspended block is resumed with (`never` when its contract declares none). */
export type ResumeValue<T extends ContractTypes> = T["resume"] extends AnySchema ? z.output<T["resume"]> : never;

/**
 * zod types that JSON Schema cannot describe. Their JSON Schema is marked opaque, with the reason as
 * the marker's value, so that the compatibility engine answers `unknown` (and says why) instead of
 * treating them as "any value".
 */
const OPAQUE_ZOD_TYPES: Readonly<Record<string, string>> = {
  transform: "the output of a zod transform has no JSON Schema",
  date: "a zod date is not a JSON value",
  bigint: "a zod bigint is not a JSON value",
  custom: "a zod custom schema has no JSON Schema",
  symbol: "a zod symbol is not a JSON value",
  map: "a zod map is not a JSON value",
  set: "a zod set is not a JSON value",
  nan: "NaN is not a JSON value",
  function: "a zod function is not a JSON value",
  promise: "a zod promise is not a JSON value",
  file: "a zod file is not a JSON value",
  undefined: "undefined is not a JSON value",
  void: "void is not a JSON value",
};

/** The keyword that marks a JSON Schema as standing for a type it cannot describe. */
export const OPAQUE_KEYWORD = "x-blockwork-opaque";

/**
 * Marks, in input-mode JSON Schema, a place where the parsed value differs from the value given
 * (a zod transform or codec): what a caller passes is described, what a reader gets is not.
 */
export const PARSED_DIFFERS_KEYWORD = "x-blockwork-parsed-differs";

interface ZodInternals {
  _zod: {
    def: { type: string; transform?: unknown; out?: ZodInternals; checks?: { _zod: { def: { pattern?: unknown } } }[] };
  };
}

/**
 * Converts a zod schema to JSON Schema with zod's own converter.
 *
 * Inputs are converted in `input` mode (what a caller may pass) and outputs in `output` mode (what
 * a reader receives). The `$schema` key is dropped: every schema in a GraphDef is draft 2020-12.
 */
export function toJsonSchema(schema: AnySchema, io: "input" | "output"): JsonSchema {
  let json: Record<string, unknown>;
  try {
    json = z.toJSONSchema(schema, {
      io,
      target: "draft-2020-12",
      unrepresentable: "any",
      override: (ctx) => {
        const def = (ctx.zodSchema as unknown as ZodInternals)._zod.def;
        const out = ctx.jsonSchema as Record<string, unknown>;
        const declared = declaredFragment(out, io);
        const loss = lostConstraint(ctx.zodSchema, io);
        const opaque = OPAQUE_ZOD_TYPES[def.type] ?? flaggedRegex(def) ?? loss?.reason;
        if (declared.length > 0) {
          const allOf = (out["allOf"] as unknown[] | undefined) ?? [];
          // A schema derived from a declared one inherits its meta: declare each fragment once.
          out["allOf"] = [...allOf, ...declared.filter((f) => !allOf.some((g) => JSON.stringify(g) === JSON.stringify(f)))];
          if (declarationCovers(ctx.zodSchema)) {
            // The author declared what this schema's own construct means (and what it was derived from).
            delete out[OPAQUE_KEYWORD];
            delete out[FINGERPRINT_KEYWORD];
          } else if (opaque !== undefined) markOpaque(out, opaque, loss?.fingerprint);
        } else if (opaque !== undefined) markOpaque(out, opaque, loss?.fingerprint);
        if (out[BLOB_KEYWORD] !== undefined) blobJsonSchema(out);
        if (io === "input" && def.type === "pipe" && (def.transform !== undefined || def.out?._zod.def.type === "transform")) {
          out[PARSED_DIFFERS_KEYWORD] = true;
        }
      },
    }) as Record<string, unknown>;
  } catch (error) {
    // The converter gave up (a z.lazy getter that throws, say): say so rather than fail the build.
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return { [OPAQUE_KEYWORD]: `zod could not convert this schema to JSON Schema (${why})` };
  }
  // zod puts a non-enumerable `~standard` on the root that holds the zod schema (and through its
  // refinements' closures, whatever they captured): a copy of the plain JSON keeps none of it, so
  // a JSON Schema kept somewhere (a model's request, a GraphDef) does not keep its zod schema alive.
  const plain: Record<string, unknown> = { ...json };
  delete plain["$schema"];
  markUnguardedRefs(plain);
  return plain;
}

function markOpaque(json: Record<string, unknown>, reason: string, fingerprint: string | undefined): void {
  json[OPAQUE_KEYWORD] = reason;
  if (fingerprint !== undefined) json[FINGERPRINT_KEYWORD] = fingerprint;
}

const APPLICATORS = ["allOf", "anyOf", "oneOf"] as const;

/**
 * zod converts a z.lazy that reaches itself without an object or array in between (`z.lazy(() =>
 * self)`, `z.lazy(() => z.union([z.string(), self]))`) to a `$ref` loop that validates nothing: such
 * a place is marked opaque, so the engine does not read the loop as a constraint.
 */
function markUnguardedRefs(root: Record<string, unknown>): void {
  const resolve = (ref: string): unknown => {
    if (ref === "#") return root;
    const m = /^#\/\$defs\/([^/]+)$/.exec(ref);
    return m ? (root["$defs"] as Record<string, unknown> | undefined)?.[decodeURIComponent(m[1] as string)] : undefined;
  };
  const loops = (node: unknown, path: Set<unknown>): boolean => {
    if (typeof node !== "object" || node === null) return false;
    if (path.has(node)) return true;
    path.add(node);
    const o = node as Record<string, unknown>;
    const next: unknown[] = [];
    if (typeof o["$ref"] === "string") next.push(resolve(o["$ref"]));
    for (const k of APPLICATORS) if (Array.isArray(o[k])) next.push(...(o[k] as unknown[]));
    const found = next.some((n) => loops(n, path));
    path.delete(node);
    return found;
  };
  const visit = (node: unknown, seen: Set<unknown>): void => {
    if (typeof node !== "object" || node === null || seen.has(node)) return;
    seen.add(node);
    const o = node as Record<string, unknown>;
    if (typeof o["$ref"] === "string" && loops(o, new Set())) {
      o[OPAQUE_KEYWORD] = "a z.lazy schema that refers to itself without an object or array in between has no JSON Schema";
    }
    for (const v of Object.values(o)) if (typeof v === "object") visit(v, seen);
  };
  visit(root, new Set());
}

/**
 * zod writes `z.string().regex(/a/i)` as `"pattern": "a"`, dropping the flags, which would
 * misdescribe the strings: such a string schema is opaque instead.
 */
function flaggedRegex(def: ZodInternals["_zod"]["def"]): string | undefined {
  if (def.type !== "string") return undefined;
  for (const check of def.checks ?? []) {
    const pattern = check._zod.def.pattern;
    if (pattern instanceof RegExp && pattern.flags.replace("u", "") !== "") {
      return `the regular expression ${String(pattern)} has flags that JSON Schema patterns cannot express`;
    }
  }
  return undefined;
}

const converted = new WeakMap<Contract, ContractDef>();

/**
 * The plain-data form of a contract, as stored in a GraphDef. Cached per contract, so a block used
 * twice shares one set of schema objects (the checker compares identical schemas for free).
 */
export function contractToDef(contract: Contract): ContractDef {
  let def = converted.get(contract);
  if (def === undefined) {
    def = convertContract(contract);
    converted.set(contract, def);
  }
  return def;
}

function convertContract(contract: Contract): ContractDef {
  const def: {
    input: JsonSchema;
    output: JsonSchema;
    error?: JsonSchema;
    resume?: JsonSchema;
    budget?: BudgetDef;
  } = {
    input: toJsonSchema(contract.input, "input"),
    output: toJsonSchema(contract.output, "output"),
  };
  if (contract.error) def.error = toJsonSchema(contract.error, "output");
  if (contract.resume) def.resume = toJsonSchema(contract.resume, "input");
  if (contract.budget) def.budget = { ...contract.budget };
  return def;
}
