import { randomUUID } from "node:crypto";
import type { GraphBlock, JsonValue, OutputFrom } from "@blockwork/spec";
import type { z } from "zod";
import { type ErrorInfo, isRunError, messageOf, RunError } from "../errors.js";
import { type GraphPlan, planOf } from "../plan/plan.js";
import { MemoryStore } from "../store/memory-store.js";
import type { JournalEntry, MaybePromise, RunRecord, RunSource, Store } from "../store/store.js";
import { RunContext } from "./context.js";
import { EventHub, type RunEvent } from "./events.js";
import { Scope, type ScopeHost } from "./scope.js";

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
}

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
  const parsed = plan.strictInput.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(value)"}: ${i.message}`).join("; ");
    throw new RunError({ code: "input_invalid", message: `the input does not satisfy the contract of graph "${graph.def.id}": ${issues}` });
  }
  const store = options.store ?? new MemoryStore();
  const id = options.runId ?? newRunId();
  const now = Date.now();
  const record: RunRecord = {
    id,
    graphId: graph.def.id,
    version: plan.version,
    status: "running",
    input: input as JsonValue,
    createdAt: now,
    updatedAt: now,
    ...(options.source ? { source: options.source } : {}),
  };
  const execution = new Execution(plan, store, id, options);
  execution.begin(() => then(saveGraphOnce(store, plan), () => store.createRun(record)), parsed.data, false);
  return execution.handle as RunHandle<OutputFrom<G>>;
}

/**
 * A random UUID as a flat string. Node builds `randomUUID()` from pieces, and V8 keeps the pieces
 * as a tree of ~16 string objects until something flattens it; a run keeps its id for its whole
 * life, so the tree would cost ~0.5 KB per run in flight. Reading a character flattens it.
 */
function newRunId(): string {
  const id = randomUUID();
  id.charCodeAt(0);
  return id;
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
function then(first: MaybePromise<void>, next: () => MaybePromise<void>): MaybePromise<void> {
  return first instanceof Promise ? first.then(next) : next();
}

/** Options of {@link resume}. */
export interface ResumeOptions {
  readonly store: Store;
  /** The graph the run was started on (it must have the run's version). */
  readonly graph: AnyGraph;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: RunEvent) => void;
}

/**
 * Resumes an unfinished run from its journal: every journaled block outcome is replayed without
 * running anything, in journal order, and the run continues from where it stopped. Blocks that
 * had completed are never run again; a block that was running when the process died runs again
 * (with the same idempotency key).
 */
export async function resume(runId: string, options: ResumeOptions): Promise<RunHandle> {
  const { store, graph } = options;
  const record = await store.getRun(runId);
  if (record === undefined) throw new RunError({ code: "run_not_found", message: `run ${runId} is not in the store` });
  if (record.status !== "running") {
    throw new RunError({ code: "journal_mismatch", message: `run ${runId} has already ended (${record.status}); only running runs can be resumed` }, { runId });
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
  const journal = await store.journal(runId);
  const input = plan.input.parse(record.input);
  const execution = new Execution(plan, store, runId, options, journal);
  execution.begin(() => undefined, input, true);
  return execution.handle;
}

/** Swallows the rejection of the result promise of a caller that never awaits it. */
const ignore = (): void => {};

/**
 * Drives one run: the root scope, the journal replay of a resumed run, and the outcome. It is also
 * the run's handle and the root scope's host: one object per run instead of three.
 */
class Execution implements RunHandle, ScopeHost {
  readonly hub = new EventHub();
  readonly context: RunContext;
  readonly result: Promise<unknown>;
  private readonly startedAt = Date.now();
  private root: Scope | undefined;
  private resolveResult!: (output: unknown) => void;
  private rejectResult!: (error: RunError) => void;

  constructor(
    private readonly plan: GraphPlan,
    private readonly store: Store,
    readonly id: string,
    private readonly options: { signal?: AbortSignal | undefined; onEvent?: ((event: RunEvent) => void) | undefined },
    private readonly journal?: readonly JournalEntry[],
  ) {
    const last = journal?.[journal.length - 1]?.seq ?? 0;
    this.context = new RunContext(id, store, this.hub, last);
    if (options.onEvent) this.hub.on(options.onEvent);
    this.result = new Promise<unknown>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    // A caller that never awaits the result must not crash the process with an unhandled rejection.
    this.result.catch(ignore);
  }

  get handle(): RunHandle {
    return this;
  }

  get events(): AsyncIterable<RunEvent> {
    return this;
  }

  [Symbol.asyncIterator](): AsyncIterator<RunEvent> {
    return this.hub.stream();
  }

  cancel(reason = "cancelled"): void {
    const info: ErrorInfo = { code: "run_cancelled", message: `cancelled: ${reason}` };
    if (this.root) this.root.cancel(new RunError(info, { runId: this.id }));
    else this.finish(info);
  }

  scopeCompleted(output: unknown): void {
    this.succeed(output);
  }

  scopeFailed(error: RunError): void {
    this.finish(error.info, error);
  }

  begin(prepare: () => MaybePromise<void>, input: unknown, resumed: boolean): void {
    const signal = this.options.signal;
    if (signal?.aborted) {
      queueMicrotask(() => this.cancel(messageOf(signal.reason ?? "aborted")));
      return;
    }
    signal?.addEventListener("abort", () => this.cancel(messageOf(signal.reason ?? "aborted")), { once: true });
    const failed = (error: unknown) => this.finish({ code: "block_failed", message: `the run could not be recorded in the store: ${messageOf(error)}` });
    // Start on the next microtask, so that events can be subscribed to right after run() returns.
    queueMicrotask(() => {
      let prepared: MaybePromise<void>;
      try {
        prepared = prepare();
      } catch (error) {
        failed(error);
        return;
      }
      if (prepared instanceof Promise) prepared.then(() => this.start(input, resumed), failed);
      else this.start(input, resumed);
    });
  }

  private start(input: unknown, resumed: boolean): void {
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
    for (const entry of this.journal) {
      if (this.context.ended) return;
      if (!this.context.replay(entry)) {
        const message = `journal entry ${entry.seq} (${entry.kind} of ${entry.path}, activation ${entry.act}) does not fit graph "${this.plan.def.id}" version ${this.plan.version}: no such block was waiting for it`;
        this.finish({ code: "journal_mismatch", message });
        return;
      }
    }
    this.context.emit({ type: "run.resumed", runId: this.id, at: Date.now(), replayed: this.journal.length });
    this.context.goLive();
  }

  private succeed(output: unknown): void {
    if (this.context.ended) return;
    this.context.end();
    const done = () => {
      this.context.emit({ type: "run.completed", runId: this.id, at: Date.now(), output: output as JsonValue, durationMs: Date.now() - this.startedAt });
      this.hub.close();
      this.resolveResult(output);
    };
    const written = this.store.finishRun(this.id, { status: "completed", output: output as JsonValue, updatedAt: Date.now() });
    if (written instanceof Promise) written.then(done, (error: unknown) => this.reject({ code: "block_failed", message: `the run completed but its outcome could not be stored: ${messageOf(error)}` }));
    else done();
  }

  private finish(info: ErrorInfo, error?: RunError): void {
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
    this.rejectResult(error && isRunError(error) ? error : new RunError(info, { runId: this.id }));
  }
}
