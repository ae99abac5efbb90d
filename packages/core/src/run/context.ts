import type { JournalEntry, MaybePromise, Store } from "../store/store.js";
import type { EventHub, RunEvent } from "./events.js";

/** Something waiting for its journal entries while a resumed run replays (a leaf task). */
export interface Replayable {
  readonly key: string;
  /** Applies a recorded fact instead of running anything. */
  replay(entry: JournalEntry): void;
  /** Replay is over and no entry finished this task: run it for real. */
  goLive(): void;
  /** For a leaf block that can run: its path, activation, next attempt and earliest start. */
  readonly pending?: { readonly path: string; readonly act: number; readonly attempt: number; readonly notBefore: number };
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

  append(entry: JournalEntry): MaybePromise<void> {
    if (this.capture) {
      this.capture(entry);
      return;
    }
    return this.store.append(this.id, entry);
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
    if (entry.kind !== "attempt.failed") this.waiting.delete(key);
    task.replay(entry);
    return true;
  }

  /** The tasks waiting for journal entries, in the order they started. */
  pendingTasks(): Replayable[] {
    return [...(this.waitingTasks?.values() ?? [])];
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
    for (const task of tasks) task.goLive();
  }

  end(): void {
    this.ended = true;
    if (this.retryTimers === undefined) return;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }
}
