import { formatZodIssues } from "@blockwork/spec";
import { type ErrorInfo, type EscalationStep, messageOf, RunError } from "../errors.js";
import { MissingValueError } from "../plan/bindings.js";
import type { EdgePlan, GraphPlan, LoopPlan, NodePlan } from "../plan/plan.js";
import type { JournalEntry } from "../store/store.js";
import { transition } from "xstate";
import { type SupervisorDecision, type SupervisorSnapshot, startSupervisor, superviseFailure, supervisorMachine } from "../supervise/supervisor.js";
import type { Pausable, RunContext } from "./context.js";
import { backoff, LeafTask, type TaskOwner } from "./leaf.js";
import { MapTask } from "./map.js";

type RestartEntry = Extract<JournalEntry, { kind: "block.restarted" }>;

/**
 * A loop that was asked for a new pass (one of its back edges was taken): it starts once the
 * current pass has settled. `from` is the block that took the back edge; `state` 0 while the pass
 * settles, 1 once its `loop.pass` entry is being written (or, in replay, awaited).
 */
interface PassRequest {
  readonly from: number;
  state: 0 | 1;
}

/** A loop entry's bound input for the pass it starts, assembled from what the ended pass left (or why it could not be). */
type Preset = { readonly value: unknown } | { readonly error: unknown };

