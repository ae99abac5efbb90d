import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { type CoordinatorAttempt, type CoordinatorResult, coordinate, type CoordinatorTask, type Model, modelFromEnv } from "@blockwork/nodes";
import {
  type Catalogue,
  catalogueOf,
  declaredInfo,
  defineCatalogue,
  formatIssues,
  formatPatchProblems,
  type GraphBlock,
  type GraphDef,
  isBlock,
  isCatalogue,
  mergeCatalogues,
} from "@blockwork/spec";
import { CliError, type Io, useColor } from "../io.js";
import { importModule, loadOneGraph } from "../load.js";
import type { Target } from "./implement.js";

export interface CoordinateCommandOptions {
  readonly goal?: string;
  /** A failure report `{ path, error }`: JSON text or `@file.json`. */
  readonly failure?: string;
  readonly catalogue?: string;
  readonly exportName?: string;
  readonly out?: string;
  readonly mermaid?: string;
  /** A JSON file of scripted replies: the patches come from it, not from a model. */
  readonly script?: string;
  readonly attempts: number;
  readonly contextTokens?: number;
  readonly tokens?: number;
  readonly format: "text" | "json";
  /** After an applied patch, implement the declared blocks it added that have no implementation yet. */
  readonly implement?: boolean;
  /** Scripted replies for those block agents (as `blockwork implement --script`). */
  readonly implementScript?: string;
}

/**
 * `blockwork coordinate <graph> --goal "..."`: asks the coordinator for a patch, prints each
 * attempt (issues, tokens) and the change, and writes the new GraphDef with `--out`.
 */
export async function runCoordinate(file: string, options: CoordinateCommandOptions, io: Io): Promise<number> {
  const task = await taskOf(options, io);
  const { def, graph, shown } = await loadOne(file, options.exportName, io);
  const catalogue = await catalogueFor(graph, options.catalogue, io);
  const { model, scripted } = await modelFor(options.script, io);
  const json = options.format === "json";

  io.err(`Coordinating graph "${def.id}" (${shown}): ${"goal" in task ? task.goal : `failure at ${task.failure.path}: ${task.failure.error.message}`}\n`);
  io.err(`Catalogue: ${catalogue ? `${catalogue.entries.length} blocks (${catalogue.entries.map((e) => e.id).join(", ")})` : "none (only rewiring is possible)"}.\n`);
  io.err(scripted ? `Model: none. The patches come from the script ${scripted}, not from a model.\n` : `Model: ${model.id}.\n`);

  const result = await coordinate({
    graph: def,
    ...(catalogue ? { catalogue } : {}),
    task,
    model,
    budget: { attempts: options.attempts, ...(options.contextTokens ? { contextTokens: options.contextTokens } : {}), ...(options.tokens ? { tokens: options.tokens } : {}) },
    onAttempt: (attempt) => io.err(describeAttempt(attempt, options.attempts, useColor(io))),
  });

  const written: string[] = [];
  if (result.status === "applied") {
    if (options.out) written.push(await write(options.out, `${JSON.stringify(result.def, null, 2)}\n`, io, "the new GraphDef"));
    if (options.mermaid) written.push(await write(options.mermaid, `${result.mermaid}\n`, io, "the Mermaid view"));
  }
  if (json) io.out(`${JSON.stringify(jsonOf(result, scripted), null, 2)}\n`);
  else io.out(describeResult(result, { scripted, written, out: options.out }));
  if (result.status !== "applied") return 1;
  if (options.implement) return implementAdded(def, result.def, catalogue, options, io);
  return 0;
}

/**
 * `--implement`: the declared blocks (declareBlock) the applied patch added whose implementation
 * module does not exist yet are written by their block agents, as `blockwork implement` does.
 */
