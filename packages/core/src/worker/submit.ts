import { blobHandlesIn } from "@blockwork/spec";
import type { GraphBlock } from "@blockwork/spec";
import type { z } from "zod";
import { type ErrorInfo, RunError } from "../errors.js";
import { planOf } from "../plan/plan.js";
import { foldRun, newRunRecord } from "../run/fold.js";
import { JOURNAL_COLUMNS, journalRows, type PostgresStore, RUN_COLUMNS, type RunRow, recordOf, runParams } from "../store/postgres-store.js";
import type { RunRecord, RunSource } from "../store/store.js";
import { insertReady, NOW_MS, notifyRun, removeStale } from "./queue.js";

// biome-ignore lint: any graph block.
type AnyGraph = GraphBlock<any>;

/** Options of {@link submitRun}. */
export interface SubmitOptions {
  /** Default: a random UUID. */
  readonly runId?: string;
  /**
   * The module the graph can be loaded from on the workers' machines (`blockwork worker` loads it
   * from there; workers started with `graphs` do not need it).
   */
  readonly source?: RunSource;
}

/**
 * Starts a run on a PostgreSQL store without executing anything here: the run, its graph and its
 * first ready tasks are written in one transaction, and worker processes (`startWorker`,
 * `blockwork worker`) on any machine run it. Resolves with the run id once committed; follow the
 * run with `waitForRun` or `watchRun`, from this machine or any other.
 *
 * The input is validated (and the graph checked) here, so a bad input throws before anything is
 * written, as with `run()`.
 */
export async function submitRun<G extends AnyGraph>(store: PostgresStore, graph: G, input: z.input<G["contract"]["input"]>, options: SubmitOptions = {}): Promise<string> {
  const record = newRunRecord(graph, input, options);
  const fold = foldRun(graph, record, []);
  const t = store.tables;
  // A graph that needs no block at all is decided already.
  const stored: RunRecord = fold.outcome
    ? { ...record, status: fold.outcome.status, ...(fold.outcome.status === "completed" ? { output: fold.outcome.output } : { error: fold.outcome.error }) }
    : record;
  await store.transaction(async (client) => {
    await client.query(`INSERT INTO ${t.graphs} (version, graph_id, def) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING`, [record.version, graph.def.id, JSON.stringify(planOf(graph).def)]);
    await client.query(`INSERT INTO ${t.runs} (${RUN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, runParams(stored));
    const handles = blobHandlesIn(record.input);
    if (handles.length > 0) await client.query(`INSERT INTO ${t.blobLinks} (run_id, blob) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, [record.id, handles.map((h) => h.$blob)]);
    if (fold.outcome) await notifyRun(client, t, record.id);
    else await insertReady(client, t, record, fold.ready);
  });
  return record.id;
}

/**
 * Hands an unfinished run to the workers: its journal is folded and its ready tasks are queued
 * (those already queued keep their lease). For a run that was started in one process with `run()`
 * on this store and whose process died, or to re-queue a run after its tasks were removed by hand.
 * Safe to call on a run the workers are already running. Returns how many tasks are ready.
 */
export async function enqueueRun(store: PostgresStore, graph: AnyGraph, runId: string): Promise<number> {
  const t = store.tables;
  return store.transaction(async (client) => {
    const { rows } = await client.query<RunRow>(`SELECT * FROM ${t.runs} WHERE id = $1 FOR UPDATE`, [runId]);
    const row = rows[0];
    if (row === undefined) throw new RunError({ code: "run_not_found", message: `run ${runId} is not in ${store.display}` });
    if (row.status !== "running") throw new RunError({ code: "journal_mismatch", message: `it has already ended (${row.status}); there is nothing to run` }, { runId });
    const record = recordOf(row);
    const journal = journalRows((await client.query(`SELECT ${JOURNAL_COLUMNS} FROM ${t.journal} WHERE run_id = $1 ORDER BY seq`, [runId])).rows);
    const fold = foldRun(graph, record, journal);
    if (fold.outcome) {
      const { status } = fold.outcome;
      const output = status === "completed" ? JSON.stringify(fold.outcome.output) : null;
      const error = status === "failed" ? JSON.stringify(fold.outcome.error) : null;
      await client.query(`UPDATE ${t.runs} SET status = $2, output = $3, error = $4, updated_at = ${NOW_MS} WHERE id = $1`, [runId, status, output, error]);
      await client.query(`DELETE FROM ${t.tasks} WHERE run_id = $1`, [runId]);
      await notifyRun(client, t, runId);
    } else {
      await removeStale(client, t, runId, fold.ready);
      await insertReady(client, t, record, fold.ready);
    }
    return fold.ready.length;
  });
}

/**
 * Cancels a run that workers are running: it is marked cancelled and its tasks are removed, in one
 * transaction. A worker running one of its blocks sees its lease gone at its next heartbeat and
 * aborts the block's `ctx.signal`; whatever the block still returns is not recorded. Resolves
 * false when the run had already ended.
 */
export async function cancelRun(store: PostgresStore, runId: string, reason = "cancelled"): Promise<boolean> {
  const t = store.tables;
  const error: ErrorInfo = { code: "run_cancelled", message: `cancelled: ${reason}` };
  return store.transaction(async (client) => {
    const { rowCount } = await client.query(`UPDATE ${t.runs} SET status = 'cancelled', error = $2, updated_at = ${NOW_MS} WHERE id = $1 AND status = 'running'`, [runId, JSON.stringify(error)]);
    await client.query(`DELETE FROM ${t.tasks} WHERE run_id = $1`, [runId]);
    await notifyRun(client, t, runId);
    return (rowCount ?? 0) > 0;
  });
}
