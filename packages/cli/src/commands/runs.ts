import { pathToFileURL } from "node:url";
import type { GraphDef } from "@blockwork/spec";
import { enqueueRun, isRunError, type JournalEntry, PostgresStore, resume, resumeOnWorkers, type RunRecord, type RunStatus, type Store } from "@blockwork/core";
import { CliError, type Io } from "../io.js";
import { createProgress } from "../progress.js";
import { resumeHint, resumeSchemaAt } from "../resume-hint.js";
import { findRun } from "../run-id.js";
import { thrownLines } from "../thrown.js";
import { openStore, withStore } from "../stores.js";
import { follow } from "./follow.js";
import { finish, graphOfRun, SUSPENDED_EXIT_CODE } from "./outcome.js";
import { loadGraph, readJson } from "./run.js";
import { type OtlpExport, startOtlp } from "../otlp.js";

export interface RunsOptions {
  readonly store?: string;
}

/** `--otlp <url>` of the resume commands: a resumed run's spans continue its trace there. */
interface TraceOption {
  readonly otlp?: string;
}

/** Runs `fn` with an OTLP export when `url` is given (the SDK loaded only then), and ends the export after. */
async function withOtlp<T>(url: string | undefined, io: Io, fn: (tracing: { tracerProvider: OtlpExport["tracerProvider"] } | undefined) => Promise<T>): Promise<T> {
  if (url === undefined) return fn(undefined);
  const otlp = await startOtlp(url, io);
  try {
    return await fn({ tracerProvider: otlp.tracerProvider });
  } finally {
    await otlp.shutdown();
  }
}

/** `blockwork runs list`: the newest runs in a store. */
export async function runsList(options: RunsOptions & { status?: RunStatus; limit: number; json: boolean }, io: Io): Promise<number> {
  return withStore(openStore(options.store, io.cwd, { read: true }), async (store) => {
    const runs = await store.listRuns({ ...(options.status ? { status: options.status } : {}), limit: options.limit });
    if (options.json) {
      const withOwners = await Promise.all(runs.map(async (r) => ({ ...r, ...(store.runOwner && (r.status === "running" || r.status === "suspended") ? { owner: (await store.runOwner(r.id)) ?? null } : {}) })));
      io.out(`${JSON.stringify(withOwners, null, 2)}\n`);
      return 0;
    }
    if (runs.length === 0) {
      io.out("No runs.\n");
      return 0;
    }
    const owners = await Promise.all(runs.map((r) => ownerColumn(store, r)));
    const rows = runs.map((r, i) => [r.id, r.graphId, r.status, owners[i] as string, new Date(r.createdAt).toISOString(), r.status === "running" || r.status === "suspended" ? "" : `${r.updatedAt - r.createdAt} ms`]);
    io.out(table(["run", "graph", "status", "owner", "started", "took"], rows));
    return 0;
  });
}

/** `blockwork runs show <id>`: a run's outcome and its journal as a timeline. */
export async function runsShow(id: string, options: RunsOptions & { json: boolean }, io: Io): Promise<number> {
  return withStore(openStore(options.store, io.cwd, { read: true }), async (store) => {
    const record = await findRun(store, id, options.store);
    const journal = await store.journal(record.id);
    if (options.json) {
      io.out(`${JSON.stringify({ run: record, journal }, null, 2)}\n`);
      return 0;
    }
    const def = await graphOfRun(store, record.id);
    io.out(timeline(record, journal, io, def, options.store));
    return 0;
  });
}

/**
 * `blockwork runs resume [id]`: resumes one unfinished run, or every one, loading each run's graph
 * from the module it was started from.
 */
