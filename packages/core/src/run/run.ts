import type { GraphBlock, JsonValue, OutputFrom } from "@blockwork/spec";
import type { z } from "zod";
import { type ErrorInfo, isRunError, messageOf, RunError } from "../errors.js";
import { type GraphPlan, planOf } from "../plan/plan.js";
import { MemoryStore } from "../store/memory-store.js";
import type { JournalEntry, MaybePromise, RunRecord, RunSource, Store } from "../store/store.js";
import { findSuspension, RunContext, storeFailure, type Suspended } from "./context.js";
import { effectiveJournal } from "./journal.js";
import { prepareRun } from "./record.js";
import type { ReroutePolicy } from "./reroute.js";
import type { UpgradeResult } from "./upgrade.js";
import { type HandleUpgradeOptions, type MoveHost, Moves, reading } from "./moves.js";

export type { HandleUpgradeOptions } from "./moves.js";
import { EventHub, type RunEvent, type Suspension } from "../events.js";
import { passHint, Scope, type ScopeHost } from "./scope.js";
import { type RunTrace, traceRun, type TracingOptions } from "../trace/run-trace.js";

// biome-ignore lint: any graph block.
type AnyGraph = GraphBlock<any>;

/** Options of {@link run}. */
export interface RunOptions {
  /** Where the journal goes. Default: a new in-memory store (nothing survives the process). */
  readonly store?: Store;
  /** Default: a random UUID. */
  readonly runId?: string;
  /** Cancels the run when aborted. */
  readonly signal?: AbortSignal;
  /** Called with every event, from the first one on. */
  readonly onEvent?: (event: RunEvent) => void;
  /** Where the graph can be loaded from again, so that another process can resume the run. */
  readonly source?: RunSource;
  /** What to do when a failure reaches the top of the run: propose a new version to move it to (see `ReroutePolicy`). */
  readonly reroute?: ReroutePolicy;
  /**
   * OpenTelemetry spans of the run (docs/observability.md). Default: the global tracer provider,
   * a no-op until an SDK registers one; `false`: no spans whatever is registered.
   */
  readonly tracing?: TracingOptions | false;
}

/** A run in progress. */
export interface RunHandle<TOutput = unknown> {
  readonly id: string;
  /** Resolves with the graph's output; rejects with a `RunError` (`code`, `path`, `runId`). */
  readonly result: Promise<TOutput>;
  /**
   * The run's events from the moment iteration starts; iterate in the same tick as `run()` (or
   * pass `onEvent`) to see them all. Ends when the run ends.
   */
  readonly events: AsyncIterable<RunEvent>;
  /** Cancels the run: running blocks see their `signal` abort, and `result` rejects with `run_cancelled`. */
  cancel(reason?: string): void;
  /**
   * Resolves when the run ends, or when it cannot go on until someone resumes a suspended block
   * (`status: "suspended"`). Call it again after a resume to wait for the next of these.
   */
  settled(): Promise<RunSettled>;
  /** The blocks waiting to be resumed now. */
  suspensions(): Suspension[];
  /**
   * Resumes a suspended block with `data`, which must satisfy its `resume` schema. `block` is a
   * suspension id (`review/approve#1`), a block path (`review/approve`) or a block id, as long as
   * it names one suspension. Rejects with `not_suspended` or `resume_invalid` otherwise.
   */
  resume(block: string, data: unknown): Promise<void>;
  /**
   * Moves the run to another version of its graph at its next block boundary (no attempt in
   * progress; nothing new starts meanwhile). The same checks as {@link upgrade}: refused (and the
   * run goes on as it was) unless the diff, the run's data and a replay on the new graph allow it.
   */
  upgrade(to: AnyGraph, options?: HandleUpgradeOptions): Promise<UpgradeResult>;
}

/** Where a run stands when it stops making progress on its own. */
export type RunSettled =
  | { readonly status: "completed"; readonly output: unknown }
  | { readonly status: "failed" | "cancelled"; readonly error: RunError }
  | { readonly status: "suspended"; readonly suspensions: readonly Suspension[] };

