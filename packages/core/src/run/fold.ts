import type { GraphBlock, JsonValue } from "@blockwork/spec";
import { type ErrorInfo, RunError } from "../errors.js";
import { checkRunId } from "./run-id.js";
import { type GraphPlan, planOf } from "../plan/plan.js";
import { MemoryStore } from "../store/memory-store.js";
import type { JournalEntry, RunRecord, RunSource, Store } from "../store/store.js";
import { findSuspension, RunContext } from "./context.js";
import { effectiveJournal } from "./journal.js";
import { prepareRun } from "./record.js";
import { EventHub, type Suspension } from "../events.js";
import { passHint, Scope, type ScopeHost } from "./scope.js";

// biome-ignore lint: any graph block.
type AnyGraph = GraphBlock<any>;

/**
 * A leaf block a run needs next: ready to run now, or after `notBefore` (a retry's delay). `key`
 * (`<path>#<act>`) names it uniquely within the run.
 */
export interface ReadyTask {
  readonly key: string;
  readonly path: string;
  readonly act: number;
  /** The attempt to run next (1, or more after failed attempts). */
  readonly attempt: number;
  /** Epoch milliseconds before which it should not start (0: now). */
  readonly notBefore: number;
}

/** How a finished run ended: its output, or the error it failed with. */
export type RunOutcome = { readonly status: "completed"; readonly output: JsonValue } | { readonly status: "failed"; readonly error: ErrorInfo };

/** What a run needs next, computed from its journal alone. */
export interface RunFold {
  readonly ready: readonly ReadyTask[];
  /** Blocks waiting to be resumed: with no ready task left, the run is suspended. */
  readonly suspended: readonly Suspension[];
  /** Set when the journal already decides how the run ends. */
  readonly outcome?: RunOutcome;
}

/** A journal entry before it is given its sequence number (the writer numbers it). */
export type UnnumberedEntry = JournalEntry extends infer E ? (E extends JournalEntry ? Omit<E, "seq"> : never) : never;

/** What running one task produced. */
export interface TaskResult {
  /** Entries to append, in order (a completion, a routed typed failure, a failed attempt, a failed map item). */
  readonly entries: readonly UnnumberedEntry[];
  /** Set when the run ends because of this task: it failed for good, or its completion finished the run. */
  readonly outcome?: RunOutcome;
}

/**
 * A new run's record, validated like `run()` does (the graph is checked; the input is parsed with
 * unknown fields rejected), without starting it: for stores that other processes execute.
 */
export function newRunRecord(graph: AnyGraph, input: unknown, options: { runId?: string; source?: RunSource } = {}): RunRecord {
  if (options.runId !== undefined) checkRunId(options.runId);
  return prepareRun(planOf(graph), graph, input, options).record;
}

/**
 * Folds a run's journal through the graph without running any block: which leaf blocks it needs
 * next, and whether the journal already decides its outcome. Deterministic: the same journal
 * always gives the same answer, in every process.
 */
export function foldRun(graph: AnyGraph, record: RunRecord, journal: readonly JournalEntry[]): RunFold {
  const replay = Replay.of(graph, record, journal, undefined);
  const suspended = replay.outcome ? [] : replay.context.suspensions().map(({ id, path, act, payload, at }) => ({ id, path, act, payload, at }));
  return { ready: replay.ready(), suspended, ...(replay.outcome ? { outcome: replay.outcome } : {}) };
}

/**
 * Runs one ready task of a run on its own: the journal is folded, the task named by `key` runs
 * one attempt, and what it produced comes back as entries to append (nothing is written here).
 * The caller appends them (numbered) and folds again to learn what is ready next. This is how
 * worker processes share runs through a store.
 */
