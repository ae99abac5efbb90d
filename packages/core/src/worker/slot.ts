import { type ErrorInfo, isRunError, messageOf } from "../errors.js";
import { runTask, type TaskResult } from "../run/fold.js";
import { isTransient } from "../store/postgres-connect.js";
import type { JournalEntry, RunRecord } from "../store/store.js";
import type { AnyGraph, GraphResolver } from "./graphs.js";
import type { ClaimedTask } from "./queue.js";
import { releaseTasks, renewLease } from "./queue.js";
import { failRun, type Recorded, recordTask } from "./record.js";
import { sleep } from "./wakeup.js";
import type { WorkerEvent, WorkerStats } from "./worker-events.js";
import type { PostgresStore } from "../store/postgres-store.js";

/** @internal What a task slot needs from its worker. */
export interface WorkerHost {
  readonly id: string;
  readonly store: PostgresStore;
  readonly leaseMs: number;
  readonly graphs: GraphResolver;
  readonly stats: WorkerStats;
  readonly stopping: boolean;
  emit(event: WorkerEvent): void;
}

/** How long a task this worker cannot run (no graph for it) waits before any worker claims it again. */
const UNRUNNABLE_DELAY_MS = 5_000;

/**
 * One slot of a worker: runs a claimed task, records its outcome, and, when that outcome makes
 * another task of the same run ready, goes on with it (claimed in the same transaction), so a
 * chain of blocks runs on one worker without a round trip through the queue per block.
 */
export class TaskSlot {
  /** Set while the outcome is being recorded: the heartbeat leaves the slot alone then. */
  recording = false;
  private controller = new AbortController();
  /** Aborted by `stop()`: what it was doing is given back, not lost. */
  private shutdown = false;
  private readonly claimedAt = Date.now();

  constructor(
    private readonly host: WorkerHost,
    public task: ClaimedTask,
    private readonly record: RunRecord,
    private journal: readonly JournalEntry[],
  ) {}

  abort(reason: string, shutdown = false): void {
    this.shutdown ||= shutdown;
    this.controller.abort(new Error(reason));
  }

  async run(): Promise<void> {
    const { host } = this;
    let graph: AnyGraph;
    try {
      graph = await host.graphs.resolve(this.record);
    } catch (error) {
      host.emit({ type: "worker.error", runId: this.task.runId, key: this.task.key, message: messageOf(error) });
      await this.release(`this worker cannot load its graph; another worker may claim it in ${UNRUNNABLE_DELAY_MS / 1000} s`, UNRUNNABLE_DELAY_MS);
      return;
    }
    // Loading the graph (the first time: importing its module) can outlast a heartbeat, or even
    // the lease: make sure the claim still holds before the block starts.
    if (Date.now() - this.claimedAt > host.leaseMs / 3 && !(await renewLease(host.store, host.id, this.task, host.leaseMs).catch(() => false))) {
      this.lost("the lease expired while the graph was loading");
      return;
    }
    for (;;) {
      const { runId, key } = this.task;
      host.emit({ type: "task.claimed", runId, key, attempt: this.task.attempt });
      const attempt = await this.attempt(graph);
      if (attempt === "aborted") {
        if (this.shutdown) host.emit({ type: "task.released", runId, key, reason: "the worker stopped before the task finished" });
        else this.lost(String(this.controller.signal.reason?.message ?? "aborted"));
        return;
      }
      if ("error" in attempt) {
        // runTask refused the task: the journal does not fit the graph. Deterministic, so the run ends.
        const info: ErrorInfo = isRunError(attempt.error) ? attempt.error.info : { code: "journal_mismatch", message: messageOf(attempt.error) };
        await this.fail(info);
        return;
      }
      this.recording = true;
      const recorded = await this.recordOutcome(graph, attempt.result);
      if (recorded === undefined) return;
      if (recorded.status === "lost") return this.lost(recorded.reason);
      host.stats.recorded++;
      if (recorded.outcome?.status === "completed") host.stats.runsCompleted++;
      if (recorded.outcome?.status === "failed") host.stats.runsFailed++;
      host.emit({ type: "task.recorded", runId, key, entries: attempt.result.entries.length, ...(recorded.outcome ? { outcome: recorded.outcome.status } : {}) });
      if (recorded.next === undefined) return;
      host.stats.claimed++;
      this.task = recorded.next.task;
      this.journal = recorded.next.journal;
      this.controller = new AbortController();
      this.recording = false;
    }
  }

  /** One attempt of the task; "aborted" as soon as the slot is aborted, whether or not the block stops. */
  private async attempt(graph: AnyGraph): Promise<"aborted" | { result: TaskResult } | { error: unknown }> {
    const signal = this.controller.signal;
    if (signal.aborted) return "aborted";
    const aborted = new Promise<"aborted">((resolve) => signal.addEventListener("abort", () => resolve("aborted"), { once: true }));
    try {
      const result = await Promise.race([runTask(graph, this.record, this.journal, this.task.key, { signal, blobs: this.host.store }), aborted]);
      return result === "aborted" ? result : { result };
    } catch (error) {
      return { error };
    }
  }

  /** The completion transaction, tried again while the database is unreachable (a restart). */
  private async recordOutcome(graph: AnyGraph, result: TaskResult): Promise<Recorded | undefined> {
    const { host, task } = this;
    for (let failures = 0; ; ) {
      try {
        return await recordTask(host.store, {
          graph,
          record: this.record,
          journal: this.journal,
          task,
          result,
          owner: host.id,
          leaseMs: host.leaseMs,
          continueHere: !host.stopping,
        });
      } catch (error) {
        // The schema's uniqueness rule fired: this activation is already decided in the journal.
        if ((error as { code?: string }).code === "23505") return { status: "lost", reason: "the journal already holds this block's outcome" };
        if (isRunError(error) && error.code !== "store_unavailable") {
          await this.fail(error.info);
          return undefined;
        }
        if (!isTransient(error) || this.shutdown) {
          host.emit({ type: "worker.error", runId: task.runId, key: task.key, message: `cannot record the outcome of ${task.key}; its lease will expire and the task will run again: ${messageOf(error)}` });
          return undefined;
        }
        if (failures++ === 0) host.emit({ type: "worker.error", runId: task.runId, key: task.key, message: `cannot record the outcome of ${task.key} yet (retrying): ${messageOf(error)}` });
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  private lost(reason: string): void {
    this.host.stats.lost++;
    this.host.emit({ type: "task.lost", runId: this.task.runId, key: this.task.key, reason });
  }

  private async release(reason: string, delayMs: number): Promise<void> {
    const { host, task } = this;
    const released = await releaseTasks(host.store, host.id, [task.token], delayMs).catch(() => 0);
    host.stats.released += released;
    host.emit({ type: "task.released", runId: task.runId, key: task.key, reason });
  }

  private async fail(info: ErrorInfo): Promise<void> {
    const { host, task } = this;
    host.emit({ type: "worker.error", runId: task.runId, key: task.key, message: `run ${task.runId} cannot go on and is marked failed: ${info.message}` });
    await failRun(host.store, task.runId, { ...info, path: info.path ?? task.path }).catch((error: unknown) =>
      host.emit({ type: "worker.error", runId: task.runId, message: `cannot mark run ${task.runId} failed: ${messageOf(error)}` }),
    );
    host.stats.runsFailed++;
  }
}
