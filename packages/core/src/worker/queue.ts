import type { PoolClient } from "pg";
import type { ReadyTask } from "../run/fold.js";
import { JOURNAL_COLUMNS, journalRows, type PostgresStore, prepared, recordOf, type RunRow } from "../store/postgres-store.js";
import type { Tables } from "../store/postgres-schema.js";
import type { JournalEntry, RunRecord } from "../store/store.js";

// The task queue in SQL: claiming with row locks that skip rows other workers hold, leases in the
// database's clock (so that workers' clocks never decide who owns a task), heartbeats, releases.

/** A task this worker holds: the lease token proves the claim when its outcome is recorded. */
export interface ClaimedTask {
  readonly runId: string;
  readonly key: string;
  readonly path: string;
  readonly act: number;
  readonly attempt: number;
  readonly token: string;
}

interface TaskRow {
  readonly run_id: string;
  readonly key: string;
  readonly path: string;
  readonly act: number;
  readonly attempt: number;
  readonly lease_token: string;
}

/** The database's clock in epoch milliseconds. */
export const NOW_MS = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";
const LEASE_UNTIL = "clock_timestamp() + $2 * interval '1 millisecond'";

const claimed = (row: TaskRow): ClaimedTask => ({ runId: row.run_id, key: row.key, path: row.path, act: row.act, attempt: row.attempt, token: row.lease_token });

/**
 * Claims up to `limit` due tasks (not leased, or with an expired lease; past their `not_before`),
 * oldest run first. `FOR UPDATE SKIP LOCKED`: workers claiming at the same moment never wait for
 * each other and never get the same row.
 */
export async function claimTasks(store: PostgresStore, owner: string, limit: number, leaseMs: number): Promise<ClaimedTask[]> {
  const { tasks } = store.tables;
  const rows = await store.query<TaskRow>(
    `WITH due AS (
       SELECT run_id, key FROM ${tasks}
       WHERE not_before <= ${NOW_MS} AND (lease_until IS NULL OR lease_until < clock_timestamp())
       ORDER BY run_created, run_id, key LIMIT $3 FOR UPDATE SKIP LOCKED)
     UPDATE ${tasks} t SET lease_owner = $1, lease_token = gen_random_uuid(), lease_until = ${LEASE_UNTIL}, claims = t.claims + 1, claimed_at = ${NOW_MS}
     FROM due WHERE t.run_id = due.run_id AND t.key = due.key
     RETURNING t.run_id, t.key, t.path, t.act, t.attempt, t.lease_token`,
    [owner, leaseMs, limit],
    { prepared: true },
  );
  return rows.map(claimed);
}

/**
 * Extends the leases of every task `owner` holds and returns the tokens it still holds: a task
 * missing from them was completed, cancelled, or taken over after its lease expired. Rows another
 * transaction is changing right now are skipped, not waited for (and still count as held).
 */
export async function heartbeat(store: PostgresStore, owner: string, leaseMs: number): Promise<Set<string>> {
  const { tasks } = store.tables;
  const rows = await store.query<{ lease_token: string }>(
    `WITH mine AS (SELECT run_id, key FROM ${tasks} WHERE lease_owner = $1 FOR UPDATE SKIP LOCKED),
          extended AS (UPDATE ${tasks} t SET lease_until = ${LEASE_UNTIL} FROM mine WHERE t.run_id = mine.run_id AND t.key = mine.key)
     SELECT lease_token FROM ${tasks} WHERE lease_owner = $1`,
    [owner, leaseMs],
    { prepared: true },
  );
  return new Set(rows.map((r) => r.lease_token));
}

/**
 * Extends one claim, if it is still this worker's: for a task that waited after its claim (its
 * graph was being loaded), so that it never starts on a lease that another worker has taken over.
 */
export async function renewLease(store: PostgresStore, owner: string, task: ClaimedTask, leaseMs: number): Promise<boolean> {
  const rows = await store.query(
    `UPDATE ${store.tables.tasks} SET lease_until = ${LEASE_UNTIL} WHERE run_id = $3 AND key = $4 AND lease_owner = $1 AND lease_token = $5 RETURNING key`,
    [owner, leaseMs, task.runId, task.key, task.token],
  );
  return rows.length > 0;
}

/** Gives claimed tasks back (to be claimed again after `delayMs`): on shutdown, or when this worker cannot run them. */
export async function releaseTasks(store: PostgresStore, owner: string, tokens: readonly string[], delayMs = 0): Promise<number> {
  if (tokens.length === 0) return 0;
  const rows = await store.query(
    `UPDATE ${store.tables.tasks} SET lease_owner = NULL, lease_token = NULL, lease_until = NULL, not_before = greatest(not_before, ${NOW_MS} + $3)
     WHERE lease_owner = $1 AND lease_token = ANY($2::uuid[]) RETURNING key`,
    [owner, tokens, delayMs],
  );
  return rows.length;
}

