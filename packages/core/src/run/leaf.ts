import type { BlockContext, JsonValue } from "@blockwork/spec";
import { failure, isBlockFailure } from "@blockwork/spec";
import type { z } from "zod";
import { type ErrorInfo, messageOf, RunError } from "../errors.js";
import type { ItemPlan, RetryPlan } from "../plan/plan.js";
import type { JournalEntry } from "../store/store.js";
import type { Replayable, RunContext } from "./context.js";

/** Who a leaf task reports to: a graph scope (slot = block index) or a map (slot = item index). */
export interface TaskOwner {
  readonly closed: boolean;
  /** Aborted when the owner fails or the run is cancelled. */
  readonly signal: AbortSignal;
  /** Whether a typed failure of this slot is routed (error edges, or a collecting map). */
  handlesTyped(slot: number): boolean;
  taskCompleted(slot: number, act: number, output: unknown): void;
  taskFailedTyped(slot: number, act: number, error: unknown): void;
  /** A failure for good (after retries): the owner decides what it means. */
  taskFailed(slot: number, act: number, error: RunError): void;
}

type CodeWork = Extract<ItemPlan["work"], { kind: "code" }>;

/**
 * One activation of a code block: its attempts, timeouts and retries, contract checks of what it
 * returns, and the journal entry that records the outcome before the owner moves on.
 */
export class LeafTask implements Replayable {
  private attempt = 0;
  private startedAt = 0;
  /** For a resumed retry: when the last recorded attempt failed and how long to wait after it. */
  private retryAt = 0;

  constructor(
    private readonly run: RunContext,
    private readonly plan: ItemPlan,
    readonly path: string,
    readonly act: number,
    private readonly input: unknown,
    private readonly owner: TaskOwner,
    private readonly slot: number,
  ) {}

  get key(): string {
    return `${this.path}#${this.act}`;
  }

  get pending(): { path: string; act: number; attempt: number; notBefore: number } {
    return { path: this.path, act: this.act, attempt: this.attempt + 1, notBefore: this.attempt > 0 ? this.retryAt : 0 };
  }