/**
 * Runs a graph. The input is validated against the graph's contract (unknown fields rejected), the
 * graph is checked once (a graph with checker errors throws `graph_invalid`), and execution starts
 * on the next microtask, so that events can be subscribed to first.
 *
 * @example
 * const handle = run(triageGraph, { customer: "acme", subject: "Refund", body: "..." }, { store });
 * for await (const event of handle.events) console.log(event.type);
 * const output = await handle.result;
 */
export function run<G extends AnyGraph>(graph: G, input: z.input<G["contract"]["input"]>, options: RunOptions = {}): RunHandle<OutputFrom<G>> {
  const plan = planOf(graph);
  const prepared = prepareRun(plan, graph, input, options);
  const traced = traceRun(options.tracing, { id: prepared.record.id, graphId: prepared.record.graphId, version: plan.version, resumed: false });
  // The trace context goes into the record, so that a resume (in any process) continues the trace.
  const record: RunRecord = traced ? { ...prepared.record, trace: traced.traceparent } : prepared.record;
  const parsed = prepared.input;
  const store: Store = options.store ?? new MemoryStore();
  const execution = new Execution(plan, store, record.id, traced ? { ...options, trace: traced } : options);
  // The run is created and owned by this process in one transaction (on stores with owners).
  execution.begin(() => then(saveGraphOnce(store, plan), () => (store.claimRun ? then(store.claimRun(record.id, record), () => undefined) : store.createRun(record))), parsed, false);
  return execution.handle as RunHandle<OutputFrom<G>>;
}

const savedGraphs = new WeakMap<Store, Set<string>>();

/** Each store gets each graph version once per process, not once per run. */
function saveGraphOnce(store: Store, plan: GraphPlan): MaybePromise<void> {
  let saved = savedGraphs.get(store);
  if (saved === undefined) savedGraphs.set(store, (saved = new Set()));
  if (saved.has(plan.version)) return;
  saved.add(plan.version);
  return store.saveGraph(plan.version, plan.def);
}

/** Runs `next` after `first`, synchronously when `first` is not a promise (the hot path stays sync). */
function then(first: MaybePromise<unknown>, next: () => MaybePromise<void>): MaybePromise<void> {
  return first instanceof Promise ? first.then(next) : next();
}

/** Options of {@link resume}. */
export interface ResumeOptions {
  readonly store: Store;
  /** The graph the run was started on (it must have the run's version). */
  readonly graph: AnyGraph;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: RunEvent) => void;
  /** As for `run`. */
  readonly reroute?: ReroutePolicy;
  /**
   * Resumes a suspended block too: a suspension id (`review/approve#1`), a block path or a block
   * id that names one suspension. Nothing runs unless `data` satisfies its `resume` schema.
   */
  readonly block?: string;
  /** The data for `block`. */
  readonly data?: unknown;
  /** As for `run`: the spans continue the trace kept in the run's record. */
  readonly tracing?: TracingOptions | false;
}

/**
 * Resumes an unfinished run from its journal: every journaled block outcome is replayed without
 * running anything, in journal order, and the run continues from where it stopped. Blocks that
 * had completed are never run again; a block that was running when the process died runs again
 * (with the same idempotency key); suspended blocks stay suspended, unless `block` and `data`
 * resume one of them.
 *
 * @example
 * const handle = await resume(runId, { store, graph, block: "approve", data: { approved: true } });
 * await handle.result;
 */
