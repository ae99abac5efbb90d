import type { JsonValue } from "@blockwork/spec";
import type { PostgresStore } from "@blockwork/core";
import Database from "better-sqlite3";

/**
 * What the server keeps besides Blockwork's own runs and journals: threads, the server's runs
 * (one per request that runs or resumes a Blockwork run), and the reports blocks made while they
 * ran in this process (model and tool calls, which the journal does not hold). It lives next to the
 * runs: in the same SQLite file, or in the same PostgreSQL schema, so that servers sharing one
 * database share their threads too.
 */
export interface ServerDb {
  createThread(thread: ThreadRow): Promise<boolean>;
  /**
   * Creates a new thread with its first run, in one transaction (a threadless run's thread): the
   * thread is new, so no run can be active on it. Refuses (throws) when the thread id exists.
   */
  createThreadWithRun(thread: ThreadRow, run: ServerRunRow): Promise<void>;
  getThread(threadId: string): Promise<ThreadRow | undefined>;
  /** Newest first. */
  listThreads(): Promise<ThreadRow[]>;
  updateThread(threadId: string, metadata: Record<string, JsonValue>, updatedAt: number): Promise<boolean>;
  deleteThread(threadId: string): Promise<boolean>;
  /**
   * Creates a server run unless the thread has an active one (`isActive` decides, given the thread's
   * newest run): atomically, so that two servers on one database cannot both start a run on a thread.
   * Returns the active run instead when there is one. `finishPrevious` is stored on the newest run
   * before the new one is inserted (a run superseded by a resume ends where the resume starts).
   */
  createRun(run: ServerRunRow, guard: (newest: ServerRunRow | undefined) => Promise<{ active: boolean; finish?: { status: ServerRunStatus; endSeq: number } }>): Promise<ServerRunRow | undefined>;
  getRun(runId: string): Promise<ServerRunRow | undefined>;
  /** Newest first. */
  listRuns(threadId: string): Promise<ServerRunRow[]>;
  /** Every server run over one Blockwork run, oldest first. */
  runsOf(bwRunId: string): Promise<ServerRunRow[]>;
  finishRun(runId: string, status: ServerRunStatus, endSeq: number, updatedAt: number): Promise<void>;
  deleteRun(runId: string): Promise<boolean>;
  appendReport(bwRunId: string, afterSeq: number, event: JsonValue): Promise<void>;
  reports(bwRunId: string): Promise<ReportRow[]>;
  close(): Promise<void>;
}

/** LangGraph's run statuses. */
export type ServerRunStatus = "pending" | "running" | "error" | "success" | "timeout" | "interrupted";

export interface ThreadRow {
  readonly threadId: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly metadata: Record<string, JsonValue>;
}

export interface ServerRunRow {
  readonly runId: string;
  readonly threadId: string;
  readonly assistantId: string;
  /** The Blockwork run this server run starts or resumes. */
  readonly bwRunId: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly metadata: Record<string, JsonValue>;
  /** The request's options that shape the run and its stream (`stream_mode`, ...). */
  readonly kwargs: Record<string, JsonValue>;
  /** The journal's last sequence number when this server run began: its events are the entries after it. */
  readonly startSeq: number;
  /** Set when the run ended for good (or was superseded by a resume): its last journal entry. */
  readonly endSeq?: number;
  readonly status?: ServerRunStatus;
}

export interface ReportRow {
  readonly n: number;
  readonly afterSeq: number;
  readonly event: JsonValue;
}

const SQLITE_TABLES = `
  CREATE TABLE IF NOT EXISTS server_threads (thread_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, metadata TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS server_runs (
    run_id TEXT PRIMARY KEY, thread_id TEXT NOT NULL, assistant_id TEXT NOT NULL, bw_run_id TEXT NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, metadata TEXT NOT NULL, kwargs TEXT NOT NULL,
    start_seq INTEGER NOT NULL, end_seq INTEGER, status TEXT);
  CREATE INDEX IF NOT EXISTS server_runs_thread ON server_runs (thread_id, created_at);
  CREATE INDEX IF NOT EXISTS server_runs_bw ON server_runs (bw_run_id, created_at);
  CREATE TABLE IF NOT EXISTS server_reports (bw_run_id TEXT NOT NULL, n INTEGER NOT NULL, after_seq INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (bw_run_id, n)) WITHOUT ROWID;`;