export async function runsResume(id: string | undefined, options: RunsOptions & TraceOption & { quiet: boolean; concurrency?: number }, io: Io): Promise<number> {
  return withOtlp(options.otlp, io, (tracing) => withStore(openStore(options.store, io.cwd, { read: true }), async (store) => {
    const records = id === undefined ? await store.listRuns({ status: "running", limit: 1_000_000 }) : [await findRun(store, id, options.store)];
    if (records.length === 0) {
      io.out("No unfinished runs to resume.\n");
      return 0;
    }
    if (records.length > 1 && !(store instanceof PostgresStore)) {
      // Many runs: each module loaded once, several runs at once, one progress line.
      const { describeTally, resumeMany } = await import("../resume-many.js");
      const started = Date.now();
      const tally = await resumeMany(store, records, { concurrency: options.concurrency ?? 32, quiet: options.quiet, ...(tracing ? { tracing } : {}) }, io);
      io.err(describeTally(tally, Date.now() - started));
      return tally.failed > 0 ? 1 : tally.suspended > 0 ? SUSPENDED_EXIT_CODE : 0;
    }
    let failed = 0;
    let suspended = 0;
    for (const record of records) {
      if (record.status !== "running" && record.status !== "suspended") throw new CliError(`run ${record.id} has already ended (${record.status}); there is nothing to resume.`);
      if (!record.source) throw new CliError(`run ${record.id} does not say which module its graph came from (it was not started by blockwork run); resume it from code with resume().`);
      const { graph } = await loadGraph(record.source.module, record.source.exportName, io);
      // On PostgreSQL, resuming hands the run's ready tasks to the workers and follows it.
      if (store instanceof PostgresStore) {
        // A run that ended meanwhile (workers finished it) is simply followed to its outcome.
        await enqueueRun(store, graph, record.id).catch(async (error: unknown) => {
          if ((await store.getRun(record.id))?.status === "running") throw isRunError(error) ? new CliError(`cannot resume run ${record.id}: ${error.info.message}`) : error;
        });
        const code = await follow(store, record.id, { quiet: options.quiet, summary: false, ...(options.store ? { storeArg: options.store } : {}) }, io);
        if (code === 1) failed++;
        else if (code === SUSPENDED_EXIT_CODE) suspended++;
        continue;
      }
      const progress = createProgress(io, { quiet: options.quiet });
      const handle = await resume(record.id, { store, graph, onEvent: progress.onEvent, ...(tracing ? { tracing } : {}) }).catch((error: unknown) => {
        progress.stop();
        throw isRunError(error) ? new CliError(`cannot resume run ${record.id}: ${error.info.message}`) : error;
      });
      const code = await finish(record.id, handle, { store, io, summary: false, stop: progress.stop, ...(options.store ? { storeArg: options.store } : {}) });
      if (code === 1) failed++;
      else if (code === SUSPENDED_EXIT_CODE) suspended++;
    }
    return failed > 0 ? 1 : suspended > 0 ? SUSPENDED_EXIT_CODE : 0;
  }));
}

/**
 * `blockwork resume <id> --block <id> --data <json>`: resumes a suspended block of a run with data
 * for its resume schema, and runs the run on until it ends or suspends again. Without `--block`,
 * the same as `blockwork runs resume <id>`.
 */
export async function resumeBlock(id: string, options: RunsOptions & TraceOption & { block?: string; data?: string; quiet: boolean; summary: boolean }, io: Io): Promise<number> {
  const block = options.block;
  if (block === undefined) {
    if (options.data !== undefined) throw new CliError("--data needs --block: which suspended block is it for? (blockwork runs show <id> lists them)");
    return runsResume(id, options, io);
  }
  if (options.data === undefined) throw new CliError(`--block ${block} needs --data: the JSON to resume it with (it must satisfy the block's resume schema).`);
  const data = await readJson(options.data, "--data", io);
  return withOtlp(options.otlp, io, (tracing) => withStore(openStore(options.store, io.cwd, { read: true }), async (store) => {
    const record = await findRun(store, id, options.store);
    id = record.id;
    if (record.status !== "running" && record.status !== "suspended") throw new CliError(`run ${id} has already ended (${record.status}); there is nothing to resume.`);
    if (!record.source) throw new CliError(`run ${id} does not say which module its graph came from (it was not started by blockwork run); resume it from code with resume().`);
    const { graph } = await loadGraph(record.source.module, record.source.exportName, io);
    if (store instanceof PostgresStore) {
      await resumeOnWorkers(store, graph, id, block, data).catch((error: unknown) => {
        throw isRunError(error) ? new CliError(`cannot resume run ${id}: ${error.info.message}`) : error;
      });
      return follow(store, id, { quiet: options.quiet, summary: options.summary, ...(options.store ? { storeArg: options.store } : {}) }, io);
    }
    const progress = createProgress(io, { quiet: options.quiet });
    let handle;
    try {
      handle = await resume(id, { store, graph, block, data, onEvent: progress.onEvent, ...(tracing ? { tracing } : {}) });
    } catch (error) {
      progress.stop();
      if (isRunError(error)) throw new CliError(`cannot resume run ${id}: ${error.info.message}`);
      throw error;
    }
    return finish(id, handle, { store, io, summary: options.summary, stop: progress.stop, ...(options.store ? { storeArg: options.store } : {}) });
  }));
}

