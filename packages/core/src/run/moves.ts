import type { GraphBlock, JsonValue } from "@blockwork/spec";
import { type ErrorInfo, isRunError, messageOf, RunError } from "../errors.js";
import type { RunEvent, Suspension } from "../events.js";
import { type GraphPlan, planOf } from "../plan/plan.js";
import type { MaybePromise } from "../maybe-promise.js";
import type { JournalEntry, RunRecord, RunSource, Store } from "../store/store.js";
import { type RunContext, storeFailure } from "./context.js";
import type { RerouteApproval, ReroutePolicy, RerouteProposal } from "./reroute.js";
import { type Migration, planUpgrade, type UpgradePlan, type UpgradeResult } from "./upgrade.js";

// biome-ignore lint: any graph block.
type AnyGraph = GraphBlock<any>;

/** A store read as a `store_failed` error when the store fails (a RunError as it is). */
export async function reading<T>(runId: string, what: string, read: () => MaybePromise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (isRunError(error) && error.code !== "store_failed") throw error;
    throw storeFailure(runId, error, what);
  }
}

/** Options of `RunHandle.upgrade`. */
export interface HandleUpgradeOptions {
  readonly migrate?: Migration;
  /** Where the new graph is loaded from, for later resumes, when it is not the run's module. */
  readonly source?: RunSource;
}

/** What moving a run in flight needs from the run's execution. */
export interface MoveHost {
  readonly id: string;
  readonly store: Store;
  /** The current context and plan (both replaced by `switchTo`). */
  readonly context: RunContext;
  readonly plan: GraphPlan;
  readonly signal: AbortSignal | undefined;
  /** Leaves the old version's scopes behind and replays the journal on `target`. */
  switchTo(target: GraphPlan, input: JsonValue, journal: readonly JournalEntry[], result: UpgradeResult, announce?: RunEvent): void;
  /** Ends the run with this error. */
  finish(info: ErrorInfo, error?: RunError): void;
  /** The run waits for someone: callers of `settled()` learn it is suspended. */
  suspended(suspensions: Suspension[]): void;
}

interface PlannedMove {
  readonly record: RunRecord;
  readonly journal: readonly JournalEntry[];
  readonly to: AnyGraph;
  readonly plan: UpgradePlan;
}

/**
 * The moves of one run to another version: an upgrade asked through the handle, and a reroute
 * after a failure reached the top. Both wait for a block boundary, check the move against the
 * journal (`planUpgrade`), journal it and hand the run to the new version (`MoveHost.switchTo`).
 */
export class Moves {
  /** An upgrade waiting for the next block boundary. */
  private pendingUpgrade: { to: AnyGraph; options: HandleUpgradeOptions; resolve: (r: UpgradeResult) => void; reject: (e: unknown) => void } | undefined;
  /** Reroutes made (see `RunOptions.reroute`). */
  private reroutes = 0;
  /** A reroute is under way (from the failure until the run moved, or gave up). */
  rerouting = false;
  /** The reroute waiting for approval, shown as a suspension. */
  awaitingApproval: { suspension: Suspension; decide: (approved: boolean) => Promise<void> } | undefined;

  constructor(private readonly host: MoveHost) {}

  upgrade(to: AnyGraph, options: HandleUpgradeOptions): Promise<UpgradeResult> {
    const { context, id } = this.host;
    if (context.ended) return Promise.reject(new RunError({ code: "upgrade_refused", message: `run ${id} has already ended; there is nothing to upgrade` }, { runId: id }));
    if (this.pendingUpgrade) return Promise.reject(new RunError({ code: "upgrade_refused", message: `run ${id} already waits for an upgrade` }, { runId: id }));
    return new Promise<UpgradeResult>((resolve, reject) => {
      this.pendingUpgrade = { to, options, resolve, reject };
      // Nothing new starts; once no attempt is in progress, the run is at a block boundary.
      context.paused = true;
      context.onBoundary = () => void this.atBoundary();
      if (context.busy === 0) queueMicrotask(() => void this.atBoundary());
    });
  }

  /**
   * Whether a failure that reached the top is rerouted: when it is, the move waits for the block
   * boundary (nothing new starts; attempts in progress finish) and the run does not end here.
   */
  rerouteOnFailure(policy: ReroutePolicy | undefined, error: RunError): boolean {
    const context = this.host.context;
    if (policy === undefined || error.code === "run_cancelled" || context.ended || this.rerouting || this.reroutes >= (policy.maxReroutes ?? 1)) return false;
    this.rerouting = true;
    context.paused = true;
    const go = () => void this.reroute(policy, error);
    if (context.busy === 0) queueMicrotask(go);
    else context.onBoundary = go;
    return true;
  }

  /** Moves the run to the waiting upgrade's version, or refuses and lets the run go on. */
  private async atBoundary(): Promise<void> {
    const pending = this.pendingUpgrade;
    if (pending === undefined) return;
    this.pendingUpgrade = undefined;
    const context = this.host.context;
    context.onBoundary = undefined;
    try {
      if (context.ended) throw new RunError({ code: "upgrade_refused", message: `run ${this.host.id} ended before it reached a block boundary` }, { runId: this.host.id });
      const planned = await this.planMove(pending.to, pending.options.migrate);
      pending.resolve(await this.moveTo(planned, pending.options.source));
    } catch (error) {
      if (!context.ended) context.unpause();
      pending.reject(error);
    }
  }

