import type { BlobAccess, BlockContext, BlockReport, BlockSuspension, JsonValue } from "@blockwork/spec";
import { failure, isBlockFailure, isBlockSuspension, suspension, formatZodIssues } from "@blockwork/spec";
import type { z } from "zod";
import { type AttemptRecord, describeThrown, type ErrorInfo, headlineOf, kindOf, messageOf, retryAfterOf, RunError } from "../errors.js";
import type { ItemPlan, RetryPlan } from "../plan/plan.js";
import type { JournalEntry, MaybePromise } from "../store/store.js";
import { blobAccess } from "./blobs.js";
import type { Pausable, Replayable, RunContext, Suspended } from "./context.js";

/** Who a leaf task reports to: a graph scope (slot = block index) or a map (slot = item index). */
export interface TaskOwner {
  readonly closed: boolean;
  /** Aborted when the owner fails or the run is cancelled. */
  readonly signal: AbortSignal;
  /**
   * Whether activation `act` of `slot` still counts: false once the owner closed, or once a
   * supervisor restart abandoned it. An abandoned task writes nothing and reports nothing.
   */
  isCurrent(slot: number, act: number): boolean;
  /** The signal a task in `slot` runs under (aborted too when a restart abandons the slot). */
  signalFor(slot: number): AbortSignal;
  /** Whether a typed failure of this slot is routed (error edges, or a collecting map). */
  handlesTyped(slot: number): boolean;
  taskCompleted(slot: number, act: number, output: unknown): void;
  taskFailedTyped(slot: number, act: number, error: unknown): void;
  /** A failure for good (after retries): the owner's supervisor decides what it means. */
  taskFailed(slot: number, act: number, error: RunError): void;
  /** A journaled restart of this task's block, met while replaying. */
  replayRestart?(slot: number, act: number, entry: Extract<JournalEntry, { kind: "block.restarted" }>): void;
}

type CodeWork = Extract<ItemPlan["work"], { kind: "code" }>;

/**
 * One activation of a code block: its attempts, timeouts and retries, contract checks of what it
 * returns, and the journal entry that records the outcome before the owner moves on.
 */
export class LeafTask implements Replayable, Suspended, Pausable {
  private attempt = 0;
  /** An attempt is in progress (counted in the run's busy attempts, for upgrades at block boundaries). */
  private busy = false;
  /** The attempt that waits for a pause (an upgrade) to end. */
  private deferred = 0;
  /** Counted in the run's live tasks (see RunContext.hold). */
  private held = false;
  /** Set while the block is suspended: the attempt that suspended, its payload, when. */
  private suspendedAt: { readonly attempt: number; readonly payload: JsonValue; readonly at: number } | undefined;
  /** The data of the latest resume, parsed by the resume schema (`ctx.resumed`). */
  private resumedWith: unknown;
  /** Retries count from here: the attempt that suspended, once resumed. */
  private base = 0;
  private startedAt = 0;
  /** For a resumed retry: when the last recorded attempt failed and how long to wait after it. */
  private retryAt = 0;
  /** The causes of failed attempts, kept only once an attempt failed (for the supervisor's trail). */
  private failures: AttemptRecord[] | undefined;
  /** Journaled step results (`ctx.step`), by `<attempt>:<step>`, met while replaying. */
  steps: Map<string, JsonValue> | undefined;

  constructor(
    private readonly run: RunContext,
    private readonly plan: ItemPlan,
    readonly path: string,
    readonly act: number,
    private readonly input: unknown,
    private readonly owner: TaskOwner,
    private readonly slot: number,
    /** A restarted block waits out its supervisor's backoff: epoch ms before which it does not start. */
    private readonly notBefore = 0,
  ) {}

  get key(): string {
    return `${this.path}#${this.act}`;
  }

  get pending(): { path: string; act: number; attempt: number; notBefore: number } | undefined {
    // A suspended block is not ready: it waits for someone to resume it.
    if (this.suspendedAt !== undefined) return undefined;
    return { path: this.path, act: this.act, attempt: this.attempt + 1, notBefore: this.attempt > 0 ? this.retryAt : this.notBefore };
  }