export async function resume(runId: string, options: ResumeOptions): Promise<RunHandle> {
  const { store } = options;
  let record = await reading(runId, "its record", () => store.getRun(runId));
  if (record === undefined) throw new RunError({ code: "run_not_found", message: `run ${runId} is not in the store` });
  if (record.status !== "running" && record.status !== "suspended") throw ended(runId, record.status);
  // One owner per run: refused (run_owned) while another live process executes it.
  const taken = store.claimRun ? await reading(runId, "its owner", () => (store.claimRun as NonNullable<Store["claimRun"]>)(runId)) : false;
  try {
    if (taken) {
      // Read again as its owner: the previous one may have ended it meanwhile.
      record = await reading(runId, "its record", () => store.getRun(runId));
      if (record === undefined) throw new RunError({ code: "run_not_found", message: `run ${runId} is not in the store` });
      if (record.status !== "running" && record.status !== "suspended") throw ended(runId, record.status);
    }
    return await resumeOwned(runId, record, options);
  } catch (error) {
    if (taken) await release(store, runId);
    throw error;
  }
}

function ended(runId: string, status: string): RunError {
  return new RunError({ code: "journal_mismatch", message: `run ${runId} has already ended (${status}); only running or suspended runs can be resumed` }, { runId });
}

/** Gives a run up, best effort (a store that fails leaves a dead owner, which is taken over). */
async function release(store: Store, runId: string): Promise<void> {
  try {
    await store.releaseRun?.(runId);
  } catch {
    // See above.
  }
}

async function resumeOwned(runId: string, found: RunRecord, options: ResumeOptions): Promise<RunHandle> {
  const { store, graph } = options;
  let record = found;
  const raw = await reading(runId, "its journal", () => store.journal(runId));
  // The journal decides the version: an upgrade interrupted after its entry was appended but
  // before the run was pinned to the new version is finished here.
  const upgraded = raw.findLast((e) => e.kind === "run.upgraded");
  if (upgraded?.kind === "run.upgraded" && upgraded.to !== record.version) {
    await store.updateRun(runId, { version: upgraded.to, updatedAt: Date.now() });
    record = { ...record, version: upgraded.to };
  }
  const plan = planOf(graph);
  if (plan.version !== record.version) {
    throw new RunError(
      {
        code: "graph_not_found",
        message: `run ${runId} is pinned to version ${record.version} of graph "${record.graphId}", but the graph given has version ${plan.version} (was it changed?)`,
      },
      { runId },
    );
  }
  const journal = effectiveJournal(record.input, raw);
  const input = plan.input.parse(journal.input);
  const traced = traceRun(options.tracing, { id: runId, graphId: record.graphId, version: record.version, resumed: true, traceparent: record.trace });
  const execution = new Execution(plan, store, runId, traced ? { ...options, trace: traced } : options, journal.entries, journal.lastSeq);
  const answer = options.block === undefined ? undefined : { block: options.block, data: options.data };
  execution.begin(() => undefined, input, true, answer);
  if (answer) await execution.answered;
  return execution.handle;
}

/** A move to a new version, checked and ready to be journaled. */
/** Swallows the rejection of the result promise of a caller that never awaits it. */
const ignore = (): void => {};

/**
 * Drives one run: the root scope, the journal replay of a resumed run, and the outcome. It is also
 * the run's handle and the root scope's host: one object per run instead of three.
 */
class Execution implements RunHandle, ScopeHost, MoveHost {
  readonly hub = new EventHub();
  /** Replaced when the run is upgraded (a new context replays the journal on the new version). */
  context: RunContext;
  readonly result: Promise<unknown>;
  private readonly startedAt = Date.now();
  /** Upgrades and reroutes: moves of this run to another version (made on first use: most runs never move). */
  private moving: Moves | undefined;
  private root: Scope | undefined;
  private resolveResult!: (output: unknown) => void;
  private rejectResult!: (error: RunError) => void;
  /** Callers of `settled()` waiting for the run to end or to become quiet. */
  private waiters: ((settled: RunSettled) => void)[] | undefined;
  private outcome: RunSettled | undefined;
  /** For `resume(..., { block, data })`: settles once that resume is journaled (or refused). */
  answered: Promise<void> | undefined;

