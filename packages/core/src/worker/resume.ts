import type { GraphBlock } from "@blockwork/spec";
import { RunError } from "../errors.js";
import { foldRun, resumedEntry } from "../run/fold.js";
import { JOURNAL_COLUMNS, journalRows, type PostgresStore, type RunRow, recordOf } from "../store/postgres-store.js";
import type { JournalEntry } from "../store/store.js";
import { appending, entryParams } from "./decision.js";
import { insertReady, NOW_MS, notifyRun } from "./queue.js";

// biome-ignore lint: any graph block.
type AnyGraph = GraphBlock<any>;

/**
 * Resumes a suspended block of a run that workers execute: in one transaction (the run's row
 * locked), the data is validated against the block's resume schema, the resume is journaled, the
 * run is marked running again, and the block's next attempt is queued for the workers.
 * `block` is a suspension id, a block path or a block id, as for `RunHandle.resume`.
 * Rejects with `not_suspended` or `resume_invalid` (and writes nothing) otherwise.
 */
export async function resumeOnWorkers(store: PostgresStore, graph: AnyGraph, runId: string, block: string, data: unknown): Promise<void> {
  const t = store.tables;
  await store.transaction(async (client) => {
    const { rows } = await client.query<RunRow>(`SELECT * FROM ${t.runs} WHERE id = $1 FOR UPDATE`, [runId]);
    const row = rows[0];
    if (row === undefined) throw new RunError({ code: "run_not_found", message: `run ${runId} is not in ${store.display}` });
    if (row.status !== "running" && row.status !== "suspended") throw new RunError({ code: "not_suspended", message: `run ${runId} has already ended (${row.status})` }, { runId });
    const record = recordOf(row);
    const journal = journalRows((await client.query(`SELECT ${JOURNAL_COLUMNS} FROM ${t.journal} WHERE run_id = $1 ORDER BY seq`, [runId])).rows);
    const entry = { ...resumedEntry(graph, record, journal, block, data), seq: (journal[journal.length - 1]?.seq ?? 0) + 1 } as JournalEntry;
    await client.query(`${appending(t.journal)} UPDATE ${t.runs} SET last_seq = greatest(last_seq, $9), status = 'running', updated_at = ${NOW_MS} WHERE id = $1`, [
      ...entryParams(runId, [entry]),
      entry.seq,
    ]);
    const fold = foldRun(graph, record, [...journal, entry]);
    await insertReady(client, t, record, fold.ready);
    await notifyRun(client, t, runId);
  });
}
