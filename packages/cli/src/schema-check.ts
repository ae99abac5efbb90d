/**
 * GraphDef JSON checked at the edge, before any analysis: against the published GraphDef JSON
 * Schema, and every contract schema against the JSON Schema meta-schema of its dialect (ajv). So
 * `{"type":"bogus"}`, `{"type":5}` or `{"minLength":"abc"}` is an error naming its path instead of
 * being read as "no constraint".
 */
import { createRequire } from "node:module";
import { documentProblems, type Draft, type GraphDef, type JsonSchema, type LoadProblem, type ValuePath } from "@blockwork/spec";
import type { ErrorObject } from "ajv";

const require = createRequire(import.meta.url);

interface Validator {
  validateSchema(schema: unknown): boolean | Promise<unknown>;
  errors?: ErrorObject[] | null;
}

let validators: Map<string, Validator> | null = null;
let graphDefValidator: ((value: unknown) => boolean) & { errors?: ErrorObject[] | null } | null = null;

/** ajv instances per dialect, built on first use (ajv is loaded only by commands that read JSON). */
function validatorFor(uri: unknown): Validator | null {
  if (validators === null) {
    const options = { strict: false, allErrors: true, validateFormats: false };
    const Ajv2020 = (require("ajv/dist/2020") as { default: new (o: object) => Validator }).default;
    const Ajv2019 = (require("ajv/dist/2019") as { default: new (o: object) => Validator }).default;
    const Ajv07 = (require("ajv") as { default: new (o: object) => Validator }).default;
    const a2020 = new Ajv2020(options);
    validators = new Map<string, Validator>([["2020-12", a2020], ["2019-09", new Ajv2019(options)], ["draft-07", new Ajv07(options)]]);
  }
  if (uri === undefined) return validators.get("2020-12") ?? null;
  if (typeof uri !== "string") return validators.get("2020-12") ?? null;
  if (uri.includes("2020-12")) return validators.get("2020-12") ?? null;
  if (uri.includes("2019-09")) return validators.get("2019-09") ?? null;
  if (uri.includes("draft-07") || uri.includes("draft-06")) return validators.get("draft-07") ?? null;
  // draft-04 and unknown dialects are not meta-validated here (the engine reads them leniently).
  return null;
}

/** Problems of one JSON Schema against its dialect's meta-schema; paths start at `at`. */
export function schemaProblems(schema: JsonSchema, at: ValuePath = [], draft?: Draft): LoadProblem[] {
  const deep = documentProblems(schema);
  if (deep.length > 0) return deep.map((p) => ({ ...p, path: [...at, ...p.path] }));
  if (typeof schema === "boolean") return [];
  const v = validatorFor(draft ?? schema["$schema"]);
  if (v === null || v.validateSchema(schema) === true) return [];
  return describe(v.errors ?? [], at, "invalid JSON Schema");
}

/** Problems of a GraphDef: its shape against the published schema, then every contract schema. */
export function graphDefProblems(value: unknown): LoadProblem[] {
  const deep = documentProblems(value);
  if (deep.length > 0) return deep;
  if (graphDefValidator === null) {
    const Ajv2020 = (require("ajv/dist/2020") as { default: new (o: object) => { compile(s: unknown): typeof graphDefValidator } }).default;
    const schema = require("@blockwork/spec/graph-def.schema.json") as unknown;
    graphDefValidator = new Ajv2020({ strict: false, allErrors: false, validateFormats: false }).compile(schema);
  }
  const validator = graphDefValidator as NonNullable<typeof graphDefValidator>;
  if (!validator(value)) return describe(validator.errors ?? [], [], "does not match the GraphDef schema");
  const problems: LoadProblem[] = [];
  contracts(value as GraphDef, [], problems);
  return problems;
}

function contracts(def: GraphDef, at: ValuePath, problems: LoadProblem[]): void {
  const contract = (c: Record<string, unknown>, path: ValuePath) => {
    for (const key of ["input", "output", "error", "resume"]) {
      if (c[key] !== undefined) problems.push(...schemaProblems(c[key] as JsonSchema, [...path, "contract", key]));
    }
  };
  contract(def.contract as unknown as Record<string, unknown>, at);
  def.nodes.forEach((node, i) => {
    const path = [...at, "nodes", i];
    contract(node.contract as unknown as Record<string, unknown>, path);
    if (node.kind === "graph") contracts(node.graph, [...path, "graph"], problems);
    if (node.kind === "map") {
      contract(node.item.contract as unknown as Record<string, unknown>, [...path, "item"]);
      if (node.item.kind === "graph") contracts(node.item.graph, [...path, "item", "graph"], problems);
    }
  });
}

/** One problem per failing place (ajv reports an `anyOf` as several errors at one path). */
function describe(errors: readonly ErrorObject[], at: ValuePath, what: string): LoadProblem[] {
  const byPath = new Map<string, ErrorObject>();
  for (const e of errors) if (!byPath.has(e.instancePath)) byPath.set(e.instancePath, e);
  return [...byPath.values()].slice(0, 20).map((e) => {
    const path = [...at, ...pointer(e.instancePath)];
    const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
    const detail = allowed ? `must be one of ${allowed.map((x) => JSON.stringify(x)).join(", ")}${e.instancePath.endsWith("/type") ? " (or an array of them)" : ""}` : (e.message ?? "is invalid");
    const name = path.length > 0 ? String(path[path.length - 1]) : "the value";
    return { path, message: `${what}: "${name}" ${detail}` };
  });
}

function pointer(p: string): ValuePath {
  if (p === "") return [];
  return p.slice(1).split("/").map((s) => {
    const key = s.replace(/~1/g, "/").replace(/~0/g, "~");
    return /^\d+$/.test(key) ? Number(key) : key;
  });
}
