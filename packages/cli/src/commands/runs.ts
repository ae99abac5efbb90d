import { pathToFileURL } from "node:url";
import { type JournalEntry, resume, type RunRecord, type RunStatus, type Store } from "@blockwork/core";
import { CliError, type Io } from "../io.js";
import { createProgress } from "../progress.js";
import { openStore } from "../stores.js";
import { finish, loadGraph } from "./run.js";

export interface RunsOptions {
  readonly store?: string;
}

/** `blockwork runs list`: the newest runs in a store. */
export async function runsList(options: RunsOptions & { status?: RunStatus; limit: number; json: boolean }, io: Io): Promise<number> {
  const store = openStore(options.store, io.cwd);
  try {
    const runs = await store.listRuns({ ...(options.status ? { status: options.status } : {}), limit: options.limit });
    if (options.json) {
      io.out(`${JSON.stringify(runs, null, 2)}\n`);
      return 0;
    }
    if (runs.length === 0) {
      io.out("No runs.\n");
      return 0;
    }
    const rows = runs.map((r) => [r.id, r.graphId, r.status, new Date(r.createdAt).toISOString(), r.status === "running" ? "" : `${r.updatedAt - r.createdAt} ms`]);
    io.out(table(["run", "graph", "status", "started", "took"], rows));
    return 0;
  } finally {
    await store.close();
  }
}

/** `blockwork runs show <id>`: a run's outcome and its journal as a timeline. */
export async function runsShow(id: string, options: RunsOptions & { json: boolean }, io: Io): Promise<number> {
  const store = openStore(options.store, io.cwd);
  try {
    const record = await store.getRun(id);
    if (!record) throw new CliError(`no run ${id} in ${options.store ?? "the default store"} (list them with: blockwork runs list).`);
    const journal = await store.journal(id);
    if (options.json) {
      io.out(`${JSON.stringify({ run: record, journal }, null, 2)}\n`);
      return 0;
    }
    io.out(timeline(record, journal));
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * `blockwork runs resume [id]`: resumes one unfinished run, or every one, loading each run's graph
 * from the module it was started from.
 */
export async function runsResume(id: string | undefined, options: RunsOptions & { quiet: boolean }, io: Io): Promise<number> {
  const store = openStore(options.store, io.cwd);
  try {
    const records = id === undefined ? await store.listRuns({ status: "running", limit: 10_000 }) : [await mustGet(store, id)];
    if (records.length === 0) {
      io.out("No unfinished runs to resume.\n");
      return 0;
    }
    let failed = 0;
    for (const record of records) {
      if (record.status !== "running") throw new CliError(`run ${record.id} has already ended (${record.status}); there is nothing to resume.`);
      if (!record.source) throw new CliError(`run ${record.id} does not say which module its graph came from (it was not started by blockwork run); resume it from code with resume().`);
      const { graph } = await loadGraph(record.source.module, record.source.exportName, io);
      const progress = createProgress(io, { quiet: options.quiet });
      const handle = await resume(record.id, { store, graph, onEvent: progress.onEvent });
      if ((await finish(record.id, handle.result, { store, io, summary: false, stop: progress.stop })) !== 0) failed++;
    }
    return failed > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}

async function mustGet(store: Store, id: string): Promise<RunRecord> {
  const record = await store.getRun(id);
  if (!record) throw new CliError(`no run ${id} in the store (list them with: blockwork runs list).`);
  return record;
}

function timeline(record: RunRecord, journal: readonly JournalEntry[]): string {
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
    }
  }
  if (journal.length === 0) lines.push("  (empty)");
  lines.push("");
  if (record.output !== undefined) lines.push(`output   ${preview(record.output, 400)}`);
  if (record.error !== undefined) lines.push(`error    ${record.error.code}${record.error.path ? ` at ${record.error.path}` : ""}: ${record.error.message}`);
  return `${lines.join("\n")}\n`;
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