  // --- Suspended ------------------------------------------------------------------------------

  get id(): string {
    return this.key;
  }

  get payload(): JsonValue {
    return this.suspendedAt?.payload ?? null;
  }

  get at(): number {
    return this.suspendedAt?.at ?? 0;
  }

  /**
   * Resumes the suspended block: `data` must satisfy its resume schema. The resume is journaled
   * before the block runs again (its next attempt, with `ctx.resumed` set).
   */
  /** Throws the RunError `resume(data)` would (`not_suspended`, `resume_invalid`); the parsed data otherwise. */
  check(data: unknown): unknown {
    if (this.suspendedAt === undefined || this.abandoned) {
      throw new RunError({ code: "not_suspended", message: `block ${this.path} (activation ${this.act}) is not suspended (any more)`, path: this.path }, { runId: this.run.id });
    }
    const parsed = (this.plan.resume as z.ZodType).safeParse(data);
    if (!parsed.success) {
      throw new RunError({ code: "resume_invalid", message: `the data does not satisfy the resume schema of block ${this.path}: ${formatZodIssues(parsed.error, { max: 5 })}`, path: this.path }, { runId: this.run.id });
    }
    return parsed.data;
  }

  resumedEntry(data: unknown): Omit<Extract<JournalEntry, { kind: "block.resumed" }>, "seq"> {
    this.check(data);
    const attempt = (this.suspendedAt as NonNullable<typeof this.suspendedAt>).attempt;
    return { kind: "block.resumed", path: this.path, act: this.act, attempt, at: Date.now(), data: data as JsonValue };
  }

  resume(data: unknown): MaybePromise<void> {
    const parsed = { data: this.check(data) };
    const suspended = this.suspendedAt as NonNullable<typeof this.suspendedAt>;
    // Claimed now: a second resume of the same suspension is refused.
    this.suspendedAt = undefined;
    this.run.unpark(this.key);
    const json = data as JsonValue;
    const at = Date.now();
    const go = () => {
      if (this.run.listening) this.run.emit({ type: "block.resumed", runId: this.run.id, at, path: this.path, act: this.act, suspension: this.key, data: json });
      this.resumedWith = parsed.data;
      this.base = suspended.attempt;
      this.hold();
      this.runAttempt(suspended.attempt + 1);
    };
    const written = this.run.append({ seq: this.run.nextSeq(), kind: "block.resumed", path: this.path, act: this.act, attempt: suspended.attempt, at, data: json });
    if (written instanceof Promise) {
      return written.then(go, (error: unknown) => {
        this.suspendedAt = suspended;
        this.run.park(this);
        throw error;
      });
    }
    go();
  }

  private hold(): void {
    if (this.held) return;
    this.held = true;
    this.run.hold();
  }

  private release(): void {
    this.leave();
    if (!this.held) return;
    this.held = false;
    this.run.release();
  }

  private enter(): void {
    if (this.busy) return;
    this.busy = true;
    this.run.enter();
  }

  /** The attempt's outcome is recorded and routed: a block boundary. */
  private leave(): void {
    if (!this.busy) return;
    this.busy = false;
    this.run.leave();
  }

  /** The pause for an upgrade is over (it was refused): the attempt that waited starts. */
  proceed(): void {
    this.runAttempt(this.deferred);
  }

  /** A supervisor restart (or the owner's failure) made this activation irrelevant. */
  get abandoned(): boolean {
    return !this.owner.isCurrent(this.slot, this.act);
  }

  start(): void {
    if (this.run.replaying) {
      this.run.wait(this);
      return;
    }
    this.hold();
    this.firstAttempt();
  }

  private firstAttempt(): void {
    const wait = this.notBefore - Date.now();
    if (wait > 0) this.schedule(1, wait);
    else this.runAttempt(1);
  }

