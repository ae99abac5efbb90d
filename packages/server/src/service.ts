import { randomUUID } from "node:crypto";
import { isRunError, type JournalEntry, type RunRecord } from "@blockwork/core";
import type { JsonValue } from "@blockwork/spec";
import type { z } from "zod";
import type { ServerDb, ServerRunRow, ServerRunStatus, ThreadRow } from "./db.js";
import { ApiError, issuesOf } from "./errors.js";
import { type AssistantEntry, blockAt, type Catalog } from "./graphs.js";
import type { Runner } from "./runner.js";
import type { RunCreateBody } from "./schemas.js";
import { after, type InterruptJson, interruptsOf, iso, openSuspensions, type RunEnd, type RunValues, StreamBuilder, type StreamEvent, valuesOf } from "./state.js";

/** A server run with what the store says of its Blockwork run now. */
export interface RunView {
  readonly row: ServerRunRow;
  readonly status: ServerRunStatus;
  readonly record: RunRecord | undefined;
  readonly journal: readonly JournalEntry[];
}

const FINAL: ReadonlySet<ServerRunStatus> = new Set(["success", "error", "interrupted", "timeout"]);

/** What the HTTP routes (and the MCP tools) do, apart from HTTP. */
export class Service {
  constructor(
    readonly catalog: Catalog,
    readonly db: ServerDb,
    readonly runner: Runner,
  ) {}

  assistant(id: string): AssistantEntry {
    const entry = this.catalog.find(id);
    if (entry === undefined) {
      const known = this.catalog.entries.map((e) => e.graphId).join(", ") || "none";
      throw new ApiError(404, "assistant_not_found", `no assistant or graph ${JSON.stringify(id)} is served here (graphs: ${known})`);
    }
    return entry;
  }

  // --- threads -------------------------------------------------------------------------------

  async thread(threadId: string): Promise<ThreadRow> {
    const thread = await this.db.getThread(threadId);
    if (thread === undefined) throw new ApiError(404, "thread_not_found", `thread ${threadId} does not exist`);
    return thread;
  }

  async createThread(body: { thread_id?: string | undefined; metadata?: Record<string, JsonValue> | undefined; if_exists?: "raise" | "do_nothing" | undefined }): Promise<ThreadRow> {
    const now = Date.now();
    const row: ThreadRow = { threadId: body.thread_id ?? randomUUID(), createdAt: now, updatedAt: now, metadata: dropUndefined(body.metadata ?? {}) };
    if (await this.db.createThread(row)) return row;
    if (body.if_exists === "do_nothing") return this.thread(row.threadId);
    throw new ApiError(409, "thread_exists", `thread ${row.threadId} already exists (pass if_exists: "do_nothing" to get it instead)`);
  }

  async patchThread(threadId: string, metadata: Record<string, JsonValue>): Promise<ThreadRow> {
    const thread = await this.thread(threadId);
    const merged = dropUndefined({ ...thread.metadata, ...metadata });
    await this.db.updateThread(threadId, merged, Date.now());
    return this.thread(threadId);
  }

  async deleteThread(threadId: string): Promise<void> {
    const newest = (await this.db.listRuns(threadId))[0];
    if (newest) {
      const view = await this.view(newest);
      if (!FINAL.has(view.status)) throw new ApiError(409, "thread_busy", `thread ${threadId} has a run in progress (${newest.runId}); cancel it first`);
    }
    if (!(await this.db.deleteThread(threadId))) throw new ApiError(404, "thread_not_found", `thread ${threadId} does not exist`);
  }

  /** The thread as LangGraph shows it: status, values and interrupts from its newest run. */
  async threadJson(thread: ThreadRow) {
    const newest = (await this.db.listRuns(thread.threadId))[0];
    const view = newest && (await this.view(newest));
    const interrupts: Record<string, InterruptJson[]> = {};
    let values: RunValues | Record<string, never> = {};
    let status: "idle" | "busy" | "interrupted" | "error" = "idle";
    let error: string | null = null;
    let stateUpdatedAt = thread.updatedAt;
    if (view) {
      values = valuesOf(view.record?.input ?? null, view.journal, view.record);
      for (const interrupt of interruptsOf(view.journal)) interrupts[interrupt.id] = [interrupt];
      stateUpdatedAt = Math.max(stateUpdatedAt, view.record?.updatedAt ?? view.row.updatedAt);
      status = !FINAL.has(view.status) ? "busy" : Object.keys(interrupts).length > 0 && view.record?.status === "suspended" ? "interrupted" : view.status === "error" ? "error" : "idle";
      if (view.record?.error && view.record.status === "failed") error = view.record.error.message;
    }
    return {
      thread_id: thread.threadId,
      created_at: iso(thread.createdAt),
      updated_at: iso(Math.max(thread.updatedAt, stateUpdatedAt)),
      state_updated_at: iso(stateUpdatedAt),
      metadata: thread.metadata,
      status,
      values,
      interrupts,
      config: {},
      error,
    };
  }

