import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { messageOf } from "../errors.js";
import { isTransient } from "../store/postgres-connect.js";
import type { PostgresStore } from "../store/postgres-store.js";
import type { JournalEntry, RunRecord } from "../store/store.js";
import { type AnyGraph, type GraphLoader, GraphResolver } from "./graphs.js";
import { RecordBatcher } from "./record-batch.js";
import { type ClaimedTask, claimTasks, heartbeat, loadRuns, nextDue, releaseTasks } from "./queue.js";
import { TaskSlot, type WorkerHost } from "./slot.js";
import type { WorkerEvent, WorkerStats } from "./worker-events.js";
import { sleep, Wakeup } from "./wakeup.js";

export type { WorkerEvent, WorkerStats } from "./worker-events.js";

/** The longest wait between two tries to reach the database at start. */
const MAX_BACKOFF_MS = 5_000;

/** Whether waiting can fix a failure to connect: not a wrong password, a missing database or a newer schema. */
function worthWaiting(error: unknown): boolean {
  if (!isTransient(error)) return false;
  const code = ((error as { cause?: { code?: string } }).cause ?? (error as { code?: string }))?.code;
  return code !== "28P01" && code !== "28000" && code !== "3D000";
}

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  readonly store: PostgresStore;
  /** Graphs this worker can run; a run is matched to one by its pinned version. */
  readonly graphs?: readonly AnyGraph[];
  /** Loads the graph of a run none of `graphs` matches (once per version), e.g. from `run.source`. */
  readonly loader?: GraphLoader;
  /** Tasks run at once by this process (default 4). */
  readonly concurrency?: number;
  /** How long a claim lasts without a heartbeat (default 30 s); heartbeats come every third of it. */
  readonly leaseMs?: number;
  /** How often to look for work when no notification arrives (default 1 s). */
  readonly pollMs?: number;
  /** How long `stop()` lets running tasks finish before releasing them (default: `leaseMs`). */
  readonly graceMs?: number;
  /** Default: `<host>:<pid>:<random>`. Must be unique among the workers of a store. */
  readonly id?: string;
  readonly onEvent?: (event: WorkerEvent) => void;
  /** Stop gracefully on SIGTERM and SIGINT (default false; `blockwork worker` sets it). */
  readonly handleSignals?: boolean;
  /**
   * When the database cannot be reached at start: reject at once with the `store_unavailable`
   * error (true), or wait for it with backoff, reporting each try as a `worker.waiting` event
   * (false, the default: workers may start before their database). Errors that waiting cannot
   * fix (a wrong password, a missing database, a schema migrated by a newer Blockwork) reject either way.
   */
  readonly failFast?: boolean;
}

/** A running worker (from {@link startWorker}): its id, its counts, and how to stop it. */
export interface Worker {
  readonly id: string;
  readonly stats: Readonly<WorkerStats>;
  /** Stops claiming, lets running tasks finish for up to `graceMs`, then releases the rest. */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** Resolves when the worker has stopped (through `stop()` or a signal). */
  readonly stopped: Promise<void>;
}

/**
 * Starts a worker on a PostgreSQL store: it claims ready tasks of runs submitted with `submitRun`
 * (or `blockwork run --store postgres://…`), runs each with `runTask`, and records its entries and
 * the run's next ready tasks in one transaction that re-checks the claim. Any number of workers
 * on any number of machines can share a store. Resolves once connected (the schema migrated).
 */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const worker = new WorkerLoop(options);
  await worker.start();
  return worker;
}

class WorkerLoop implements Worker, WorkerHost {
  readonly id: string;
  readonly store: PostgresStore;
  readonly leaseMs: number;
  readonly graphs: GraphResolver;
  readonly batcher: RecordBatcher;
  readonly stats: WorkerStats = { claimed: 0, recorded: 0, reconciled: 0, superseded: 0, discarded: 0, lost: 0, released: 0, runsCompleted: 0, runsFailed: 0, errors: 0 };
  stopping = false;
  readonly stopped: Promise<void>;
  private readonly slots = new Set<TaskSlot>();
  private readonly wakeup = new Wakeup();
  private readonly drained = new Wakeup();
  private readonly concurrency: number;
  private readonly pollMs: number;
  private loopDone: Promise<void> = Promise.resolve();
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopping$: Promise<void> | undefined;
  private resolveStopped!: () => void;
  private beating = false;
  private readonly onSignal = () => void this.stop();

  constructor(private readonly options: WorkerOptions) {
    this.store = options.store;
    this.id = options.id ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.leaseMs = Math.max(100, options.leaseMs ?? 30_000);
    this.pollMs = options.pollMs ?? 1_000;
    this.graphs = new GraphResolver(options.graphs ?? [], options.loader);
    this.batcher = new RecordBatcher(this.store);
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
  }

  emit(event: WorkerEvent): void {
    if (event.type === "worker.error") this.stats.errors++;
    this.options.onEvent?.(event);
  }

