import {
  cancelRun,
  isRunError,
  type JournalEntry,
  type PostgresStore,
  resume,
  resumeOnWorkers,
  type RunEvent,
  type RunHandle,
  run,
  type Store,
  startWorker,
  submitRun,
  type Worker,
} from "@blockwork/core";
import type { JsonValue } from "@blockwork/spec";
import type { AssistantEntry, Catalog } from "./graphs.js";
import type { ServerDb } from "./db.js";

/**
 * Where Blockwork runs execute for the server: in this process (`LocalRunner`: memory or SQLite
 * store), or on workers sharing a PostgreSQL store (`WorkerRunner`). Either way the store holds
 * the truth (the run record and its journal); the runner only starts, resumes and cancels runs,
 * and says when a run may have changed.
 */
export interface Runner {
  readonly store: Store;
  /** How often followers re-read a run that gives no notice of its progress (0: every change is notified). */
  readonly pollMs: number;
  start(entry: AssistantEntry, input: unknown, runId: string): Promise<void>;
  /** Resolves once the resume is journaled; rejects with the core's RunError (`not_suspended`, `resume_invalid`). */
  resume(entry: AssistantEntry, runId: string, block: string, data: unknown): Promise<void>;
  /** Resolves false when the run cannot be cancelled (it ended, or is not running here). */
  cancel(entry: AssistantEntry | undefined, runId: string, reason: string): Promise<boolean>;
  /**
   * Calls `wake` when the run may have changed (with `endOnly`, only when it may have ended or
   * stopped at a suspension); returns the unsubscribe function.
   */
  watch(runId: string, wake: () => void, options?: { readonly endOnly?: boolean }): () => void;
  /**
   * For a run executing in this process: resolves when it settles (ends, or waits at a
   * suspension), so that followers need not read the store before. Undefined otherwise.
   */
  settled(runId: string): Promise<unknown> | undefined;
  /** Lets work in flight finish for up to `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/** Wake-ups by run id: for every change, or only for ends (a run ending or stopping at a suspension). */
class Wakeups {
  private readonly progress = new Map<string, Set<() => void>>();
  private readonly ends = new Map<string, Set<() => void>>();

  on(runId: string, wake: () => void, endOnly = false): () => void {
    const map = endOnly ? this.ends : this.progress;
    let set = map.get(runId);
    if (set === undefined) map.set(runId, (set = new Set()));
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0) map.delete(runId);
    };
  }

  /** A change that may be an end: everyone is woken. */
  fire(runId: string): void {
    this.fireProgress(runId);
    const set = this.ends.get(runId);
    if (set) for (const wake of [...set]) wake();
  }

  /** Progress only (a journal entry). */
  fireProgress(runId: string): void {
    const set = this.progress.get(runId);
    if (set) for (const wake of [...set]) wake();
  }
}

/**
 * The store, seen through a proxy that keeps, per run, the sequence number of the last journal
 * entry appended through it: reports (model and tool calls) are stored with the entry they
 * followed, which orders them in streams. Everything else goes to the store as it is.
 */
function trackingStore(inner: Store, appended: (runId: string) => void): { store: Store; lastSeq: Map<string, number> } {
  const lastSeq = new Map<string, number>();
  const append = (runId: string, entry: JournalEntry) => {
    const done = () => {
      lastSeq.set(runId, Math.max(lastSeq.get(runId) ?? 0, entry.seq));
      appended(runId);
    };
    const written = inner.append(runId, entry);
    if (written instanceof Promise) return written.then(done);
    done();
    return undefined;
  };
  // Methods bound once (a run reads them on every call); getters (`memory`) are read each time.
  const bound = new Map<PropertyKey, { readonly from: unknown; readonly fn: unknown }>();
  const store = new Proxy(inner, {
    get(target, property) {
      if (property === "append") return append;
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== "function") return value;
      const known = bound.get(property);
      if (known !== undefined && known.from === value) return known.fn;
      const fn = (value as (...args: unknown[]) => unknown).bind(target);
      bound.set(property, { from: value, fn });
      return fn;
    },
  });
  return { store, lastSeq };
}

/** Runs execute in this process, with `run()` and `resume()` on a memory or SQLite store. */
export class LocalRunner implements Runner {
  readonly pollMs = 0;
  readonly store: Store;
  private readonly tracking: Store;
  private readonly lastSeq: Map<string, number>;
  private readonly handles = new Map<string, RunHandle>();
  /** Runs being loaded from their journals by `resume` (see there). */
  private readonly loading = new Map<string, Promise<RunHandle>>();
  private readonly wakeups = new Wakeups();

  constructor(
    store: Store,
    private readonly db: ServerDb,
    private readonly catalog: Catalog,
  ) {
    const tracked = trackingStore(store, (runId) => this.wakeups.fireProgress(runId));
    this.tracking = tracked.store;
    this.lastSeq = tracked.lastSeq;
    this.store = store;
  }

  /** Resumes the runs this process was running when it stopped (their graphs must be served). */
  async recover(): Promise<string[]> {
    const recovered: string[] = [];
    for (const record of await this.store.listRuns({ status: "running", limit: 10_000 })) {
      const entry = this.catalog.byGraphVersion(record.version);
      if (entry === undefined || this.handles.has(record.id)) continue;
      let handle: RunHandle;
      try {
        handle = await resume(record.id, { store: this.tracking, graph: entry.graph, onEvent: (e) => this.onEvent(e) });
      } catch (error) {
        // Another live process executes it (one owner per run): it is not this server's to recover.
        if (isRunError(error) && error.code === "run_owned") continue;
        throw error;
      }
      this.keep(handle);
      recovered.push(record.id);
    }
    return recovered;
  }

