import { isTransient } from "../store/postgres-connect.js";
import { JOURNAL_COLUMNS, type PostgresStore } from "../store/postgres-store.js";
import { type Decision, entryParams, next, outcomeParams, type Recorded, type TaskRecord } from "./decision.js";
import { NOW_MS } from "./queue.js";

/** The most completions one statement records. */
const MAX_BATCH = 64;

interface Pending {
  readonly r: TaskRecord;
  readonly d: Decision;
  readonly expected: number;
  readonly resolve: (recorded: Recorded | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Records the completions of one worker's slots together: what the slots finish while a statement
 * is in flight goes into the next one, so that under load one statement (one round trip, one
 * commit) records many blocks, of different runs. Each completion is checked as `recordFast`
 * checks one — its run still running, its journal still ending where the task started, its claim
 * still this worker's — under row locks taken in run-id order (so that two workers' batches never
 * deadlock); a completion whose check fails is written nothing and answered `undefined`, and its
 * slot falls back to the locked transaction, alone. At most one completion per run goes into a
 * statement (a second would find the journal moved on).
 */
export class RecordBatcher {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(private readonly store: PostgresStore) {}

  /** Records one completion with others; `undefined` when its check failed (nothing written for it). */
  record(r: TaskRecord, d: Decision, expected: number): Promise<Recorded | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ r, d, expected, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Completions of the same turn of the event loop go into the first statement too.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch: Pending[] = [];
      const rest: Pending[] = [];
      const runs = new Set<string>();
      for (const pending of this.queue) {
        if (batch.length < MAX_BATCH && !runs.has(pending.r.record.id)) {
          runs.add(pending.r.record.id);
          batch.push(pending);
        } else {
          rest.push(pending);
        }
      }
      this.queue = rest;
      try {
        const results = await recordBatch(this.store, batch);
        batch.forEach((pending, i) => pending.resolve(results[i]));
      } catch (error) {
        // An outage: every slot retries. Anything else (a constraint of one completion fails the
        // statement for all): each falls back to the locked transaction, which answers precisely.
        for (const pending of batch) {
          if (isTransient(error)) pending.reject(error);
          else pending.resolve(undefined);
        }
      }
    }
    this.flushing = false;
  }
}

