import type { GraphBlock } from "@blockwork/spec";
import { foldRun, type ReadyTask, type RunOutcome, type TaskResult } from "../run/fold.js";
import { dataOf } from "../store/entry-data.js";
import { JOURNAL_COLUMNS } from "../store/postgres-store.js";
import type { JournalEntry, RunRecord } from "../store/store.js";
import type { ClaimedTask } from "./queue.js";

// What recording a task's outcome writes, shared by the one-statement path (record-fast.ts) and the
// locked transaction (record.ts).

// biome-ignore lint: any graph block.
type AnyGraph = GraphBlock<any>;

/** What a worker asks to record: the outcome of one attempt of a task it claimed. */
export interface TaskRecord {
  readonly graph: AnyGraph;
  readonly record: RunRecord;
  /** The journal the task ran on (the worker's copy; the transaction reads what was added since). */
  readonly journal: readonly JournalEntry[];
  readonly task: ClaimedTask;
  readonly result: TaskResult;
  readonly owner: string;
  readonly leaseMs: number;
  /** Claim one task this completion makes ready, in the same transaction, to run it next here. */
  readonly continueHere: boolean;
}

export type Recorded =
  | {
      readonly status: "recorded";
      readonly outcome?: RunOutcome;
      readonly next?: { readonly task: ClaimedTask; readonly journal: readonly JournalEntry[] };
      /** Recorded although the lease had passed to another worker (which then runs the block for nothing). */
      readonly reconciled?: boolean;
    }
  /**
   * Nothing was written: another worker recorded this activation first (`superseded`: the block
   * ran twice, the journal holds it once), or the run no longer needs it (`ended`: it ended, was
   * cancelled or moved to another version).
   */
  | { readonly status: "lost"; readonly reason: string; readonly because: "superseded" | "ended" };

/** What recording a task writes, decided by folding the journal it ends up in. */
export interface Decision {
  /** The journal with the task's entries appended (numbered). */
  readonly journal: readonly JournalEntry[];
  readonly entries: readonly JournalEntry[];
  readonly outcome: RunOutcome | undefined;
  readonly ready: readonly ReadyTask[];
  /** The ready task the worker goes on with, if it may and one is due. */
  readonly candidate: ReadyTask | undefined;
  /** Nothing is ready and blocks wait to be resumed: the run becomes `suspended`. */
  readonly suspended: boolean;
}

/** Folds the journal the task's entries go into: the run's ready tasks, or its outcome. */
export function decide(r: TaskRecord, journal: readonly JournalEntry[]): Decision {
  const base = journal[journal.length - 1]?.seq ?? 0;
  const entries = r.result.entries.map((e, i) => ({ ...e, seq: base + 1 + i }) as JournalEntry);
  const full = [...journal, ...entries];
  // The journal decides, folded the same way in every process. A final failure is not journaled,
  // so it comes from the task's result.
  const fold = foldRun(r.graph, r.record, full);
  const outcome = fold.outcome ?? (r.result.outcome?.status === "failed" ? r.result.outcome : undefined);
  const now = Date.now();
  const candidate = r.continueHere && outcome === undefined ? fold.ready.find((task) => task.notBefore <= now) : undefined;
  const suspended = outcome === undefined && fold.ready.length === 0 && fold.suspended.length > 0;
  return { journal: full, entries, outcome, ready: outcome ? [] : fold.ready, candidate, suspended };
}

export function lost(reason: string, because: "superseded" | "ended"): Recorded {
  return { status: "lost", reason, because };
}

/** The recorded result, with the task to go on with when this worker got its lease. */
export function next(r: TaskRecord, d: Decision, token: string | null | undefined, reconciled = false): Recorded {
  const { candidate } = d;
  const flag = reconciled ? { reconciled } : {};
  if (candidate === undefined || token === undefined || token === null) return { status: "recorded", ...flag };
  const task: ClaimedTask = { runId: r.record.id, key: candidate.key, path: candidate.path, act: candidate.act, attempt: candidate.attempt, token };
  return { status: "recorded", next: { task, journal: d.journal }, ...flag };
}

/** The first part of a statement that appends entries ($1: the run; $2–$8: the columns as arrays). */
export const appending = (journal: string) => `WITH appended AS (INSERT INTO ${journal} (run_id, ${JOURNAL_COLUMNS})
  SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::int[], $6::int[], $7::bigint[], $8::json[]))`;

/** $1–$8 of `appending`. */
export function entryParams(runId: string, entries: readonly JournalEntry[]): unknown[] {
  return [
    runId,
    entries.map((e) => e.seq),
    entries.map((e) => e.kind),
    entries.map((e) => e.path),
    entries.map((e) => e.act),
    entries.map((e) => e.attempt),
    entries.map((e) => e.at),
    entries.map((e) => JSON.stringify(dataOf(e))),
  ];
}

/** status, output, error of a run that ended. */
export function outcomeParams(outcome: RunOutcome): unknown[] {
  return [outcome.status, outcome.status === "completed" ? JSON.stringify(outcome.output) : null, outcome.status === "failed" ? JSON.stringify(outcome.error) : null];
}
