import { z } from "zod";
import type { BudgetDef, ContractDef, JsonSchema } from "../def/graph-def.js";
import { BLOB_KEYWORD, blobJsonSchema } from "./blob.js";

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
  const json = z.toJSONSchema(schema, {
    io,
    target: "draft-2020-12",
    unrepresentable: "any",
    override: (ctx) => {
      const def = (ctx.zodSchema as unknown as ZodInternals)._zod.def;
      const opaque = OPAQUE_ZOD_TYPES[def.type] ?? flaggedRegex(def);
      if (opaque !== undefined) ctx.jsonSchema[OPAQUE_KEYWORD] = opaque;
      if (ctx.jsonSchema[BLOB_KEYWORD] !== undefined) blobJsonSchema(ctx.jsonSchema);
      if (io === "input" && def.type === "pipe" && (def.transform !== undefined || def.out?._zod.def.type === "transform")) {
        ctx.jsonSchema[PARSED_DIFFERS_KEYWORD] = true;
      }
    },
  }) as Record<string, unknown>;
  delete json["$schema"];
  return json;
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
