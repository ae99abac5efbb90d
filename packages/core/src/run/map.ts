import { setMaxListeners } from "node:events";
import type { JsonValue } from "@blockwork/spec";
import { type ErrorInfo, messageOf, RunError } from "../errors.js";
import type { GraphPlan, NodePlan } from "../plan/plan.js";
import type { JournalEntry } from "../store/store.js";
import type { Pausable, RunContext } from "./context.js";
import { LeafTask, type TaskOwner } from "./leaf.js";

/** A graph run for one item (a `Scope`, made by the caller: this module does not import scope.ts). */
export interface ItemScope {
  closed: boolean;
  start(): void;
  abandon(reason: RunError): void;
}

/** Makes the scope that runs a graph item. */
export type SpawnScope = (
  plan: GraphPlan,
  prefix: string,
  input: unknown,
  host: { scopeCompleted(output: unknown): void; scopeFailed(error: RunError): void },
  signal: AbortSignal,
  notBefore: number,
) => ItemScope;

interface Parent {
  readonly owner: TaskOwner;
  readonly slot: number;
  readonly act: number;
  readonly spawn: SpawnScope;
  /** A restarted map waits out its backoff: no item starts before this (epoch ms). */
  readonly notBefore: number;
}

type MapWork = Extract<NodePlan["work"], { kind: "map" }>;

/**
 * One activation of a map block: runs the item block for each item, at most `concurrency` at a
 * time, each item journaled on its own (its path is `<map>/<index>`), and delivers the results in
 * item order. In `fail` mode the first failure cancels the rest; in `collect` mode failures become
 * results (and are journaled, so a resumed run reproduces them).
 */
export class MapTask implements TaskOwner, Pausable {
  closed = false;
  private readonly results: unknown[];
  private readonly work: MapWork;
  private next = 0;
  private active = 0;
  private finished = 0;
  private failed = 0;
  private controller: AbortController | undefined;
  private readonly children = new Map<number, ItemScope>();

  constructor(
    private readonly run: RunContext,
    node: NodePlan,
    private readonly path: string,
    private readonly input: { items: unknown[] },
    private readonly parent: Parent,
  ) {
    this.work = node.work as MapWork;
    this.results = new Array<unknown>(input.items.length);
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      const controller = this.controller;
      // Each running item may listen to it once (its attempt's time budget, its model call):
      // `concurrency` listeners are expected, not a leak worth Node's warning.
      const { concurrency } = this.work;
      setMaxListeners(Number.isFinite(concurrency) ? concurrency + 10 : 0, controller.signal);
      const parent = this.parent.owner.signalFor(this.parent.slot);
      if (parent.aborted) controller.abort(parent.reason);
      else parent.addEventListener("abort", () => controller.abort(parent.reason), { once: true });
    }
    return this.controller.signal;
  }

  start(): void {
    if (this.input.items.length === 0) this.complete();
    else this.launch();
  }

  /** The parent restarted or failed: stop, write nothing, tell nobody. */
  abandon(reason: RunError): void {
    if (this.closed) return;
    this.closed = true;
    this.controller?.abort(reason);
    for (const child of this.children.values()) child.abandon(reason);
    this.children.clear();
  }

  /** The pause for an upgrade is over (it was refused): start the items that waited. */
  proceed(): void {
    this.launch();
  }

  isCurrent(_slot: number, _act: number): boolean {
    return !this.closed;
  }

  signalFor(_slot: number): AbortSignal {
    return this.signal;
  }

  private launch(): void {
    while (!this.closed && this.active < this.work.concurrency && this.next < this.input.items.length) {
      if (this.run.paused) {
        this.run.defer(this);
        return;
      }
      const i = this.next++;
      this.active++;
      this.runItem(i);
    }
  }

  private runItem(i: number): void {
    const item = this.work.item;
    const path = `${this.path}/${i}`;
    const value = this.input.items[i];
    if (item.work.kind === "code") {
      new LeafTask(this.run, item, path, 1, value, this, i, this.parent.notBefore).start();
      return;
    }
    const child = this.parent.spawn(
      item.work.plan,
      `${path}/`,
      value,
      { scopeCompleted: (output) => this.taskCompleted(i, 1, output), scopeFailed: (error) => this.taskFailed(i, 1, error) },
      this.signal,
      this.parent.notBefore,
    );
    this.children.set(i, child);
    // A graph item's collected failure is journaled under the item's own path: wait for it too.
    if (this.run.replaying && this.work.collect) this.run.wait(this.itemWaiter(i, `${path}#1`, child));
    child.start();
  }

  private itemWaiter(i: number, key: string, child: ItemScope) {
    return {
      key,
      replay: (entry: JournalEntry) => {
        if (entry.kind !== "item.failed") return;
        child.closed = true;
        this.recordFailure(i, entry.error);
      },
      goLive: () => {},
    };
  }

  handlesTyped(): boolean {
    return this.work.collect;
  }

  taskCompleted(slot: number, _act: number, output: unknown): void {
    if (this.closed) return;
    this.children.delete(slot);
    this.results[slot] = this.work.collect ? { ok: true, value: output } : output;
    this.settle();
  }

  taskFailedTyped(slot: number, _act: number, error: unknown): void {
    if (this.closed) return;
    this.recordFailure(slot, { code: "typed_failure", message: `failed with ${JSON.stringify(error)}`, path: `${this.path}/${slot}`, error: error as JsonValue });
  }

  taskFailed(slot: number, _act: number, error: RunError): void {
    if (this.closed) return;
    if (!this.work.collect) {
      this.abandon(error);
      this.parent.owner.taskFailed(this.parent.slot, this.parent.act, error);
      return;
    }
    const info = error.info;
    if (this.run.replaying) {
      this.recordFailure(slot, info);
      return;
    }
    const written = this.run.append({ seq: this.run.nextSeq(), kind: "item.failed", path: `${this.path}/${slot}`, act: 1, attempt: 1, at: Date.now(), error: info });
    if (written instanceof Promise) {
      written.then(
        () => this.recordFailure(slot, info),
        (e: unknown) => this.taskFailed(slot, 1, new RunError({ code: "block_failed", message: `the failure of item ${slot} could not be journaled: ${messageOf(e)}`, path: this.path })),
      );
    } else {
      this.recordFailure(slot, info);
    }
  }

  private recordFailure(slot: number, info: ErrorInfo): void {
    if (this.closed) return;
    this.children.delete(slot);
    this.results[slot] = { ok: false, error: { code: info.code, message: info.message, ...(info.error !== undefined ? { error: info.error } : {}) } };
    this.failed++;
    this.settle();
  }

  private settle(): void {
    this.active--;
    this.finished++;
    if (this.finished === this.input.items.length) this.complete();
    else this.launch();
  }

  private complete(): void {
    this.closed = true;
    const output = this.work.collect ? { results: this.results, failed: this.failed } : { results: this.results };
    this.parent.owner.taskCompleted(this.parent.slot, this.parent.act, output);
  }
}