  constructor(
    public plan: GraphPlan,
    readonly store: Store,
    readonly id: string,
    private readonly options: { signal?: AbortSignal | undefined; onEvent?: ((event: RunEvent) => void) | undefined; reroute?: ReroutePolicy | undefined; trace?: RunTrace | undefined },
    private readonly journal?: readonly JournalEntry[],
    lastSeq = 0,
  ) {
    this.context = this.newContext(lastSeq);
    if (options.onEvent) this.hub.on(options.onEvent);
    if (options.trace) this.hub.on(options.trace.listen);
    this.result = new Promise<unknown>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    // A caller that never awaits the result must not crash the process with an unhandled rejection.
    this.result.catch(ignore);
  }

  private newContext(lastSeq: number): RunContext {
    const context = new RunContext(this.id, this.store, this.hub, lastSeq);
    context.quietListener = this;
    context.storeListener = this;
    context.aroundAttempt = this.options.trace?.around;
    return context;
  }

  /**
   * @internal The store failed on the hot path: the run stops here with that error (on its handle
   * and in its events) but is not marked ended in the store, so it can be resumed from its journal.
   * This process gives it up.
   */
  storeFailed(error: RunError): void {
    if (this.context.ended) return;
    this.context.end();
    this.root?.abandon(error);
    const done = () => this.reject(error.info, error);
    if (error.code === "run_taken_over") {
      done();
      return;
    }
    let released: MaybePromise<void>;
    try {
      released = this.store.releaseRun?.(this.id);
    } catch {
      released = undefined;
    }
    if (released instanceof Promise) released.then(done, done);
    else done();
  }

  get handle(): RunHandle {
    return this;
  }

  upgrade(to: AnyGraph, options: HandleUpgradeOptions = {}): Promise<UpgradeResult> {
    return (this.moving ??= new Moves(this)).upgrade(to, options);
  }

  /** @internal For the moves: the caller's signal. */
  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  /** @internal For the moves: the run waits for someone. */
  suspended(suspensions: Suspension[]): void {
    this.settle({ status: "suspended", suspensions });
  }

  /** Leaves the old version's scopes behind and replays the journal on the new version. */
  /** @internal */
  switchTo(target: GraphPlan, input: JsonValue, journal: readonly JournalEntry[], result: UpgradeResult, announce?: RunEvent): void {
    const old = this.context;
    this.root?.abandon(new RunError({ code: "run_cancelled", message: `moved to version ${target.version}` }, { runId: this.id }));
    old.end();
    const effective = effectiveJournal(input, journal);
    this.plan = target;
    this.context = this.newContext(effective.lastSeq);
    this.context.emit({ type: "run.upgraded", runId: this.id, at: Date.now(), from: result.from, to: result.to, migrated: result.migrated });
    if (announce) this.context.emit(announce);
    const root = new Scope(this.context, target, "", target.input.parse(effective.input), this, undefined);
    this.root = root;
    this.context.replaying = true;
    root.start();
    if (!this.replay(effective.entries)) return;
    this.context.goLive();
    this.context.checkQuiet();
  }

  /** Applies journal entries to the waiting tasks; false (and the run failed) when one does not fit. */
  private replay(entries: readonly JournalEntry[]): boolean {
    for (const entry of entries) {
      if (this.context.ended) return false;
      let fits: boolean;
      try {
        fits = this.context.replay(entry);
      } catch (error) {
        if (!isRunError(error)) throw error;
        this.finish(error.info);
        return false;
      }
      if (!fits) {
        const message = `journal entry ${entry.seq} (${entry.kind} of ${entry.path}, activation ${entry.act}) does not fit graph "${this.plan.def.id}" version ${this.plan.version}: no such block was waiting for it${passHint(this.context)}`;
        this.finish({ code: "journal_mismatch", message });
        return false;
      }
    }
    return true;
  }

  get events(): AsyncIterable<RunEvent> {
    return this;
  }

  [Symbol.asyncIterator](): AsyncIterator<RunEvent> {
    return this.hub.stream();
  }