/** One statement that records `batch` (each completion checked on its own); the results in order. */
async function recordBatch(store: PostgresStore, batch: readonly Pending[]): Promise<(Recorded | undefined)[]> {
  const t = store.tables;
  const owner = batch[0]?.r.owner ?? "";
  const leaseMs = batch[0]?.r.leaseMs ?? 0;
  const req = { runId: [] as string[], expected: [] as number[], key: [] as string[], token: [] as string[], lastSeq: [] as number[], status: [] as (string | null)[], output: [] as (string | null)[], error: [] as (string | null)[], candidate: [] as (string | null)[], created: [] as number[] };
  const entries = { i: [] as number[], cols: [[], [], [], [], [], [], []] as unknown[][] };
  const ready = { i: [] as number[], key: [] as string[], path: [] as string[], act: [] as number[], attempt: [] as number[], notBefore: [] as number[] };
  batch.forEach(({ r, d, expected }, index) => {
    const i = index + 1;
    req.runId.push(r.record.id);
    req.expected.push(expected);
    req.key.push(r.task.key);
    req.token.push(r.task.token);
    req.lastSeq.push(d.journal[d.journal.length - 1]?.seq ?? 0);
    const [status, output, error] = d.outcome === undefined ? [null, null, null] : (outcomeParams(d.outcome) as [string, string | null, string | null]);
    req.status.push(status);
    req.output.push(output);
    req.error.push(error);
    req.candidate.push(d.candidate?.key ?? null);
    req.created.push(r.record.createdAt);
    const columns = entryParams(r.record.id, d.entries).slice(1) as unknown[][];
    for (let e = 0; e < d.entries.length; e++) {
      entries.i.push(i);
      columns.forEach((column, c) => (entries.cols[c] as unknown[]).push(column[e]));
    }
    for (const task of d.ready) {
      ready.i.push(i);
      ready.key.push(task.key);
      ready.path.push(task.path);
      ready.act.push(task.act);
      ready.attempt.push(task.attempt);
      ready.notBefore.push(task.notBefore);
    }
  });
  const lease = (expr: string) => `CASE WHEN d.k = m.candidate THEN ${expr} END`;
  const sql = `WITH req AS (
      SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::uuid[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[]) WITH ORDINALITY
        AS q (run_id, expected, key, token, last_seq, status, output, error, candidate, run_created, i)),
    ok AS (
      SELECT req.i, r.id FROM req JOIN ${t.runs} r ON r.id = req.run_id JOIN ${t.tasks} k ON k.run_id = req.run_id AND k.key = req.key
      WHERE r.status = 'running' AND r.last_seq = req.expected AND k.lease_owner = $11 AND k.lease_token = req.token
      ORDER BY r.id FOR UPDATE OF r, k),
    mine AS (SELECT req.*, ok.id FROM ok JOIN req ON req.i = ok.i),
    entries AS (SELECT * FROM unnest($12::int[], $13::int[], $14::text[], $15::text[], $16::int[], $17::int[], $18::bigint[], $19::json[]) AS e (i, seq, kind, path, act, attempt, at, data)),
    ready AS (SELECT * FROM unnest($20::int[], $21::text[], $22::text[], $23::int[], $24::int[], $25::bigint[]) AS d (i, k, p, a, n, nb)),
    appended AS (INSERT INTO ${t.journal} (run_id, ${JOURNAL_COLUMNS})
      SELECT m.id, e.seq, e.kind, e.path, e.act, e.attempt, e.at, e.data FROM mine m JOIN entries e ON e.i = m.i),
    bumped AS (UPDATE ${t.runs} x SET last_seq = m.last_seq, status = COALESCE(m.status, x.status),
        output = CASE WHEN m.status IS NULL THEN x.output ELSE m.output::json END,
        error = CASE WHEN m.status IS NULL THEN x.error ELSE m.error::json END,
        updated_at = CASE WHEN m.status IS NULL THEN x.updated_at ELSE ${NOW_MS} END
      FROM mine m WHERE x.id = m.id),
    gone AS (DELETE FROM ${t.tasks} x USING mine m WHERE x.run_id = m.id
      AND (m.status IS NOT NULL OR x.key = m.key OR NOT EXISTS (SELECT 1 FROM ready d WHERE d.i = m.i AND d.k = x.key))),
    inserted AS (
      INSERT INTO ${t.tasks} (run_id, key, path, act, attempt, not_before, run_created, lease_owner, lease_token, lease_until, claims, claimed_at)
      SELECT m.id, d.k, d.p, d.a, d.n, d.nb, m.run_created, ${lease("$11")}, ${lease("gen_random_uuid()")},
             ${lease("clock_timestamp() + $26::int * interval '1 millisecond'")}, CASE WHEN d.k = m.candidate THEN 1 ELSE 0 END, ${lease(NOW_MS)}
      FROM mine m JOIN ready d ON d.i = m.i WHERE m.status IS NULL
      ON CONFLICT (run_id, key) DO NOTHING RETURNING run_id, key, lease_token)
    SELECT (SELECT coalesce(array_agg(i::int), '{}') FROM ok) AS ok,
           (SELECT coalesce(json_agg(json_build_object('run', run_id, 'token', lease_token)), '[]') FROM inserted WHERE lease_token IS NOT NULL) AS tokens,
           (SELECT count(*)::int FROM (SELECT pg_notify($27, m.id) FROM mine m WHERE m.status IS NOT NULL) n) AS ended,
           (SELECT count(*)::int FROM (SELECT pg_notify($28, '') FROM inserted WHERE lease_token IS NULL LIMIT 1) n) AS notified`;
  const rows = await store.query<{ ok: number[]; tokens: { run: string; token: string }[] }>(
    sql,
    [
      req.runId,
      req.expected,
      req.key,
      req.token,
      req.lastSeq,
      req.status,
      req.output,
      req.error,
      req.candidate,
      req.created,
      owner,
      entries.i,
      ...entries.cols,
      ready.i,
      ready.key,
      ready.path,
      ready.act,
      ready.attempt,
      ready.notBefore,
      leaseMs,
      t.runsChannel,
      t.tasksChannel,
    ],
    { prepared: true },
  );
  const ok = new Set(rows[0]?.ok ?? []);
  const tokens = new Map((rows[0]?.tokens ?? []).map((x) => [x.run, x.token]));
  return batch.map(({ r, d }, index) => {
    if (!ok.has(index + 1)) return undefined;
    if (d.outcome !== undefined) return { status: "recorded", outcome: d.outcome };
    return next(r, d, tokens.get(r.record.id));
  });
}