  /** The thread's state now, as LangGraph's `ThreadState`. */
  async threadState(threadId: string, checkpointId?: string) {
    await this.thread(threadId);
    if (checkpointId !== undefined) {
      const state = (await this.history(threadId, { limit: 100_000 })).find((s) => s.checkpoint.checkpoint_id === checkpointId);
      if (state === undefined) throw new ApiError(404, "checkpoint_not_found", `thread ${threadId} has no checkpoint ${checkpointId}`);
      return state;
    }
    const newest = (await this.db.listRuns(threadId))[0];
    if (newest === undefined) return emptyState(threadId);
    const view = await this.view(newest);
    return stateAt(threadId, view.row.bwRunId, view.record, view.journal, view.journal.length, runningPaths(view));
  }

  /** Every state the thread went through, newest first: one per journal entry of each of its runs. */
  async history(threadId: string, options: { limit: number; before?: string | undefined }) {
    await this.thread(threadId);
    const seen = new Set<string>();
    const states: ReturnType<typeof stateAt>[] = [];
    for (const row of await this.db.listRuns(threadId)) {
      if (seen.has(row.bwRunId)) continue;
      seen.add(row.bwRunId);
      const record = await this.runner.store.getRun(row.bwRunId);
      const journal = record ? await this.runner.store.journal(row.bwRunId) : [];
      for (let n = journal.length; n >= 0; n--) states.push(stateAt(threadId, row.bwRunId, record, journal, n, n === journal.length ? [] : undefined));
    }
    let from = 0;
    if (options.before !== undefined) {
      const at = states.findIndex((s) => s.checkpoint.checkpoint_id === options.before);
      if (at < 0) throw new ApiError(404, "checkpoint_not_found", `thread ${threadId} has no checkpoint ${options.before}`);
      from = at + 1;
    }
    return states.slice(from, from + options.limit);
  }

  // --- runs ----------------------------------------------------------------------------------

  async view(row: ServerRunRow): Promise<RunView> {
    const record = await this.runner.store.getRun(row.bwRunId);
    const journal = record ? await this.runner.store.journal(row.bwRunId) : [];
    return { row, record, journal, status: row.status ?? derivedStatus(row, record, journal) };
  }

  async run(threadId: string | undefined, runId: string): Promise<ServerRunRow> {
    const row = await this.db.getRun(runId);
    if (row === undefined || (threadId !== undefined && row.threadId !== threadId)) throw new ApiError(404, "run_not_found", `run ${runId} does not exist${threadId ? ` on thread ${threadId}` : ""}`);
    return row;
  }

  runJson(view: RunView) {
    const { row } = view;
    return {
      run_id: row.runId,
      thread_id: row.threadId,
      assistant_id: row.assistantId,
      created_at: iso(row.createdAt),
      updated_at: iso(Math.max(row.updatedAt, view.record?.updatedAt ?? 0)),
      status: view.status,
      metadata: { ...row.metadata, blockwork_run_id: row.bwRunId },
      multitask_strategy: "reject" as const,
      kwargs: row.kwargs,
    };
  }

  /**
   * Starts a server run: a new Blockwork run with `input`, or `command.resume` for the thread's
   * suspended one. Threadless calls get a thread of their own.
   */
  async createRun(threadId: string | undefined, body: RunCreateBody): Promise<RunView> {
    return this.view(await this.startRun(threadId, body));
  }

