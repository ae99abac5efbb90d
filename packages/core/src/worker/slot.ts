import { type ErrorInfo, isRunError, messageOf } from "../errors.js";
import { runTask, type TaskResult } from "../run/fold.js";
import { isTransient } from "../store/postgres-connect.js";
import type { JournalEntry, RunRecord } from "../store/store.js";
import type { AnyGraph, GraphResolver } from "./graphs.js";
import type { ClaimedTask } from "./queue.js";
import { releaseTasks, renewLease } from "./queue.js";
import { failRun, type Recorded, recordTask } from "./record.js";
import { Wakeup } from "./wakeup.js";
import type { WorkerEvent, WorkerStats } from "./worker-events.js";
import type { PostgresStore } from "../store/postgres-store.js";
import type { RecordBatcher } from "./record-batch.js";

/** @internal What a task slot needs from its worker. */
export interface WorkerHost {
  readonly id: string;
  readonly store: PostgresStore;
  readonly leaseMs: number;
  readonly graphs: GraphResolver;
  readonly stats: WorkerStats;
  readonly stopping: boolean;
  /** Records the completions of this worker's slots together (one statement for many). */
  readonly batcher: RecordBatcher;
  emit(event: WorkerEvent): void;
}

/** How long a task this worker cannot run (no graph for it) waits before any worker claims it again. */
const UNRUNNABLE_DELAY_MS = 5_000;
/** How many errors (not outages) the database may answer a completion with before the worker gives it up. */
const MAX_REFUSALS = 3;

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
  /** Set once this slot's last task is accounted for in the worker's stats (see `WorkerLoop.stop`). */
  settled = false;
  /** Resolves when `run()` has ended (set by the worker). */
  done: Promise<void> = Promise.resolve();
  /** Set by the worker when `run()` has ended. */
  finished = false;
  private readonly claimedAt = Date.now();
  private readonly backoff = new Wakeup();

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
      this.superseded("the lease expired while the graph was loading; another worker runs the block");
      return;
    }
    for (;;) {
      const { runId, key } = this.task;
      host.emit({ type: "task.claimed", runId, key, attempt: this.task.attempt });
      const attempt = await this.attempt(graph);
      if (attempt === "aborted") {
        if (this.shutdown) host.emit({ type: "task.released", runId, key, reason: "the worker stopped before the task finished" });
        else await this.leaseGone();
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
      if (this.settled) return;
      if (recorded === undefined) return;
      if (recorded.status === "lost") {
        if (recorded.because === "superseded") this.superseded(recorded.reason);
        else this.ended(recorded.reason);
        return;
      }
      host.stats.recorded++;
      if (recorded.reconciled) host.stats.reconciled++;
      if (recorded.outcome?.status === "completed") host.stats.runsCompleted++;
      if (recorded.outcome?.status === "failed") host.stats.runsFailed++;
      host.emit({
        type: "task.recorded",
        runId,
        key,
        entries: attempt.result.entries.length,
        ...(recorded.outcome ? { outcome: recorded.outcome.status } : {}),
        ...(recorded.reconciled ? { reconciled: true } : {}),
      });
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

  /**
   * The completion transaction, tried again with backoff for as long as the database does not
   * answer, however long that is: past the lease too (the claim is then reconciled, see
   * `recordTask`). It gives up only when the worker stops (after its grace time) or when the
   * database answers with an error that a retry cannot change; the outcome is then lost (counted
   * in `stats.lost`) and the block runs again once its lease has expired.
   */
  private async recordOutcome(graph: AnyGraph, result: TaskResult): Promise<Recorded | undefined> {
    const { host, task } = this;
    const gaveUp = (why: string, error: unknown) => {
      this.unrecorded(`${why}; the block runs again once its lease has expired: ${messageOf(error)}`);
      return undefined;
    };
    for (let failures = 0, refusals = 0; ; ) {
      try {
        const recorded = await recordTask(host.store, {
          graph,
          record: this.record,
          journal: this.journal,
          task,
          result,
          owner: host.id,
          leaseMs: host.leaseMs,
          continueHere: !host.stopping,
        }, host.batcher);
        if (failures > 0) host.emit({ type: "worker.error", runId: task.runId, key: task.key, message: `recorded the outcome of ${task.key} after ${failures} failed ${failures === 1 ? "try" : "tries"}` });
        return recorded;
      } catch (error) {
        if (this.settled) return undefined;
        // The schema's uniqueness rule fired: this activation is already decided in the journal.
        if ((error as { code?: string }).code === "23505") return { status: "lost", reason: "the journal already holds this block's outcome", because: "superseded" };
        if (isRunError(error) && error.code !== "store_unavailable") {
          await this.fail(error.info);
          return undefined;
        }
        if (this.shutdown) return gaveUp(`the worker stopped before the outcome of ${task.key} could be recorded`, error);
        // The database answered, with an error: a few more tries (it may be a passing state), then give up.
        if (!isTransient(error) && ++refusals > MAX_REFUSALS) return gaveUp(`the database refused the outcome of ${task.key} ${refusals} times`, error);
        const delay = Math.min(5_000, 100 * 2 ** Math.min(failures, 6));
        if (failures++ === 0 || failures % 10 === 0) {
          host.emit({ type: "worker.error", runId: task.runId, key: task.key, message: `cannot record the outcome of ${task.key} yet (try ${failures}, retrying every ${Math.round(delay / 100) / 10} s or less until the database answers): ${messageOf(error)}` });
        }
        await this.backoff.wait(delay, this.controller.signal);
      }
    }
  }

  /** The lease went while the block ran (seen by a heartbeat): the run ended, or another worker has the block. */
  private async leaseGone(): Promise<void> {
    const { host, task } = this;
    const reason = String(this.controller.signal.reason?.message ?? "aborted");
    const rows = await host.store
      .query<{ status: string }>(`SELECT status FROM ${host.store.tables.runs} WHERE id = $1`, [task.runId])
      .catch(() => [{ status: "running" }]);
    if (rows[0]?.status === "running") this.superseded(reason);
    else this.ended(`${reason} (the run is ${rows[0]?.status ?? "gone"})`);
  }

  /** Counts a block another worker recorded or runs now: this worker's run of it is discarded. */
  private superseded(reason: string): void {
    if (this.settle()) return;
    this.host.stats.superseded++;
    this.host.emit({ type: "task.superseded", runId: this.task.runId, key: this.task.key, reason });
  }

  /** Counts a block whose run no longer needs it (ended, cancelled, moved to another version). */
  private ended(reason: string): void {
    if (this.settle()) return;
    this.host.stats.discarded++;
    this.host.emit({ type: "task.discarded", runId: this.task.runId, key: this.task.key, reason });
  }

  /** @internal Counts an outcome this worker had and did not record: the block runs again. */
  unrecorded(reason: string): void {
    if (this.settle()) return;
    this.host.stats.lost++;
    this.host.emit({ type: "task.lost", runId: this.task.runId, key: this.task.key, reason });
  }

  /** Marks the slot's task accounted for; true when it already was. */
  private settle(): boolean {
    if (this.settled) return true;
    this.settled = true;
    return false;
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
