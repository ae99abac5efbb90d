import type { GraphBlock } from "@blockwork/spec";
import { messageOf, RunError } from "../errors.js";
import { planOf } from "../plan/plan.js";
import type { MaybePromise, RunRecord } from "../store/store.js";

// biome-ignore lint: any graph block.
export type AnyGraph = GraphBlock<any>;

/** Loads the graph of a run a worker has no graph for (for example from `run.source`). */
export type GraphLoader = (run: RunRecord) => MaybePromise<AnyGraph | undefined>;

/**
 * Which graph runs a run: a run is pinned to a graph version (the hash of its GraphDef), so graphs
 * are looked up by version, from the worker's own list first, then from the loader (once per
 * version; a failed load is tried again for the next task).
 */
export class GraphResolver {
  private readonly known = new Map<string, Promise<AnyGraph>>();

  constructor(
    graphs: readonly AnyGraph[],
    private readonly loader: GraphLoader | undefined,
  ) {
    for (const graph of graphs) this.known.set(planOf(graph).version, Promise.resolve(graph));
  }

  resolve(run: RunRecord): Promise<AnyGraph> {
    let graph = this.known.get(run.version);
    if (graph === undefined) {
      graph = this.load(run);
      this.known.set(run.version, graph);
      graph.catch(() => this.known.delete(run.version));
    }
    return graph;
  }

  private async load(run: RunRecord): Promise<AnyGraph> {
    const where = `graph "${run.graphId}" version ${run.version} (run ${run.id})`;
    if (this.loader === undefined) {
      throw new RunError({ code: "graph_not_found", message: `this worker has no ${where}: pass it in startWorker({ graphs })` }, { runId: run.id });
    }
    let graph: AnyGraph | undefined;
    try {
      graph = await this.loader(run);
    } catch (error) {
      throw new RunError({ code: "graph_not_found", message: `cannot load ${where}: ${messageOf(error)}` }, { runId: run.id, cause: error });
    }
    if (graph === undefined) throw new RunError({ code: "graph_not_found", message: `the loader found no ${where}` }, { runId: run.id });
    const version = planOf(graph).version;
    if (version !== run.version) {
      const from = run.source ? ` from ${run.source.module}${run.source.exportName ? ` (export ${run.source.exportName})` : ""}` : "";
      throw new RunError(
        {
          code: "graph_not_found",
          message: `the graph loaded${from} has version ${version}, but run ${run.id} is pinned to version ${run.version}: the module changed since the run started; deploy the version the run started on to run it`,
        },
        { runId: run.id },
      );
    }
    return graph;
  }
}
