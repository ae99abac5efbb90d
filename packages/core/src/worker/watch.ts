import type { JsonValue } from "@blockwork/spec";
import { type ErrorInfo, RunError } from "../errors.js";
import type { RunEvent, Suspension } from "../events.js";
import type { RunSettled } from "../run/run.js";
import { isTransient } from "../store/postgres-connect.js";
import { JOURNAL_COLUMNS, journalRows, type PostgresStore } from "../store/postgres-store.js";
import type { JournalEntry, RunRecord } from "../store/store.js";
import { Wakeup } from "./wakeup.js";

/** Options of {@link watchRun} and {@link waitForRun}. */
export interface WatchOptions {
  /** Stops watching (the run itself goes on on the workers). */
  readonly signal?: AbortSignal;
  /** How often to read the run's progress (default 250 ms); its end is notified at once. */
  readonly pollMs?: number;
}

/**
 * The events of a run that workers execute, from any machine: `run.started`, then
 * `block.started` as workers claim its blocks, `block.completed` / `block.retried` /
 * `block.failed` / `block.suspended` / `block.resumed` from its journal, `run.suspended` each time
 * every block left waits to be resumed (watching goes on), and `run.completed` / `run.failed` /
 * `run.cancelled` at the end, where the iteration ends. Progress is polled (`pollMs`); the end of the run arrives at once,
 * through a PostgreSQL notification sent when it commits. The journal is always what is read, so
 * nothing is missed or reported twice. A watcher that starts late gets the run's history first.
 */
export async function* watchRun(store: PostgresStore, runId: string, options: WatchOptions = {}): AsyncGenerator<RunEvent, void, undefined> {
  let record = await store.getRun(runId);
  if (record === undefined) throw new RunError({ code: "run_not_found", message: `run ${runId} is not in ${store.display}` });
  yield { type: "run.started", runId, at: record.createdAt, graph: record.graphId, version: record.version, resumed: false };
  const wakeup = new Wakeup();
  const unsubscribe = store.subscribe("runs", (payload) => {
    if (payload === undefined || payload === runId) wakeup.fire();
  });
  const seen = new Map<string, string>();
  const startedAt = new Map<string, number>();
  // Suspensions not resumed yet (by `<path>#<act>`), from the journal, for `run.suspended`.
  const waiting = new Map<string, Suspension>();
  let reportedSuspended = false;
  let lastSeq = 0;
  let first = true;
  let failures = 0;
  try {
    while (!options.signal?.aborted) {
      let progress: Progress;
      try {
        progress = await readProgress(store, runId, lastSeq, first ? record : undefined);
        first = false;
        failures = 0;
      } catch (error) {
        // The database restarting: wait and read again from the same point.
        if (!isTransient(error)) throw error;
        await wakeup.wait(Math.min(5_000, 250 * 2 ** Math.min(++failures, 5)), options.signal);
        continue;
      }
      record = progress.record;
      for (const entry of progress.entries) {
        lastSeq = entry.seq;
        trackSuspensions(waiting, entry);
        yield eventOf(runId, entry, startedAt.get(`${entry.path}#${entry.act}`));
      }
      for (const task of progress.running) {
        // A claim is new when its attempt or claim count is: a retry is a new row, a takeover a new claim.
        const claim = `${task.attempt}:${task.claims}`;
        if (seen.get(task.key) === claim) continue;
        seen.set(task.key, claim);
        startedAt.set(task.key, task.claimed_at);
        yield { type: "block.started", runId, at: task.claimed_at, path: task.path, act: task.act, attempt: task.attempt };
      }
      if (ended(record)) {
        yield finalEvent(record);
        return;
      }
      // Once each time the run becomes suspended; watching goes on (someone may resume it).
      if (record.status === "suspended" && !reportedSuspended) yield { type: "run.suspended", runId, at: record.updatedAt, suspensions: [...waiting.values()] };
      reportedSuspended = record.status === "suspended";
      await wakeup.wait(options.pollMs ?? 250, options.signal);
    }
  } finally {
    unsubscribe();
  }
}

interface Progress {
  readonly record: RunRecord;
  readonly entries: readonly JournalEntry[];
  readonly running: readonly { key: string; path: string; act: number; attempt: number; claims: number; claimed_at: number }[];
}

/**
 * The run's status, then its journal since `lastSeq`, then the blocks claimed now. In that order:
 * when the status says the run ended, the journal read after it is complete; and a block is
 * reported started after what made it ready.
 */
async function readProgress(store: PostgresStore, runId: string, lastSeq: number, known: RunRecord | undefined): Promise<Progress> {
  const t = store.tables;
  const record = known ?? (await store.getRun(runId));
  if (record === undefined) throw new RunError({ code: "run_not_found", message: `run ${runId} is no longer in ${store.display}` });
  const rows = await store.query<Parameters<typeof journalRows>[0][number]>(`SELECT ${JOURNAL_COLUMNS} FROM ${t.journal} WHERE run_id = $1 AND seq > $2 ORDER BY seq`, [runId, lastSeq], {
    prepared: true,
  });
  const running = !ended(record)
    ? await store.query<Progress["running"][number]>(
          `SELECT key, path, act, attempt, claims, claimed_at FROM ${t.tasks} WHERE run_id = $1 AND lease_owner IS NOT NULL ORDER BY claimed_at`,
          [runId],
          { prepared: true },
        )
      : [];
  return { record, entries: journalRows(rows), running };
}