  replay(entry: JournalEntry): void {
    switch (entry.kind) {
      case "block.completed":
        this.report("completed", { replayed: true });
        this.owner.taskCompleted(this.slot, this.act, entry.output);
        return;
      case "block.failed":
        this.owner.taskFailedTyped(this.slot, this.act, entry.error);
        return;
      case "item.failed":
        this.owner.taskFailed(this.slot, this.act, new RunError(entry.error, { runId: this.run.id }));
        return;
      case "attempt.failed":
        this.attempt = entry.attempt;
        this.retryAt = entry.at + entry.delayMs;
        (this.failures ??= []).push({ attempt: entry.attempt, at: entry.at, message: entry.error.message });
        return;
      case "block.restarted":
        this.owner.replayRestart?.(this.slot, this.act, entry);
        return;
      case "block.suspended":
        this.attempt = entry.attempt;
        this.suspendedAt = { attempt: entry.attempt, payload: entry.payload, at: entry.at };
        return;
      case "block.resumed":
        this.attempt = entry.attempt;
        this.suspendedAt = undefined;
        this.resumedWith = this.plan.resume === undefined ? entry.data : this.plan.resume.parse(entry.data);
        this.base = entry.attempt;
        this.retryAt = 0;
        return;
      case "step.completed":
        (this.steps ??= new Map()).set(`${entry.attempt}:${entry.step}`, entry.result);
        return;
      case "loop.pass":
        throw new RunError({ code: "journal_mismatch", message: `journal entry ${entry.seq} (loop.pass of ${entry.path}, pass ${entry.act}) does not fit: no loop asks for a new pass there (block ${this.path} is running, activation ${this.act})`, path: entry.path }, { runId: this.run.id });
    }
  }

  goLive(): void {
    if (this.suspendedAt !== undefined) {
      // Still waiting for someone: nothing to run.
      this.run.park(this);
      return;
    }
    this.hold();
    // Run on its own (runTask), the caller has already waited for any delay.
    if (this.run.capture) {
      this.runAttempt(this.attempt + 1);
      return;
    }
    if (this.attempt === 0) {
      this.firstAttempt();
      return;
    }
    // A retry was pending when the process stopped: honour what is left of its delay.
    this.schedule(this.attempt + 1, Math.max(0, this.retryAt - Date.now()));
  }

  private runAttempt(attempt: number): void {
    if (!this.owner.isCurrent(this.slot, this.act)) {
      this.release();
      return;
    }
    if (this.run.paused) {
      // An upgrade waits for a block boundary: this attempt starts after it (or on the new version).
      this.deferred = attempt;
      this.run.defer(this);
      return;
    }
    this.enter();
    this.attempt = attempt;
    this.startedAt = Date.now();
    if (this.run.listening) {
      this.run.emit({ type: "block.started", runId: this.run.id, at: this.startedAt, path: this.path, act: this.act, attempt });
    }
    const ctx = new Ctx(this.run, this, this.path, this.act, attempt, this.owner, this.slot, this.plan.timeoutMs, this.resumedWith);
    let result: unknown;
    try {
      const work = this.plan.work as CodeWork;
      const around = this.run.aroundAttempt;
      result = around === undefined ? work.run(this.input as never, ctx as never) : around(this.path, this.act, () => work.run(this.input as never, ctx as never));
    } catch (error) {
      ctx.detach();
      this.attemptFailed(attempt, error, false);
      return;
    }
    if (isPromiseLike(result)) {
      if (this.plan.timeoutMs === undefined) {
        result.then(
          (value) => this.settled(attempt, value),
          (error: unknown) => this.attemptFailed(attempt, error, false),
        );
      } else {
        this.race(attempt, result, ctx, this.plan.timeoutMs);
      }
    } else {
      ctx.detach();
      this.settled(attempt, result);
    }
  }