  /** {@link createRun} without reading the run back: for callers that wait for its end anyway. */
  async startRun(threadId: string | undefined, body: RunCreateBody): Promise<ServerRunRow> {
    const entry = this.assistant(body.assistant_id);
    unsupported(body);
    const now = Date.now();
    // A threadless call's thread of its own is written with its run, in one transaction.
    let ownThread: ThreadRow | undefined;
    if (threadId === undefined) {
      ownThread = { threadId: randomUUID(), createdAt: now, updatedAt: now, metadata: { graph_id: entry.graphId, threadless: true } };
      threadId = ownThread.threadId;
    } else if ((await this.db.getThread(threadId)) === undefined) {
      if (body.if_not_exists !== "create") throw new ApiError(404, "thread_not_found", `thread ${threadId} does not exist (pass if_not_exists: "create" to create it)`);
      await this.createThread({ thread_id: threadId, metadata: { graph_id: entry.graphId }, if_exists: "do_nothing" });
    }
    const kwargs = dropUndefined({ input: body.input ?? null, command: body.command ?? null, stream_mode: streamModes(body.stream_mode), config: body.config ?? {}, context: body.context ?? null }) as Record<string, JsonValue>;
    const base = { runId: randomUUID(), threadId, createdAt: now, updatedAt: now, metadata: dropUndefined((body.metadata ?? {}) as Record<string, JsonValue>), kwargs };
    const resumeValue = body.command?.resume;
    if (body.command != null && resumeValue !== undefined) {
      // A new thread has no suspended run: createResume refuses it (the thread is not kept).
      return this.createResume(entry, threadId, base, resumeValue as JsonValue);
    }
    const input = body.input ?? {};
    checkInput(entry, input);
    const row: ServerRunRow = { ...base, assistantId: entry.assistantId, bwRunId: randomUUID(), startSeq: 0 };
    if (ownThread !== undefined) await this.db.createThreadWithRun(ownThread, row);
    else await this.insertRun(row);
    try {
      await this.runner.start(entry, input, row.bwRunId);
    } catch (error) {
      await this.db.finishRun(row.runId, "error", 0, Date.now());
      throw runErrorToApi(error);
    }
    return row;
  }

  private async createResume(requested: AssistantEntry, threadId: string, base: Omit<ServerRunRow, "assistantId" | "bwRunId" | "startSeq">, value: JsonValue): Promise<ServerRunRow> {
    const newest = (await this.db.listRuns(threadId))[0];
    const view = newest && (await this.view(newest));
    if (view === undefined || view.record?.status !== "suspended") {
      throw new ApiError(409, "not_suspended", `thread ${threadId} has no suspended run to resume${view?.record ? ` (its newest run is ${view.record.status})` : ""}; start a run with input instead`);
    }
    const entry = this.catalog.byGraphVersion(view.record.version);
    if (entry === undefined) throw new ApiError(409, "version_not_served", `run ${view.record.id} is pinned to version ${view.record.version} of graph "${view.record.graphId}", which this server does not serve`);
    if (entry.graphId !== requested.graphId) throw new ApiError(409, "assistant_mismatch", `thread ${threadId} runs graph "${entry.graphId}", not "${requested.graphId}"`);
    const answers = resumeAnswers(view.journal, value);
    // Refuse a wrong answer before anything is recorded, with the contract's issues.
    for (const [suspension, data] of answers) {
      const path = suspension.slice(0, suspension.lastIndexOf("#"));
      const schema = blockAt(entry.graph, path)?.contract.resume as z.ZodType | undefined;
      const parsed = schema?.safeParse(data);
      if (parsed && !parsed.success) {
        throw new ApiError(422, "resume_invalid", `the data does not satisfy the resume schema of block ${path}`, { issues: issuesOf(parsed.error), suspension });
      }
    }
    const startSeq = view.journal.at(-1)?.seq ?? 0;
    const row: ServerRunRow = { ...base, assistantId: entry.assistantId, bwRunId: view.record.id, startSeq };
    await this.insertRun(row);
    try {
      for (const [suspension, data] of answers) await this.runner.resume(entry, view.record.id, suspension, data);
    } catch (error) {
      await this.db.finishRun(row.runId, "error", startSeq, Date.now());
      throw runErrorToApi(error);
    }
    return row;
  }

  private async insertRun(row: ServerRunRow): Promise<void> {
    const active = await this.db.createRun(row, async (newest) => {
      if (newest === undefined || newest.status !== undefined) return { active: false };
      const view = await this.view(newest);
      if (!FINAL.has(view.status)) return { active: true };
      return { active: false, finish: { status: view.status, endSeq: view.journal.at(-1)?.seq ?? newest.startSeq } };
    });
    if (active) {
      throw new ApiError(409, "thread_busy", `thread ${row.threadId} is already running run ${active.runId}; wait for it (join) or cancel it first (multitask_strategy "reject")`);
    }
  }