async function implementAdded(before: GraphDef, after: GraphDef, catalogue: Catalogue | undefined, options: CoordinateCommandOptions, io: Io): Promise<number> {
  const existing = new Set(before.nodes.map((n) => n.id));
  const targets: Target[] = [];
  for (const node of after.nodes) {
    if (existing.has(node.id) || node.kind !== "code" || node.declared === undefined) continue;
    const block = catalogue?.implementations.get(node.block);
    const info = block ? declaredInfo(block) : undefined;
    if (!block || !info || info.inline !== undefined || info.file === undefined || !info.file.startsWith("file:")) continue;
    const file = fileURLToPath(info.file);
    if (existsSync(file)) continue;
    targets.push({ entry: { path: node.id, name: node.block, block, info, file, implemented: false } });
  }
  if (targets.length === 0) {
    io.err("--implement: the patch added no declared block without an implementation.\n");
    return 0;
  }
  const { implementTargets } = await import("./implement.js");
  const results = await implementTargets(targets, { attempts: options.attempts, runs: 100, format: options.format, ...(options.implementScript ? { script: options.implementScript } : {}) }, io);
  return results.every((r) => r.status === "accepted") ? 0 : 1;
}

async function taskOf(options: CoordinateCommandOptions, io: Io): Promise<CoordinatorTask> {
  if ((options.goal === undefined) === (options.failure === undefined)) throw new CliError('coordinate needs a --goal "..." or a --failure report (one of them).');
  if (options.goal !== undefined) {
    if (options.goal.trim() === "") throw new CliError("--goal is empty; say what the change should achieve.");
    return { goal: options.goal };
  }
  const failure = await readJson(options.failure as string, io, "--failure");
  const f = failure as { path?: unknown; error?: { code?: unknown; message?: unknown } } | null;
  if (typeof f?.path !== "string" || typeof f.error?.code !== "string" || typeof f.error.message !== "string") {
    throw new CliError('--failure must be {"path": "<block path>", "error": {"code": "...", "message": "..."}} (a run failure as `blockwork runs show --json` prints it).');
  }
  return { failure: f as never };
}

/** The one graph the command is about, with its built form when the file is a module. */
async function loadOne(file: string, exportName: string | undefined, io: Io): Promise<{ def: GraphDef; graph?: GraphBlock; shown: string }> {
  const { def, graph, shown } = await loadOneGraph(file, io.cwd, { exportName });
  return { def, ...(graph ? { graph } : {}), shown };
}

/** The catalogue module's catalogue (or array of blocks), with the graph's own blocks after it. */
async function catalogueFor(graph: GraphBlock | undefined, module: string | undefined, io: Io): Promise<Catalogue | undefined> {
  const own = graph ? catalogueOf(graph) : undefined;
  if (module === undefined) return own;
  const full = resolve(io.cwd, module);
  let namespace: Record<string, unknown>;
  try {
    namespace = await importModule(full);
  } catch (error) {
    throw new CliError(`Cannot load the catalogue module ${module}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const found = pickCatalogue(namespace, module);
  return own ? mergeCatalogues(found, own) : found;
}

function pickCatalogue(namespace: Record<string, unknown>, module: string): Catalogue {
  const asCatalogue = (value: unknown): Catalogue | undefined =>
    isCatalogue(value) ? value : Array.isArray(value) && value.length > 0 && value.every(isBlock) ? defineCatalogue(value) : undefined;
  for (const name of ["default", "catalogue"]) {
    const found = asCatalogue(namespace[name]);
    if (found) return found;
  }
  const all = Object.entries(namespace).flatMap(([name, value]) => (asCatalogue(value) ? [name] : []));
  if (all.length === 1) return asCatalogue(namespace[all[0] as string]) as Catalogue;
  if (all.length > 1) throw new CliError(`${module} exports ${all.length} catalogues (${all.join(", ")}); export the one to use as "catalogue" or as the default export.`);
  throw new CliError(`${module} exports no catalogue. Export one: export const catalogue = defineCatalogue([blockA, blockB]) (or an array of blocks).`);
}

async function modelFor(script: string | undefined, io: Io): Promise<{ model: Model; scripted?: string }> {
  if (script !== undefined) {
    const replies = await readJson(`@${script}`, io, "--script");
    if (!Array.isArray(replies) || replies.length === 0) {
      throw new CliError(`--script ${script} must hold a non-empty JSON array of replies, e.g. [{"json": {"reason": "...", "ops": [...]}}, ...].`);
    }
    // The testing kit is loaded only for a script; it is a public entry point of @blockwork/nodes.
    const { scriptedModel } = await import("@blockwork/nodes/testing");
    return { model: scriptedModel(replies, `script:${script}`), scripted: script };
  }
  try {
    return { model: modelFromEnv(io.env) };
  } catch (error) {
    throw new CliError(`coordinate needs a model. ${error instanceof Error ? error.message : String(error)}\nOr pass --script <file.json> to replay scripted answers (tests and demos).`);
  }
}

async function readJson(spec: string, io: Io, what: string): Promise<unknown> {
  let text = spec;
  if (spec.startsWith("@")) {
    const file = spec.slice(1);
    text = await readFile(resolve(io.cwd, file), "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`Cannot read ${what} file ${file}: ${error.code === "ENOENT" ? "no such file" : error.message}.`);
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${what} is not valid JSON (${error instanceof Error ? error.message : String(error)}).`);
  }
}

