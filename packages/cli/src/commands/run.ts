import { readFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { isRunError, type JournalEntry, run, SqliteStore, type Store } from "@blockwork/core";
import type { GraphBlock } from "@blockwork/spec";
import { CliError, type Io } from "../io.js";
import { loadFile } from "../load.js";
import { createProgress } from "../progress.js";
import { openStore } from "../stores.js";

export interface RunCommandOptions {
  readonly exportName?: string;
  /** JSON text, or `@file.json`. */
  readonly input?: string;
  readonly store?: string;
  readonly quiet: boolean;
  readonly summary: boolean;
}

/** `blockwork run <file>`: runs a graph on a store, with live progress, and prints its output. */
export async function runRun(file: string, options: RunCommandOptions, io: Io): Promise<number> {
  const { graph, exportName, module } = await loadGraph(file, options.exportName, io);
  const input = await readInput(options.input, io);
  const store = openStore(options.store, io.cwd);
  try {
    const progress = createProgress(io, { quiet: options.quiet });
    let handle;
    try {
      handle = run(graph, input as never, { store, onEvent: progress.onEvent, source: { module, ...(exportName ? { exportName } : {}) } });
    } catch (error) {
      progress.stop();
      if (isRunError(error)) throw new CliError(`cannot run ${relative(io.cwd, module)}: ${error.message}`);
      throw error;
    }
    return await finish(handle.id, handle.result, { store, io, summary: options.summary, stop: progress.stop });
  } finally {
    await store.close();
  }
}

/** Prints a run's outcome (and journal summary) and returns the exit code. */
export async function finish(
  runId: string,
  result: Promise<unknown>,
  o: { store: Store; io: Io; summary: boolean; stop: () => void },
): Promise<number> {
  try {
    const output = await result;
    o.stop();
    o.io.out(`${JSON.stringify(output, null, 2)}\n`);
    if (o.summary) o.io.err(await journalSummary(o.store, runId, o.io.cwd));
    return 0;
  } catch (error) {
    o.stop();
    if (!isRunError(error)) throw error;
    o.io.err(`blockwork: run ${runId} failed${error.path ? ` at block ${error.path}` : ""} (${error.code}): ${error.info.message}\n`);
    if (o.summary) o.io.err(await journalSummary(o.store, runId, o.io.cwd));
    return 1;
  }
}

/** A few lines about what the journal holds for a run. */
export async function journalSummary(store: Store, runId: string, cwd: string): Promise<string> {
  const [record, journal] = await Promise.all([store.getRun(runId), store.journal(runId)]);
  const count = (kind: JournalEntry["kind"]) => journal.filter((e) => e.kind === kind).length;
  const bytes = journal.reduce((sum, e) => sum + JSON.stringify(e).length, 0);
  const duration = record ? `${record.updatedAt - record.createdAt} ms` : "?";
  const file = store instanceof SqliteStore ? relative(cwd, store.file) : undefined;
  return [
    `run ${runId}: ${record?.status ?? "unknown"} in ${duration}, graph ${record?.graphId} version ${record?.version}`,
    `journal: ${journal.length} entries (${count("block.completed")} blocks completed, ${count("attempt.failed")} retried attempts, ${count("block.failed")} typed failures routed, ${count("item.failed")} map items failed), ${bytes} bytes`,
    file === undefined ? "store: memory (gone when the process ends)" : `store: ${file} — the timeline: blockwork runs show ${runId} --store ${file}`,
    "",
  ].join("\n");
}

/** Loads the one graph a run command is about. */
export async function loadGraph(file: string, exportName: string | undefined, io: Io): Promise<{ graph: GraphBlock; exportName?: string; module: string }> {
  const module = resolve(io.cwd, file);
  if (module.endsWith(".json")) {
    throw new CliError(`${file} is a GraphDef without implementations; run the TypeScript or JavaScript module that builds the graph instead.`);
  }
  const loaded = await loadFile(module, io.cwd);
  const problem = loaded.problems.find((p) => exportName === undefined || p.exportName === exportName);
  const graphs = loaded.graphs.filter((g) => g.graph !== undefined && (exportName === undefined || g.exportName === exportName));
  if (graphs.length === 0) {
    if (problem) throw new CliError(`cannot load a graph from ${file}: ${problem.problems.map((p) => p.message).join("; ")}`);
    throw new CliError(`${file} exports no built graph${exportName ? ` named ${exportName}` : ""} (exports with graphs: ${loaded.graphs.map((g) => g.exportName).join(", ") || "none"}).`);
  }
  if (graphs.length > 1) throw new CliError(`${file} exports ${graphs.length} graphs (${graphs.map((g) => g.exportName).join(", ")}); choose one with --export NAME.`);
  const found = graphs[0] as { graph: GraphBlock; exportName?: string };
  return { graph: found.graph, ...(found.exportName ? { exportName: found.exportName } : {}), module };
}

async function readInput(spec: string | undefined, io: Io): Promise<unknown> {
  if (spec === undefined) return {};
  let text = spec;
  if (spec.startsWith("@")) {
    const file = spec.slice(1);
    text = await readFile(resolve(io.cwd, file), "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read the input file ${file}: ${error.code === "ENOENT" ? "no such file" : error.message}.`);
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`--input is not valid JSON (${error instanceof Error ? error.message : String(error)}). Pass JSON text or @file.json.`);
  }
}