/**
 * Who executes a run still in flight: `live (pid 123@host)`, or `orphaned` (no live process owns
 * it: `blockwork runs resume` takes it), `workers` on PostgreSQL for runs workers execute; empty for
 * ended runs and stores without owners.
 */
async function ownerColumn(store: Store, record: RunRecord): Promise<string> {
  if ((record.status !== "running" && record.status !== "suspended") || store.runOwner === undefined) return "";
  const owner = await store.runOwner(record.id);
  // On PostgreSQL, runs without an owner are the workers' (their tasks are leased).
  if (owner === undefined) return store instanceof PostgresStore ? "workers" : "orphaned";
  return owner.live ? `live (pid ${owner.pid}@${owner.host})` : `orphaned (pid ${owner.pid}@${owner.host} is gone)`;
}

function timeline(record: RunRecord, journal: readonly JournalEntry[], io: Io, def: GraphDef | undefined, storeArg: string | undefined): string {
  const lines = [
    `run      ${record.id}`,
    `graph    ${record.graphId} (version ${record.version})${record.source ? ` from ${pathToFileURL(record.source.module).pathname}${record.source.exportName ? `#${record.source.exportName}` : ""}` : ""}`,
    `status   ${record.status}${record.status === "running" ? "" : ` after ${record.updatedAt - record.createdAt} ms`}`,
    `started  ${new Date(record.createdAt).toISOString()}`,
    `input    ${preview(record.input)}`,
    "",
    "journal:",
  ];
  for (const e of journal) {
    const at = `+${String(e.at - record.createdAt).padStart(6)} ms`;
    const where = `${e.path}${e.act > 1 ? ` (pass ${e.act})` : ""}${e.attempt > 1 ? ` attempt ${e.attempt}` : ""}`;
    switch (e.kind) {
      case "block.completed":
        lines.push(`  ${at}  completed  ${where}  → ${preview(e.output)}`);
        break;
      case "block.failed":
        lines.push(`  ${at}  failed     ${where}  with ${preview(e.error)} (routed on an error edge)`);
        break;
      case "attempt.failed":
        lines.push(`  ${at}  retry      ${where}  ${e.error.message}; next attempt in ${e.delayMs} ms`);
        break;
      case "item.failed":
        lines.push(`  ${at}  item fail  ${where}  ${e.error.message}`);
        break;
      case "block.restarted":
        lines.push(`  ${at}  restart    ${where}  ${e.error.message}; restart ${e.restart} of ${e.restarted.join(", ")} in ${e.delayMs} ms`);
        break;
      case "block.suspended":
        lines.push(`  ${at}  suspended  ${where}  ${preview(e.payload)}`);
        break;
      case "block.resumed":
        lines.push(`  ${at}  resumed    ${where}  with ${preview(e.data)}`);
        break;
      case "run.upgraded":
        lines.push(`  ${at}  upgraded   version ${e.from} → ${e.to}${e.migrated.length ? `, migrated: ${e.migrated.join(", ")}` : ""}`);
        break;
      case "step.completed":
        lines.push(...stepLines(at, where, e.step, e.result));
        break;
      case "loop.pass":
        lines.push(`  ${at}  loop pass  ${e.path}  pass ${e.act} starts (${e.from} came back)`);
        break;
    }
  }
  const waiting = openSuspensions(journal);
  if (record.status === "suspended" || (record.status === "running" && waiting.length > 0)) {
    lines.push("", "waiting for:");
    for (const e of waiting) lines.push(`  ${e.path}#${e.act}  ${preview(e.payload, 200)}`);
    const first = waiting[0];
    if (first) lines.push(...resumeHint(record.id, `${first.path}#${first.act}`, def === undefined ? undefined : resumeSchemaAt(def, first.path), storeArg, "resume with"));
  }
  if (journal.length === 0) lines.push("  (empty)");
  lines.push("");
  if (record.output !== undefined) lines.push(`output   ${preview(record.output, 400)}`);
  if (record.error !== undefined) {
    lines.push(`error    ${record.error.code}${record.error.path ? ` at ${record.error.path}` : ""}: ${record.error.message}`);
    if (record.error.thrown !== undefined) lines.push(...thrownLines(record.error.thrown, { cwd: io.cwd, verbose: io.verbose === true, indent: "         ", stackHint: "(stack traces: add --verbose)" }));
  }
  return `${lines.join("\n")}\n`;
}