  private race(attempt: number, result: PromiseLike<unknown>, ctx: Ctx, timeoutMs: number): void {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      ctx.abort(new Error(`timed out after ${timeoutMs} ms`));
      ctx.detach();
      this.attemptFailed(attempt, new Error(`the attempt ran longer than its budget of ${timeoutMs} ms`), true);
    }, timeoutMs);
    result.then(
      (value) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        ctx.detach();
        this.settled(attempt, value);
      },
      (error: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        ctx.detach();
        this.attemptFailed(attempt, error, false);
      },
    );
  }

  private settled(attempt: number, value: unknown): void {
    if (!this.owner.isCurrent(this.slot, this.act)) {
      this.release();
      return;
    }
    if (isBlockSuspension(value)) {
      this.suspend(attempt, value.payload);
      return;
    }
    if (isBlockFailure(value)) {
      this.typedFailure(attempt, value.error);
      return;
    }
    const parsed = this.plan.output.safeParse(value);
    if (!parsed.success) {
      this.fail("output_invalid", `returned an output that breaks its contract: ${formatZodIssues(parsed.error, { max: 5 })}`);
      return;
    }
    const output = parsed.data;
    const written = this.run.append({ seq: this.run.nextSeq(), kind: "block.completed", path: this.path, act: this.act, attempt, at: Date.now(), output: output as JsonValue });
    if (written instanceof Promise) {
      written.then(
        () => this.completed(output),
        (error: unknown) => this.fail("block_failed", `its completion could not be written to the journal: ${messageOf(error)}`),
      );
    } else {
      this.completed(output);
    }
  }

  private completed(output: unknown): void {
    if (this.owner.isCurrent(this.slot, this.act)) {
      this.report("completed", { replayed: false });
      this.owner.taskCompleted(this.slot, this.act, output);
    }
    this.release();
  }

  private suspend(attempt: number, payload: unknown): void {
    if (this.plan.resume === undefined) {
      this.fail("suspend_invalid", "suspended, but its contract declares no resume schema: add `resume` to its contract to say what it may be resumed with");
      return;
    }
    let json: JsonValue;
    try {
      json = JSON.parse(JSON.stringify(payload ?? null)) as JsonValue;
    } catch (error) {
      this.fail("suspend_invalid", `suspended with a payload that is not JSON: ${messageOf(error)}`);
      return;
    }
    const at = Date.now();
    const written = this.run.append({ seq: this.run.nextSeq(), kind: "block.suspended", path: this.path, act: this.act, attempt, at, payload: json });
    const park = () => {
      if (!this.owner.isCurrent(this.slot, this.act)) {
        this.release();
        return;
      }
      this.attempt = attempt;
      this.suspendedAt = { attempt, payload: json, at };
      this.run.park(this);
      if (this.run.listening) this.run.emit({ type: "block.suspended", runId: this.run.id, at, path: this.path, act: this.act, suspension: this.key, payload: json });
      this.release();
    };
    if (written instanceof Promise) written.then(park, (error: unknown) => this.fail("block_failed", `its suspension could not be written to the journal: ${messageOf(error)}`));
    else park();
  }

  private typedFailure(attempt: number, error: unknown): void {
    const schema = this.plan.error;
    if (schema === undefined) {
      this.fail("error_invalid", "failed with a typed error, but its contract declares no error schema");
      return;
    }
    const parsed = schema.safeParse(error);
    if (!parsed.success) {
      this.fail("error_invalid", `failed with a typed error that breaks its error schema: ${formatZodIssues(parsed.error, { max: 5 })}`);
      return;
    }
    const value = parsed.data as JsonValue;
    const info: ErrorInfo = { code: "typed_failure", message: `failed with ${truncate(JSON.stringify(value))}`, path: this.path, error: value };
    this.report("failed", { error: info, typed: true });
    if (!this.owner.handlesTyped(this.slot)) {
      this.owner.taskFailed(this.slot, this.act, new RunError({ ...info, message: `${info.message}, and no error edge handles it` }, { runId: this.run.id }));
      this.release();
      return;
    }
    const written = this.run.append({ seq: this.run.nextSeq(), kind: "block.failed", path: this.path, act: this.act, attempt, at: Date.now(), error: value });
    const routed = () => {
      if (this.owner.isCurrent(this.slot, this.act)) this.owner.taskFailedTyped(this.slot, this.act, value);
      this.release();
    };
    if (written instanceof Promise) written.then(routed, (e: unknown) => this.fail("block_failed", `its failure could not be written to the journal: ${messageOf(e)}`));
    else routed();
  }

  private attemptFailed(attempt: number, error: unknown, timedOut: boolean): void {
    if (this.run.ended || !this.owner.isCurrent(this.slot, this.act)) {
      this.release();
      return;
    }
    const kind = kindOf(error);
    const info: ErrorInfo = {
      code: timedOut ? "block_timeout" : "block_failed",
      message: timedOut ? messageOf(error) : `threw: ${headlineOf(error)}`,
      path: this.path,
      cause: messageOf(error),
      ...(timedOut ? {} : { thrown: describeThrown(error) }),
      ...(kind !== undefined ? { kind } : {}),
    };
    const retry = this.plan.retry;
    if (attempt - this.base >= retry.attempts) {
      const tries = retry.attempts > 1 ? ` (after ${retry.attempts} attempts)` : "";
      const earlier = this.failures === undefined ? {} : { attempts: [...this.failures, { attempt, at: Date.now(), message: info.message }] };
      this.report("failed", { error: info, typed: false });
      this.owner.taskFailed(this.slot, this.act, new RunError({ ...info, message: `${info.message}${tries}`, ...earlier }, { runId: this.run.id, cause: error }));
      this.release();
      return;
    }
    // A provider's Retry-After wins over the backoff when it asks for longer.
    const delayMs = Math.max(backoff(retry, attempt), retryAfterOf(error));
    const at = Date.now();
    (this.failures ??= []).push({ attempt, at, message: info.message });
    const written = this.run.append({ seq: this.run.nextSeq(), kind: "attempt.failed", path: this.path, act: this.act, attempt, at, error: info, delayMs });
    const next = () => {
      if (this.run.listening) {
        this.run.emit({ type: "block.retried", runId: this.run.id, at, path: this.path, act: this.act, attempt: attempt + 1, delayMs, error: info });
      }
      this.schedule(attempt + 1, delayMs);
      this.leave();
    };
    if (written instanceof Promise) written.then(next, (e: unknown) => this.fail("block_failed", `a failed attempt could not be written to the journal: ${messageOf(e)}`));
    else next();
  }

  private schedule(attempt: number, delayMs: number): void {
    // Run on its own (runTask), the next attempt is the business of whoever runs tasks.
    if (this.run.capture) return;
    const timer = setTimeout(() => {
      this.run.timers.delete(timer);
      this.runAttempt(attempt);
    }, delayMs);
    this.run.timers.add(timer);
  }

  private fail(code: ErrorInfo["code"], message: string): void {
    if (this.owner.isCurrent(this.slot, this.act)) {
      const info: ErrorInfo = { code, message: `block ${this.path} ${message}`, path: this.path };
      this.report("failed", { error: info, typed: false });
      this.owner.taskFailed(this.slot, this.act, new RunError(info, { runId: this.run.id }));
    }
    this.release();
  }

  private report(kind: "completed", detail: { replayed: boolean }): void;
  private report(kind: "failed", detail: { error: ErrorInfo; typed: boolean }): void;
  private report(kind: "completed" | "failed", detail: { replayed?: boolean; error?: ErrorInfo; typed?: boolean }): void {
    if (!this.run.listening) return;
    const at = Date.now();
    const base = { runId: this.run.id, at, path: this.path, act: this.act, durationMs: this.startedAt ? at - this.startedAt : 0 };
    if (kind === "completed") this.run.emit({ ...base, type: "block.completed", replayed: detail.replayed === true });
    else this.run.emit({ ...base, type: "block.failed", error: detail.error as ErrorInfo, typed: detail.typed === true });
  }
}