/**
 * Waits for a run that workers execute to end, from any machine: resolves with its output, or
 * rejects with a `RunError` (its `code`, `path` and `runId` say what failed and where), like the
 * `result` of an in-process run. `onEvent` sees its events meanwhile (see `watchRun`).
 */
export async function waitForRun(store: PostgresStore, runId: string, options: WatchOptions & { readonly onEvent?: (event: RunEvent) => void } = {}): Promise<JsonValue> {
  let last: RunEvent | undefined;
  for await (const event of watchRun(store, runId, options)) {
    options.onEvent?.(event);
    last = event;
  }
  switch (last?.type) {
    case "run.completed":
      return last.output;
    case "run.failed":
      throw new RunError(last.error, { runId });
    case "run.cancelled":
      throw new RunError({ code: "run_cancelled", message: last.reason }, { runId });
    default:
      throw options.signal?.reason ?? new Error(`stopped waiting for run ${runId}; it goes on on the workers`);
  }
}

/**
 * Waits for a run that workers execute to settle: to end, or to become suspended (every block
 * left waits to be resumed) — what `RunHandle.settled()` is for a run in this process.
 */
export async function settleOnWorkers(store: PostgresStore, runId: string, options: WatchOptions & { readonly onEvent?: (event: RunEvent) => void } = {}): Promise<RunSettled> {
  for await (const event of watchRun(store, runId, options)) {
    options.onEvent?.(event);
    switch (event.type) {
      case "run.completed":
        return { status: "completed", output: event.output };
      case "run.failed":
        return { status: "failed", error: new RunError(event.error, { runId }) };
      case "run.cancelled":
        return { status: "cancelled", error: new RunError({ code: "run_cancelled", message: event.reason }, { runId }) };
      case "run.suspended":
        return { status: "suspended", suspensions: event.suspensions };
    }
  }
  throw options.signal?.reason ?? new Error(`stopped waiting for run ${runId}; it goes on on the workers`);
}

function trackSuspensions(waiting: Map<string, Suspension>, entry: JournalEntry): void {
  const id = `${entry.path}#${entry.act}`;
  if (entry.kind === "block.suspended") waiting.set(id, { id, path: entry.path, act: entry.act, payload: entry.payload, at: entry.at });
  else if (entry.kind !== "run.upgraded" && entry.kind !== "step.completed" && entry.kind !== "loop.pass") waiting.delete(id);
}

function eventOf(runId: string, entry: JournalEntry, startedAt: number | undefined): RunEvent {
  const base = { runId, at: entry.at, path: entry.path, act: entry.act };
  const durationMs = startedAt === undefined ? 0 : Math.max(0, entry.at - startedAt);
  switch (entry.kind) {
    case "block.completed":
      return { ...base, type: "block.completed", durationMs, replayed: false };
    case "attempt.failed":
      return { ...base, type: "block.retried", attempt: entry.attempt + 1, delayMs: entry.delayMs, error: entry.error };
    case "block.failed": {
      const error: ErrorInfo = { code: "typed_failure", message: `failed with ${JSON.stringify(entry.error)} (routed on an error edge)`, path: entry.path, error: entry.error };
      return { ...base, type: "block.failed", error, typed: true, durationMs };
    }
    case "item.failed":
      return { ...base, type: "block.failed", error: entry.error, typed: false, durationMs };
    case "block.restarted":
      return { ...base, type: "block.restarted", restart: entry.restart, delayMs: entry.delayMs, restarted: entry.restarted, error: entry.error };
    case "block.suspended":
      return { ...base, type: "block.suspended", suspension: `${entry.path}#${entry.act}`, payload: entry.payload };
    case "block.resumed":
      return { ...base, type: "block.resumed", suspension: `${entry.path}#${entry.act}`, data: entry.data };
    case "run.upgraded":
      return { runId, at: entry.at, type: "run.upgraded", from: entry.from, to: entry.to, migrated: entry.migrated };
    case "step.completed":
      return { ...base, type: "block.step", attempt: entry.attempt, step: entry.step, detail: stepDetail(entry.result), replayed: false };
    case "loop.pass":
      return { runId, at: entry.at, type: "loop.pass", path: entry.path, pass: entry.act, from: entry.from, replayed: false };
  }
}

/** What a `block.step` event shows of a journaled step result: its scalar fields (not, say, a whole cell output). */
function stepDetail(result: JsonValue): { [key: string]: JsonValue } {
  if (typeof result !== "object" || result === null || Array.isArray(result)) return {};
  return Object.fromEntries(Object.entries(result).filter(([, v]) => typeof v === "number" || typeof v === "boolean" || (typeof v === "string" && v.length <= 200)));
}

/** Whether the run has ended (a suspended run has not: it waits to be resumed). */
function ended(record: RunRecord): boolean {
  return record.status === "completed" || record.status === "failed" || record.status === "cancelled";
}

function finalEvent(record: RunRecord): RunEvent {
  const base = { runId: record.id, at: record.updatedAt, durationMs: Math.max(0, record.updatedAt - record.createdAt) };
  switch (record.status) {
    case "completed":
      return { ...base, type: "run.completed", output: record.output as JsonValue };
    case "cancelled":
      return { ...base, type: "run.cancelled", reason: record.error?.message ?? "cancelled" };
    default:
      return { ...base, type: "run.failed", error: record.error ?? { code: "block_failed", message: "the run failed (no error was recorded)" } };
  }
}
