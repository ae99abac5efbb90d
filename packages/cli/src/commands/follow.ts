import { relative } from "node:path";
import { isRunError, type PostgresStore, type RunEvent, type RunSource, settleOnWorkers, submitRun } from "@blockwork/core";
import type { GraphBlock } from "@blockwork/spec";
import { CliError, type Io } from "../io.js";
import { createProgress } from "../progress.js";
import { finish } from "./outcome.js";

/** How long `run` waits for a first block to start before suggesting that no worker is running. */
const NO_WORKER_HINT_MS = 5_000;

export interface FollowOptions {
  readonly quiet: boolean;
  readonly summary: boolean;
}

/**
 * `blockwork run <module> --store postgres://…`: the run is submitted to the workers (nothing runs
 * here) and followed, with the same progress display and output as a local run.
 */
export async function submitAndFollow(store: PostgresStore, graph: GraphBlock, input: unknown, source: RunSource, options: FollowOptions & { readonly store?: string }, io: Io): Promise<number> {
  let id: string;
  try {
    id = await submitRun(store, graph, input as never, { source });
  } catch (error) {
    if (isRunError(error) && (error.code === "input_invalid" || error.code === "graph_invalid")) throw new CliError(`cannot run ${relative(io.cwd, source.module)}: ${error.message}`);
    throw error;
  }
  if (!options.quiet) io.err(`submitted run ${id} to the workers at ${store.display}; following it (Ctrl-C stops following, not the run)\n`);
  return follow(store, id, { quiet: options.quiet, summary: options.summary, ...(options.store ? { storeArg: options.store } : {}) }, io);
}

/** Follows a run that workers execute until it ends or is suspended: progress on stderr, the output on stdout. */
export async function follow(store: PostgresStore, runId: string, options: FollowOptions & { readonly storeArg?: string }, io: Io): Promise<number> {
  if ((await store.getRun(runId)) === undefined) throw new CliError(`no run ${runId} in ${store.display} (list them with: blockwork runs list --store <the connection string>).`);
  const progress = createProgress(io, { quiet: options.quiet });
  let started = false;
  // Nothing runs a submitted run but workers: say so when none seems to be there.
  const hint = setTimeout(() => {
    if (!started) io.err(`\u001b[2K\rno worker has started run ${runId} yet; is one running? Start one with: blockwork worker --store <the same connection string>\n`);
  }, NO_WORKER_HINT_MS);
  const onEvent = (event: RunEvent) => {
    if (event.type !== "run.started") started = true;
    progress.onEvent(event);
  };
  try {
    // Until the run ends, or waits for someone to resume it (exit code 3, as for a local run).
    const settled = { settled: () => settleOnWorkers(store, runId, { onEvent }) };
    return await finish(runId, settled, { store, io, summary: options.summary, stop: progress.stop, ...(options.storeArg ? { storeArg: options.storeArg } : {}) });
  } finally {
    clearTimeout(hint);
  }
}