export function runTask(graph: AnyGraph, record: RunRecord, journal: readonly JournalEntry[], key: string, options: { signal?: AbortSignal; blobs?: Store } = {}): Promise<TaskResult> {
  const replay = Replay.of(graph, record, journal, options.signal);
  // Journal entries are captured, never written here; blobs are real (a block reads its input's).
  if (options.blobs !== undefined) replay.context.blobs = options.blobs;
  if (replay.outcome) {
    return Promise.reject(new RunError({ code: "journal_mismatch", message: `run ${record.id} has already ended (${replay.outcome.status}); no task of it can run` }, { runId: record.id }));
  }
  const task = replay.context.take(key);
  if (task?.pending === undefined) {
    const ready = replay.ready().map((t) => t.key);
    return Promise.reject(new RunError({ code: "journal_mismatch", message: `task ${key} is not ready in run ${record.id} (ready: ${ready.join(", ") || "none"})` }, { runId: record.id }));
  }
  return new Promise<TaskResult>((resolve) => {
    const entries: UnnumberedEntry[] = [];
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      // Let the synchronous routing after the entry finish first: it may complete the run.
      queueMicrotask(() => resolve({ entries, ...(replay.outcome ? { outcome: replay.outcome } : {}) }));
    };
    replay.context.capture = (entry) => {
      const { seq: _seq, ...rest } = entry;
      entries.push(rest as UnnumberedEntry);
      // The task's own entry, or a supervisor's restart of it or of a graph around it.
      done();
    };
    replay.onOutcome = done;
    task.goLive();
  });
}

/**
 * The journal entry that resumes the suspended block `target` (a suspension id, block path or
 * block id) of a run with `data`, validated against the block's resume schema: for stores that
 * other processes run (the caller appends it and queues what is then ready). Throws
 * `not_suspended` or `resume_invalid` as `RunHandle.resume` does.
 */
export function resumedEntry(graph: AnyGraph, record: RunRecord, journal: readonly JournalEntry[], target: string, data: unknown): UnnumberedEntry {
  const replay = Replay.of(graph, record, journal, undefined);
  if (replay.outcome) throw new RunError({ code: "not_suspended", message: `run ${record.id} has already ended (${replay.outcome.status})` }, { runId: record.id });
  return findSuspension(replay.context.suspensions(), target, record.id).resumedEntry(data);
}

/** Drives a root scope over a journal, with no store and no block running unless asked. */
class Replay implements ScopeHost {
  outcome: RunOutcome | undefined;
  onOutcome: (() => void) | undefined;

  private constructor(
    readonly plan: GraphPlan,
    readonly context: RunContext,
  ) {}

  static of(graph: AnyGraph, record: RunRecord, journal: readonly JournalEntry[], signal: AbortSignal | undefined): Replay {
    const plan = planOf(graph);
    if (plan.version !== record.version) {
      throw new RunError({ code: "graph_not_found", message: `run ${record.id} is pinned to version ${record.version} of graph "${record.graphId}", but the graph given has version ${plan.version}` }, { runId: record.id });
    }
    const effective = effectiveJournal(record.input, journal);
    // The store is never written: entries are captured (runTask) or there are none (folding).
    const context = new RunContext(record.id, new MemoryStore(), new EventHub(), effective.lastSeq);
    const replay = new Replay(plan, context);
    context.replaying = true;
    const root = new Scope(context, plan, "", plan.input.parse(effective.input), replay, signal);
    root.start();
    for (const entry of effective.entries) {
      if (replay.outcome) break;
      if (!context.replay(entry)) {
        throw new RunError(
          { code: "journal_mismatch", message: `journal entry ${entry.seq} (${entry.kind} of ${entry.path}, activation ${entry.act}) does not fit graph "${plan.def.id}" version ${plan.version}${passHint(context)}` },
          { runId: record.id },
        );
      }
    }
    return replay;
  }

  ready(): ReadyTask[] {
    if (this.outcome) return [];
    return this.context
      .pendingTasks()
      .filter((t) => t.pending !== undefined)
      .map((t) => ({ key: t.key, ...(t.pending as Omit<ReadyTask, "key">) }));
  }

  scopeCompleted(output: unknown): void {
    this.outcome = { status: "completed", output: output as JsonValue };
    this.onOutcome?.();
  }

  scopeFailed(error: RunError): void {
    this.outcome = { status: "failed", error: error.info };
    this.onOutcome?.();
  }
}