/** Milliseconds until the next task that is waiting for its `not_before` (a retry delay) is due. */
export async function nextDue(store: PostgresStore): Promise<number | undefined> {
  const rows = await store.query<{ wait: number | null }>(
    `SELECT min(not_before) - ${NOW_MS} AS wait FROM ${store.tables.tasks} WHERE lease_owner IS NULL AND not_before > ${NOW_MS}`,
    [],
    { prepared: true },
  );
  const wait = rows[0]?.wait;
  return wait === null || wait === undefined ? undefined : Math.max(0, Number(wait));
}

/** The records and journals of the runs of claimed tasks, in two queries. */
export async function loadRuns(store: PostgresStore, runIds: readonly string[]): Promise<Map<string, { record: RunRecord; journal: JournalEntry[] }>> {
  const ids = [...new Set(runIds)];
  const { runs, journal } = store.tables;
  const [records, entries] = await Promise.all([
    store.query<RunRow>(`SELECT * FROM ${runs} WHERE id = ANY($1::text[])`, [ids], { prepared: true }),
    store.query<{ run_id: string } & Parameters<typeof journalRows>[0][number]>(`SELECT run_id, ${JOURNAL_COLUMNS} FROM ${journal} WHERE run_id = ANY($1::text[]) ORDER BY run_id, seq`, [ids], {
      prepared: true,
    }),
  ]);
  const loaded = new Map<string, { record: RunRecord; journal: JournalEntry[] }>();
  for (const row of records) loaded.set(row.id, { record: recordOf(row), journal: [] });
  for (const row of entries) loaded.get(row.run_id)?.journal.push(...journalRows([row]));
  return loaded;
}

/** A task to lease, in the same statement that inserts it, to the worker that made it ready. */
export interface LeaseTo {
  readonly key: string;
  readonly owner: string;
  readonly leaseMs: number;
}

/**
 * Inserts a run's ready tasks that are not queued yet (those queued keep their row and lease);
 * `leaseTo` leases one of them to the worker that made it ready, if it is new. Workers are told
 * when an unleased task was inserted. Returns the lease token of `leaseTo` when it got it.
 */
export async function insertReady(client: PoolClient, t: Tables, run: { id: string; createdAt: number }, ready: readonly ReadyTask[], leaseTo?: LeaseTo): Promise<string | undefined> {
  if (ready.length === 0) return undefined;
  const { rows } = await client.query<{ key: string; lease_token: string | null }>(
    prepared(
      `WITH inserted AS (
         INSERT INTO ${t.tasks} (run_id, key, path, act, attempt, not_before, run_created, lease_owner, lease_token, lease_until, claims, claimed_at)
         SELECT $1, k, p, a, n, nb, $7, CASE WHEN k = $8::text THEN $9::text END, CASE WHEN k = $8::text THEN gen_random_uuid() END,
                CASE WHEN k = $8::text THEN clock_timestamp() + $10::int * interval '1 millisecond' END, CASE WHEN k = $8::text THEN 1 ELSE 0 END,
                CASE WHEN k = $8::text THEN ${NOW_MS} END
         FROM unnest($2::text[], $3::text[], $4::int[], $5::int[], $6::bigint[]) AS u (k, p, a, n, nb)
         ON CONFLICT (run_id, key) DO NOTHING RETURNING key, lease_token)
       SELECT key, lease_token, CASE WHEN lease_token IS NULL THEN pg_notify($11, '') END FROM inserted`,
      [
        run.id,
        ready.map((r) => r.key),
        ready.map((r) => r.path),
        ready.map((r) => r.act),
        ready.map((r) => r.attempt),
        ready.map((r) => r.notBefore),
        run.createdAt,
        leaseTo?.key ?? null,
        leaseTo?.owner ?? null,
        leaseTo?.leaseMs ?? 0,
        t.tasksChannel,
      ],
    ),
  );
  return rows.find((r) => r.key === leaseTo?.key)?.lease_token ?? undefined;
}

/** Removes a run's queued tasks that are no longer ready (and `replace`, whose next attempt is a new row). */
export async function removeStale(client: PoolClient, t: Tables, runId: string, ready: readonly ReadyTask[], replace?: string): Promise<void> {
  await client.query(prepared(`DELETE FROM ${t.tasks} WHERE run_id = $1 AND (key = $2 OR NOT (key = ANY($3::text[])))`, [runId, replace ?? null, ready.map((r) => r.key)]));
}

/** Tells watchers that a run changed, at commit (NOTIFY is transactional). */
export async function notifyRun(client: PoolClient, t: Tables, runId: string): Promise<void> {
  await client.query(prepared("SELECT pg_notify($1, $2)", [t.runsChannel, runId]));
}
