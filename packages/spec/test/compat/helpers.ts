/**
 * Assertions shared by the compat tests. Every `no` counterexample is re-checked with ajv in the
 * schema's dialect, so a test cannot pass on a counterexample only this engine believes.
 */
import Ajv from "ajv";
import Ajv2019 from "ajv/dist/2019.js";
import Ajv2020 from "ajv/dist/2020.js";
import AjvDraft04 from "ajv-draft-04";
import { expect } from "vitest";
import type { JsonSchema, JsonValue } from "../../src/def/graph-def.js";
import { compat, type CompatOptions, type CompatResult, type Draft } from "../../src/compat/index.js";

const options = { strict: false, validateFormats: false } as const;
type Validator = { validate(schema: object | boolean, value: unknown): boolean | Promise<unknown> };
// ajv registers every $id it compiles, so each call gets a fresh instance.
const validators: Record<Draft, () => Validator> = {
  "draft-04": () => new AjvDraft04.default(options),
  "draft-06": () => new Ajv.default(options),
  "draft-07": () => new Ajv.default(options),
  "draft-2019-09": () => new Ajv2019.default(options),
  "draft-2020-12": () => new Ajv2020.default(options),
};

function draftOf(schema: JsonSchema, forced: Draft | undefined): Draft {
  if (forced !== undefined) return forced;
  const uri = typeof schema === "object" ? String(schema["$schema"] ?? "") : "";
  if (uri.includes("draft-04")) return "draft-04";
  if (uri.includes("draft-07")) return "draft-07";
  if (uri.includes("draft-06")) return "draft-06";
  if (uri.includes("2019-09")) return "draft-2019-09";
  return "draft-2020-12";
}

/** ajv's verdict for one value, in the schema's own dialect (or the forced one). */
export function ajvValid(schema: JsonSchema, value: JsonValue, draft?: Draft): boolean {
  const { $schema: _, ...rest } = typeof schema === "object" ? schema : { $schema: undefined };
  const body = typeof schema === "boolean" ? schema : rest;
  return validators[draftOf(schema, draft)]().validate(body as object, value) as boolean;
}

export function expectYes(a: JsonSchema, b: JsonSchema, opts?: CompatOptions): void {
  expect(compat(a, b, opts)).toEqual({ verdict: "yes" });
}

type No = Extract<CompatResult, { verdict: "no" }>;
type Unknown = Extract<CompatResult, { verdict: "unknown" }>;

/** Asserts `no` and that ajv agrees the counterexample (required here) is in A and not in B. */
export function expectNo(a: JsonSchema, b: JsonSchema, opts?: CompatOptions): No {
  const r = compat(a, b, opts);
  expect(r.verdict, JSON.stringify(r)).toBe("no");
  const no = r as No;
  expect(no.counterexample, "a no without a counterexample").toBeDefined();
  const w = no.counterexample as JsonValue;
  expect(ajvValid(a, w, opts?.draft), `counterexample ${JSON.stringify(w)} must be valid under A`).toBe(true);
  expect(ajvValid(b, w, opts?.draft), `counterexample ${JSON.stringify(w)} must be invalid under B`).toBe(false);
  return no;
}

export function expectUnknown(a: JsonSchema, b: JsonSchema, opts?: CompatOptions): Unknown {
  const r = compat(a, b, opts);
  expect(r.verdict, JSON.stringify(r)).toBe("unknown");
  return r as Unknown;
}