  async start(entry: AssistantEntry, input: unknown, runId: string): Promise<void> {
    const handle = run(entry.graph, input as never, { store: this.tracking, runId, onEvent: (e) => this.onEvent(e), ...(entry.source ? { source: entry.source } : {}) });
    this.keep(handle);
  }

  async resume(entry: AssistantEntry, runId: string, block: string, data: unknown): Promise<void> {
    // One load of a run at a time here: a second resume waits for the first and then meets the
    // live handle (which refuses a suspension resumed already), instead of loading the run twice.
    for (let pending = this.loading.get(runId); pending !== undefined; pending = this.loading.get(runId)) await pending.catch(() => undefined);
    const live = this.handles.get(runId);
    if (live) {
      await live.resume(block, data);
      return;
    }
    const loading = resume(runId, { store: this.tracking, graph: entry.graph, block, data, onEvent: (e) => this.onEvent(e) });
    this.loading.set(runId, loading);
    try {
      this.keep(await loading);
    } finally {
      this.loading.delete(runId);
    }
  }

  async cancel(entry: AssistantEntry | undefined, runId: string, reason: string): Promise<boolean> {
    let handle = this.handles.get(runId);
    if (handle === undefined) {
      const record = await this.store.getRun(runId);
      if (entry === undefined || record === undefined || (record.status !== "running" && record.status !== "suspended")) return false;
      // Not in memory (this process restarted): load it from its journal to cancel it.
      handle = await resume(runId, { store: this.tracking, graph: entry.graph, onEvent: (e) => this.onEvent(e) });
      this.keep(handle);
    }
    handle.cancel(reason);
    await handle.result.catch(() => undefined);
    return true;
  }

  watch(runId: string, wake: () => void, options: { readonly endOnly?: boolean } = {}): () => void {
    return this.wakeups.on(runId, wake, options.endOnly);
  }

  settled(runId: string): Promise<unknown> | undefined {
    return this.handles.get(runId)?.settled();
  }

  private keep(handle: RunHandle): void {
    this.handles.set(handle.id, handle);
    handle.result.then(
      () => this.forget(handle),
      () => this.forget(handle),
    );
  }

  private forget(handle: RunHandle): void {
    if (this.handles.get(handle.id) === handle) this.handles.delete(handle.id);
    this.wakeups.fire(handle.id);
  }

  private onEvent(event: RunEvent): void {
    if (event.type === "block.usage" || event.type === "block.tool") {
      // Reports are not in the journal: the server keeps them, after the entry they followed.
      void this.db.appendReport(event.runId, this.lastSeq.get(event.runId) ?? 0, event as unknown as JsonValue).catch(() => undefined);
    }
    if (event.type === "run.suspended" || event.type === "run.completed" || event.type === "run.failed" || event.type === "run.cancelled" || event.type === "run.started") {
      this.wakeups.fire(event.runId);
    }
  }

  /**
   * Waits up to `graceMs` for the runs in flight here to settle (end, or wait at a suspension).
   * Runs still going after that stay `running` in the store, and the next server on this store
   * resumes them from their journals (what a crash would do, without losing anything).
   */
  async close(graceMs = 10_000): Promise<void> {
    const settled = Promise.all([...this.handles.values()].map((h) => h.settled().catch(() => undefined)));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([settled, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }
}

/**
 * Runs execute on workers sharing a PostgreSQL store: the server submits, resumes and cancels,
 * and follows runs through the store (notified when a run ends, polled for progress). With
 * `concurrency > 0` the server also runs a worker itself.
 */
export class WorkerRunner implements Runner {
  readonly pollMs: number;
  private worker: Worker | undefined;
  private readonly wakeups = new Wakeups();
  private unsubscribe: (() => void) | undefined;

  constructor(
    readonly store: PostgresStore,
    private readonly catalog: Catalog,
    private readonly options: { readonly concurrency: number; readonly pollMs?: number },
  ) {
    this.pollMs = options.pollMs ?? 100;
  }

  async open(): Promise<void> {
    await this.store.connect();
    this.unsubscribe = this.store.subscribe("runs", (payload) => {
      if (payload === undefined) for (const id of this.watched()) this.wakeups.fire(id);
      else this.wakeups.fire(payload);
    });
    if (this.options.concurrency > 0) {
      this.worker = await startWorker({ store: this.store, graphs: this.catalog.entries.map((e) => e.graph), concurrency: this.options.concurrency });
    }
  }

  /** How many watchers each run has (a notification without a run id wakes them all). */
  private readonly watching = new Map<string, number>();
  private watched(): string[] {
    return [...this.watching.keys()];
  }

  async start(entry: AssistantEntry, input: unknown, runId: string): Promise<void> {
    await submitRun(this.store, entry.graph, input as never, { runId, ...(entry.source ? { source: entry.source } : {}) });
  }

  async resume(entry: AssistantEntry, runId: string, block: string, data: unknown): Promise<void> {
    await resumeOnWorkers(this.store, entry.graph, runId, block, data);
  }

  async cancel(_entry: AssistantEntry | undefined, runId: string, reason: string): Promise<boolean> {
    return cancelRun(this.store, runId, reason);
  }

  watch(runId: string, wake: () => void, options: { readonly endOnly?: boolean } = {}): () => void {
    this.watching.set(runId, (this.watching.get(runId) ?? 0) + 1);
    const off = this.wakeups.on(runId, wake, options.endOnly);
    return () => {
      off();
      const left = (this.watching.get(runId) ?? 1) - 1;
      if (left > 0) this.watching.set(runId, left);
      else this.watching.delete(runId);
    };
  }

  settled(): undefined {
    return undefined;
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    if (this.worker) await this.worker.stop();
  }
}
