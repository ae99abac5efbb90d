import { type ErrorInfo, messageOf, RunError } from "../errors.js";
import { MissingValueError } from "../plan/bindings.js";
import type { EdgePlan, GraphPlan, NodePlan } from "../plan/plan.js";
import type { RunContext } from "./context.js";
import { LeafTask, type TaskOwner } from "./leaf.js";
import { MapTask } from "./map.js";

/** Where a scope delivers its outcome: the run (top graph), or the node of a parent scope. */
export interface ScopeHost {
  scopeCompleted(output: unknown): void;
  scopeFailed(error: RunError): void;
}

// Block states within one activation.
const IDLE = 0;
const QUEUED = 1;
const RUNNING = 2;
const DONE = 3;
const RULED_OUT = 4;
// Edge states.
const OPEN = 0;
const FIRED = 1;
const DEAD = 2;

/**
 * Runs one graph (the top graph of a run, a subgraph, or a map item that is a graph): starts
 * blocks when their incoming edges allow, evaluates bindings and routes, rules out the branches a
 * route did not take (so that joins never wait for them), and re-enters loops.
 *
 * All per-block and per-edge state lives in one small byte array (activation and loop counters
 * only exist once a loop is taken), so a run in flight stays small.
 */
export class Scope implements TaskOwner {
  closed = false;
  readonly outputs: unknown[];
  /** [block state × blocks | edge state × edges] */
  private readonly state: Uint8Array;
  /** Per block: how many times a loop brought it back (its activation is 1 + that). */
  private passes: Map<number, number> | undefined;
  /** Per bounded edge: how many times it was taken. */
  private uses: Map<number, number> | undefined;
  private readonly queue: number[] = [];
  private running = 0;
  private pumping = false;
  private controller: AbortController | undefined;
  /** Start times of subgraphs and maps, kept only while someone listens to events. */
  private startedAt: Map<number, number> | undefined;

  constructor(
    private readonly run: RunContext,
    private readonly plan: GraphPlan,
    /** Prefix of the paths of this scope's blocks (`""`, or `digest/`). */
    private readonly prefix: string,
    readonly input: unknown,
    private readonly host: ScopeHost,
    private readonly parentSignal: AbortSignal | undefined,
  ) {
    this.outputs = new Array<unknown>(plan.nodes.length);
    this.state = new Uint8Array(plan.nodes.length + plan.edges.length);
  }