interface ThreadSqlRow {
  thread_id: string;
  created_at: number;
  updated_at: number;
  metadata: string | Record<string, JsonValue>;
}

interface RunSqlRow {
  run_id: string;
  thread_id: string;
  assistant_id: string;
  bw_run_id: string;
  created_at: number;
  updated_at: number;
  metadata: string | Record<string, JsonValue>;
  kwargs: string | Record<string, JsonValue>;
  start_seq: number;
  end_seq: number | null;
  status: ServerRunStatus | null;
}

const json = <T>(value: string | T): T => (typeof value === "string" ? (JSON.parse(value) as T) : value);

function threadOf(row: ThreadSqlRow): ThreadRow {
  return { threadId: row.thread_id, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at), metadata: json(row.metadata) };
}

function runOf(row: RunSqlRow): ServerRunRow {
  return {
    runId: row.run_id,
    threadId: row.thread_id,
    assistantId: row.assistant_id,
    bwRunId: row.bw_run_id,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    metadata: json(row.metadata),
    kwargs: json(row.kwargs),
    startSeq: Number(row.start_seq),
    ...(row.end_seq !== null ? { endSeq: Number(row.end_seq) } : {}),
    ...(row.status !== null ? { status: row.status } : {}),
  };
}

const INSERT_RUN = "INSERT INTO server_runs (run_id, thread_id, assistant_id, bw_run_id, created_at, updated_at, metadata, kwargs, start_seq, end_seq, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

function runParams(run: ServerRunRow): unknown[] {
  return [run.runId, run.threadId, run.assistantId, run.bwRunId, run.createdAt, run.updatedAt, JSON.stringify(run.metadata), JSON.stringify(run.kwargs), run.startSeq, run.endSeq ?? null, run.status ?? null];
}

/**
 * The server's tables in SQLite: on the SQLite store's own connection (`SqliteStore.connection`,
 * the same file and the same pages in cache: a second connection would re-read its pages after
 * every write of the other), or in a database of their own (`":memory:"` for a `MemoryStore`).
 * One server process per file, as for the SQLite store itself.
 */