  cancel(reason = "cancelled"): void {
    const info: ErrorInfo = { code: "run_cancelled", message: `cancelled: ${reason}` };
    const moving = this.moving;
    if (moving?.rerouting) {
      moving.awaitingApproval = undefined;
      moving.rerouting = false;
      this.finish(info);
    } else if (this.root) this.root.cancel(new RunError(info, { runId: this.id }));
    else this.finish(info);
  }

  settled(): Promise<RunSettled> {
    if (this.outcome !== undefined) return Promise.resolve(this.outcome);
    if (this.moving?.awaitingApproval) return Promise.resolve({ status: "suspended", suspensions: this.suspensions() });
    if (this.context.quiet && !this.moving?.rerouting) return Promise.resolve({ status: "suspended", suspensions: this.suspensions() });
    return new Promise((resolve) => (this.waiters ??= []).push(resolve));
  }

  suspensions(): Suspension[] {
    const approval = this.moving?.awaitingApproval;
    if (approval) return [approval.suspension];
    return this.context.suspensions().map(({ id, path, act, payload, at }) => ({ id, path, act, payload, at }));
  }

  async resume(block: string, data: unknown): Promise<void> {
    const waiting = this.moving?.awaitingApproval;
    if (waiting !== undefined && (block === waiting.suspension.id || block === waiting.suspension.path)) {
      const approved = (data as { approved?: unknown } | null)?.approved;
      if (typeof approved !== "boolean") {
        throw new RunError({ code: "resume_invalid", message: `the data to resume ${waiting.suspension.id} must be { "approved": true | false }, got ${JSON.stringify(data)}` }, { runId: this.id });
      }
      try {
        await this.store.updateRun(this.id, { status: "running", updatedAt: Date.now() });
      } catch {
        // Informational, as above.
      }
      await waiting.decide(approved);
      return;
    }
    await this.find(block).resume(data);
  }

  private find(target: string): Suspended {
    return findSuspension(this.context.suspensions(), target, this.id);
  }

  /** @internal The run context tells it when every branch left is suspended, and when one wakes up. */
  quietChanged(quiet: boolean): void {
    if (this.context.ended || this.moving?.rerouting) return;
    const at = Date.now();
    // The status is for people listing runs; the journal is the truth, so a failed write only costs that.
    try {
      const written = this.store.updateRun(this.id, { status: quiet ? "suspended" : "running", updatedAt: at });
      if (written instanceof Promise) written.catch(ignore);
    } catch {
      // See above.
    }
    if (!quiet) return;
    const suspensions = this.suspensions();
    this.context.emit({ type: "run.suspended", runId: this.id, at, suspensions });
    this.settle({ status: "suspended", suspensions });
  }

  private settle(settled: RunSettled): void {
    if (settled.status !== "suspended") this.outcome = settled;
    const waiters = this.waiters;
    if (waiters === undefined) return;
    this.waiters = undefined;
    for (const waiter of waiters) waiter(settled);
  }

  scopeCompleted(output: unknown): void {
    this.succeed(output);
  }

  scopeFailed(error: RunError): void {
    if (this.options.reroute !== undefined && (this.moving ??= new Moves(this)).rerouteOnFailure(this.options.reroute, error)) return;
    this.finish(error.info, error);
  }

  begin(prepare: () => MaybePromise<void>, input: unknown, resumed: boolean, answer?: { block: string; data: unknown }): void {
    let answered!: (error?: unknown) => void;
    if (answer) this.answered = new Promise<void>((resolve, reject) => (answered = (error) => (error === undefined ? resolve() : reject(error))));
    const signal = this.options.signal;
    if (signal?.aborted) {
      queueMicrotask(() => this.cancel(messageOf(signal.reason ?? "aborted")));
      return;
    }
    signal?.addEventListener("abort", () => this.cancel(messageOf(signal.reason ?? "aborted")), { once: true });
    // The record could not be written (or the run could not be taken): nothing of it is this
    // process's to mark as ended.
    const failed = (error: unknown) => {
      const failure = storeFailure(this.id, error, "the run's record");
      this.context.end();
      this.reject(failure.info, failure);
    };
    // Start on the next microtask, so that events can be subscribed to right after run() returns.
    queueMicrotask(() => {
      let prepared: MaybePromise<void>;
      try {
        prepared = prepare();
      } catch (error) {
        failed(error);
        return;
      }
      if (prepared instanceof Promise) prepared.then(() => this.start(input, resumed, answer, answered), failed);
      else this.start(input, resumed, answer, answered);
    });
  }