  async cancel(row: ServerRunRow, wait: boolean): Promise<void> {
    const view = await this.view(row);
    if (FINAL.has(view.status) && view.record?.status !== "suspended") throw new ApiError(409, "run_ended", `run ${row.runId} has already ended (${view.status})`);
    if (view.row.status !== undefined) throw new ApiError(409, "run_ended", `run ${row.runId} has ended (${view.row.status}); its thread has a newer run`);
    const entry = view.record ? this.catalog.byGraphVersion(view.record.version) : undefined;
    const cancelled = await this.runner.cancel(entry, row.bwRunId, `run ${row.runId} cancelled over the API`);
    if (!cancelled) throw new ApiError(409, "not_cancellable", `run ${row.runId} cannot be cancelled here (its Blockwork run is ${view.record?.status ?? "not started"})`);
    if (wait) await this.waitFor(row);
  }

  async deleteRun(row: ServerRunRow): Promise<void> {
    const view = await this.view(row);
    if (!FINAL.has(view.status)) throw new ApiError(409, "run_active", `run ${row.runId} is ${view.status}; cancel it first`);
    await this.db.deleteRun(row.runId);
  }

  /** Waits until the server run has ended (or stopped at a suspension). */
  async waitFor(row: ServerRunRow, signal?: AbortSignal): Promise<RunView> {
    return this.follow(row, signal, async (view) => (FINAL.has(view.status) ? view : undefined));
  }

  /** What `join` and `wait` return: the final values, with `__interrupt__` or `__error__`. */
  resultJson(view: RunView) {
    const values = valuesOf(view.record?.input ?? null, view.journal, view.record);
    const end = endOf(view);
    switch (end.status) {
      case "success":
        return { ...values, output: end.output };
      case "interrupted":
        return { ...values, __interrupt__: end.interrupts };
      default:
        return { ...values, __error__: { error: end.error.code, message: end.error.message } };
    }
  }

  /**
   * A server run's stream from after `lastEventId` (all of it without one): the journal as it
   * grows, read from the store, until the run ends. Ends early when `signal` aborts.
   */
  async *stream(row: ServerRunRow, modes: ReadonlySet<string>, lastEventId: readonly [number, number, number] | undefined, signal?: AbortSignal): AsyncGenerator<StreamEvent> {
    const keep = (e: StreamEvent) => (e.mode === "metadata" || e.mode === "error" || modes.has(e.mode)) && (lastEventId === undefined || after(e.key, lastEventId));
    const first = await this.runner.store.getRun(row.bwRunId);
    const before = first ? (await this.runner.store.journal(row.bwRunId)).filter((e) => e.seq <= row.startSeq) : [];
    const builder = new StreamBuilder({ runId: row.runId, threadId: row.threadId, bwRunId: row.bwRunId, graphId: first?.graphId ?? this.catalog.find(row.assistantId)?.graphId ?? "graph", createdAt: row.createdAt }, row.startSeq, first?.input ?? (row.kwargs["input"] as JsonValue), before);
    for (const e of builder.start()) if (keep(e)) yield e;
    let emitted = row.startSeq;
    let pending = true;
    const wake = new Wake();
    const off = this.runner.watch(row.bwRunId, () => wake.fire());
    try {
      while (pending && !signal?.aborted) {
        // Status first, then the journal: when the status says the run ended, the journal read after it is complete.
        const current = (await this.db.getRun(row.runId)) ?? row;
        const view = await this.view(current);
        const endSeq = current.endSeq ?? Number.POSITIVE_INFINITY;
        const reports = this.runner.pollMs === 0 ? await this.db.reports(row.bwRunId) : [];
        let r = 0;
        for (const entry of view.journal) {
          if (entry.seq <= emitted || entry.seq > endSeq) continue;
          for (; r < reports.length && (reports[r] as (typeof reports)[number]).afterSeq < entry.seq; r++) for (const e of builder.report(reports[r] as (typeof reports)[number])) if (keep(e)) yield e;
          for (const e of builder.entry(entry)) if (keep(e)) yield e;
          emitted = entry.seq;
        }
        for (; r < reports.length; r++) {
          const report = reports[r] as (typeof reports)[number];
          if (report.afterSeq >= row.startSeq && report.afterSeq <= endSeq) for (const e of builder.report(report)) if (keep(e)) yield e;
        }
        if (FINAL.has(view.status)) {
          for (const e of builder.end(Math.min(endSeq, view.journal.at(-1)?.seq ?? row.startSeq), endOf(view))) if (keep(e)) yield e;
          pending = false;
          break;
        }
        await wake.wait(this.runner.pollMs || 1_000, signal);
      }
    } finally {
      off();
    }
  }

