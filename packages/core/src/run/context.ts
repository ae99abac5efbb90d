import { isRunError, messageOf, RunError } from "../errors.js";
import type { JournalEntry, MaybePromise, Store } from "../store/store.js";
import type { EventHub, RunEvent, Suspension } from "../events.js";

/**
 * A store error as the run's error: `run_taken_over` and `run_owned` as they are, anything else
 * (disk full, I/O error, database gone, constraint violation) as `store_failed`, saying what was
 * being written and that the run can be resumed.
 */
export function storeFailure(runId: string, error: unknown, what: string): RunError {
  if (isRunError(error) && (error.code === "run_taken_over" || error.code === "run_owned" || error.code === "store_failed")) return error;
  const cause = messageOf(error);
  const code = (error as { code?: unknown } | null)?.code;
  return new RunError(
    {
      code: "store_failed",
      message: `the store failed while writing ${what}: ${cause}${typeof code === "string" && !cause.includes(code) ? ` (${code})` : ""}. The run stopped here; what was journaled is kept, so resume it once the store works again (blockwork runs resume ${runId}).`,
      cause,
    },
    { runId, cause: error },
  );
}

/** Work that waits while the run is paused for an upgrade. */
export interface Pausable {
  proceed(): void;
}

/** A suspended block, as the run keeps it until someone resumes it. */
export interface Suspended extends Suspension {
  /** Validates `data` against the block's resume schema, journals it, and runs the block again. */
  resume(data: unknown): MaybePromise<void>;
  /** Throws what `resume(data)` would throw, without resuming. */
  check(data: unknown): unknown;
  /** The journal entry `resume(data)` would append (after `check`), for a store other processes run. */
  resumedEntry(data: unknown): Omit<Extract<JournalEntry, { kind: "block.resumed" }>, "seq">;
  readonly abandoned: boolean;
}

/**
 * The one suspension `target` names in a run: a suspension id (`review/approve#1`), a block path
 * (`review/approve`) or a block id (`approve`). Throws `not_suspended` with what is suspended.
 */
export function findSuspension<S extends Suspension>(all: readonly S[], target: string, runId: string): S {
  const pick = (matches: S[]): S | undefined => {
    if (matches.length > 1) {
      throw new RunError({ code: "not_suspended", message: `"${target}" names ${matches.length} suspended blocks of run ${runId}; say which by its suspension id: ${matches.map((s) => s.id).join(", ")}` }, { runId });
    }
    return matches[0];
  };
  const found = all.find((s) => s.id === target) ?? pick(all.filter((s) => s.path === target)) ?? pick(all.filter((s) => s.path.slice(s.path.lastIndexOf("/") + 1) === target));
  if (found !== undefined) return found;
  const waiting = all.length === 0 ? "no block of it is suspended" : `suspended: ${all.map((s) => s.id).join(", ")}`;
  throw new RunError({ code: "not_suspended", message: `run ${runId} has no suspended block "${target}" (${waiting})` }, { runId });
}

/** Something waiting for its journal entries while a resumed run replays (a leaf task). */
export interface Replayable {
  readonly key: string;
  /** Applies a recorded fact instead of running anything. */
  replay(entry: JournalEntry): void;
  /** Replay is over and no entry finished this task: run it for real. */
  goLive(): void;
  /** For a leaf block that can run: its path, activation, next attempt and earliest start. */
  readonly pending?: { readonly path: string; readonly act: number; readonly attempt: number; readonly notBefore: number } | undefined;
  /** A supervisor restart (or a failure) made it irrelevant: it must not run. */
  readonly abandoned?: boolean;
  /** A loop's next pass waiting for its `loop.pass` entry (not a block). */
  readonly loopPass?: boolean;
}

/**
 * What every scope of one run shares: its id, store, events, journal numbering and replay state.
 */
export class RunContext {
  /** The last journal sequence number used. */
  seq: number;
  /** While a resumed run replays its journal, leaf tasks wait for their entries instead of running. */
  replaying = false;
  // Both created on first use: a million runs in flight should not carry a million empty maps.
  private waitingTasks: Map<string, Replayable> | undefined;
  private retryTimers: Set<ReturnType<typeof setTimeout>> | undefined;
  ended = false;
  /**
   * Set when one task is run on its own (`runTask`): entries go here instead of the store, and a
   * failed attempt is reported instead of retried in this process.
   */
  capture: ((entry: JournalEntry) => void) | undefined;
  /** Where `ctx.blobs` reads and writes when it is not `store` (a task run on its own: `runTask`). */
  blobs: Store | undefined;
  /** Leaf tasks in flight (running, or waiting for a retry or backoff timer). */
  private live = 0;
  /** Suspended blocks by suspension id (created on first use). */
  private parked: Map<string, Suspended> | undefined;
  /** Set while every live branch is suspended. */
  quiet = false;
  private quietCheck = false;
  /** Told when the run becomes quiet (every branch left is suspended) and when it wakes up again (no closure per run). */
  quietListener: { quietChanged(quiet: boolean): void } | undefined;
  /** Set when the run is traced: calls a block attempt's code with the attempt's span as the active OpenTelemetry context. */
  aroundAttempt: (<T>(path: string, act: number, run: () => T) => T) | undefined;
  /**
   * Set while an upgrade waits for a block boundary: nothing new starts (scopes keep their queues,
   * retries wait), and once no attempt is in progress, `onBoundary` is called.
   */
  paused = false;
  onBoundary: (() => void) | undefined;
  /** Attempts in progress: started, and their outcome not yet recorded and routed. */
  private busyCount = 0;
  /** What stopped because of the pause, to go on if the upgrade is refused. */
  private held: Set<Pausable> | undefined;