async function write(file: string, text: string, io: Io, what: string): Promise<string> {
  await writeFile(resolve(io.cwd, file), text).catch((error: Error) => {
    throw new CliError(`Cannot write ${what} to ${file}: ${error.message}`);
  });
  return file;
}

function describeAttempt(a: CoordinatorAttempt, of: number, color: boolean): string {
  const tokens = `context ${a.context.tokens} tokens${a.context.trimmed.length ? ` (trimmed: ${a.context.trimmed.join("; ")})` : ""}, output ${a.calls.reduce((s, c) => s + c.outputTokens, 0)} tokens${a.calls.length > 1 ? `, ${a.calls.length} calls` : ""}`;
  const head = `attempt ${a.attempt}/${of}: `;
  if (a.outcome === "invalid_answer") return `${head}invalid answer (${tokens})\n    ${a.notes.join("\n    ")}\n`;
  const errors = a.issues.filter((i) => i.severity === "error");
  const warnings = a.issues.length - errors.length;
  const found = [
    a.problems.length ? plural(a.problems.length, "operation problem") : "",
    errors.length ? `${plural(errors.length, "checker error")} (${[...new Set(errors.map((i) => i.code))].join(", ")})` : "",
    warnings ? plural(warnings, "warning") : "",
  ].filter(Boolean);
  const lines = [`${head}${a.outcome} — ${found.length ? found.join(", ") : "no issues"}; ${tokens}`];
  if (a.outcome === "rejected") {
    if (a.problems.length) lines.push(formatPatchProblems(a.problems));
    if (a.issues.length) lines.push(formatIssues(a.issues, { color }));
    for (const note of a.notes) lines.push(`  ${note}`);
  }
  return `${lines.join("\n")}\n`;
}

function describeResult(result: CoordinatorResult, o: { scripted: string | undefined; written: readonly string[]; out: string | undefined }): string {
  const lines: string[] = [];
  if (result.status === "applied") {
    lines.push(result.summary);
    for (const w of result.issues) lines.push(`  (remaining warning ${w.code}: ${w.message})`);
    for (const file of o.written) lines.push(`Wrote ${file}.`);
    if (!o.out) lines.push("(Nothing written: pass --out <file.graph.json> to save the new GraphDef.)");
  } else {
    lines.push(`No change: ${result.message}`);
  }
  lines.push(`Usage: ${plural(result.usage.calls, "model call")}, ${result.usage.tokens} tokens (${result.usage.contextTokens} context, ${result.usage.outputTokens} output).`);
  if (o.scripted) lines.push(`The patches came from the script ${o.scripted}, not from a model.`);
  return `${lines.join("\n")}\n`;
}

function jsonOf(result: CoordinatorResult, scripted: string | undefined) {
  const attempts = result.attempts.map(({ candidate: _candidate, ...a }) => a);
  return { ...result, attempts, ...(scripted ? { scripted } : {}) };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