export class SqliteServerDb implements ServerDb {
  private readonly db: Database.Database;
  /** Whether the connection is the store's (then the store closes it, not this). */
  private readonly shared: boolean;
  /** Statements by their text, prepared once: preparing costs more than running these. */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(file: string | Database.Database) {
    this.shared = typeof file !== "string";
    this.db = typeof file === "string" ? new Database(file) : file;
    if (typeof file === "string") {
      if (file !== ":memory:") this.db.pragma("journal_mode = WAL");
      // As the store's default (SqliteStore sync "normal"): a commit survives the process being
      // killed; only a power cut may lose the newest ones. FULL would fsync every thread and run row.
      this.db.pragma("synchronous = NORMAL");
      this.db.pragma("busy_timeout = 5000");
    }
    this.db.exec(SQLITE_TABLES);
  }

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (statement === undefined) this.statements.set(text, (statement = this.db.prepare(text)));
    return statement;
  }

  async createThread(thread: ThreadRow): Promise<boolean> {
    const result = this.sql("INSERT OR IGNORE INTO server_threads (thread_id, created_at, updated_at, metadata) VALUES (?, ?, ?, ?)")
      .run(thread.threadId, thread.createdAt, thread.updatedAt, JSON.stringify(thread.metadata));
    return result.changes > 0;
  }

  async createThreadWithRun(thread: ThreadRow, run: ServerRunRow): Promise<void> {
    this.db.transaction(() => {
      this.sql("INSERT INTO server_threads (thread_id, created_at, updated_at, metadata) VALUES (?, ?, ?, ?)").run(thread.threadId, thread.createdAt, thread.updatedAt, JSON.stringify(thread.metadata));
      this.sql(INSERT_RUN).run(...runParams(run));
    })();
  }

  async getThread(threadId: string): Promise<ThreadRow | undefined> {
    const row = this.sql("SELECT * FROM server_threads WHERE thread_id = ?").get(threadId) as ThreadSqlRow | undefined;
    return row && threadOf(row);
  }

  async listThreads(): Promise<ThreadRow[]> {
    return (this.sql("SELECT * FROM server_threads ORDER BY created_at DESC, thread_id DESC").all() as ThreadSqlRow[]).map(threadOf);
  }

  async updateThread(threadId: string, metadata: Record<string, JsonValue>, updatedAt: number): Promise<boolean> {
    return this.sql("UPDATE server_threads SET metadata = ?, updated_at = ? WHERE thread_id = ?").run(JSON.stringify(metadata), updatedAt, threadId).changes > 0;
  }

  async deleteThread(threadId: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.sql("DELETE FROM server_runs WHERE thread_id = ?").run(threadId);
      return this.sql("DELETE FROM server_threads WHERE thread_id = ?").run(threadId).changes > 0;
    })();
  }

  async createRun(run: ServerRunRow, guard: Parameters<ServerDb["createRun"]>[1]): Promise<ServerRunRow | undefined> {
    // One process per file, and nothing awaits between the read and the insert but the guard,
    // which reads the store: a lock held in memory makes the pair atomic.
    return this.serial(async () => {
      const newest = (this.sql("SELECT * FROM server_runs WHERE thread_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1").get(run.threadId) as RunSqlRow | undefined) ?? undefined;
      const previous = newest && runOf(newest);
      const verdict = await guard(previous);
      if (verdict.active) return previous;
      this.db.transaction(() => {
        if (previous && verdict.finish) this.sql("UPDATE server_runs SET status = ?, end_seq = ?, updated_at = ? WHERE run_id = ?").run(verdict.finish.status, verdict.finish.endSeq, run.createdAt, previous.runId);
        this.sql(INSERT_RUN).run(...runParams(run));
      })();
      return undefined;
    });
  }

  private queue: Promise<unknown> = Promise.resolve();

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async getRun(runId: string): Promise<ServerRunRow | undefined> {
    const row = this.sql("SELECT * FROM server_runs WHERE run_id = ?").get(runId) as RunSqlRow | undefined;
    return row && runOf(row);
  }

  async listRuns(threadId: string): Promise<ServerRunRow[]> {
    return (this.sql("SELECT * FROM server_runs WHERE thread_id = ? ORDER BY created_at DESC, rowid DESC").all(threadId) as RunSqlRow[]).map(runOf);
  }

  async runsOf(bwRunId: string): Promise<ServerRunRow[]> {
    return (this.sql("SELECT * FROM server_runs WHERE bw_run_id = ? ORDER BY created_at, rowid").all(bwRunId) as RunSqlRow[]).map(runOf);
  }

  async finishRun(runId: string, status: ServerRunStatus, endSeq: number, updatedAt: number): Promise<void> {
    this.sql("UPDATE server_runs SET status = ?, end_seq = ?, updated_at = ? WHERE run_id = ? AND status IS NULL").run(status, endSeq, updatedAt, runId);
  }

  async deleteRun(runId: string): Promise<boolean> {
    return this.sql("DELETE FROM server_runs WHERE run_id = ?").run(runId).changes > 0;
  }

  async appendReport(bwRunId: string, afterSeq: number, event: JsonValue): Promise<void> {
    this.sql("INSERT INTO server_reports (bw_run_id, n, after_seq, event) VALUES (?, (SELECT COALESCE(MAX(n), 0) + 1 FROM server_reports WHERE bw_run_id = ?), ?, ?)")
      .run(bwRunId, bwRunId, afterSeq, JSON.stringify(event));
  }

  async reports(bwRunId: string): Promise<ReportRow[]> {
    const rows = this.sql("SELECT n, after_seq, event FROM server_reports WHERE bw_run_id = ? ORDER BY n").all(bwRunId) as { n: number; after_seq: number; event: string }[];
    return rows.map((r) => ({ n: r.n, afterSeq: r.after_seq, event: JSON.parse(r.event) as JsonValue }));
  }

  async close(): Promise<void> {
    await this.queue;
    if (!this.shared && this.db.open) this.db.close();
  }
}