  /** Checks a move of this run to `to` against its journal (throws `upgrade_refused` with every reason). */
  private async planMove(to: AnyGraph, migrate: Migration | undefined): Promise<PlannedMove> {
    const { store, id } = this.host;
    const record = await store.getRun(id);
    if (record === undefined) throw new RunError({ code: "run_not_found", message: `run ${id} is not in the store` }, { runId: id });
    const journal = await store.journal(id);
    return { record, journal, to, plan: planUpgrade(record, journal, this.host.plan.def, to, migrate) };
  }

  /** Journals a planned move, pins the run to the new version, and goes on there. */
  private async moveTo(move: PlannedMove, source: RunSource | undefined, announce?: (result: UpgradeResult) => RunEvent): Promise<UpgradeResult> {
    const { store, id } = this.host;
    const target = planOf(move.to);
    const entry = { ...move.plan.entry, seq: this.host.context.nextSeq() } as JournalEntry;
    // A store that fails here fails the move with store_failed, not a raw store error.
    await reading(id, "the graph's new version", () => store.saveGraph(target.version, target.def));
    await reading(id, `journal entry ${entry.seq} (run.upgraded)`, () => store.append(id, entry));
    await reading(id, "the run's new version", () => store.updateRun(id, { version: target.version, updatedAt: Date.now(), ...(source ? { source } : {}) }));
    const { entry: _entry, ...result } = move.plan;
    this.host.switchTo(target, move.record.input, [...move.journal, entry], result, announce?.(result));
    return result;
  }

  /**
   * A failure reached the top and a reroute policy is set: at the next block boundary, ask it for
   * a new version, check the move, and move (or suspend for approval); otherwise fail as before.
   */
  private async reroute(policy: ReroutePolicy, error: RunError): Promise<void> {
    const host = this.host;
    const context = host.context;
    context.onBoundary = undefined;
    const giveUp = (why: string) => {
      this.rerouting = false;
      const info: ErrorInfo = { ...error.info, message: `${error.info.message} (not rerouted: ${why})` };
      host.finish(info, new RunError(info, { runId: host.id, cause: error }));
    };
    let proposal: RerouteProposal | undefined;
    try {
      const abort = new AbortController();
      const stop = () => abort.abort(new RunError({ code: "run_cancelled", message: "the run was cancelled" }, { runId: host.id }));
      host.signal?.addEventListener("abort", stop, { once: true });
      try {
        proposal = await policy.propose({ runId: host.id, graph: host.plan.graph, error: error.info, reroutes: this.reroutes }, abort.signal);
      } finally {
        host.signal?.removeEventListener("abort", stop);
      }
    } catch (cause) {
      giveUp(`the reroute policy failed: ${isRunError(cause) ? cause.info.message : messageOf(cause)}`);
      return;
    }
    if (context.ended) return;
    if (proposal === undefined) {
      giveUp("the reroute policy proposed no new version");
      return;
    }
    let planned: PlannedMove;
    try {
      planned = await this.planMove(proposal.graph, proposal.migrate);
    } catch (cause) {
      giveUp(`the proposed version cannot take the run over: ${isRunError(cause) ? cause.info.message : messageOf(cause)}`);
      return;
    }
    const apply = async () => {
      this.awaitingApproval = undefined;
      this.reroutes++;
      try {
        this.rerouting = false;
        const summary = (proposal as RerouteProposal).summary;
        await this.moveTo(planned, undefined, (result) => ({ type: "run.rerouted", runId: host.id, at: Date.now(), from: result.from, to: result.to, summary, error: error.info }));
      } catch (cause) {
        giveUp(`moving it to the new version failed: ${isRunError(cause) ? cause.info.message : messageOf(cause)}`);
      }
    };
    if ((policy.approval ?? "auto") === "auto") {
      await apply();
      return;
    }
    // Someone decides: the run waits, as for a suspended block.
    const at = Date.now();
    const act = this.reroutes + 1;
    const approval: RerouteApproval = { reroute: proposal.summary, failure: error.info, from: planned.plan.from, to: planned.plan.to };
    const payload = approval as unknown as JsonValue;
    const suspension: Suspension = { id: `reroute#${act}`, path: "reroute", act, payload, at };
    this.awaitingApproval = {
      suspension,
      decide: async (approved) => {
        if (approved) await apply();
        else giveUp("the proposed version was rejected");
      },
    };
    try {
      const written = host.store.updateRun(host.id, { status: "suspended", updatedAt: at });
      if (written instanceof Promise) await written;
    } catch {
      // The status is informational; the run waits either way.
    }
    host.context.emit({ type: "run.suspended", runId: host.id, at, suspensions: [suspension] });
    host.suspended([suspension]);
  }
}