  start(): void {
    if (this.run.replaying) this.run.wait(this);
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
        return;
    }
  }

  goLive(): void {
    // Run on its own (runTask), the caller has already waited for any retry delay.
    if (this.attempt === 0 || this.run.capture) {
      this.runAttempt(this.attempt + 1);
      return;
    }
    // A retry was pending when the process stopped: honour what is left of its delay.
    this.schedule(this.attempt + 1, Math.max(0, this.retryAt - Date.now()));
  }

  private runAttempt(attempt: number): void {
    if (this.owner.closed) return;
    this.attempt = attempt;
    this.startedAt = Date.now();
    if (this.run.listening) {
      this.run.emit({ type: "block.started", runId: this.run.id, at: this.startedAt, path: this.path, act: this.act, attempt });
    }
    const ctx = new Ctx(this.run.id, this.path, this.act, attempt, this.owner, this.plan.timeoutMs);
    let result: unknown;
    try {
      result = (this.plan.work as CodeWork).run(this.input as never, ctx as never);
    } catch (error) {
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
      this.settled(attempt, result);
    }
  }

  private race(attempt: number, result: PromiseLike<unknown>, ctx: Ctx, timeoutMs: number): void {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      ctx.abort(new Error(`timed out after ${timeoutMs} ms`));
      this.attemptFailed(attempt, new Error(`the attempt ran longer than its budget of ${timeoutMs} ms`), true);
    }, timeoutMs);
    result.then(
      (value) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.settled(attempt, value);
      },
      (error: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.attemptFailed(attempt, error, false);
      },
    );
  }

  private settled(attempt: number, value: unknown): void {
    if (this.owner.closed) return;
    if (isBlockFailure(value)) {
      this.typedFailure(attempt, value.error);
      return;
    }
    const parsed = this.plan.output.safeParse(value);
    if (!parsed.success) {
      this.fail("output_invalid", `returned an output that breaks its contract: ${zodIssues(parsed.error)}`);
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
    if (this.owner.closed) return;
    this.report("completed", { replayed: false });
    this.owner.taskCompleted(this.slot, this.act, output);
  }

  private typedFailure(attempt: number, error: unknown): void {
    const schema = this.plan.error;
    if (schema === undefined) {
      this.fail("error_invalid", "failed with a typed error, but its contract declares no error schema");
      return;
    }
    const parsed = schema.safeParse(error);
    if (!parsed.success) {
      this.fail("error_invalid", `failed with a typed error that breaks its error schema: ${zodIssues(parsed.error)}`);
      return;
    }
    const value = parsed.data as JsonValue;
    const info: ErrorInfo = { code: "typed_failure", message: `failed with ${truncate(JSON.stringify(value))}`, path: this.path, error: value };
    this.report("failed", { error: info, typed: true });
    if (!this.owner.handlesTyped(this.slot)) {
      this.owner.taskFailed(this.slot, this.act, new RunError({ ...info, message: `${info.message}, and no error edge handles it` }, { runId: this.run.id }));
      return;
    }
    const written = this.run.append({ seq: this.run.nextSeq(), kind: "block.failed", path: this.path, act: this.act, attempt, at: Date.now(), error: value });
    const routed = () => this.owner.closed || this.owner.taskFailedTyped(this.slot, this.act, value);
    if (written instanceof Promise) written.then(routed, (e: unknown) => this.fail("block_failed", `its failure could not be written to the journal: ${messageOf(e)}`));
    else routed();
  }

  private attemptFailed(attempt: number, error: unknown, timedOut: boolean): void {
    if (this.owner.closed || this.run.ended) return;
    const info: ErrorInfo = {
      code: timedOut ? "block_timeout" : "block_failed",
      message: timedOut ? messageOf(error) : `threw: ${messageOf(error)}`,
      path: this.path,
      cause: messageOf(error),
    };
    const retry = this.plan.retry;
    if (attempt >= retry.attempts) {
      const tries = retry.attempts > 1 ? ` (after ${retry.attempts} attempts)` : "";
      this.report("failed", { error: info, typed: false });
      this.owner.taskFailed(this.slot, this.act, new RunError({ ...info, message: `${info.message}${tries}` }, { runId: this.run.id, cause: error }));
      return;
    }
    const delayMs = backoff(retry, attempt);
    const at = Date.now();
    const written = this.run.append({ seq: this.run.nextSeq(), kind: "attempt.failed", path: this.path, act: this.act, attempt, at, error: info, delayMs });
    const next = () => {
      if (this.run.listening) {
        this.run.emit({ type: "block.retried", runId: this.run.id, at, path: this.path, act: this.act, attempt: attempt + 1, delayMs, error: info });
      }
      this.schedule(attempt + 1, delayMs);
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
    if (this.owner.closed) return;
    const info: ErrorInfo = { code, message: `block ${this.path} ${message}`, path: this.path };
    this.report("failed", { error: info, typed: false });
    this.owner.taskFailed(this.slot, this.act, new RunError(info, { runId: this.run.id }));
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

  constructor(
    readonly runId: string,
    private readonly blockPath: string,
    private readonly act: number,
    readonly attempt: number,
    private readonly owner: TaskOwner,
    private readonly timeoutMs: number | undefined,
  ) {}

  /**
   * Aborted when the run is cancelled, the owner fails, or this attempt runs out of time. Created
   * on first use: most blocks never ask, and an AbortController per step would cost more than the
   * step itself.
   */
  get signal(): AbortSignal {
    const parent = this.owner.signal;
    if (this.timeoutMs === undefined) return parent;
    if (this.controller === undefined) {
      this.controller = new AbortController();
      const controller = this.controller;
      if (parent.aborted) controller.abort(parent.reason);
      else parent.addEventListener("abort", () => controller.abort(parent.reason), { once: true });
    }
    return this.controller.signal;
  }

  get path(): readonly string[] {
    return this.blockPath.split("/");
  }

  /** Stable across retries and resumes of this activation: `<run>:<block path>#<activation>`. */
  get idempotencyKey(): string {
    return `${this.runId}:${this.blockPath}#${this.act}`;
  }

  fail(error: unknown) {
    return failure(error);
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

function zodIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "(value)"}: ${i.message}`)
    .join("; ");
}

function truncate(text: string | undefined): string {
  if (text === undefined) return "undefined";
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