  /** Re-reads the run whenever it may have changed until `done` returns something. */
  private async follow<T>(row: ServerRunRow, signal: AbortSignal | undefined, done: (view: RunView) => Promise<T | undefined>): Promise<T> {
    const wake = new Wake();
    const off = this.runner.watch(row.bwRunId, () => wake.fire(), { endOnly: true });
    try {
      // A run going on in this process: nothing to read before it settles (ends or suspends).
      const live = this.runner.settled(row.bwRunId);
      if (live !== undefined) await untilAborted(live, signal);
      for (;;) {
        const current = (await this.db.getRun(row.runId)) ?? row;
        const result = await done(await this.view(current));
        if (result !== undefined) return result;
        if (signal?.aborted) throw new ApiError(499, "client_closed", "the client went away");
        await wake.wait(this.runner.pollMs || 1_000, signal);
      }
    } finally {
      off();
    }
  }
}

/** Waits for `promise` (its rejection counts as settling), or until `signal` aborts. */
function untilAborted(promise: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> {
  const settled = promise.then(
    () => undefined,
    () => undefined,
  );
  if (signal === undefined) return settled;
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    void settled.then(done);
  });
}

/** A one-shot wake-up that a waiter can miss no fire of: fired before the wait, the wait returns at once. */
class Wake {
  private fired = false;
  private resolve: (() => void) | undefined;

  fire(): void {
    this.fired = true;
    this.resolve?.();
  }

  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.fired) {
      this.fired = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.resolve = undefined;
        this.fired = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      this.resolve = done;
    });
  }
}

/** A server run's status from its Blockwork run (see docs/serving.md, "Threads and runs"). */
function derivedStatus(row: ServerRunRow, record: RunRecord | undefined, journal: readonly JournalEntry[]): ServerRunStatus {
  if (record === undefined) return "pending";
  switch (record.status) {
    case "completed":
      return "success";
    case "failed":
      return "error";
    case "cancelled":
      return "interrupted";
    case "suspended":
      // A resume that is not journaled yet leaves the run suspended as it was.
      return (journal.at(-1)?.seq ?? 0) > row.startSeq ? "interrupted" : "pending";
    case "running":
      return "running";
  }
}

function endOf(view: RunView): RunEnd {
  const record = view.record;
  if (record?.status === "completed") return { status: "success", output: record.output ?? null };
  if (record?.status === "suspended") return { status: "interrupted", interrupts: interruptsOf(view.journal) };
  if (record?.status === "cancelled") return { status: "cancelled", error: record.error ?? { code: "run_cancelled", message: "cancelled" } };
  if (view.row.status === "error" && record?.status !== "failed") return { status: "error", error: { code: "block_failed", message: "the run could not be started or resumed" } };
  if (record?.status === "running" && view.status === "interrupted") return { status: "interrupted", interrupts: interruptsOf(view.journal) };
  return { status: "error", error: record?.error ?? { code: "block_failed", message: "the run failed (no error was recorded)" } };
}

function runningPaths(view: RunView): string[] {
  return [...openSuspensions(view.journal).values()].map((s) => s.path);
}

function stateAt(threadId: string, bwRunId: string, record: RunRecord | undefined, journal: readonly JournalEntry[], n: number, next: string[] | undefined) {
  const entries = journal.slice(0, n);
  const last = entries.at(-1);
  const complete = n === journal.length;
  const seq = last?.seq ?? 0;
  const interrupts = complete ? interruptsOf(entries) : [];
  const parent = n > 0 ? { thread_id: threadId, checkpoint_ns: "", checkpoint_id: `${bwRunId}:${journal[n - 2]?.seq ?? 0}`, checkpoint_map: null } : null;
  return {
    values: valuesOf(record?.input ?? null, entries, complete ? record : undefined),
    next: next ?? [],
    checkpoint: { thread_id: threadId, checkpoint_ns: "", checkpoint_id: `${bwRunId}:${seq}`, checkpoint_map: null },
    metadata: { source: n === 0 ? "input" : "loop", step: seq, writes: last?.kind === "block.completed" ? { [last.path]: last.output } : null, parents: {}, blockwork_run_id: bwRunId, entry: last?.kind ?? null },
    created_at: iso(last?.at ?? record?.createdAt ?? Date.now()),
    parent_checkpoint: parent,
    tasks: interrupts.map((i) => ({ id: i.id, name: i.ns[0] as string, error: null, interrupts: [i], checkpoint: null, state: null })),
  };
}