  constructor(
    readonly id: string,
    readonly store: Store,
    readonly hub: EventHub,
    lastSeq = 0,
  ) {
    this.seq = lastSeq;
  }

  /** The next journal sequence number (entries are built whole, in one object literal, on the hot path). */
  nextSeq(): number {
    return ++this.seq;
  }

  /**
   * Told when a journal write fails (disk full, I/O error, database gone, constraint violation, the
   * run taken over): the run stops with a `store_failed` (or `run_taken_over`) error.
   */
  storeListener: { storeFailed(error: RunError): void } | undefined;

  /**
   * Appends an entry to the journal. A store that fails does not throw here: the run is told (it
   * stops, resumable), and the caller gets a rejected promise, so that nothing depending on the
   * entry goes on.
   */
  append(entry: JournalEntry): MaybePromise<void> {
    if (this.capture) {
      this.capture(entry);
      return;
    }
    let written: MaybePromise<void>;
    try {
      written = this.store.append(this.id, entry);
    } catch (error) {
      return this.storeFailed(error, entry);
    }
    if (written instanceof Promise) return written.catch((error: unknown) => this.storeFailed(error, entry));
    return written;
  }

  private storeFailed(error: unknown, entry: JournalEntry): Promise<never> {
    const failure = storeFailure(this.id, error, `journal entry ${entry.seq} (${entry.kind}${entry.path ? ` of ${entry.path}` : ""})`);
    this.storeListener?.storeFailed(failure);
    return Promise.reject(failure);
  }

  emit(event: RunEvent): void {
    if (this.hub.active) this.hub.emit(event);
  }

  get listening(): boolean {
    return this.hub.active;
  }

  private get waiting(): Map<string, Replayable> {
    return (this.waitingTasks ??= new Map());
  }

  /** Pending retry timers, cleared when the run ends. */
  get timers(): Set<ReturnType<typeof setTimeout>> {
    return (this.retryTimers ??= new Set());
  }

  wait(task: Replayable): void {
    this.waiting.set(task.key, task);
  }

  /** Applies one journal entry to the task waiting for it; false when no task is waiting for it. */
  replay(entry: JournalEntry): boolean {
    const key = `${entry.path}#${entry.act}`;
    const task = this.waiting.get(key);
    if (task === undefined) return false;
    // Only an outcome ends the wait: a failed attempt, a suspension, a resume or a step leave the task waiting.
    if (entry.kind !== "attempt.failed" && entry.kind !== "block.suspended" && entry.kind !== "block.resumed" && entry.kind !== "step.completed") this.waiting.delete(key);
    task.replay(entry);
    return true;
  }

  /** The tasks waiting for journal entries, in the order they started (abandoned ones left out). */
  pendingTasks(): Replayable[] {
    return [...(this.waitingTasks?.values() ?? [])].filter((t) => t.abandoned !== true);
  }

  /** Takes one waiting task out of replay (to run it on its own). */
  take(key: string): Replayable | undefined {
    const task = this.waitingTasks?.get(key);
    if (task) this.waitingTasks?.delete(key);
    return task;
  }

  /** Ends replay: every task still waiting runs for real, in the order it started. */
  goLive(): void {
    this.replaying = false;
    const tasks = [...this.waiting.values()];
    this.waiting.clear();
    for (const task of tasks) if (task.abandoned !== true) task.goLive();
  }

  /** An attempt (or a restart being journaled) is in progress. */
  enter(): void {
    this.busyCount++;
  }

  /** It has reached a block boundary: its outcome is recorded and routed. */
  leave(): void {
    this.busyCount--;
    if (this.paused && this.busyCount === 0) queueMicrotask(() => this.paused && this.busyCount === 0 && this.onBoundary?.());
  }

  get busy(): number {
    return this.busyCount;
  }

  /** Something that stopped because of a pause. */
  defer(what: Pausable): void {
    (this.held ??= new Set()).add(what);
  }

  /** Lifts a pause: what stopped goes on. */
  unpause(): void {
    this.paused = false;
    const held = [...(this.held ?? [])];
    this.held?.clear();
    for (const what of held) what.proceed();
  }

  /** A leaf task is in flight. */
  hold(): void {
    this.live++;
    if (this.quiet) {
      this.quiet = false;
      this.quietListener?.quietChanged(false);
    }
  }

  /** A leaf task is done, suspended or abandoned. */
  release(): void {
    this.live--;
    this.checkQuiet();
  }

  park(suspended: Suspended): void {
    (this.parked ??= new Map()).set(suspended.id, suspended);
  }

  unpark(id: string): void {
    this.parked?.delete(id);
  }

  /** The blocks waiting to be resumed, oldest first. While replaying: those the journal left suspended. */
  suspensions(): Suspended[] {
    if (this.replaying) return this.pendingTasks().filter((t): t is Replayable & Suspended => (t as Partial<Suspended>).resume !== undefined && t.pending === undefined);
    return [...(this.parked?.values() ?? [])].filter((s) => !s.abandoned);
  }

  /**
   * Declares the run quiet when no task is live and some are suspended. Checked a microtask
   * later: a block that suspends synchronously must not make the run quiet while its siblings
   * still sit in their scope's queue.
   */
  checkQuiet(): void {
    // Nothing parked, nothing to be quiet about: no microtask on the hot path of runs that never suspend.
    if (this.live !== 0 || this.quiet || this.quietCheck || this.parked === undefined || this.parked.size === 0) return;
    this.quietCheck = true;
    queueMicrotask(() => {
      this.quietCheck = false;
      if (this.live === 0 && !this.quiet && !this.ended && !this.replaying && this.suspensions().length > 0) {
        this.quiet = true;
        this.quietListener?.quietChanged(true);
      }
    });
  }

  end(): void {
    this.ended = true;
    if (this.retryTimers === undefined) return;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }
}