/** A running subgraph or map of a scope, which a restart or a failure can abandon. */
interface Child {
  abandon(reason: RunError): void;
}

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
 * It is also the supervisor of its blocks: a block that fails for good goes to the supervisor
 * machine (see supervise/supervisor.ts), which restarts it, with the blocks the graph's strategy
 * takes along, or escalates (this scope fails, and its parent's supervisor decides).
 *
 * All per-block and per-edge state lives in one small byte array (activation and loop counters,
 * supervisor and restart bookkeeping only exist once needed), so a run in flight stays small.
 */
export class Scope implements TaskOwner, Child, Pausable {
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
  /** Running subgraphs and maps, by block index. */
  private children: Map<number, Child> | undefined;
  /** Created at the first failure for good. */
  private supervisor: SupervisorSnapshot | undefined;
  /** Restarted blocks: the epoch ms before which they do not start (their backoff). */
  private holds: Map<number, number> | undefined;
  /** Restarts and loop passes whose journal entry is being written: the scope is not done while there are any. */
  private restarting = 0;
  /** Loops waiting for their current pass to settle before the next one starts (created on first use). */
  private nextPass: Map<number, PassRequest> | undefined;
  /** Per loop: the number of its current pass (created at the first re-entry; 1 until then). */
  private passNumbers: Uint32Array | undefined;
  /** Loop entries' bound inputs for the pass they start. */
  private presets: Map<number, Preset> | undefined;
  /**
   * Loop entries that something asked to start (a forward edge, a restart) while their loop waits
   * for its current pass to settle: they start as the new pass's entry instead (block index → loop).
   */
  private held: Map<number, number> | undefined;
  /** `rest_for_one` only: the order in which blocks started, and per-block signals to abandon them. */
  private startOrder: Uint32Array | undefined;
  private clock = 0;
  private slotControllers: Map<number, AbortController> | undefined;

  constructor(
    private readonly run: RunContext,
    private readonly plan: GraphPlan,
    /** Prefix of the paths of this scope's blocks (`""`, or `digest/`). */
    private readonly prefix: string,
    readonly input: unknown,
    private readonly host: ScopeHost,
    private readonly parentSignal: AbortSignal | undefined,
    /** A restarted subgraph waits out its backoff: nothing in it starts before this (epoch ms). */
    private readonly notBefore = 0,
  ) {
    this.outputs = new Array<unknown>(plan.nodes.length);
    this.state = new Uint8Array(plan.nodes.length + plan.edges.length);
    if (plan.strategy === "rest_for_one") this.startOrder = new Uint32Array(plan.nodes.length);
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

  /** The pause for an upgrade is over (it was refused): start what waited. */
  proceed(): void {
    this.pump();
  }

  /** A restart or failure of the parent made this scope irrelevant: stop, write nothing, tell nobody. */
  abandon(reason: RunError): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.abandonAll(reason);
  }

  // --- TaskOwner ------------------------------------------------------------------------------

  isCurrent(slot: number, act: number): boolean {
    return !this.closed && this.state[slot] === RUNNING && act === 1 + (this.passes?.get(slot) ?? 0);
  }

  signalFor(slot: number): AbortSignal {
    if (this.startOrder === undefined) return this.signal;
    let controller = this.slotControllers?.get(slot);
    if (controller === undefined) {
      controller = new AbortController();
      const parent = this.signal;
      const c = controller;
      if (parent.aborted) c.abort(parent.reason);
      else parent.addEventListener("abort", () => c.abort(parent.reason), { once: true });
      (this.slotControllers ??= new Map()).set(slot, controller);
    }
    return controller.signal;
  }

  handlesTyped(slot: number): boolean {
    return (this.plan.nodes[slot] as NodePlan).errorEdges.length > 0;
  }

  taskCompleted(slot: number, act: number, output: unknown): void {
    if (!this.isCurrent(slot, act)) return;
    this.children?.delete(slot);
    this.slotControllers?.delete(slot);
    this.outputs[slot] = output;
    this.finish(slot);
    const node = this.plan.nodes[slot] as NodePlan;
    if (node.work.kind !== "code" && this.run.listening) {
      const at = Date.now();
      const durationMs = at - (this.startedAt?.get(slot) ?? at);
      this.run.emit({ type: "block.completed", runId: this.run.id, at, path: this.pathOf(node, act), act, durationMs, replayed: false });
    }
    this.route(node, node.always, node.caseField === undefined && node.matchCases === undefined ? undefined : this.caseEdges(node, output));
    this.pump();
  }

  taskFailedTyped(slot: number, act: number, _error: unknown): void {
    if (!this.isCurrent(slot, act)) return;
    this.slotControllers?.delete(slot);
    this.finish(slot);
    const node = this.plan.nodes[slot] as NodePlan;
    this.route(node, node.errorEdges, undefined);
    this.pump();
  }

  /** A block failed for good: its supervisor decides (a restart, or this scope fails). */
  taskFailed(slot: number, act: number, error: RunError): void {
    if (!this.isCurrent(slot, act) || this.run.ended) return;
    this.children?.delete(slot);
    const node = this.plan.nodes[slot] as NodePlan;
    if (node.work.kind !== "code" && this.run.listening) {
      // A leaf reports its own failure; a subgraph or map that failed is reported here.
      const at = Date.now();
      const durationMs = at - (this.startedAt?.get(slot) ?? at);
      this.run.emit({ type: "block.failed", runId: this.run.id, at, path: this.pathOf(node, act), act, durationMs, error: error.info, typed: false });
    }
    if (this.run.replaying && this.run.capture === undefined) {
      // The journal says what the supervisor decided then (a restart entry may follow); if the
      // process died before the decision was written, it is taken again when replay ends.
      this.run.wait({ key: `${this.prefix}${node.id}#${act}`, replay: (e) => this.replayEntry(slot, act, e), goLive: () => this.supervise(slot, act, error) });
      return;
    }
    this.supervise(slot, act, error);
  }

  replayRestart(slot: number, act: number, entry: RestartEntry): void {
    if (!this.isCurrent(slot, act)) throw mismatch(entry, "the block it restarts is not running there");
    const node = this.plan.nodes[slot] as NodePlan;
    const [next, decision] = superviseFailure(this.supervisor ?? startSupervisor(this.plan.strategy), {
      type: "child.failed",
      child: slot,
      act,
      failure: entry.error,
      policy: node.restart,
      at: entry.at,
    });
    if (decision.action !== "restart") throw mismatch(entry, `the graph's supervisor would not restart the block now (${decision.reason})`);
    this.supervisor = next;
    const set = entry.restarted.map((id) => this.plan.nodes.findIndex((n) => n.id === id));
    if (set.includes(-1)) throw mismatch(entry, `it restarts blocks this graph does not have (${entry.restarted.join(", ")})`);
    this.emitRestart(node, act, entry);
    this.applyRestart(set, entry.at + entry.delayMs, new RunError(entry.error, { runId: this.run.id }));
    this.pump();
  }

  private replayEntry(slot: number, act: number, entry: JournalEntry): void {
    if (entry.kind !== "block.restarted") throw mismatch(entry, "a failed subgraph or map can only be restarted");
    this.replayRestart(slot, act, entry);
  }

  // --- Supervision ----------------------------------------------------------------------------

  /** Hands a failure for good to the supervisor machine and carries out what it decides. */
  private supervise(slot: number, act: number, error: RunError): void {
    if (!this.isCurrent(slot, act) || this.run.ended) return;
    const node = this.plan.nodes[slot] as NodePlan;
    const at = Date.now();
    const [next, decision] = superviseFailure(this.supervisor ?? startSupervisor(this.plan.strategy), {
      type: "child.failed",
      child: slot,
      act,
      failure: error.info,
      policy: node.restart,
      at,
    });
    this.supervisor = next;
    if (decision.action === "escalate") {
      this.escalate(node, act, error, decision);
      return;
    }
    const restart = node.restart as NonNullable<NodePlan["restart"]>;
    const delayMs = backoff(restart.backoff, decision.restart);
    const set = this.restartSet(slot);
    const entry: RestartEntry = {
      seq: this.run.nextSeq(),
      kind: "block.restarted",
      path: this.pathOf(node, act),
      act,
      attempt: 1,
      at,
      error: error.info,
      delayMs,
      restart: decision.restart,
      restarted: set.map((i) => (this.plan.nodes[i] as NodePlan).id),
    };
    // The restart takes effect now (what it abandons writes nothing more), but nothing restarted
    // starts before the entry is written.
    this.restarting++;
    this.run.enter();
    const reset = this.applyRestart(set, at + delayMs, error, false);
    this.emitRestart(node, act, entry);
    const go = () => {
      this.restarting--;
      this.run.leave();
      if (this.closed) return;
      this.startRestarted(reset);
      this.pump();
    };
    const written = this.run.append(entry);
    if (written instanceof Promise) written.then(go, (e: unknown) => this.fail(new RunError({ code: "block_failed", message: `the restart of block ${entry.path} could not be written to the journal: ${messageOf(e)}`, path: entry.path }, { runId: this.run.id })));
    else go();
  }

  private escalate(node: NodePlan, act: number, error: RunError, decision: Extract<SupervisorDecision, { action: "escalate" }>): void {
    const path = this.pathOf(node, act);
    const step: EscalationStep = { path, failures: decision.failures, reason: decision.reason };
    const trail = [...(error.info.trail ?? []), step];
    const supervised = node.restart !== undefined;
    const info: ErrorInfo = { ...error.info, trail, ...(supervised ? { message: `${error.info.message} [${path} escalated: ${decision.reason}]` } : {}) };
    if (supervised && this.run.listening) {
      this.run.emit({ type: "block.escalated", runId: this.run.id, at: Date.now(), path, act, reason: decision.reason, error: error.info });
    }
    this.fail(new RunError(info, { runId: this.run.id, cause: error }));
  }

  /** The blocks a restart of `slot` takes along, by the graph's strategy. */
  private restartSet(slot: number): number[] {
    switch (this.plan.strategy) {
      case "one_for_one":
        return [slot];
      case "one_for_all": {
        const all: number[] = [];
        for (let i = 0; i < this.plan.nodes.length; i++) if (this.state[i] !== IDLE && this.state[i] !== RULED_OUT) all.push(i);
        return all;
      }
      case "rest_for_one": {
        const order = this.startOrder as Uint32Array;
        const from = order[slot] as number;
        const rest = [slot];
        for (let i = 0; i < this.plan.nodes.length; i++) {
          if (i === slot) continue;
          const status = this.state[i];
          // Queued blocks have not started yet, but they would start after the failed one.
          if (status === QUEUED || ((status === RUNNING || status === DONE) && (order[i] as number) > from)) rest.push(i);
        }
        return rest;
      }
    }
  }

  /**
   * Resets the restarted blocks (and the blocks that were ruled out because of what they
   * decided) to not-yet-run, as new activations: running ones are abandoned, their outputs and
   * outgoing edges forgotten. With `start`, what can start again is queued at once (replay);
   * otherwise `startRestarted` does it once the restart is journaled.
   */
  private applyRestart(set: readonly number[], notBefore: number, reason: RunError, start = true): number[] {
    const n = this.plan.nodes.length;
    const member = new Uint8Array(n);
    const list: number[] = [];
    for (const v of set) if (!member[v]) (member[v] = 1), list.push(v);
    for (let k = 0; k < list.length; k++) {
      for (const e of (this.plan.nodes[list[k] as number] as NodePlan).outForward) {
        const t = (this.plan.edges[e] as EdgePlan).to;
        if (!member[t] && this.state[t] === RULED_OUT) (member[t] = 1), list.push(t);
      }
    }
    const abandoned = new RunError({ ...reason.info, message: `abandoned by a restart: ${reason.info.message}` }, { runId: this.run.id });
    for (const v of list) {
      const status = this.state[v];
      if (status === RUNNING) {
        this.running--;
        this.children?.get(v)?.abandon(abandoned);
        this.children?.delete(v);
        this.slotControllers?.get(v)?.abort(abandoned);
        this.slotControllers?.delete(v);
      } else if (status === QUEUED) {
        this.queue.splice(this.queue.indexOf(v), 1);
      }
      if (status === RUNNING || status === DONE) this.again(v);
      this.state[v] = IDLE;
      this.outputs[v] = undefined;
      this.presets?.delete(v);
      for (const e of (this.plan.nodes[v] as NodePlan).outForward) this.state[n + e] = OPEN;
      (this.holds ??= new Map()).set(v, notBefore);
    }
    if (this.nextPass !== undefined) {
      // A restarted block's decision to take a back edge is void: it decides again when it runs.
      for (const [l, request] of this.nextPass) if (request.state === 0 && member[request.from]) this.nextPass.delete(l);
      if (this.nextPass.size === 0) this.nextPass = undefined;
    }
    for (const v of list) this.held?.delete(v);
    this.releaseHeld();
    if (this.plan.strategy === "one_for_all") {
      // The graph starts over: what was running under the old signal is abandoned with it.
      this.controller?.abort(abandoned);
      this.controller = undefined;
      this.uses = undefined;
    }
    if (start) this.startRestarted(list);
    return list;
  }

  /** Queues the reset blocks whose way in is open (entry blocks, or fired incoming edges). */
  private startRestarted(list: readonly number[]): void {
    const n = this.plan.nodes.length;
    for (const v of [...list].sort((a, b) => a - b)) {
      if (this.state[v] !== IDLE) continue;
      const node = this.plan.nodes[v] as NodePlan;
      let fired = false;
      let open = false;
      for (const e of node.inEdges) {
        const s = this.state[n + e];
        if (s === FIRED) fired = true;
        else if (s === OPEN) open = true;
      }
      const ready = node.inEdges.length === 0 ? this.plan.entry.includes(v) : node.joinAll ? fired && !open : fired;
      if (ready) this.enqueue(v);
    }
  }

  private emitRestart(node: NodePlan, act: number, entry: RestartEntry): void {
    if (!this.run.listening) return;
    this.run.emit({
      type: "block.restarted",
      runId: this.run.id,
      at: entry.at,
      path: this.pathOf(node, act),
      act,
      restart: entry.restart,
      delayMs: entry.delayMs,
      restarted: entry.restarted,
      error: entry.error,
    });
  }

  // --- Scheduling -----------------------------------------------------------------------------

  private enqueue(i: number): void {
    if (this.nextPass !== undefined && this.hold(i)) return;
    this.state[i] = QUEUED;
    this.queue.push(i);
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    for (;;) {
      // A queue, not recursion: a long chain of synchronous blocks must not grow the stack.
      while (!this.closed && this.queue.length > 0) {
        if (this.run.paused) {
          // An upgrade waits for a block boundary: start nothing new until it is done.
          this.run.defer(this);
          break;
        }
        this.startBlock(this.queue.shift() as number);
      }
      if (this.closed || this.nextPass === undefined || this.run.paused || !this.settlePasses()) break;
    }
    this.pumping = false;
    if (!this.closed && this.running === 0 && this.queue.length === 0 && this.restarting === 0 && this.nextPass === undefined) this.complete();
  }

  /**
   * A loop's entry is asked to start (a forward edge, a restart) while a new pass of its loop is
   * asked for (the back edge came before anything asked the entry to start in this pass, e.g. from
   * an entry block of the graph inside the region): starting it would run it in the pass that is
   * ending. It waits instead and starts as the new pass's entry. Decided when the start is asked
   * for, not when the queue reaches it: the order of outcomes (the journal's) decides, so a
   * resumed run decides the same. Returns whether `i` was held.
   */
  private hold(i: number): boolean {
    if (this.presets?.has(i)) return false;
    const requests = this.nextPass as Map<number, PassRequest>;
    for (const l of requests.keys()) {
      // Also while the new pass's entry is being written (state 1): the pass starts the entry.
      if ((this.plan.loops[l] as LoopPlan).entry !== i) continue;
      this.state[i] = IDLE;
      (this.held ??= new Map()).set(i, l);
      return true;
    }
    return false;
  }

  /** A loop's pass request was voided: entries held for it start after all. */
  private releaseHeld(): void {
    if (this.held === undefined) return;
    for (const [i, l] of this.held) {
      if (this.nextPass?.has(l)) continue;
      this.held.delete(i);
      if (this.state[i] === IDLE) this.enqueue(i);
    }
    if (this.held.size === 0) this.held = undefined;
  }

  private startBlock(i: number): void {
    const node = this.plan.nodes[i] as NodePlan;
    this.state[i] = RUNNING;
    this.running++;
    if (this.startOrder !== undefined) this.startOrder[i] = ++this.clock;
    let notBefore = this.notBefore;
    if (this.holds !== undefined) {
      notBefore = Math.max(notBefore, this.holds.get(i) ?? 0);
      this.holds.delete(i);
    }
    const act = 1 + (this.passes?.get(i) ?? 0);
    let input: unknown;
    try {
      const preset = this.presets?.get(i);
      let bound: unknown;
      if (preset === undefined) bound = node.bind(this);
      else {
        // A loop entry starting a new pass: its input was assembled when the previous pass ended.
        this.presets?.delete(i);
        if ("error" in preset) throw preset.error;
        bound = preset.value;
      }
      input = node.input.parse(bound);
    } catch (error) {
      const code = error instanceof MissingValueError ? "binding_failed" : "input_invalid";
      this.fail(new RunError({ code, message: `block ${this.pathOf(node, act)} cannot start: ${describeInputError(error)}`, path: this.pathOf(node, act) }, { runId: this.run.id }));
      return;
    }
    const path = this.pathOf(node, act);
    if (node.work.kind === "code") {
      new LeafTask(this.run, node, path, act, input, this, i, notBefore).start();
      return;
    }
    // While replaying, a restart of this subgraph or map may be in the journal: wait for it.
    if (this.run.replaying) this.run.wait({ key: `${path}#${act}`, replay: (e) => this.replayEntry(i, act, e), goLive: () => {} });
    // Subgraphs and maps are not journaled themselves (their inside is); they report events only.
    if (this.run.listening) {
      (this.startedAt ??= new Map()).set(i, Date.now());
      this.run.emit({ type: "block.started", runId: this.run.id, at: Date.now(), path, act, attempt: 1 });
    }
    const nested = act === 1 ? path : `${path}@${act}`;
    const children = (this.children ??= new Map());
    if (node.work.kind === "graph") {
      const child = new Scope(this.run, node.work.plan, `${nested}/`, input, this.childHost(i, act), this.signalFor(i), notBefore);
      children.set(i, child);
      child.start();
    } else {
      const spawn = (plan: GraphPlan, prefix: string, value: unknown, host: ScopeHost, signal: AbortSignal, hold: number) => new Scope(this.run, plan, prefix, value, host, signal, hold);
      const map = new MapTask(this.run, node, nested, input as { items: unknown[] }, { owner: this, slot: i, act, spawn, notBefore });
      children.set(i, map);
      map.start();
    }
  }

  private childHost(slot: number, act: number): ScopeHost {
    return {
      scopeCompleted: (output) => this.taskCompleted(slot, act, output),
      scopeFailed: (error) => this.taskFailed(slot, act, error),
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
    const matches = node.matchCases;
    if (matches !== undefined) {
      for (const c of matches) if (c.test(output)) return [c.edge];
      return node.otherwise;
    }
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
      if (this.state[t] !== IDLE) {
        // A jump to a loop's entry that already ran in this pass starts the loop's next pass, by
        // the rules of a back edge (the current pass settles first), not a second run in this one.
        const l = this.loopAt(t);
        if (l >= 0) {
          this.askPass(l, node.index);
          continue;
        }
        this.again(t);
      }
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

  /**
   * A back edge was taken: its loop is asked for a new pass. The pass does not start at once: the
   * current pass runs to its end first (see {@link settlePasses}).
   */
  private reenter(node: NodePlan, edge: EdgePlan): void {
    this.emitEdge(node, edge.to, edge.kind, true);
    this.askPass(edge.loop, node.index);
  }

  /** The loop whose entry block `i` is, or -1. */
  private loopAt(i: number): number {
    return this.plan.loops.findIndex((loop) => loop.entry === i);
  }

  /** Asks loop `l` for a new pass on behalf of block `from` (a back edge, or an `onExhausted` jump to its entry). */
  private askPass(l: number, from: number): void {
    const requests = (this.nextPass ??= new Map());
    // A second request for the same loop during the same pass asks for the same new pass.
    if (!requests.has(l)) requests.set(l, { from, state: 0 });
  }

  /**
   * Starts the passes asked for whose current pass has settled: no block of the loop's region is
   * running or queued. A pass that ends is never cut short: its running blocks finish (their
   * outcomes are journaled), and what they start runs too, until nothing more of the pass can
   * start. A loop whose entry lies in the region of another loop asking for a new pass is left to
   * that one (its new pass starts this one over). Returns whether something was queued.
   */
  private settlePasses(): boolean {
    const requests = this.nextPass as Map<number, PassRequest>;
    for (const [l, request] of requests) {
      if (request.state !== 0) continue;
      const loop = this.plan.loops[l] as LoopPlan;
      let superseded = false;
      for (const other of requests.keys()) if (other !== l && (this.plan.loops[other] as LoopPlan).member[loop.entry]) superseded = true;
      if (superseded) {
        requests.delete(l);
        continue;
      }
      let settled = true;
      for (const v of loop.region) {
        if (this.state[v] === RUNNING || this.state[v] === QUEUED) {
          settled = false;
          break;
        }
      }
      if (!settled) continue;
      request.state = 1;
      const entry = this.plan.nodes[loop.entry] as NodePlan;
      const pass = (this.passNumbers?.[l] ?? 1) + 1;
      // The entry's input comes from what the ended pass left (before the region is reset).
      let preset: Preset;
      try {
        preset = { value: entry.bind(this) };
      } catch (error) {
        preset = { error };
      }
      const path = `${this.prefix}${entry.id}`;
      const from = (this.plan.nodes[request.from] as NodePlan).id;
      if (this.run.replaying && this.run.capture === undefined) {
        // The journal says when the pass started; if the process died before it was written, it starts when replay ends.
        this.run.wait({
          key: `${path}#${pass}`,
          loopPass: true,
          replay: (e) => {
            if (this.nextPass?.get(l) === request) this.replayPass(l, pass, from, preset, e);
          },
          goLive: () => {
            // Voided meanwhile (an outer loop's pass started this one over): nothing to write.
            if (this.nextPass?.get(l) === request) this.writePass(l, pass, from, preset);
          },
        });
        continue;
      }
      this.writePass(l, pass, from, preset);
    }
    if (requests.size === 0) this.nextPass = undefined;
    return this.queue.length > 0;
  }

  /** Journals the start of a new pass, then starts it (nothing of it starts before the entry is written). */
  private writePass(l: number, pass: number, from: string, preset: Preset): void {
    const entry = this.plan.nodes[(this.plan.loops[l] as LoopPlan).entry] as NodePlan;
    const path = `${this.prefix}${entry.id}`;
    this.restarting++;
    this.run.enter();
    const go = () => {
      this.restarting--;
      this.run.leave();
      if (this.closed) return;
      this.beginPass(l, pass, from, preset, false);
      this.pump();
    };
    const written = this.run.append({ seq: this.run.nextSeq(), kind: "loop.pass", path, act: pass, attempt: 0, at: Date.now(), from });
    if (written instanceof Promise) written.then(go, (e: unknown) => this.fail(new RunError({ code: "block_failed", message: `pass ${pass} of the loop at ${path} could not be written to the journal: ${messageOf(e)}`, path }, { runId: this.run.id })));
    else go();
  }

  private replayPass(l: number, pass: number, from: string, preset: Preset, entry: JournalEntry): void {
    const path = `${this.prefix}${(this.plan.nodes[(this.plan.loops[l] as LoopPlan).entry] as NodePlan).id}`;
    if (entry.kind !== "loop.pass") throw mismatch(entry, `${missingPass(path, pass)}`);
    if (entry.from !== from) throw mismatch(entry, `it says block "${entry.from}" asked for pass ${pass} of the loop at ${path}, but here block "${from}" does`);
    this.beginPass(l, pass, from, preset, true);
    this.pump();
  }

  /**
   * Starts pass `pass` of loop `l`: its region is reset (outputs forgotten, so that a read never
   * sees an earlier pass; join arrivals from inside the region cleared; each block that ran gets a
   * new activation), and its entry starts with the input assembled from the ended pass. Blocks of
   * the region that start with a pass start too: entry blocks of the graph, and `join: "any"`
   * blocks that an arrival from outside the region already reached (it still counts).
   */
  private beginPass(l: number, pass: number, from: string, preset: Preset, replayed: boolean): void {
    const loop = this.plan.loops[l] as LoopPlan;
    this.nextPass?.delete(l);
    // Loops whose entry is in this region start over with this pass: their requests are void.
    if (this.nextPass !== undefined) for (const k of this.nextPass.keys()) if (loop.member[(this.plan.loops[k] as LoopPlan).entry]) this.nextPass.delete(k);
    if (this.nextPass?.size === 0) this.nextPass = undefined;
    (this.passNumbers ??= new Uint32Array(this.plan.loops.length).fill(1))[l] = pass;
    const n = this.plan.nodes.length;
    for (const v of loop.region) {
      this.held?.delete(v);
      if (this.state[v] === QUEUED) this.queue.splice(this.queue.indexOf(v), 1);
      if (this.state[v] !== IDLE) this.again(v);
      this.state[v] = IDLE;
      this.outputs[v] = undefined;
      this.presets?.delete(v);
    }
    for (const e of loop.edges) this.state[n + e] = OPEN;
    const entry = this.plan.nodes[loop.entry] as NodePlan;
    if (this.run.listening) this.run.emit({ type: "loop.pass", runId: this.run.id, at: Date.now(), path: `${this.prefix}${entry.id}`, pass, from, replayed });
    (this.presets ??= new Map()).set(loop.entry, preset);
    this.enqueue(loop.entry);
    for (const v of loop.region) {
      if (v === loop.entry) continue;
      const node = this.plan.nodes[v] as NodePlan;
      if (this.plan.entry.includes(v) || (!node.joinAll && node.inEdges.some((e) => this.state[n + e] === FIRED))) this.enqueue(v);
    }
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
        // The edge was resolved before (an onExhausted jump ran its source again): a new firing
        // starts a new activation; for a loop's entry that already ran, the loop's next pass.
        if (firedNow && status !== RUNNING && status !== QUEUED) {
          const l = status === IDLE ? -1 : this.loopAt(t);
          if (l >= 0) this.askPass(l, (this.plan.edges[e] as EdgePlan).from);
          else if (status === IDLE && target.joinAll) {
            // A join-all block not yet run in this pass (a new pass reset it) waits for its other
            // ways in, as on a first firing.
            this.resolveJoin(target, pending);
          } else {
            if (status !== IDLE) this.again(t);
            this.enqueue(t);
          }
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
    this.stopSupervisor();
    let output: unknown;
    try {
      output = this.plan.bindOutput(this);
    } catch (error) {
      this.host.scopeFailed(new RunError({ code: "binding_failed", message: `the output of graph "${this.plan.def.id}" cannot be assembled: ${messageOf(error)}`, ...this.where() }, { runId: this.run.id }));
      return;
    }
    const parsed = this.plan.output.safeParse(output);
    if (!parsed.success) {
      const issues = formatZodIssues(parsed.error, { max: 5 });
      this.host.scopeFailed(new RunError({ code: "output_invalid", message: `the output of graph "${this.plan.def.id}" breaks its contract: ${issues}`, ...this.where() }, { runId: this.run.id }));
      return;
    }
    this.host.scopeCompleted(parsed.data);
  }

  private fail(error: RunError): void {
    if (this.closed) return;
    this.closed = true;
    this.stopSupervisor();
    this.queue.length = 0;
    this.abandonAll(error);
    this.host.scopeFailed(error);
  }

  /** The scope is done: its supervisor (if a failure ever created one) stops too. */
  private stopSupervisor(): void {
    if (this.supervisor !== undefined && this.supervisor.status === "active") this.supervisor = transition(supervisorMachine, this.supervisor, { type: "stop" })[0];
  }

  /** Stops everything still running in this scope, down through its subgraphs and maps. */
  private abandonAll(reason: RunError): void {
    this.controller?.abort(reason);
    if (this.children !== undefined) {
      for (const child of this.children.values()) child.abandon(reason);
      this.children.clear();
    }
  }

  private where(): Pick<ErrorInfo, "path"> {
    return this.prefix ? { path: this.prefix.slice(0, -1) } : {};
  }
}

function mismatch(entry: JournalEntry, why: string): RunError {
  return new RunError({ code: "journal_mismatch", message: `journal entry ${entry.seq} (${entry.kind} of ${entry.path}, activation ${entry.act}) does not fit: ${why}`, path: entry.path });
}

/** Why a journal without `loop.pass` entries does not fit once a loop is re-entered. */
function missingPass(path: string, pass: number): string {
  return `the loop at ${path} starts pass ${pass} here, but the journal has no loop.pass entry for it. Journals written before Blockwork recorded loop passes (which ran loops by other rules) cannot be resumed or upgraded across a loop re-entry: let the run finish with the version that started it, or cancel it and start it again`;
}

function describeInputError(error: unknown): string {
  const issues = (error as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
  if (Array.isArray(issues)) return `its input breaks its contract: ${formatZodIssues({ issues }, { max: 5 })}`;
  return messageOf(error);
}

/** When a loop waits for its next pass's entry, a journal entry that fits nowhere most likely comes from a journal without loop passes. */
export function passHint(context: RunContext): string {
  const waiting = context.pendingTasks().find((t) => t.loopPass === true);
  if (waiting === undefined) return "";
  const at = waiting.key.lastIndexOf("#");
  return ` (${missingPass(waiting.key.slice(0, at), Number(waiting.key.slice(at + 1)))})`;
}
