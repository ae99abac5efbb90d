import { readFile, stat } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { isRunError, PostgresStore, run } from "@blockwork/core";
import { type GraphBlock, isGraphDefLike } from "@blockwork/spec";
import { CliError, type Io } from "../io.js";
import { hasDeclaredBlocks } from "../declared.js";
import { importModule, loadOneGraph } from "../load.js";
import { createProgress } from "../progress.js";
import { openStore, withStore } from "../stores.js";
import { submitAndFollow } from "./follow.js";
import { finish } from "./outcome.js";
import { type OtlpExport, startOtlp } from "../otlp.js";

export interface RunCommandOptions {
  readonly exportName?: string;
  /** JSON text, or `@file.json`. */
  readonly input?: string;
  readonly store?: string;
  readonly quiet: boolean;
  readonly summary: boolean;
  /** An OTLP/HTTP collector to export the run's spans to (docs/observability.md). */
  readonly otlp?: string;
}

/** `blockwork run <file>`: runs a graph on a store, with live progress, and prints its output. */
export async function runRun(file: string, options: RunCommandOptions, io: Io): Promise<number> {
  const { graph, exportName, module } = await loadGraph(file, options.exportName, io);
  const input = await readInput(options.input, io);
  const store = openStore(options.store, io.cwd);
  // On PostgreSQL the run goes to the workers: submitted and followed, not executed here.
  if (store instanceof PostgresStore) {
    if (options.otlp !== undefined) {
      await store.close();
      throw new CliError("--otlp traces runs executed by this process, and on PostgreSQL the workers execute the run: run it on SQLite or memory to trace it (workers are not traced yet).");
    }
    const source = { module, ...(exportName ? { exportName } : {}) };
    return withStore(store, () => submitAndFollow(store, graph, input, source, options, io));
  }
  let otlp: OtlpExport | undefined;
  try {
    otlp = options.otlp === undefined ? undefined : await startOtlp(options.otlp, io);
    const progress = createProgress(io, { quiet: options.quiet });
    let handle;
    try {
      handle = run(graph, input as never, { store, onEvent: progress.onEvent, source: { module, ...(exportName ? { exportName } : {}) }, ...(otlp ? { tracing: { tracerProvider: otlp.tracerProvider } } : {}) });
    } catch (error) {
      progress.stop();
      if (isRunError(error)) throw new CliError(`cannot run ${relative(io.cwd, module)}: ${error.message}`);
      throw error;
    }
    return await finish(handle.id, handle, { store, io, summary: options.summary, stop: progress.stop, ...(options.store ? { storeArg: options.store } : {}) });
  } finally {
    await otlp?.shutdown();
    await store.close();
  }
}

type Loaded = { graph: GraphBlock; exportName?: string; module: string };

/**
 * Graphs loaded in this process, by module path, export and the file's version (its size and
 * modification time): each module is imported once per process, however many runs it resumes
 * (importing through tsx again would load a new copy of the module every time).
 */
const loadedGraphs = new Map<string, Promise<Loaded>>();

/** Loads the one graph a run command is about (once per process for an unchanged file). */
export async function loadGraph(file: string, exportName: string | undefined, io: Io): Promise<Loaded> {
  const module = resolve(io.cwd, file);
  if (module.endsWith(".json")) {
    const text = await readFile(module, "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read ${file}: ${error.code === "ENOENT" ? "no such file" : error.message}.`);
    });
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (isGraphDefLike(value)) {
      throw new CliError(`${file} is a GraphDef without implementations (plain JSON), so it cannot run; run the TypeScript or JavaScript module that builds the graph (createGraph(...).build()) instead.`);
    }
    throw new CliError(`${file} is not a graph: blockwork run takes a TypeScript or JavaScript module that exports a built graph, e.g. blockwork run examples/text-digest/digest.graph.ts.`);
  }
  const info = await stat(module).catch(() => undefined);
  const key = `${module}\0${exportName ?? ""}\0${info?.size ?? -1}\0${info?.mtimeMs ?? -1}`;
  let loading = loadedGraphs.get(key);
  if (loading === undefined) {
    loading = loadOneGraph(module, io.cwd, { exportName, built: true }).then((found) => ({ graph: found.graph as GraphBlock, ...(found.exportName ? { exportName: found.exportName } : {}), module }));
    loadedGraphs.set(key, loading);
    // A failure is not remembered: the file may be fixed and loaded again.
    loading.catch(() => loadedGraphs.delete(key));
  }
  const loaded = await loading;
  // Implementation modules of declared blocks are imported on every load: they are not part of
  // the key above, and `blockwork implement` may have just rewritten one.
  return hasDeclaredBlocks(loaded.graph) ? { ...loaded, graph: await withDeclaredImplementations(loaded.graph) } : loaded;
}

/**
 * The graph with the implementation modules of its declared blocks (`declareBlock`) imported
 * through tsx, as the graph module itself was (a missing one fails the block with not_implemented).
 */
async function withDeclaredImplementations(graph: GraphBlock): Promise<GraphBlock> {
  const { withImplementations } = await import("@blockwork/nodes");
  return (await withImplementations(graph, { importer: importModule })).graph;
}

async function readInput(spec: string | undefined, io: Io): Promise<unknown> {
  if (spec === undefined) return {};
  return readJson(spec, "--input", io);
}

/** JSON text, or `@file.json`: for --input, --data. */
export async function readJson(spec: string, option: string, io: Io): Promise<unknown> {
  let text = spec;
  if (spec.startsWith("@")) {
    const file = spec.slice(1);
    text = await readFile(resolve(io.cwd, file), "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read the ${option} file ${file}: ${error.code === "ENOENT" ? "no such file" : error.message}.`);
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${option} is not valid JSON (${error instanceof Error ? error.message : String(error)}). Pass JSON text or @file.json.`);
  }
}
