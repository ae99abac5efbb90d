import type { GraphBlock } from "@blockwork/spec";
import type { ErrorInfo } from "../errors.js";
import type { Migration } from "./upgrade.js";

// biome-ignore lint: any graph block.
type AnyGraph = GraphBlock<any>;

/**
 * What to do when a failure reaches the top of a run (every supervisor below gave up): ask for a
 * new version of the graph that routes around it, and move the run to it through the in-flight
 * upgrade rules — automatically, or once someone approves. `@blockwork/nodes` has one that asks the
 * coordinator agent (`coordinatorReroute`); any function that proposes a graph works.
 *
 * The move happens only when the upgrade rules accept it for the run's journal (the failed block's
 * failure is not journaled: on the new version the run stands before that block again). Otherwise,
 * or when nothing is proposed, the run fails with its error, and the message says why no reroute
 * was made.
 */
export interface ReroutePolicy {
  /** Proposes a new graph for the run, or `undefined` to let it fail. */
  propose(failure: EscalatedFailure, signal: AbortSignal): Promise<RerouteProposal | undefined>;
  /**
   * `auto` (default): apply a proposal the upgrade rules accept at once. `approve`: the run is
   * suspended (suspension `reroute#<n>`, its payload shows the proposal) until it is resumed with
   * `{ approved: boolean }` through `handle.resume`; rejected, the run fails with its error.
   * A reroute waiting for approval lives in this process: if the process stops, resuming the run
   * runs the failed block again, and a new failure asks the policy again.
   */
  readonly approval?: "auto" | "approve";
  /** Reroutes one run may have in this process (default 1): a new version that fails too is not rerouted forever. */
  readonly maxReroutes?: number;
}

/** A failure that reached the top of a run. */
export interface EscalatedFailure {
  readonly runId: string;
  /** The graph the run is on. */
  readonly graph: AnyGraph;
  readonly error: ErrorInfo;
  /** Reroutes this run already had. */
  readonly reroutes: number;
}

/** A new graph version for a failed run. */
export interface RerouteProposal {
  readonly graph: AnyGraph;
  /** What changes, for people: shown in the approval's payload and in the `run.rerouted` event. */
  readonly summary: string;
  /** For data the new contracts no longer accept (see `upgrade`). */
  readonly migrate?: Migration;
}

/** The payload of a reroute waiting for approval. */
export interface RerouteApproval {
  readonly reroute: string;
  readonly failure: ErrorInfo;
  readonly from: string;
  readonly to: string;
}
