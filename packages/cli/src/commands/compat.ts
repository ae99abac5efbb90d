import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { compat, type CompatResult, type Draft, type JsonSchema } from "@blockwork/spec";
import { CliError, type Io } from "../io.js";
import { schemaProblems } from "../schema-check.js";

function problemText(problems: readonly { readonly path: readonly (string | number)[]; readonly message: string }[]): string {
  const where = (path: readonly (string | number)[]) => (path.length > 8 ? [...path.slice(0, 4), `…(${path.length - 6} more)…`, ...path.slice(-2)] : path).join("/");
  return problems.map((p) => `at ${p.path.length > 0 ? `/${where(p.path)}` : "the root"}: ${p.message}`).join("; ");
}

export interface CompatCommandOptions {
  readonly draft?: Draft;
  readonly format: "text" | "json";
}

/** `blockwork compat <a.json> <b.json>`: is every value of A valid for B? Exit 0 yes, 1 no, 3 unknown. */
export async function runCompat(a: string, b: string, options: CompatCommandOptions, io: Io): Promise<number> {
  const [left, right] = await Promise.all([readSchema(a, io, options.draft), readSchema(b, io, options.draft)]);
  const result = compat(left, right, options.draft ? { draft: options.draft } : {});
  if (options.format === "json") io.out(`${JSON.stringify(result)}\n`);
  else io.out(`${describe(result, a, b)}\n`);
  return result.verdict === "yes" ? 0 : result.verdict === "no" ? 1 : 3;
}

/**
 * `blockwork compat --pairs <file.jsonl>`: one `{"a":…,"b":…}` per line in, one verdict object per
 * line out (same order). A line that is not a pair yields `{"error":…}` and exit code 2 at the end.
 */
export async function runCompatPairs(file: string, options: CompatCommandOptions, io: Io): Promise<number> {
  const text = await readText(file, io);
  let bad = 0;
  const lines = text.split("\n");
  lines.forEach((line, n) => {
    if (line.trim() === "") return;
    const pair = parsePair(line, options.draft);
    if (typeof pair === "string") {
      bad++;
      io.out(`${JSON.stringify({ error: `line ${n + 1}: ${pair}` })}\n`);
      return;
    }
    io.out(`${JSON.stringify(compat(pair.a, pair.b, options.draft ? { draft: options.draft } : {}))}\n`);
  });
  if (bad > 0) io.err(`${bad} line${bad === 1 ? "" : "s"} of ${file} ${bad === 1 ? "is" : "are"} not {"a": <schema>, "b": <schema>} objects.\n`);
  return bad > 0 ? 2 : 0;
}

function parsePair(line: string, draft: Draft | undefined): { a: JsonSchema; b: JsonSchema } | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return `invalid JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  if (typeof value !== "object" || value === null || !("a" in value) || !("b" in value)) return 'expected an object {"a": <schema>, "b": <schema>}';
  const { a, b } = value as { a: unknown; b: unknown };
  if (!isSchema(a) || !isSchema(b)) return '"a" and "b" must be JSON Schemas (objects or booleans)';
  const problems = [...schemaProblems(a, ["a"], draft), ...schemaProblems(b, ["b"], draft)];
  if (problems.length > 0) return `not a valid JSON Schema: ${problemText(problems)}`;
  return { a, b };
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === "boolean" || (typeof value === "object" && value !== null && !Array.isArray(value));
}

async function readText(file: string, io: Io): Promise<string> {
  return readFile(resolve(io.cwd, file), "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`Cannot read ${file}: ${error.code === "ENOENT" ? "no such file or directory" : error.message}.`);
  });
}

async function readSchema(file: string, io: Io, draft: Draft | undefined): Promise<JsonSchema> {
  const text = await readText(file, io);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}.`);
  }
  if (!isSchema(value)) throw new CliError(`${file} is not a JSON Schema: expected an object or a boolean.`);
  const problems = schemaProblems(value, [], draft);
  if (problems.length > 0) throw new CliError(`${file} is not a valid JSON Schema: ${problemText(problems)}.`);
  return value;
}

function describe(result: CompatResult, a: string, b: string): string {
  const where = "path" in result && result.path.length ? ` at ${result.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("")}` : "";
  switch (result.verdict) {
    case "yes":
      return `yes: every value valid for ${a} is valid for ${b}`;
    case "no":
      return `no${where}: ${result.reason}${result.counterexample !== undefined ? `\ncounterexample: ${JSON.stringify(result.counterexample)}` : ""}`;
    case "unknown":
      return `unknown${where}: ${result.reason}`;
  }
}