  private start(input: unknown, resumed: boolean, answer?: { block: string; data: unknown }, answered?: (error?: unknown) => void): void {
    if (this.context.ended) return;
    this.context.emit({ type: "run.started", runId: this.id, at: Date.now(), graph: this.plan.def.id, version: this.plan.version, resumed });
    const root = new Scope(this.context, this.plan, "", input, this, undefined);
    this.root = root;
    if (this.journal === undefined) {
      root.start();
      return;
    }
    this.context.replaying = true;
    root.start();
    if (!this.replay(this.journal)) return;
    let target: Suspended | undefined;
    if (answer) {
      // Refuse a wrong answer before anything runs: the run stays as it was.
      try {
        target = this.find(answer.block);
        target.check(answer.data);
      } catch (error) {
        // (resume() gives the run up again if it took it for this answer.)
        this.context.end();
        answered?.(error);
        return;
      }
    }
    this.context.emit({ type: "run.resumed", runId: this.id, at: Date.now(), replayed: this.journal.length });
    this.context.goLive();
    if (target && answer) {
      try {
        const written = target.resume(answer.data);
        if (written instanceof Promise) written.then(() => answered?.(), answered);
        else answered?.();
      } catch (error) {
        answered?.(error);
      }
    }
    this.context.checkQuiet();
  }

  private succeed(output: unknown): void {
    if (this.context.ended) return;
    this.context.end();
    const done = () => {
      this.context.emit({ type: "run.completed", runId: this.id, at: Date.now(), output: output as JsonValue, durationMs: Date.now() - this.startedAt });
      this.hub.close();
      this.resolveResult(output);
      this.settle({ status: "completed", output });
    };
    // Its outcome not stored, the run stays resumable: its journal completes it without running anything.
    const unstored = (error: unknown) => {
      const failure = storeFailure(this.id, error, "the run's outcome");
      void release(this.store, this.id);
      this.reject(failure.info, failure);
    };
    let written: MaybePromise<void>;
    try {
      written = this.store.finishRun(this.id, { status: "completed", output: output as JsonValue, updatedAt: Date.now() });
    } catch (error) {
      unstored(error);
      return;
    }
    if (written instanceof Promise) written.then(done, unstored);
    else done();
  }

  /** @internal */
  finish(info: ErrorInfo, error?: RunError): void {
    if (this.context.ended) return;
    this.context.end();
    const status = info.code === "run_cancelled" ? "cancelled" : "failed";
    const done = () => this.reject(info, error);
    try {
      const written = this.store.finishRun(this.id, { status, error: info, updatedAt: Date.now() });
      if (written instanceof Promise) written.then(done, done);
      else done();
    } catch {
      done();
    }
  }

  private reject(info: ErrorInfo, error?: RunError): void {
    const durationMs = Date.now() - this.startedAt;
    if (info.code === "run_cancelled") this.context.emit({ type: "run.cancelled", runId: this.id, at: Date.now(), reason: info.message, durationMs });
    else this.context.emit({ type: "run.failed", runId: this.id, at: Date.now(), error: info, durationMs });
    this.hub.close();
    const failure = error && isRunError(error) ? error : new RunError(info, { runId: this.id });
    this.rejectResult(failure);
    this.settle({ status: info.code === "run_cancelled" ? "cancelled" : "failed", error: failure });
  }
}