  /** Aborted when this scope fails or is cancelled (created on first use). */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      const controller = this.controller;
      const parent = this.parentSignal;
      if (parent?.aborted) controller.abort(parent.reason);
      else parent?.addEventListener("abort", () => controller.abort(parent.reason), { once: true });
    }
    return this.controller.signal;
  }

  start(): void {
    for (const i of this.plan.entry) this.enqueue(i);
    this.pump();
  }

  /** Fails the scope from outside (cancellation). */
  cancel(error: RunError): void {
    this.fail(error);
  }

  // --- TaskOwner ------------------------------------------------------------------------------

  handlesTyped(slot: number): boolean {
    return (this.plan.nodes[slot] as NodePlan).errorEdges.length > 0;
  }

  taskCompleted(slot: number, act: number, output: unknown): void {
    if (this.closed) return;
    this.outputs[slot] = output;
    this.finish(slot);
    const node = this.plan.nodes[slot] as NodePlan;
    if (node.work.kind !== "code" && this.run.listening) {
      const at = Date.now();
      const durationMs = at - (this.startedAt?.get(slot) ?? at);
      this.run.emit({ type: "block.completed", runId: this.run.id, at, path: this.pathOf(node, act), act, durationMs, replayed: false });
    }
    this.route(node, node.always, node.caseField === undefined ? undefined : this.caseEdges(node, output));
    this.pump();
  }

  taskFailedTyped(slot: number, _act: number, _error: unknown): void {
    if (this.closed) return;
    this.finish(slot);
    const node = this.plan.nodes[slot] as NodePlan;
    this.route(node, node.errorEdges, undefined);
    this.pump();
  }

  taskFailed(_slot: number, _act: number, error: RunError): void {
    this.fail(error);
  }

  // --- Scheduling -----------------------------------------------------------------------------

  private enqueue(i: number): void {
    this.state[i] = QUEUED;
    this.queue.push(i);
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    // A queue, not recursion: a long chain of synchronous blocks must not grow the stack.
    for (let next = this.queue.shift(); next !== undefined && !this.closed; next = this.queue.shift()) this.startBlock(next);
    this.pumping = false;
    if (!this.closed && this.running === 0 && this.queue.length === 0) this.complete();
  }

  private startBlock(i: number): void {
    const node = this.plan.nodes[i] as NodePlan;
    this.state[i] = RUNNING;
    this.running++;
    const act = 1 + (this.passes?.get(i) ?? 0);
    let input: unknown;
    try {
      input = node.input.parse(node.bind(this));
    } catch (error) {
      const code = error instanceof MissingValueError ? "binding_failed" : "input_invalid";
      this.fail(new RunError({ code, message: `block ${this.pathOf(node, act)} cannot start: ${describeInputError(error)}`, path: this.pathOf(node, act) }, { runId: this.run.id }));
      return;
    }
    const path = this.pathOf(node, act);
    if (node.work.kind === "code") {
      new LeafTask(this.run, node, path, act, input, this, i).start();
      return;
    }
    // Subgraphs and maps are not journaled themselves (their inside is); they report events only.
    if (this.run.listening) {
      (this.startedAt ??= new Map()).set(i, Date.now());
      this.run.emit({ type: "block.started", runId: this.run.id, at: Date.now(), path, act, attempt: 1 });
    }
    const nested = act === 1 ? path : `${path}@${act}`;
    if (node.work.kind === "graph") {
      new Scope(this.run, node.work.plan, `${nested}/`, input, this.childHost(i, act), this.signal).start();
    } else {
      const spawn = (plan: GraphPlan, prefix: string, value: unknown, host: ScopeHost, signal: AbortSignal) => new Scope(this.run, plan, prefix, value, host, signal);
      new MapTask(this.run, node, nested, input as { items: unknown[] }, { owner: this, slot: i, act, spawn }).start();
    }
  }

  private childHost(slot: number, act: number): ScopeHost {
    return {
      scopeCompleted: (output) => this.taskCompleted(slot, act, output),
      scopeFailed: (error) => this.fail(error),
    };
  }

  /**
   * A block's path: the scope's prefix and its id. The activation is a separate number, but the
   * prefix of a subgraph's or map's inside carries it (`digest@2/normalise`) to keep paths unique.
   */
  private pathOf(node: NodePlan, _act: number): string {
    return `${this.prefix}${node.id}`;
  }

  private finish(slot: number): void {
    this.state[slot] = DONE;
    this.running--;
  }

  private caseEdges(node: NodePlan, output: unknown): readonly number[] {
    const value = (output as Record<string, unknown> | null)?.[node.caseField as string];
    return node.cases.get(value) ?? node.otherwise;
  }

  /**
   * After a block finished: fire the chosen edges, rule out the forward edges not chosen, and
   * re-enter loops. While a loop continues, the latch's other edges stay open: the loop may
   * still leave through them later.
   */
  private route(node: NodePlan, chosen: readonly number[], cases: readonly number[] | undefined): void {
    if (node.plain && chosen === node.always) {
      for (const e of chosen) {
        if (this.run.listening) this.emitEdge(node, (this.plan.edges[e] as EdgePlan).to, "always", false);
        this.resolveEdge(e, true);
      }
      return;
    }
    const fired: number[] = [];
    const direct: number[] = [];
    for (const e of cases === undefined ? chosen : [...chosen, ...cases]) {
      const edge = this.plan.edges[e] as EdgePlan;
      if (edge.max !== undefined && !this.use(edge)) {
        if (edge.exhausted < 0) {
          const message = `the edge ${node.id} -> ${(this.plan.nodes[edge.to] as NodePlan).id} was taken ${edge.max} times (its max) and names no onExhausted block`;
          this.fail(new RunError({ code: "loop_bound_exceeded", message, path: `${this.prefix}${node.id}` }, { runId: this.run.id }));
          return;
        }
        direct.push(edge.exhausted);
        this.emitEdge(node, edge.exhausted, "exhausted", false);
        continue;
      }
      fired.push(e);
    }
    const loops = fired.some((e) => (this.plan.edges[e] as EdgePlan).back);
    for (const e of node.outForward) {
      const edge = this.plan.edges[e] as EdgePlan;
      if (fired.includes(e)) {
        this.emitEdge(node, edge.to, edge.kind, false);
        this.resolveEdge(e, true);
      } else if (direct.includes(edge.to)) {
        // The exhausted bound leads where this edge leads: it carries the run on.
        direct.splice(direct.indexOf(edge.to), 1);
        this.resolveEdge(e, true);
      } else if (!loops) {
        this.resolveEdge(e, false);
      }
    }
    for (const e of fired) {
      const edge = this.plan.edges[e] as EdgePlan;
      if (edge.back) this.reenter(node, edge);
    }
    for (const t of direct) {
      if (this.state[t] === RUNNING || this.state[t] === QUEUED) continue;
      if (this.state[t] !== IDLE) this.again(t);
      this.enqueue(t);
    }
  }

  /** Counts one traversal of a bounded edge; false when its max is used up. */
  private use(edge: EdgePlan): boolean {
    const used = this.uses?.get(edge.index) ?? 0;
    if (used >= (edge.max as number)) return false;
    (this.uses ??= new Map()).set(edge.index, used + 1);
    return true;
  }

  /** A block will start again (a loop came back, or a late edge re-fired): its next activation. */
  private again(i: number): void {
    (this.passes ??= new Map()).set(i, (this.passes.get(i) ?? 0) + 1);
  }

  /** A loop comes back: its body starts a new activation from the loop's entry block. */
  private reenter(node: NodePlan, edge: EdgePlan): void {
    this.emitEdge(node, edge.to, edge.kind, true);
    const n = this.plan.nodes.length;
    for (const v of edge.body) {
      if (this.state[v] === RUNNING) continue;
      if (this.state[v] !== IDLE) this.again(v);
      this.state[v] = IDLE;
    }
    for (const e of edge.bodyEdges) this.state[n + e] = OPEN;
    if (this.state[edge.to] !== RUNNING) this.enqueue(edge.to);
  }

  /**
   * Resolves a forward edge as fired or dead and starts, or rules out, its target. Ruling out
   * spreads along the target's own edges (iteratively, without recursion).
   */
  private resolveEdge(first: number, fired: boolean): void {
    const n = this.plan.nodes.length;
    // The common case without allocation: a fired edge into an idle block with no other way in.
    const only = this.plan.nodes[(this.plan.edges[first] as EdgePlan).to] as NodePlan;
    if (fired && only.inEdges.length === 1 && this.state[only.index] === IDLE && this.state[n + first] === OPEN) {
      this.state[n + first] = FIRED;
      this.enqueue(only.index);
      return;
    }
    const pending: number[] = [first];
    let firedNow = fired;
    while (pending.length > 0) {
      const e = pending.pop() as number;
      const t = (this.plan.edges[e] as EdgePlan).to;
      const previous = this.state[n + e];
      this.state[n + e] = firedNow ? FIRED : DEAD;
      const target = this.plan.nodes[t] as NodePlan;
      const status = this.state[t];
      if (previous !== OPEN) {
        // The edge was resolved in an earlier pass of a loop: a new firing starts a new activation.
        if (firedNow && status !== RUNNING && status !== QUEUED) {
          if (status !== IDLE) this.again(t);
          this.enqueue(t);
        }
      } else if (status === IDLE) {
        if (firedNow && !target.joinAll) this.enqueue(t);
        else this.resolveJoin(target, pending);
      }
      firedNow = false; // everything spread from here on is ruling out
    }
  }

  /** When every incoming edge of `target` is resolved: start it if one fired, else rule it out. */
  private resolveJoin(target: NodePlan, pending: number[]): void {
    const base = this.plan.nodes.length;
    let anyFired = false;
    for (const e of target.inEdges) {
      const s = this.state[base + e];
      if (s === OPEN) return;
      if (s === FIRED) anyFired = true;
    }
    if (anyFired) {
      if (target.joinAll) this.enqueue(target.index);
      return;
    }
    this.state[target.index] = RULED_OUT;
    for (const e of target.outForward) pending.push(e);
  }

  private emitEdge(node: NodePlan, to: number, kind: EdgePlan["kind"] | "exhausted", loop: boolean): void {
    if (!this.run.listening) return;
    const target = this.plan.nodes[to] as NodePlan;
    this.run.emit({ type: "edge.taken", runId: this.run.id, at: Date.now(), from: `${this.prefix}${node.id}`, to: `${this.prefix}${target.id}`, kind, loop });
  }

  // --- Outcome --------------------------------------------------------------------------------

  private complete(): void {
    this.closed = true;
    let output: unknown;
    try {
      output = this.plan.bindOutput(this);
    } catch (error) {
      this.host.scopeFailed(new RunError({ code: "binding_failed", message: `the output of graph "${this.plan.def.id}" cannot be assembled: ${messageOf(error)}`, ...this.where() }, { runId: this.run.id }));
      return;
    }
    const parsed = this.plan.output.safeParse(output);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(value)"}: ${i.message}`).join("; ");
      this.host.scopeFailed(new RunError({ code: "output_invalid", message: `the output of graph "${this.plan.def.id}" breaks its contract: ${issues}`, ...this.where() }, { runId: this.run.id }));
      return;
    }
    this.host.scopeCompleted(parsed.data);
  }

  private fail(error: RunError): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.controller?.abort(error);
    this.host.scopeFailed(error);
  }

  private where(): Pick<ErrorInfo, "path"> {
    return this.prefix ? { path: this.prefix.slice(0, -1) } : {};
  }
}

function describeInputError(error: unknown): string {
  const issues = (error as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
  if (Array.isArray(issues)) return `its input breaks its contract: ${issues.slice(0, 5).map((i) => `${i.path.map(String).join(".") || "(value)"}: ${i.message}`).join("; ")}`;
  return messageOf(error);
}
