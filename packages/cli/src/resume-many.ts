import { isRunError, resume, type RunRecord, type Store, type TracingOptions } from "@blockwork/core";
import type { Io } from "./io.js";
import { loadGraph } from "./commands/run.js";

/** What resuming many runs came to. */
export interface ResumeTally {
  readonly total: number;
  completed: number;
  failed: number;
  suspended: number;
  /** Refused: another live process executes them (`run_owned`). */
  owned: number;
  /** Ended meanwhile (another process finished them): nothing to do. */
  ended: number;
  /** The first few failures: run id and why. */
  readonly failures: { runId: string; message: string }[];
}

/** Options of {@link resumeMany}. */
export interface ResumeManyOptions {
  /** Runs resumed at once (default 32). */
  readonly concurrency: number;
  readonly quiet: boolean;
  /** Where the resumed runs' spans go (`--otlp`). */
  readonly tracing?: TracingOptions;
}

/**
 * Resumes many unfinished runs in this process: each graph module is loaded once (see
 * `loadGraph`), at most `concurrency` runs are in flight, and progress is shown (redrawn on a
 * terminal, a line every few seconds elsewhere). A run another live process owns is skipped and
 * counted; a run that cannot be resumed (no source, its module fails to load, another version)
 * counts as failed, with its reason, and the others go on.
 */
export async function resumeMany(store: Store, records: readonly RunRecord[], options: ResumeManyOptions, io: Io): Promise<ResumeTally> {
  const tally: ResumeTally = { total: records.length, completed: 0, failed: 0, suspended: 0, owned: 0, ended: 0, failures: [] };
  const started = Date.now();
  let done = 0;
  let lastShown = 0;
  const show = (final: boolean) => {
    if (options.quiet) return;
    const now = Date.now();
    if (!final && now - lastShown < (io.isTTY ? 100 : 2_000)) return;
    lastShown = now;
    const seconds = (now - started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    const line = `resumed ${done}/${tally.total} · ${tally.completed} completed · ${tally.failed} failed · ${tally.suspended} suspended · ${tally.owned} owned elsewhere · ${rate} runs/s`;
    io.err(io.isTTY ? `\u001b[2K\r${line}${final ? "\n" : ""}` : `${line}\n`);
  };
  const fail = (runId: string, message: string) => {
    tally.failed++;
    if (tally.failures.length < 10) tally.failures.push({ runId, message });
  };
  // Each source once for the whole batch (loadGraph also caches by the file's version, per process).
  const graphs = new Map<string, ReturnType<typeof loadGraph>>();
  const one = async (record: RunRecord): Promise<void> => {
    if (!record.source) {
      fail(record.id, "it does not say which module its graph came from (it was not started by blockwork run); resume it from code with resume()");
      return;
    }
    let graph;
    try {
      const key = `${record.source.module}\0${record.source.exportName ?? ""}`;
      let loading = graphs.get(key);
      if (loading === undefined) graphs.set(key, (loading = loadGraph(record.source.module, record.source.exportName, io)));
      graph = (await loading).graph;
    } catch (error) {
      fail(record.id, messageOf(error));
      return;
    }
    try {
      const handle = await resume(record.id, { store, graph, ...(options.tracing ? { tracing: options.tracing } : {}) });
      const settled = await handle.settled();
      if (settled.status === "completed") tally.completed++;
      else if (settled.status === "suspended") tally.suspended++;
      else fail(record.id, `${settled.error.code}: ${settled.error.info.message}`);
    } catch (error) {
      if (isRunError(error) && error.code === "run_owned") tally.owned++;
      else if (isRunError(error) && error.code === "journal_mismatch" && /has already ended/.test(error.info.message)) tally.ended++;
      else fail(record.id, isRunError(error) ? `${error.code}: ${error.info.message}` : messageOf(error));
    }
  };
  let next = 0;
  const lane = async () => {
    while (next < records.length) {
      const record = records[next++] as RunRecord;
      await one(record);
      done++;
      show(false);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, records.length)) }, lane));
  show(true);
  return tally;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The closing lines of a bulk resume. */
export function describeTally(t: ResumeTally, ms: number): string {
  const lines = [
    `Resumed ${t.total} run${t.total === 1 ? "" : "s"} in ${(ms / 1000).toFixed(1)} s: ${t.completed} completed, ${t.failed} failed, ${t.suspended} suspended (waiting for blockwork resume --block), ${t.owned} skipped (a live process owns them), ${t.ended} ended meanwhile.`,
  ];
  for (const f of t.failures) lines.push(`  ${f.runId}: ${f.message}`);
  if (t.failed > t.failures.length) lines.push(`  ... and ${t.failed - t.failures.length} more (blockwork runs list --status failed)`);
  return `${lines.join("\n")}\n`;
}