/** The context a block implementation gets. Cheap to create: the controller only exists if asked for. */
class Ctx implements BlockContext<unknown, unknown> {
  private controller: AbortController | undefined;
  private unlisten: (() => void) | undefined;
  private blobAccess: BlobAccess | undefined;
  /** The step keys this attempt used (created on first `step`). */
  private stepKeys: Set<string> | undefined;

  constructor(
    private readonly run: RunContext,
    private readonly task: LeafTask,
    private readonly blockPath: string,
    private readonly act: number,
    readonly attempt: number,
    private readonly owner: TaskOwner,
    private readonly slot: number,
    private readonly timeoutMs: number | undefined,
    readonly resumed: unknown,
  ) {}

  /**
   * Aborted when the run is cancelled, the owner fails, or this attempt runs out of time. Created
   * on first use: most blocks never ask, and an AbortController per step would cost more than the
   * step itself.
   */
  get signal(): AbortSignal {
    const parent = this.owner.signalFor(this.slot);
    if (this.timeoutMs === undefined) return parent;
    if (this.controller === undefined) {
      this.controller = new AbortController();
      const controller = this.controller;
      if (parent.aborted) controller.abort(parent.reason);
      else {
        const onAbort = () => controller.abort(parent.reason);
        parent.addEventListener("abort", onAbort, { once: true });
        this.unlisten = () => parent.removeEventListener("abort", onAbort);
      }
    }
    return this.controller.signal;
  }

