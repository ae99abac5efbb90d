import type { ErrorInfo } from "../errors.js";
import { JOURNAL_COLUMNS, journalRows, type PostgresStore, prepared } from "../store/postgres-store.js";
import { appending, decide, entryParams, lost, next, outcomeParams, type Recorded, type TaskRecord } from "./decision.js";
import { insertReady, NOW_MS, notifyRun } from "./queue.js";
import type { RecordBatcher } from "./record-batch.js";
import { recordFast } from "./record-fast.js";

export type { Recorded, TaskRecord } from "./decision.js";

/** The journal kinds that decide an activation (see the `journal_decided_once` index). */
const DECIDED = "'block.completed', 'block.failed', 'item.failed', 'block.restarted'";

/**
 * Records a task's outcome and what it makes ready, atomically. Usually in one statement that
 * succeeds only if nothing changed since the task started (see `recordFast`); when something did
 * (another task of the run recorded first, the claim is gone, the task's own next attempt is
 * queued), in the locked transaction below. Either way the claim is re-checked in the same
 * transaction that writes, and a worker that dies at any point leaves the old state (the task is
 * claimed again when its lease expires) or the new one, never a completion without its successors.
 */
export async function recordTask(store: PostgresStore, r: TaskRecord, batcher?: RecordBatcher): Promise<Recorded> {
  const expected = r.journal[r.journal.length - 1]?.seq ?? 0;
  const decision = decide(r, r.journal);
  // A retry re-queues the task's own key: deleting and inserting one row takes two statements.
  // A suspension changes the run's status, which the locked transaction does.
  if (!decision.suspended && !decision.ready.some((task) => task.key === r.task.key)) {
    const fast = batcher ? await batcher.record(r, decision, expected) : await recordFast(store, r, decision, expected);
    if (fast !== undefined) return fast;
  }
  return recordLocked(store, r);
}

/**
 * The general case: under a lock on the run's row (completions of one run are serial; of
 * different runs, parallel) re-check the claim, read what the journal gained since the task
 * started, append the task's entries after it, fold, and write the run's ready tasks or outcome.
 *
 * A claim that is gone is reconciled: when the lease expired (the database was away longer than
 * the lease, or this worker stalled) and another worker claimed the task again, the activation is
 * still undecided as long as its row is queued at the same attempt, and this outcome is recorded
 * (the other worker's claim goes with the row: its heartbeat aborts its run of the block, and its
 * own recording finds the activation decided). When the row is gone or moved on to a later
 * attempt, another worker recorded the activation first, and nothing is written. Either way the
 * journal holds the activation's outcome once (its unique indexes would refuse a second one).
 */
function recordLocked(store: PostgresStore, r: TaskRecord): Promise<Recorded> {
  const t = store.tables;
  return store.transaction(async (client) => {
    const { rows } = await client.query<{ status: string; version: string; lease_owner: string | null; lease_token: string | null; attempt: number | null }>(
      prepared(
        `SELECT r.status, r.version, t.lease_owner, t.lease_token, t.attempt FROM ${t.runs} r
         LEFT JOIN ${t.tasks} t ON t.run_id = r.id AND t.key = $2
         WHERE r.id = $1 FOR UPDATE OF r`,
        [r.record.id, r.task.key],
      ),
    );
    const claim = rows[0];
    if (claim === undefined) return lost("the run is no longer in the store", "ended");
    if (claim.status !== "running") {
      // Ended by another worker's recording of this very block, or by something else (a cancel, another block).
      const decided = await client.query(prepared(`SELECT 1 FROM ${t.journal} WHERE run_id = $1 AND path = $2 AND act = $3 AND kind IN (${DECIDED}) LIMIT 1`, [r.record.id, r.task.path, r.task.act]));
      if (decided.rows.length > 0) return lost(`another worker recorded the block first (the run has ${claim.status})`, "superseded");
      return lost(`the run has already ended (${claim.status})`, "ended");
    }
    if (claim.version !== r.record.version) return lost(`the run was moved to version ${claim.version} meanwhile`, "ended");
    const mine = claim.lease_owner === r.owner && claim.lease_token === r.task.token;
    if (!mine && claim.attempt !== r.task.attempt) return lost("the lease expired and another worker recorded the block first", "superseded");
    const reconciled = !mine;

    // Read after the lock: whatever other tasks of this run recorded before us is in it.
    const last = r.journal[r.journal.length - 1]?.seq ?? 0;
    const since = await client.query(prepared(`SELECT ${JOURNAL_COLUMNS} FROM ${t.journal} WHERE run_id = $1 AND seq > $2 ORDER BY seq`, [r.record.id, last]));
    const d = decide(r, [...r.journal, ...journalRows(since.rows)]);
    const lastSeq = d.journal[d.journal.length - 1]?.seq ?? 0;
    if (d.outcome !== undefined) {
      const ended = `${appending(t.journal)}, gone AS (DELETE FROM ${t.tasks} WHERE run_id = $1),
          ended AS (UPDATE ${t.runs} SET last_seq = $9, status = $10, output = $11, error = $12, updated_at = ${NOW_MS} WHERE id = $1)
        SELECT pg_notify($13, $1)`;
      await client.query(prepared(ended, [...entryParams(r.record.id, d.entries), lastSeq, ...outcomeParams(d.outcome), t.runsChannel]));
      return { status: "recorded", outcome: d.outcome, ...(reconciled ? { reconciled } : {}) };
    }
    // The task's row goes (its next attempt, if any, is a new row); so do rows no longer ready.
    // No notification for watchers here: a NOTIFY per block costs a fifth of the throughput (it
    // takes a global lock at commit); they poll for progress and are notified when the run ends.
    const goesOn = `${appending(t.journal)}, bumped AS (UPDATE ${t.runs} SET last_seq = $11 WHERE id = $1)
      DELETE FROM ${t.tasks} WHERE run_id = $1 AND (key = $9 OR NOT (key = ANY($10::text[])))`;
    await client.query(prepared(goesOn, [...entryParams(r.record.id, d.entries), r.task.key, d.ready.map((task) => task.key), lastSeq]));
    if (d.suspended) {
      // Every block left waits for someone: the run is suspended until `resumeOnWorkers`.
      await client.query(prepared(`UPDATE ${t.runs} SET status = 'suspended', updated_at = ${NOW_MS} WHERE id = $1`, [r.record.id]));
      await notifyRun(client, t, r.record.id);
      return { status: "recorded", ...(reconciled ? { reconciled } : {}) };
    }
    const { candidate } = d;
    const token = await insertReady(client, t, r.record, d.ready, candidate && { key: candidate.key, owner: r.owner, leaseMs: r.leaseMs });
    return next(r, d, token, reconciled);
  });
}

/** Ends a run that cannot go on (its journal no longer fits its graph): recorded as failed. */
export async function failRun(store: PostgresStore, runId: string, error: ErrorInfo): Promise<void> {
  const t = store.tables;
  await store.transaction(async (client) => {
    await client.query(`DELETE FROM ${t.tasks} WHERE run_id = $1`, [runId]);
    await client.query(`UPDATE ${t.runs} SET status = 'failed', error = $2, updated_at = ${NOW_MS} WHERE id = $1 AND status = 'running'`, [runId, JSON.stringify(error)]);
    await notifyRun(client, t, runId);
  });
}