/** Suspensions the journal leaves open: suspended, and neither resumed nor decided since. */
function openSuspensions(journal: readonly JournalEntry[]): Extract<JournalEntry, { kind: "block.suspended" }>[] {
  const open = new Map<string, Extract<JournalEntry, { kind: "block.suspended" }>>();
  for (const e of journal) {
    const key = `${e.path}#${e.act}`;
    if (e.kind === "block.suspended") open.set(key, e);
    else if (e.kind !== "step.completed" && e.kind !== "loop.pass") open.delete(key);
  }
  return [...open.values()];
}

/**
 * A step inside a block: an rlm block's model turn (`t3`), cell (`c3`, with its code and what
 * the model was shown of its output) or sub-call (`c3.q2`), else the step's scalar fields.
 */
function stepLines(at: string, where: string, step: string, result: unknown): string[] {
  const r = (typeof result === "object" && result !== null ? result : {}) as Record<string, unknown>;
  const head = `  ${at}  step       ${where}  ${step}`;
  if (typeof r["code"] === "string" && typeof r["output"] === "string") {
    const facts = [`${r["outputTokens"]} tokens of output shown${r["cut"] ? " (cut)" : ""}`, `${r["cpuMs"]} ms cpu`, `${r["subCalls"]} sub-call${r["subCalls"] === 1 ? "" : "s"}`, `answer: ${r["answer"]}`];
    const lines = [`${head}  cell: ${facts.join(", ")}`];
    lines.push(...indent("code", r["code"]), ...indent("output", r["output"] === "" ? "(nothing printed)" : r["output"]));
    if (typeof r["error"] === "string") lines.push(...indent("threw", r["error"].split("\n")[0] as string));
    return lines;
  }
  if (typeof r["contextTokens"] === "number" && typeof r["text"] === "string") {
    const kind = step.includes(".") ? "sub-call" : "model turn";
    return [`${head}  ${kind}: ${r["contextTokens"]} context tokens → ${r["outputTokens"]} out, ${r["latencyMs"]} ms (${r["model"]})`];
  }
  const scalars = Object.entries(r).filter(([, v]) => typeof v !== "object");
  return [`${head}  ${scalars.length ? scalars.map(([k, v]) => `${k}=${preview(v, 40)}`).join(" ") : preview(result)}`];
}

/** Up to three lines of `text`, each cut to 100 characters, under a label. */
function indent(label: string, text: string): string[] {
  const all = text.replace(/\s+$/, "").split("\n");
  const shown = all.slice(0, 3).map((line, i) => `${" ".repeat(22)}${i === 0 ? `${label}:`.padEnd(8) : " ".repeat(8)}${line.length > 100 ? `${line.slice(0, 97)}...` : line}`);
  if (all.length > 3) shown.push(`${" ".repeat(30)}… ${all.length - 3} more line${all.length === 4 ? "" : "s"}`);
  return shown;
}

function preview(value: unknown, max = 120): string {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join("  ").trimEnd();
  return `${[line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")}\n`;
}