/**
 * The server's tables in the PostgreSQL store's schema, through the store's own pool: servers that
 * share the database share threads and runs, and any of them can answer for any run.
 */
export class PostgresServerDb implements ServerDb {
  private ready: Promise<void> | undefined;
  private readonly q: (name: string) => string;

  constructor(private readonly store: PostgresStore) {
    this.q = (name) => `"${store.schema}"."${name}"`;
  }

  private migrate(): Promise<void> {
    this.ready ??= this.store.transaction(async (client) => {
      // Several servers may start at once: one creates the tables, the others wait and see them.
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`blockwork-server:${this.store.schema}`]);
      await client.query(`
        CREATE TABLE IF NOT EXISTS ${this.q("server_threads")} (thread_id text PRIMARY KEY, created_at bigint NOT NULL, updated_at bigint NOT NULL, metadata jsonb NOT NULL);
        CREATE TABLE IF NOT EXISTS ${this.q("server_runs")} (
          run_id text PRIMARY KEY, thread_id text NOT NULL, assistant_id text NOT NULL, bw_run_id text NOT NULL,
          created_at bigint NOT NULL, updated_at bigint NOT NULL, metadata jsonb NOT NULL, kwargs jsonb NOT NULL,
          start_seq integer NOT NULL, end_seq integer, status text, n bigserial);
        CREATE INDEX IF NOT EXISTS server_runs_thread ON ${this.q("server_runs")} (thread_id, created_at, n);
        CREATE INDEX IF NOT EXISTS server_runs_bw ON ${this.q("server_runs")} (bw_run_id, created_at, n);
        CREATE TABLE IF NOT EXISTS ${this.q("server_reports")} (bw_run_id text NOT NULL, n integer NOT NULL, after_seq integer NOT NULL, event jsonb NOT NULL, PRIMARY KEY (bw_run_id, n));`);
    });
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  private async query<R extends object>(sql: string, params: unknown[] = []): Promise<R[]> {
    await this.migrate();
    return this.store.query<R>(sql, params);
  }

  async createThread(thread: ThreadRow): Promise<boolean> {
    const rows = await this.query(`INSERT INTO ${this.q("server_threads")} (thread_id, created_at, updated_at, metadata) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING thread_id`, [
      thread.threadId,
      thread.createdAt,
      thread.updatedAt,
      JSON.stringify(thread.metadata),
    ]);
    return rows.length > 0;
  }

  async getThread(threadId: string): Promise<ThreadRow | undefined> {
    const [row] = await this.query<ThreadSqlRow>(`SELECT * FROM ${this.q("server_threads")} WHERE thread_id = $1`, [threadId]);
    return row && threadOf(row);
  }

  async listThreads(): Promise<ThreadRow[]> {
    return (await this.query<ThreadSqlRow>(`SELECT * FROM ${this.q("server_threads")} ORDER BY created_at DESC, thread_id DESC`)).map(threadOf);
  }

  async updateThread(threadId: string, metadata: Record<string, JsonValue>, updatedAt: number): Promise<boolean> {
    const rows = await this.query(`UPDATE ${this.q("server_threads")} SET metadata = $2, updated_at = $3 WHERE thread_id = $1 RETURNING thread_id`, [threadId, JSON.stringify(metadata), updatedAt]);
    return rows.length > 0;
  }

  async deleteThread(threadId: string): Promise<boolean> {
    await this.migrate();
    return this.store.transaction(async (client) => {
      await client.query(`DELETE FROM ${this.q("server_runs")} WHERE thread_id = $1`, [threadId]);
      const { rowCount } = await client.query(`DELETE FROM ${this.q("server_threads")} WHERE thread_id = $1`, [threadId]);
      return (rowCount ?? 0) > 0;
    });
  }

  async createThreadWithRun(thread: ThreadRow, run: ServerRunRow): Promise<void> {
    await this.migrate();
    await this.store.transaction(async (client) => {
      await client.query(`INSERT INTO ${this.q("server_threads")} (thread_id, created_at, updated_at, metadata) VALUES ($1, $2, $3, $4)`, [thread.threadId, thread.createdAt, thread.updatedAt, JSON.stringify(thread.metadata)]);
      await client.query(
        `INSERT INTO ${this.q("server_runs")} (run_id, thread_id, assistant_id, bw_run_id, created_at, updated_at, metadata, kwargs, start_seq, end_seq, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        runParams(run),
      );
    });
  }

  async createRun(run: ServerRunRow, guard: Parameters<ServerDb["createRun"]>[1]): Promise<ServerRunRow | undefined> {
    await this.migrate();
    return this.store.transaction(async (client) => {
      // The thread's row is the lock: one run is created per thread at a time, across servers.
      await client.query(`SELECT thread_id FROM ${this.q("server_threads")} WHERE thread_id = $1 FOR UPDATE`, [run.threadId]);
      const { rows } = await client.query<RunSqlRow>(`SELECT * FROM ${this.q("server_runs")} WHERE thread_id = $1 ORDER BY created_at DESC, n DESC LIMIT 1`, [run.threadId]);
      const previous = rows[0] && runOf(rows[0]);
      const verdict = await guard(previous);
      if (verdict.active) return previous;
      if (previous && verdict.finish) {
        await client.query(`UPDATE ${this.q("server_runs")} SET status = $2, end_seq = $3, updated_at = $4 WHERE run_id = $1`, [previous.runId, verdict.finish.status, verdict.finish.endSeq, run.createdAt]);
      }
      await client.query(
        `INSERT INTO ${this.q("server_runs")} (run_id, thread_id, assistant_id, bw_run_id, created_at, updated_at, metadata, kwargs, start_seq, end_seq, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        runParams(run),
      );
      return undefined;
    });
  }

  async getRun(runId: string): Promise<ServerRunRow | undefined> {
    const [row] = await this.query<RunSqlRow>(`SELECT * FROM ${this.q("server_runs")} WHERE run_id = $1`, [runId]);
    return row && runOf(row);
  }

  async listRuns(threadId: string): Promise<ServerRunRow[]> {
    return (await this.query<RunSqlRow>(`SELECT * FROM ${this.q("server_runs")} WHERE thread_id = $1 ORDER BY created_at DESC, n DESC`, [threadId])).map(runOf);
  }

  async runsOf(bwRunId: string): Promise<ServerRunRow[]> {
    return (await this.query<RunSqlRow>(`SELECT * FROM ${this.q("server_runs")} WHERE bw_run_id = $1 ORDER BY created_at, n`, [bwRunId])).map(runOf);
  }

  async finishRun(runId: string, status: ServerRunStatus, endSeq: number, updatedAt: number): Promise<void> {
    await this.query(`UPDATE ${this.q("server_runs")} SET status = $2, end_seq = $3, updated_at = $4 WHERE run_id = $1 AND status IS NULL`, [runId, status, endSeq, updatedAt]);
  }

  async deleteRun(runId: string): Promise<boolean> {
    return (await this.query(`DELETE FROM ${this.q("server_runs")} WHERE run_id = $1 RETURNING run_id`, [runId])).length > 0;
  }

  async appendReport(bwRunId: string, afterSeq: number, event: JsonValue): Promise<void> {
    await this.query(`INSERT INTO ${this.q("server_reports")} (bw_run_id, n, after_seq, event) SELECT $1, COALESCE(MAX(n), 0) + 1, $2, $3 FROM ${this.q("server_reports")} WHERE bw_run_id = $1`, [
      bwRunId,
      afterSeq,
      JSON.stringify(event),
    ]);
  }

  async reports(bwRunId: string): Promise<ReportRow[]> {
    const rows = await this.query<{ n: number; after_seq: number; event: JsonValue }>(`SELECT n, after_seq, event FROM ${this.q("server_reports")} WHERE bw_run_id = $1 ORDER BY n`, [bwRunId]);
    return rows.map((r) => ({ n: Number(r.n), afterSeq: Number(r.after_seq), event: r.event }));
  }

  async close(): Promise<void> {
    // The pool is the store's: closing the store closes it.
  }
}
