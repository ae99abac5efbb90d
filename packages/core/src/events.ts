import type { BlockReport, JsonValue } from "@blockwork/spec";
import type { ErrorInfo } from "./errors.js";

interface EventBase {
  readonly runId: string;
  /** Epoch milliseconds. */
  readonly at: number;
}

/**
 * Everything a run reports, in order. Block paths are slash-joined (`digest/normalise`); a block
 * re-run by a loop has `act` 2, 3, ...
 */
export type RunEvent =
  | (EventBase & { readonly type: "run.started"; readonly graph: string; readonly version: string; readonly resumed: boolean })
  /** A resumed run has replayed its journal: `replayed` entries were applied without running anything. */
  | (EventBase & { readonly type: "run.resumed"; readonly replayed: number })
  | (EventBase & { readonly type: "run.completed"; readonly output: JsonValue; readonly durationMs: number })
  | (EventBase & { readonly type: "run.failed"; readonly error: ErrorInfo; readonly durationMs: number })
  | (EventBase & { readonly type: "run.cancelled"; readonly reason: string; readonly durationMs: number })
  /** The run moved to another graph version at a block boundary (`migrated`: what a migration rewrote). */
  | (EventBase & { readonly type: "run.upgraded"; readonly from: string; readonly to: string; readonly migrated: readonly string[] })
  /** A failure reached the top and the run was moved to a new version that routes around it (`RunOptions.reroute`). */
  | (EventBase & { readonly type: "run.rerouted"; readonly from: string; readonly to: string; readonly summary: string; readonly error: ErrorInfo })
  /** Nothing in the run can go on until someone resumes one of `suspensions`. */
  | (EventBase & { readonly type: "run.suspended"; readonly suspensions: readonly Suspension[] })
  | (EventBase & { readonly type: "block.started"; readonly path: string; readonly act: number; readonly attempt: number })
  | (EventBase & { readonly type: "block.completed"; readonly path: string; readonly act: number; readonly durationMs: number; readonly replayed: boolean })
  /** The block failed for good (`typed`: with a typed error, which an error edge may route). */
  | (EventBase & { readonly type: "block.failed"; readonly path: string; readonly act: number; readonly error: ErrorInfo; readonly typed: boolean; readonly durationMs: number })
  /** An attempt failed; the next starts after `delayMs`. */
  | (EventBase & { readonly type: "block.retried"; readonly path: string; readonly act: number; readonly attempt: number; readonly delayMs: number; readonly error: ErrorInfo })
  /**
   * The block failed for good and its graph's supervisor restarts it (with the blocks in
   * `restarted`, by the graph's strategy) after `delayMs`. This was its restart number `restart`.
   */
  | (EventBase & { readonly type: "block.restarted"; readonly path: string; readonly act: number; readonly restart: number; readonly delayMs: number; readonly restarted: readonly string[]; readonly error: ErrorInfo })
  /** The block failed for good and its supervisor gives up: the graph it is in fails (`reason` says why). */
  | (EventBase & { readonly type: "block.escalated"; readonly path: string; readonly act: number; readonly reason: string; readonly error: ErrorInfo })
  /** The block suspended: it waits to be resumed (see `RunHandle.resume`, `blockwork resume`). */
  | (EventBase & { readonly type: "block.suspended"; readonly path: string; readonly act: number; readonly suspension: string; readonly payload: JsonValue })
  /** A suspended block was resumed with `data`; it runs again. */
  | (EventBase & { readonly type: "block.resumed"; readonly path: string; readonly act: number; readonly suspension: string; readonly data: JsonValue })
  /**
   * A loop started pass `pass` (2, 3, ...) at its entry block `path`, because `from` took a back
   * edge; the previous pass had settled (see docs/runtime.md, "Loops"). `replayed`: from the journal.
   */
  | (EventBase & { readonly type: "loop.pass"; readonly path: string; readonly pass: number; readonly from: string; readonly replayed: boolean })
  | (EventBase & { readonly type: "edge.taken"; readonly from: string; readonly to: string; readonly kind: "always" | "case" | "otherwise" | "error" | "exhausted"; readonly loop: boolean })
  /** A block called a model (agent blocks): tokens, latency and how the answer fared. */
  | (EventBase & { readonly type: "block.usage"; readonly path: string; readonly act: number; readonly attempt: number } & UsageFields)
  /** A block called a tool. */
  | (EventBase & { readonly type: "block.tool"; readonly path: string; readonly act: number; readonly attempt: number } & ToolFields)
  /** A step inside a block (an rlm block's cell or sub-call) happened, or was replayed from the journal. */
  | (EventBase & { readonly type: "block.step"; readonly path: string; readonly act: number; readonly attempt: number } & StepFields);

type UsageFields = Omit<Extract<BlockReport, { type: "usage" }>, "type">;
type StepFields = Omit<Extract<BlockReport, { type: "step" }>, "type">;
type ToolFields = Omit<Extract<BlockReport, { type: "tool" }>, "type">;

/** The `type` of a run event: `run.started`, `block.completed`, ... (docs/runtime.md lists them). */
export type RunEventType = RunEvent["type"];

/** A block waiting to be resumed. */
export interface Suspension {
  /** Stable across restarts of the process: `<block path>#<activation>`, e.g. `review/approve#1`. */
  readonly id: string;
  readonly path: string;
  readonly act: number;
  /** What the block shows whoever resumes it. */
  readonly payload: JsonValue;
  /** Epoch milliseconds. */
  readonly at: number;
}

/**
 * A run's events for any number of listeners. Emitting costs one length check when nobody
 * listens, so the hot path pays nothing for events it does not use.
 */
export class EventHub {
  // Listeners and streams in one list, created on first subscription.
  private subscribers: Subscriber[] | undefined;
  private closed = false;

  get active(): boolean {
    return this.subscribers !== undefined && this.subscribers.length > 0;
  }

  emit(event: RunEvent): void {
    if (this.subscribers === undefined) return;
    for (const subscriber of this.subscribers) {
      if (typeof subscriber === "function") subscriber(event);
      else subscriber.push(event);
    }
  }

  on(listener: (event: RunEvent) => void): () => void {
    (this.subscribers ??= []).push(listener);
    return () => this.remove(listener);
  }

  /** An async iterator over the events from now on; it ends when the run ends. */
  stream(): AsyncIterableIterator<RunEvent> {
    const queue = new AsyncQueue(() => this.remove(queue));
    if (this.closed) queue.end();
    else (this.subscribers ??= []).push(queue);
    return queue;
  }

  close(): void {
    this.closed = true;
    for (const subscriber of this.subscribers?.splice(0) ?? []) if (typeof subscriber !== "function") subscriber.end();
  }

  private remove(subscriber: Subscriber): void {
    const i = this.subscribers?.indexOf(subscriber) ?? -1;
    if (i >= 0) this.subscribers?.splice(i, 1);
  }
}

type Subscriber = ((event: RunEvent) => void) | AsyncQueue;

class AsyncQueue implements AsyncIterableIterator<RunEvent> {
  private readonly buffer: RunEvent[] = [];
  private waiting: ((result: IteratorResult<RunEvent>) => void) | undefined;
  private done = false;

  constructor(private readonly detach: () => void) {}

  push(event: RunEvent): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: event, done: false });
    } else {
      this.buffer.push(event);
    }
  }

  end(): void {
    this.done = true;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<RunEvent>> {
    const event = this.buffer.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<RunEvent>> {
    this.done = true;
    this.buffer.length = 0;
    this.detach();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<RunEvent> {
    return this;
  }
}
