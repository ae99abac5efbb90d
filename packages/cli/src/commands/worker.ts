import { type RunRecord, startWorker, type WorkerEvent } from "@blockwork/core";
import type { Io } from "../io.js";
import { findRun } from "../run-id.js";
import { openPostgres, withStore } from "../stores.js";
import { follow } from "./follow.js";
import { loadGraph } from "./run.js";

export interface WorkerCommandOptions {
  readonly store?: string;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly verbose: boolean;
}

/**
 * `blockwork worker --store postgres://…`: claims and runs the blocks of runs submitted to the
 * store, loading each run's graph from the module recorded when it was submitted, until SIGTERM
 * or Ctrl-C (then it lets running blocks finish, for up to the lease, and releases the rest).
 */
export async function runWorker(options: WorkerCommandOptions, io: Io): Promise<number> {
  const store = openPostgres(options.store, io.cwd, "blockwork worker");
  return withStore(store, async () => {
    const loader = async (run: RunRecord) => {
      if (!run.source) {
        throw new Error(`run ${run.id} does not say which module its graph came from; submit runs with blockwork run or submitRun(..., { source }), or start workers in code with startWorker({ graphs })`);
      }
      return (await loadGraph(run.source.module, run.source.exportName, io)).graph;
    };
    const worker = await startWorker({ store, loader, concurrency: options.concurrency, leaseMs: options.leaseMs, handleSignals: true, onEvent: logger(io, options.verbose) });
    io.err(`worker ${worker.id} started: ${options.concurrency} at once, lease ${options.leaseMs} ms, store ${store.display}. SIGTERM or Ctrl-C stops it gracefully.\n`);
    await worker.stopped;
    const s = worker.stats;
    io.err(`worker ${worker.id} stopped: ${s.recorded} blocks recorded, ${s.runsCompleted} runs completed, ${s.runsFailed} failed, ${s.released} tasks released, ${s.lost} lost.\n`);
    return 0;
  });
}

function logger(io: Io, verbose: boolean): (event: WorkerEvent) => void {
  return (event) => {
    switch (event.type) {
      case "worker.error":
        io.err(`worker: ${event.runId && !event.message.includes(event.runId) ? `run ${event.runId}: ` : ""}${event.message}\n`);
        return;
      case "task.lost":
      case "task.released":
        io.err(`worker: ${event.type === "task.lost" ? "lost" : "released"} ${event.key} of run ${event.runId}: ${event.reason}\n`);
        return;
      case "task.claimed":
        if (verbose) io.err(`worker: running ${event.key}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ""} of run ${event.runId}\n`);
        return;
      case "task.recorded":
        if (verbose) io.err(`worker: recorded ${event.key} of run ${event.runId}${event.outcome ? `; the run ${event.outcome}` : ""}\n`);
        return;
      case "worker.stopped":
        return;
    }
  };
}

/** `blockwork runs watch <id> --store postgres://…`: follows a run that workers execute until it ends. */
export async function runsWatch(id: string, options: { readonly store: string; readonly quiet: boolean }, io: Io): Promise<number> {
  const store = openPostgres(options.store, io.cwd, "blockwork runs watch");
  return withStore(store, async () => follow(store, (await findRun(store, id, options.store)).id, { quiet: options.quiet, summary: false }, io));
}
