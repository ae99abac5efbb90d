import { type RunRecord, startWorker, type WorkerEvent } from "@blockwork/core";
import { type Command, Option } from "commander";
import { CliError, type Io } from "../io.js";
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

/** Registers `blockwork worker` and `blockwork runs watch` (the commands for PostgreSQL deployments). */
export function registerWorkerCommands(program: Command, io: Io, setCode: (code: number) => void): void {
  program
    .command("worker")
    .description("Run the blocks of runs submitted to a PostgreSQL store, alongside any number of other workers.")
    .requiredOption("-s, --store <url>", "the PostgreSQL database: postgres://user:password@host:5432/database[?schema=name]")
    .option("-c, --concurrency <n>", "blocks run at once by this process", (v) => positiveInt(v, "--concurrency"), 4)
    .option("--lease-ms <ms>", "how long a claimed block stays this worker's without a heartbeat", (v) => positiveInt(v, "--lease-ms"), 30_000)
    .option("-v, --verbose", "one line per block run and recorded", false)
    .addHelpText(
      "after",
      `
Each run's graph is loaded from the module it was submitted from (blockwork run records it), so
the same code must be deployed at the same path on every worker machine. A block's completion and
the blocks it makes ready are recorded in one transaction; a worker that dies loses nothing, and
its blocks run again elsewhere when their lease expires (with the same idempotency key). SIGTERM
or Ctrl-C: stop claiming, let running blocks finish (up to the lease), release the rest.

Examples:
  blockwork worker --store postgres://blockwork:secret@db.internal:5432/app --concurrency 8
  blockwork run my.graph.ts --input @in.json --store postgres://blockwork:secret@db.internal:5432/app`,
    )
    .action(async (opts: WorkerCommandOptions) => {
      setCode(await runWorker(opts, io));
    });

  const runs = program.commands.find((c) => c.name() === "runs");
  runs
    ?.command("watch")
    .description("Follow a run that workers execute, from any machine, until it ends; prints its output.")
    .argument("<id>", "the run id")
    .addOption(new Option("-s, --store <url>", "the PostgreSQL database the run was submitted to").makeOptionMandatory())
    .option("-q, --quiet", "no progress display", false)
    .action(async (id: string, opts: { store: string; quiet: boolean }) => {
      const store = openPostgres(opts.store, io.cwd, "blockwork runs watch");
      setCode(await withStore(store, () => follow(store, id, { quiet: opts.quiet, summary: false }, io)));
    });
}

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} must be a whole number of at least 1, got ${JSON.stringify(value)}.`);
  return n;
}