function emptyState(threadId: string) {
  return { values: {}, next: [], checkpoint: { thread_id: threadId, checkpoint_ns: "", checkpoint_id: null, checkpoint_map: null }, metadata: {}, created_at: null, parent_checkpoint: null, tasks: [] };
}

/** `command.resume` as (suspension id, data) pairs: one value for the only suspension, or a map by interrupt id. */
function resumeAnswers(journal: readonly JournalEntry[], value: JsonValue): [string, unknown][] {
  const open = openSuspensions(journal);
  const ids = [...open.keys()];
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length > 0 && keys.every((k) => open.has(k))) return keys.map((k) => [k, (value as Record<string, JsonValue>)[k]]);
  }
  if (ids.length === 1) return [[ids[0] as string, value]];
  throw new ApiError(422, "resume_ambiguous", `the run waits at ${ids.length} suspensions (${ids.join(", ")}); give command.resume as an object keyed by their ids: {"${ids[0]}": <data>, ...}`);
}

function checkInput(entry: AssistantEntry, input: unknown): void {
  const parsed = (entry.graph.contract.input as z.ZodType).safeParse(input);
  if (!parsed.success) throw new ApiError(422, "input_invalid", `the input does not satisfy the input schema of graph "${entry.graphId}"`, { issues: issuesOf(parsed.error) });
}

/** Options of LangGraph runs that Blockwork has no equivalent for: refused rather than ignored. */
function unsupported(body: RunCreateBody): void {
  const refuse = (field: string, why: string) => {
    throw new ApiError(422, "unsupported", `${field} is not supported by the Blockwork server: ${why}`);
  };
  if (body.interrupt_before != null && !(Array.isArray(body.interrupt_before) && body.interrupt_before.length === 0)) refuse("interrupt_before", "blocks suspend themselves (ctx.suspend); see docs/human-in-the-loop.md");
  if (body.interrupt_after != null && !(Array.isArray(body.interrupt_after) && body.interrupt_after.length === 0)) refuse("interrupt_after", "blocks suspend themselves (ctx.suspend); see docs/human-in-the-loop.md");
  if (body.checkpoint != null || body.checkpoint_id != null) refuse("checkpoint", "runs are not forked from checkpoints; a run resumes from its journal");
  if (body.webhook != null) refuse("webhook", "no webhooks; follow runs with join or joinStream");
  if (body.after_seconds != null && body.after_seconds !== 0) refuse("after_seconds", "runs start at once");
  if (body.multitask_strategy != null && body.multitask_strategy !== "reject") refuse("multitask_strategy", 'only "reject" (a thread runs one run at a time)');
  if (body.command != null && (body.command.update != null || body.command.goto != null)) refuse("command.update / command.goto", "a run's data flow is its graph's bindings; only command.resume is supported");
  if (body.command != null && body.command.resume === undefined) refuse("command", "give command.resume");
  if (body.command != null && body.input != null) refuse("input with command", "give either input (a new run) or command.resume (resume the thread's suspended run)");
}

function streamModes(mode: RunCreateBody["stream_mode"]): string[] {
  if (mode === undefined || mode === null) return ["values"];
  return Array.isArray(mode) ? (mode.length ? mode : ["values"]) : [mode];
}

function runErrorToApi(error: unknown): unknown {
  if (!isRunError(error)) return error;
  const status = error.code === "resume_invalid" || error.code === "input_invalid" ? 422 : error.code === "not_suspended" || error.code === "run_owned" ? 409 : error.code === "store_failed" ? 503 : error.code === "run_not_found" ? 404 : error.code === "store_unavailable" ? 503 : 500;
  return new ApiError(status, error.code, error.message);
}

function dropUndefined<T extends Record<string, unknown>>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export { FINAL };