  async start(): Promise<void> {
    if (this.options.handleSignals) {
      process.once("SIGTERM", this.onSignal);
      process.once("SIGINT", this.onSignal);
    }
    try {
      await this.connect();
    } catch (error) {
      process.off("SIGTERM", this.onSignal);
      process.off("SIGINT", this.onSignal);
      throw error;
    }
    if (this.stopping) return;
    // A notification means a commit made unclaimed tasks ready: look for work if there is room.
    this.unsubscribe = this.store.subscribe("tasks", () => {
      if (this.slots.size < this.concurrency) this.wakeup.fire();
    });
    this.heartbeatTimer = setInterval(() => void this.beat(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.loopDone = this.loop();
  }

  /** Connects (and migrates), waiting with backoff while the database cannot be reached, unless `failFast`. */
  private async connect(): Promise<void> {
    const began = Date.now();
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await this.store.connect();
        if (attempt > 1) this.emit({ type: "worker.error", message: `the database at ${this.store.display} answers after ${attempt} tries (${Math.round((Date.now() - began) / 100) / 10} s); starting` });
        return;
      } catch (error) {
        if (this.options.failFast || !worthWaiting(error)) throw error;
        const retryInMs = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(attempt - 1, 5));
        const waited = Math.round((Date.now() - began) / 1000);
        this.options.onEvent?.({ type: "worker.waiting", attempt, retryInMs, message: `waiting for the database (try ${attempt}, ${waited} s so far; next in ${retryInMs / 1000} s): ${messageOf(error)}` });
        await this.wakeup.wait(retryInMs);
      }
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const free = this.concurrency - this.slots.size;
      if (free <= 0) {
        await this.wakeup.wait(this.pollMs);
        continue;
      }
      try {
        const tasks = await claimTasks(this.store, this.id, free, this.leaseMs);
        if (failures > 0) this.emit({ type: "worker.error", message: `the database at ${this.store.display} answers again` });
        failures = 0;
        if (tasks.length > 0) {
          await this.begin(tasks);
          continue;
        }
        const due = await nextDue(this.store);
        await this.wakeup.wait(Math.min(this.pollMs, due ?? this.pollMs));
      } catch (error) {
        if (failures++ === 0) this.emit({ type: "worker.error", message: `cannot claim tasks (retrying): ${messageOf(error)}` });
        await this.wakeup.wait(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  /** Loads the claimed tasks' runs and starts a slot for each. */
  private async begin(tasks: readonly ClaimedTask[]): Promise<void> {
    this.stats.claimed += tasks.length;
    let runs: Map<string, { record: RunRecord; journal: JournalEntry[] }>;
    try {
      runs = await loadRuns(this.store, tasks.map((t) => t.runId));
    } catch (error) {
      this.emit({ type: "worker.error", message: `cannot load the runs of claimed tasks; releasing them: ${messageOf(error)}` });
      await releaseTasks(this.store, this.id, tasks.map((t) => t.token)).catch(() => undefined);
      return;
    }
    for (const task of tasks) {
      const run = runs.get(task.runId);
      if (run === undefined) continue;
      const slot = new TaskSlot(this, task, run.record, run.journal);
      this.slots.add(slot);
      slot.done = slot.run().finally(() => {
        slot.finished = true;
        this.slots.delete(slot);
        this.wakeup.fire();
        this.drained.fire();
      });
    }
  }

  /** Extends this worker's leases; a running task whose lease is gone is aborted (cancelled or taken over). */
  private async beat(): Promise<void> {
    if (this.beating || this.slots.size === 0) return;
    this.beating = true;
    // Tokens as they are now: a slot may move on to a task it claimed itself while this runs.
    const running = [...this.slots].filter((s) => !s.recording).map((slot) => ({ slot, token: slot.task.token }));
    try {
      const held = await heartbeat(this.store, this.id, this.leaseMs);
      for (const { slot, token } of running) {
        if (!held.has(token) && slot.task.token === token && !slot.recording) slot.abort("its lease is gone: the run was cancelled or ended, or another worker took the task over");
      }
    } catch (error) {
      this.emit({ type: "worker.error", message: `heartbeat failed (leases may expire): ${messageOf(error)}` });
    } finally {
      this.beating = false;
    }
  }

  stop(options: { graceMs?: number } = {}): Promise<void> {
    this.stopping$ ??= (async () => {
      this.stopping = true;
      process.off("SIGTERM", this.onSignal);
      process.off("SIGINT", this.onSignal);
      this.wakeup.fire();
      await this.loopDone;
      const deadline = Date.now() + (options.graceMs ?? this.options.graceMs ?? this.leaseMs);
      while (this.slots.size > 0 && Date.now() < deadline) await this.drained.wait(deadline - Date.now());
      const left = [...this.slots];
      for (const slot of left) slot.abort("the worker is stopping", true);
      const released = await releaseTasks(this.store, this.id, left.map((s) => s.task.token)).catch(() => 0);
      this.stats.released += released;
      // A slot still recording (the database away) gives up at its next try; one stuck in a
      // statement is counted lost here: its outcome was not recorded as far as this worker knows.
      const settled = Promise.all(left.map((slot) => slot.done));
      await Promise.race([settled, sleep(Math.min(2_000, this.leaseMs))]);
      for (const slot of left) if (slot.recording && !slot.finished) slot.unrecorded("the worker stopped while recording it; the block runs again once its lease has expired");
      clearInterval(this.heartbeatTimer);
      this.unsubscribe?.();
      this.emit({ type: "worker.stopped", stats: { ...this.stats } });
      this.resolveStopped();
    })();
    return this.stopping$;
  }
}
