import { JOURNAL_COLUMNS, type PostgresStore } from "../store/postgres-store.js";
import { type Decision, entryParams, next, outcomeParams, type Recorded, type TaskRecord } from "./decision.js";
import { NOW_MS } from "./queue.js";

/**
 * Records a task in one statement (one round trip, one commit), on the assumption that nothing
 * changed since the task started: the run is still running, its journal still ends at `expected`
 * (`runs.last_seq`), and the claim is still this worker's. `ok` checks all three under row locks
 * on the run and the task (PostgreSQL re-checks them on the newest row versions if it had to
 * wait for the locks); every write below depends on `ok`, so when any check fails nothing is
 * written and the caller falls back to the locked transaction, which reads what changed.
 *
 * This is the common case: the blocks of a chain, one after another. A task's own next attempt
 * is not done here (its row is deleted and inserted again, which one statement cannot do).
 */
export async function recordFast(store: PostgresStore, r: TaskRecord, d: Decision, expected: number): Promise<Recorded | undefined> {
  const t = store.tables;
  const lastSeq = d.journal[d.journal.length - 1]?.seq ?? 0;
  const checked = `WITH ok AS (
      SELECT r.id FROM ${t.runs} r JOIN ${t.tasks} k ON k.run_id = r.id
      WHERE r.id = $1 AND r.status = 'running' AND r.last_seq = $9 AND k.key = $10 AND k.lease_owner = $11 AND k.lease_token = $12::uuid
      FOR UPDATE OF r, k),
    appended AS (INSERT INTO ${t.journal} (run_id, ${JOURNAL_COLUMNS})
      SELECT ok.id, u.* FROM ok, unnest($2::int[], $3::text[], $4::text[], $5::int[], $6::int[], $7::bigint[], $8::json[]) AS u)`;
  const params = [...entryParams(r.record.id, d.entries), expected, r.task.key, r.owner, r.task.token, lastSeq];

  if (d.outcome !== undefined) {
    const ended = `${checked},
      ended AS (UPDATE ${t.runs} x SET last_seq = $13, status = $14, output = $15, error = $16, updated_at = ${NOW_MS} FROM ok WHERE x.id = ok.id),
      gone AS (DELETE FROM ${t.tasks} x USING ok WHERE x.run_id = ok.id)
      SELECT (SELECT count(*)::int FROM ok) AS ok, (SELECT count(*)::int FROM (SELECT pg_notify($17, $1) FROM ok) n) AS notified`;
    const rows = await store.query<{ ok: number }>(ended, [...params, ...outcomeParams(d.outcome), t.runsChannel], { prepared: true });
    return rows[0]?.ok === 1 ? { status: "recorded", outcome: d.outcome } : undefined;
  }

  // The task's row and rows no longer ready go; new ready rows come in (the one this worker goes
  // on with already leased to it). The keys deleted and inserted never overlap here.
  const { ready, candidate } = d;
  const goesOn = `${checked},
    bumped AS (UPDATE ${t.runs} x SET last_seq = $13 FROM ok WHERE x.id = ok.id),
    gone AS (DELETE FROM ${t.tasks} x USING ok WHERE x.run_id = ok.id AND (x.key = $10 OR NOT (x.key = ANY($14::text[])))),
    inserted AS (
      INSERT INTO ${t.tasks} (run_id, key, path, act, attempt, not_before, run_created, lease_owner, lease_token, lease_until, claims, claimed_at)
      SELECT ok.id, u.k, u.p, u.a, u.n, u.nb, $19, CASE WHEN u.k = $20::text THEN $11 END, CASE WHEN u.k = $20::text THEN gen_random_uuid() END,
             CASE WHEN u.k = $20::text THEN clock_timestamp() + $21::int * interval '1 millisecond' END, CASE WHEN u.k = $20::text THEN 1 ELSE 0 END,
             CASE WHEN u.k = $20::text THEN ${NOW_MS} END
      FROM ok, unnest($14::text[], $15::text[], $16::int[], $17::int[], $18::bigint[]) AS u (k, p, a, n, nb)
      ON CONFLICT (run_id, key) DO NOTHING RETURNING key, lease_token)
    SELECT (SELECT count(*)::int FROM ok) AS ok, (SELECT lease_token FROM inserted WHERE key = $20::text) AS token,
           (SELECT count(*)::int FROM (SELECT pg_notify($22, '') FROM inserted WHERE lease_token IS NULL) n) AS notified`;
  const rows = await store.query<{ ok: number; token: string | null }>(
    goesOn,
    [
      ...params,
      ready.map((task) => task.key),
      ready.map((task) => task.path),
      ready.map((task) => task.act),
      ready.map((task) => task.attempt),
      ready.map((task) => task.notBefore),
      r.record.createdAt,
      candidate?.key ?? null,
      r.leaseMs,
      t.tasksChannel,
    ],
    { prepared: true },
  );
  const row = rows[0];
  return row?.ok === 1 ? next(r, d, row.token) : undefined;
}