  /** The attempt is over: stop listening to the owner's signal (a map of 10,000 items shares one). */
  detach(): void {
    this.unlisten?.();
    this.unlisten = undefined;
  }

  get path(): readonly string[] {
    return this.blockPath.split("/");
  }

  get runId(): string {
    return this.run.id;
  }

  /** Stable across retries and resumes of this activation: `<run>:<block path>#<activation>`. */
  get idempotencyKey(): string {
    return `${this.run.id}:${this.blockPath}#${this.act}`;
  }

  fail(error: unknown) {
    return failure(error);
  }

  suspend(payload: JsonValue): BlockSuspension {
    return suspension(payload);
  }

  /** The run store's agent memory (see docs/memory.md). */
  get memory(): object | undefined {
    return (this.run.blobs ?? this.run.store).memory;
  }

  /** The run store's blobs; what the block puts is linked to the run. */
  get blobs(): BlobAccess {
    return (this.blobAccess ??= blobAccess(this.run.blobs ?? this.run.store, this.run.id));
  }

  /**
   * A durable step of this attempt: the journaled result when the run was resumed (the step is not
   * run again), else the result of `run`, journaled (`step.completed`) before it is returned.
   */
  async step<T extends JsonValue>(key: string, run: () => Promise<T> | T): Promise<T> {
    const keys = (this.stepKeys ??= new Set());
    if (keys.has(key)) throw new Error(`block ${this.blockPath}: step "${key}" was already run in this attempt; step keys must be unique within an attempt`);
    keys.add(key);
    const journaled = this.task.steps?.get(`${this.attempt}:${key}`);
    if (journaled !== undefined) return journaled as T;
    const result = await run();
    let json: JsonValue;
    try {
      json = JSON.parse(JSON.stringify(result ?? null)) as JsonValue;
    } catch (error) {
      throw new Error(`block ${this.blockPath}: step "${key}" returned a value that is not JSON: ${messageOf(error)}`);
    }
    // An attempt that was abandoned (a timeout, a restart, the run's end) writes nothing more.
    if (this.run.ended || !this.owner.isCurrent(this.slot, this.act)) return json as T;
    await this.run.append({ seq: this.run.nextSeq(), kind: "step.completed", path: this.blockPath, act: this.act, attempt: this.attempt, at: Date.now(), step: key, result: json });
    return json as T;
  }

  report(report: BlockReport): void {
    if (!this.run.listening) return;
    const base = { runId: this.run.id, at: Date.now(), path: this.blockPath, act: this.act, attempt: this.attempt };
    if (report.type === "usage") {
      const { type: _type, ...usage } = report;
      this.run.emit({ ...base, type: "block.usage", ...usage });
    } else if (report.type === "step") {
      const { type: _type, ...step } = report;
      this.run.emit({ ...base, type: "block.step", ...step });
    } else {
      const { type: _type, ...tool } = report;
      this.run.emit({ ...base, type: "block.tool", ...tool });
    }
  }

  abort(reason: Error): void {
    if (this.controller === undefined) this.controller = new AbortController();
    this.controller.abort(reason);
  }
}

/** Exponential backoff with jitter: `min(max, initial * factor^(n-1))`, up to `jitter` of it random. */
export function backoff(retry: RetryPlan, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(retry.maxDelayMs, retry.initialDelayMs * retry.factor ** (attempt - 1));
  return Math.round(base * (1 - retry.jitter * random()));
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

function truncate(text: string | undefined): string {
  if (text === undefined) return "undefined";
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
