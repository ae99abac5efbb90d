import { type RunRecord, startWorker, type WorkerEvent, type WorkerStats } from "@blockwork/core";
import type { Io } from "../io.js";
import { findRun } from "../run-id.js";
import { openPostgres, withStore } from "../stores.js";
import { follow } from "./follow.js";
import { loadGraph } from "./run.js";

export interface WorkerCommandOptions {
  readonly store?: string;
  readonly concurrency: number;
  readonly leaseMs: number;
  /** Exit with the connection error when the database is not reachable at start, instead of waiting. */
  readonly failFast?: boolean;
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
    let stoppedEarly = false;
    const log = logger(io, options.verbose);
    const onEvent = (event: WorkerEvent) => {
      if (event.type === "worker.stopped") stoppedEarly = true;
      log(event);
    };
    const worker = await startWorker({ store, loader, concurrency: options.concurrency, leaseMs: options.leaseMs, failFast: options.failFast ?? false, handleSignals: true, onEvent });
    if (!stoppedEarly) io.err(`worker ${worker.id} started: ${options.concurrency} at once, lease ${options.leaseMs} ms, store ${store.display}. SIGTERM or Ctrl-C stops it gracefully.\n`);
    await worker.stopped;
    io.err(`worker ${worker.id} stopped: ${summary(worker.stats)}.\n`);
    return 0;
  });
}

function logger(io: Io, verbose: boolean): (event: WorkerEvent) => void {
  return (event) => {
    switch (event.type) {
      case "worker.error":
        io.err(`worker: ${event.runId && !event.message.includes(event.runId) ? `run ${event.runId}: ` : ""}${event.message}\n`);
        return;
      case "worker.waiting":
        io.err(`worker: ${event.message}\n`);
        return;
      case "task.lost":
      case "task.released":
      case "task.superseded":
      case "task.discarded":
        io.err(`worker: ${event.type.slice("task.".length)} ${event.key} of run ${event.runId}: ${event.reason}\n`);
        return;
      case "task.claimed":
        if (verbose) io.err(`worker: running ${event.key}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ""} of run ${event.runId}\n`);
        return;
      case "task.recorded":
        if (event.reconciled) io.err(`worker: recorded ${event.key} of run ${event.runId} after its lease had passed to another worker (that worker's run of it is discarded)\n`);
        else if (verbose) io.err(`worker: recorded ${event.key} of run ${event.runId}${event.outcome ? `; the run ${event.outcome}` : ""}\n`);
        return;
      case "worker.stopped":
        return;
    }
  };
}

/**
 * The exit summary: what was recorded, and honestly what was not — blocks that ran here and again
 * elsewhere, outcomes this worker had and never recorded (their blocks run again), tasks given back.
 */
export function summary(s: WorkerStats): string {
  return [
    `${s.recorded} blocks recorded${s.reconciled > 0 ? ` (${s.reconciled} after their lease had passed to another worker)` : ""}`,
    `${s.runsCompleted} runs completed, ${s.runsFailed} failed`,
    `${s.superseded} run again elsewhere (recorded by another worker)`,
    `${s.lost} lost (finished but not recorded; they run again)`,
    `${s.discarded} no longer needed (their run had ended)`,
    `${s.released} released`,
  ].join(", ");
}

/** `blockwork runs watch <id> --store postgres://…`: follows a run that workers execute until it ends. */
export async function runsWatch(id: string, options: { readonly store: string; readonly quiet: boolean }, io: Io): Promise<number> {
  const store = openPostgres(options.store, io.cwd, "blockwork runs watch", { read: true });
  return withStore(store, async () => follow(store, (await findRun(store, id, options.store)).id, { quiet: options.quiet, summary: false }, io));
}
