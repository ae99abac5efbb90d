import type { EscalatedFailure, ReroutePolicy, RerouteProposal } from "@blockwork/core";
import { type Catalogue, catalogueOf, graphFromDef, mergeCatalogues } from "@blockwork/spec";
import type { Model } from "../model/model.js";
import { coordinate } from "./coordinator.js";
import type { CoordinatorBudget, CoordinatorResult } from "./types.js";

/** Options of {@link coordinatorReroute}. */
export interface CoordinatorRerouteOptions {
  readonly model: Model;
  /** Blocks the coordinator may add or swap in, besides those the graph already has. */
  readonly catalogue?: Catalogue;
  /** `auto` (default): move the run at once; `approve`: suspend it until someone approves (see `ReroutePolicy`). */
  readonly approval?: "auto" | "approve";
  /** Default 1. */
  readonly maxReroutes?: number;
  readonly budget?: CoordinatorBudget;
  /** Appended to the coordinator's instructions (house rules). */
  readonly instructions?: string;
  /** Sees every coordination, applied or not (its attempts, issues and token use): for logs and audits. */
  readonly onCoordinate?: (result: CoordinatorResult, failure: EscalatedFailure) => void;
}

/**
 * A reroute policy (`run(graph, input, { reroute })`) that asks the coordinator agent for a patch
 * that routes around a failure that reached the top of a run. The coordinator sees the graph, the
 * catalogue (plus the graph's own blocks) and the failure (the failed block's path and error);
 * only a patch the checker accepts becomes a new version, which runs with implementations from
 * the catalogue and the graph; the runtime then moves the run only if the in-flight upgrade rules
 * accept it for the run's journal.
 *
 * @example
 * const handle = run(pipeline, input, { store, reroute: coordinatorReroute({ model, catalogue, approval: "approve" }) });
 */
export function coordinatorReroute(options: CoordinatorRerouteOptions): ReroutePolicy {
  return {
    approval: options.approval ?? "auto",
    maxReroutes: options.maxReroutes ?? 1,
    async propose(failure, signal): Promise<RerouteProposal> {
      const own = catalogueOf(failure.graph);
      const catalogue = options.catalogue ? mergeCatalogues(options.catalogue, own) : own;
      const { path = "", ...error } = failure.error;
      const result = await coordinate({
        graph: failure.graph.def,
        catalogue,
        task: { failure: { path, error, runId: failure.runId } },
        model: options.model,
        signal,
        ...(options.budget ? { budget: options.budget } : {}),
        ...(options.instructions ? { instructions: options.instructions } : {}),
      });
      options.onCoordinate?.(result, failure);
      if (result.status !== "applied") throw new Error(`the coordinator found no patch the checker accepts (${result.reason}): ${result.message}`);
      return { graph: graphFromDef(result.def, [catalogue, failure.graph], { reuse: failure.graph }), summary: result.summary };
    },
  };
}
