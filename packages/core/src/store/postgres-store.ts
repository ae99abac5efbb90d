import { blobHandlesIn, type GraphDef } from "@blockwork/spec";
import { RunError } from "../errors.js";
import { runIdProblem } from "../run/run-id.js";
import {
  type BlobCollectOptions,
  type BlobCollectResult,
  type BlobContent,
  type BlobPutOptions,
  type BlobRange,
  type BlobRecord,
  checkAddress,
  clampRange,
  DEFAULT_GRACE_MS,
  DEFAULT_MEDIA_TYPE,
  readParts,
  type StoredPart,
  writeChunks,
} from "./blob-data.js";
import type { ClientConfig, Pool, PoolClient, QueryConfig } from "pg";
import { dataOf, type EntryColumns, entryOf } from "./entry-data.js";
import { describeConnectionError, parsePostgresUrl } from "./postgres-connect.js";
import { Listener, type Notice } from "./postgres-listener.js";
import { migrate, type Tables, tablesOf } from "./postgres-schema.js";
import { isLive, type OwnerJoinRow, type OwnerRow, ownedError, ownerOf, ownerRowOf, type RunOwner, takenOverError, thisProcess } from "./owner.js";
import type { JournalEntry, RunPatch, RunQuery, RunRecord, Store } from "./store.js";
import { PostgresMemory } from "../memory/postgres-memory.js";

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /**
   * The schema that holds Blockwork's tables, created when missing. Default: the connection
   * string's `schema` parameter, else `blockwork`. One schema per deployment (or per test file).
   */
  readonly schema?: string;
  /** The most connections this store opens at once (default 10; a worker needs about concurrency + 2). */
  readonly maxConnections?: number;
  /** How long to wait for a connection before failing with `store_unavailable` (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** How often a process that owns runs (run() in one process) writes its heartbeat (default 5,000 ms). */
  readonly heartbeatMs?: number;
  /** How old an owner's heartbeat may be before its runs count as orphaned (default 30,000 ms). */
  readonly staleMs?: number;
  /**
   * Create the schema and its tables when they are missing (default true). False for programs
   * that only read: a missing schema is then a `store_not_found` error, and nothing is created.
   */
  readonly create?: boolean;
}


/** A run row as `pg` returns it (json columns parsed, bigint as number). */
export interface RunRow {
  readonly id: string;
  readonly graph_id: string;
  readonly version: string;
  readonly status: RunRecord["status"];
  readonly input: RunRecord["input"];
  readonly output: NonNullable<RunRecord["output"]> | null;
  readonly error: NonNullable<RunRecord["error"]> | null;
  readonly source: NonNullable<RunRecord["source"]> | null;
  readonly trace?: string | null;
  readonly created_at: number;
  readonly updated_at: number;
}

type JournalRow = EntryColumns & { readonly data: unknown };

/** The columns of journal rows, in the order `journalRows()` expects. */
export const JOURNAL_COLUMNS = "seq, kind, path, act, attempt, at, data";

/**
 * Runs and journals in a PostgreSQL database, shared by worker processes on many machines (see
 * `startWorker`), and usable like any store by `run()` in one process. The schema is created and
 * migrated on first use. An entry is committed (durable, with `synchronous_commit` on) when
 * `append` resolves.
 *
 * @example
 * const store = new PostgresStore("postgres://blockwork:secret@db.internal:5432/app");
 */
export class PostgresStore implements Store {
  readonly durable = true;
  readonly schema: string;
  /** The connection string with the password masked. */
  readonly display: string;
  /** @internal */ readonly tables: Tables;
  private pool: Pool | undefined;
  private readonly clientConfig: ClientConfig;
  private readonly maxConnections: number;
  private readonly create: boolean;
  private ready: Promise<void> | undefined;
  private listener: Listener | undefined;
  private closing: Promise<void> | undefined;
  /** Runs this store object has claimed (run() in this process): their appends are checked. */
  private readonly owned = new Set<string>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private readonly heartbeatMs: number;
  private readonly staleMs: number;
  private memoryBackend: PostgresMemory | undefined;

  constructor(connectionString: string, options: PostgresStoreOptions = {}) {
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.staleMs = options.staleMs ?? 30_000;
    const target = parsePostgresUrl(connectionString, options.schema);
    this.schema = target.schema;
    this.display = target.display;
    this.tables = tablesOf(target.schema);
    this.clientConfig = { connectionString: target.connectionString, connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000 };
    this.maxConnections = options.maxConnections ?? 10;
    this.create = options.create ?? true;
  }

  /** The pool, created on first use: `pg` is loaded only by programs that use PostgreSQL. */
  private async openPool(): Promise<Pool> {
    if (this.pool !== undefined) return this.pool;
    const pg = await import("pg");
    if (this.closing !== undefined) throw new Error(`the store for ${this.display} is closed`);
    // Epoch milliseconds are bigint columns; they fit a double exactly, so read them as numbers.
    const getTypeParser = ((oid: number, format?: "text") => (oid === 20 ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser;
    if (this.pool !== undefined) return this.pool;
    const pool = new pg.Pool({ ...this.clientConfig, types: { getTypeParser }, max: this.maxConnections });
    this.pool = pool;
    // A connection that the server closes (a restart) must not crash the process with an
    // unhandled 'error' event, idle in the pool or checked out between two statements: the
    // statement that uses it fails instead (and is retried by workers), and the pool opens a new one.
    pool.on("error", () => undefined);
    pool.on("connect", (client) => client.on("error", () => undefined));
    return pool;
  }

  /** Agent memory in this store's schema (created on first use). */
  get memory(): PostgresMemory {
    return (this.memoryBackend ??= new PostgresMemory(this));
  }

  /** Connects and applies pending migrations (every method does this on first use). */
  connect(): Promise<void> {
    this.ready ??= (async () => {
      const client = await this.checkout();
      try {
        if (!this.create) await mustExist(client, this.tables, this.display);
        await migrate(client, this.tables, this.display);
      } finally {
        client.release();
      }
    })();
    // A failed first connection is not remembered: the next call tries again.
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  /**
   * @internal Runs one statement; with `prepared`, as a named prepared statement (parsed and
   * planned once per connection: for the statements workers run per block).
   */
  async query<R extends object>(sql: string, params: readonly unknown[] = [], options: { prepared?: boolean } = {}): Promise<R[]> {
    await this.connect();
    try {
      const pool = await this.openPool();
      return (await pool.query<R>(options.prepared ? prepared(sql, params) : { text: sql, values: params as unknown[] })).rows;
    } catch (error) {
      throw describeConnectionError(error, this.display);
    }
  }

  /** @internal Runs `work` in one transaction (READ COMMITTED), committing when it resolves. */
  async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    await this.connect();
    const client = await this.checkout();
    let broken = false;
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => (broken = true));
      throw describeConnectionError(error, this.display);
    } finally {
      // A connection that failed mid-transaction is thrown away, not reused.
      client.release(broken);
    }
  }

  /** @internal Calls `notice` on every notification on one of this store's channels (see `Listener`). */
  subscribe(channel: "runs" | "tasks", notice: Notice): () => void {
    this.listener ??= new Listener(this.clientConfig, [this.tables.runsChannel, this.tables.tasksChannel]);
    return this.listener.subscribe(channel === "runs" ? this.tables.runsChannel : this.tables.tasksChannel, notice);
  }

  private async checkout(): Promise<PoolClient> {
    try {
      return await (await this.openPool()).connect();
    } catch (error) {
      throw describeConnectionError(error, this.display);
    }
  }

  async saveGraph(version: string, def: GraphDef): Promise<void> {
    await this.query(`INSERT INTO ${this.tables.graphs} (version, graph_id, def) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING`, [version, def.id, JSON.stringify(def)]);
  }

  async getGraph(version: string): Promise<GraphDef | undefined> {
    const rows = await this.query<{ def: GraphDef }>(`SELECT def FROM ${this.tables.graphs} WHERE version = $1`, [version]);
    return rows[0]?.def;
  }

  async createRun(run: RunRecord): Promise<void> {
    await this.query(`INSERT INTO ${this.tables.runs} (${RUN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, runParams(run));
    await linkInputBlobs(this, run);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    // No run can have an id PostgreSQL text cannot hold (NUL), so none is asked for (error 22021).
    if (runIdProblem(id) !== null) return undefined;
    const rows = await this.query<RunRow>(`SELECT * FROM ${this.tables.runs} WHERE id = $1`, [id]);
    return rows[0] === undefined ? undefined : recordOf(rows[0]);
  }

  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    const limit = query.limit ?? 50;
    const rows =
      query.status === undefined
        ? await this.query<RunRow>(`SELECT * FROM ${this.tables.runs} ORDER BY created_at DESC, id DESC LIMIT $1`, [limit])
        : await this.query<RunRow>(`SELECT * FROM ${this.tables.runs} WHERE status = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, [query.status, limit]);
    return rows.map(recordOf);
  }

  async finishRun(id: string, outcome: Pick<RunRecord, "status" | "output" | "error" | "updatedAt">): Promise<void> {
    if (this.owned.has(id)) {
      // Written only while this process owns the run, and the ownership ends with it.
      this.owned.delete(id);
      const { runs, runOwners } = this.tables;
      const ended = await this.query(
        `WITH mine AS (DELETE FROM ${runOwners} WHERE run_id = $5 AND token = $6 RETURNING run_id)
         UPDATE ${runs} SET status = $1, output = $2, error = $3, updated_at = $4 WHERE id = $5 AND EXISTS (SELECT 1 FROM mine) RETURNING id`,
        [outcome.status, json(outcome.output), json(outcome.error), outcome.updatedAt, id, thisProcess().token],
      );
      if (ended.length === 0) {
        if ((await this.getRun(id)) === undefined) throw new Error(`run ${id} is not in ${this.display}`);
        throw takenOverError(id, await this.ownerRow(id).catch(() => undefined));
      }
      return;
    }
    // A finished run has no ready tasks left for workers.
    const rows = await this.query(
      `WITH gone AS (DELETE FROM ${this.tables.tasks} WHERE run_id = $5)
       UPDATE ${this.tables.runs} SET status = $1, output = $2, error = $3, updated_at = $4 WHERE id = $5 RETURNING id`,
      [outcome.status, json(outcome.output), json(outcome.error), outcome.updatedAt, id],
    );
    if (rows.length === 0) throw new Error(`run ${id} is not in ${this.display}`);
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    await this.query(
      `UPDATE ${this.tables.runs} SET status = COALESCE($1, status), version = COALESCE($2, version), source = COALESCE($5, source), updated_at = $3 WHERE id = $4 AND status IN ('running', 'suspended')`,
      [patch.status ?? null, patch.version ?? null, patch.updatedAt, id, patch.source ? JSON.stringify(patch.source) : null],
    );
  }

  async append(runId: string, entry: JournalEntry): Promise<void> {
    if (this.owned.has(runId)) {
      await this.appendOwned(runId, entry);
      return;
    }
    const { runs, journal } = this.tables;
    const appended = `WITH bumped AS (UPDATE ${runs} SET last_seq = greatest(last_seq, $2) WHERE id = $1)
      INSERT INTO ${journal} (run_id, ${JOURNAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;
    await this.query(appended, [
      runId,
      entry.seq,
      entry.kind,
      entry.path,
      entry.act,
      entry.attempt,
      entry.at,
      JSON.stringify(dataOf(entry)),
    ], { prepared: true });
  }

  /** An append written only while this process owns the run (checked in the same statement). */
  private async appendOwned(runId: string, entry: JournalEntry): Promise<void> {
    const { runs, journal, runOwners } = this.tables;
    const appended = `WITH bumped AS (UPDATE ${runs} SET last_seq = greatest(last_seq, $2) WHERE id = $1 AND EXISTS (SELECT 1 FROM ${runOwners} WHERE run_id = $1 AND token = $9) RETURNING id)
      INSERT INTO ${journal} (run_id, ${JOURNAL_COLUMNS}) SELECT $1, $2, $3, $4, $5, $6, $7, $8 FROM bumped RETURNING seq`;
    const rows = await this.query(appended, [runId, entry.seq, entry.kind, entry.path, entry.act, entry.attempt, entry.at, JSON.stringify(dataOf(entry)), thisProcess().token], { prepared: true });
    if (rows.length === 0) {
      this.owned.delete(runId);
      throw takenOverError(runId, await this.ownerRow(runId).catch(() => undefined));
    }
  }

  async claimRun(runId: string, create?: RunRecord): Promise<boolean> {
    const me = thisProcess();
    const { runs, runOwners, processes } = this.tables;
    const now = Date.now();
    const taken = await this.transaction(async (client) => {
      if (create !== undefined) {
        await client.query(`INSERT INTO ${runs} (${RUN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, runParams(create));
      } else {
        // Claimers of one run queue on its row: the check and the take are one step.
        await client.query(`SELECT 1 FROM ${runs} WHERE id = $1 FOR UPDATE`, [runId]);
        const row = ownerRowOf((await client.query<OwnerJoinRow>(ownerQuery(this.tables), [runId])).rows[0]);
        if (row?.token === me.token) return false;
        if (row !== undefined && isLive(row, this.staleMs, now)) throw ownedError(runId, row);
      }
      await client.query(
        `INSERT INTO ${processes} (token, pid, host, started, claimed_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (token) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
        [me.token, me.pid, me.host, me.started, now],
      );
      await client.query(`INSERT INTO ${runOwners} (run_id, token, claimed_at) VALUES ($1, $2, $3) ON CONFLICT (run_id) DO UPDATE SET token = excluded.token, claimed_at = excluded.claimed_at`, [runId, me.token, now]);
      return true;
    });
    if (create !== undefined) await linkInputBlobs(this, create);
    this.owned.add(runId);
    this.startHeartbeat();
    return taken;
  }

  async releaseRun(runId: string): Promise<void> {
    this.owned.delete(runId);
    await this.query(`DELETE FROM ${this.tables.runOwners} WHERE run_id = $1 AND token = $2`, [runId, thisProcess().token]);
  }

  async runOwner(runId: string): Promise<RunOwner | undefined> {
    const row = await this.ownerRow(runId);
    return row === undefined ? undefined : ownerOf(row, this.staleMs);
  }

  private async ownerRow(runId: string): Promise<OwnerRow | undefined> {
    return ownerRowOf((await this.query<OwnerJoinRow>(ownerQuery(this.tables), [runId]))[0]);
  }

  private startHeartbeat(): void {
    if (this.heartbeat !== undefined) return;
    this.heartbeat = setInterval(() => {
      if (this.owned.size === 0) {
        clearInterval(this.heartbeat);
        this.heartbeat = undefined;
        return;
      }
      // A beat that fails (the database away) is tried again at the next tick.
      this.query(`UPDATE ${this.tables.processes} SET heartbeat_at = $1 WHERE token = $2`, [Date.now(), thisProcess().token]).catch(() => undefined);
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  async journal(runId: string): Promise<JournalEntry[]> {
    return journalRows(await this.query<JournalRow>(`SELECT ${JOURNAL_COLUMNS} FROM ${this.tables.journal} WHERE run_id = $1 ORDER BY seq`, [runId]));
  }

  async putBlob(content: BlobContent, options: BlobPutOptions = {}): Promise<BlobRecord> {
    const t = this.tables;
    const now = options.now ?? Date.now();
    const parts: { hash: string; start: number; length: number }[] = [];
    const written = await writeChunks(content, async (part) => {
      await this.query(
        `INSERT INTO ${t.blobChunks} (hash, data, size, touched_at) VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO UPDATE SET touched_at = excluded.touched_at`,
        [part.hash, Buffer.from(part.bytes.buffer, part.bytes.byteOffset, part.bytes.byteLength), part.bytes.length, now],
        { prepared: true },
      );
      parts.push({ hash: part.hash, start: part.start, length: part.bytes.length });
    });
    await this.transaction(async (client) => {
      // One writer per address at a time; a second put of the same content waits and finds it.
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`blockwork:blob:${written.hash}`]);
      const existing = await client.query(`SELECT 1 FROM ${t.blobs} WHERE hash = $1`, [written.hash]);
      if (existing.rowCount !== 0) return;
      const hashes = [...new Set(parts.map((p) => p.hash))];
      // Locks the chunks against a collection that runs now, and checks none was collected already.
      const present = await client.query(`SELECT hash FROM ${t.blobChunks} WHERE hash = ANY($1::text[]) FOR SHARE`, [hashes]);
      if (present.rowCount !== hashes.length) throw new Error(`a chunk of blob ${written.hash} was collected while the blob was written; put it again`);
      await client.query(`INSERT INTO ${t.blobs} (hash, size, media_type, preview, chunks, created_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
        written.hash,
        written.size,
        options.mediaType ?? DEFAULT_MEDIA_TYPE,
        written.preview,
        parts.length,
        now,
      ]);
      if (parts.length > 0) {
        await client.query(
          `INSERT INTO ${t.blobParts} (blob, idx, start, length, chunk) SELECT $1, i - 1, s, l, c FROM unnest($2::bigint[], $3::integer[], $4::text[]) WITH ORDINALITY AS u(s, l, c, i)`,
          [written.hash, parts.map((p) => p.start), parts.map((p) => p.length), parts.map((p) => p.hash)],
        );
      }
    });
    if (options.runId !== undefined) await this.linkBlob(options.runId, written.hash);
    return (await this.blobInfo(written.hash)) as BlobRecord;
  }

  async blobInfo(hash: string): Promise<BlobRecord | undefined> {
    const rows = await this.query<BlobRow>(`SELECT hash, size, media_type, preview, chunks, created_at FROM ${this.tables.blobs} WHERE hash = $1`, [hash]);
    return rows[0] === undefined ? undefined : blobRecordOf(rows[0]);
  }

  async *readBlob(hash: string, range?: BlobRange): AsyncIterable<Uint8Array> {
    checkAddress(hash);
    const info = await this.blobInfo(hash);
    if (info === undefined) throw new Error(`${this.display} has no blob ${hash}`);
    const { start, end } = clampRange(range, info.size);
    if (end <= start) return;
    const parts = (
      await this.query<{ idx: number; start: number; length: number; chunk: string }>(
        `SELECT idx, start, length, chunk FROM ${this.tables.blobParts} WHERE blob = $1 AND start < $2 AND start + length > $3 ORDER BY idx`,
        [hash, end, start],
      )
    ).map((p): StoredPart => ({ idx: p.idx, start: Number(p.start), length: p.length, chunk: p.chunk }));
    // substring on bytea counts bytes from 1: only the asked-for bytes of a chunk leave the server.
    yield* readParts(parts, start, end, async (chunk, offset, length) => {
      const rows = await this.query<{ data: Buffer }>(`SELECT substring(data FROM $1 FOR $2) AS data FROM ${this.tables.blobChunks} WHERE hash = $3`, [offset + 1, length, chunk], { prepared: true });
      return rows[0]?.data ?? new Uint8Array(0);
    });
  }

  async linkBlob(runId: string, hash: string): Promise<void> {
    checkAddress(hash);
    await this.query(`INSERT INTO ${this.tables.blobLinks} (run_id, blob) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [runId, hash]);
  }

  async blobsOf(runId: string): Promise<string[]> {
    return (await this.query<{ blob: string }>(`SELECT blob FROM ${this.tables.blobLinks} WHERE run_id = $1 ORDER BY blob COLLATE "C"`, [runId])).map((r) => r.blob);
  }

  async releaseBlobs(runId: string): Promise<number> {
    return (await this.query(`DELETE FROM ${this.tables.blobLinks} WHERE run_id = $1 RETURNING blob`, [runId])).length;
  }

  async collectBlobs(options: BlobCollectOptions = {}): Promise<BlobCollectResult> {
    const t = this.tables;
    const before = (options.now ?? Date.now()) - (options.graceMs ?? DEFAULT_GRACE_MS);
    return this.transaction(async (client) => {
      const blobs = await client.query(`DELETE FROM ${t.blobs} b WHERE created_at <= $1 AND NOT EXISTS (SELECT 1 FROM ${t.blobLinks} l WHERE l.blob = b.hash) RETURNING hash`, [before]);
      // SKIP LOCKED: a chunk that a put is committing (FOR SHARE) is left for the next collection.
      const chunks = await client.query<{ size: number }>(
        `DELETE FROM ${t.blobChunks} WHERE hash IN (
           SELECT c.hash FROM ${t.blobChunks} c WHERE c.touched_at <= $1 AND NOT EXISTS (SELECT 1 FROM ${t.blobParts} p WHERE p.chunk = c.hash) FOR UPDATE SKIP LOCKED)
         RETURNING size`,
        [before],
      );
      return { blobs: blobs.rowCount ?? 0, chunks: chunks.rowCount ?? 0, bytes: chunks.rows.reduce((a, r) => a + Number(r.size), 0) };
    });
  }

  /** Closes the connections (waiting for queries in progress). Safe to call twice. */
  /**
   * Closes the pool (and the LISTEN connection). The runs this store object still owns are
   * released first, best effort: nothing more can be written for them through it.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
      this.heartbeat = undefined;
      if (this.owned.size > 0 && this.pool !== undefined) {
        const runs = [...this.owned];
        this.owned.clear();
        await this.pool.query(`DELETE FROM ${this.tables.runOwners} WHERE run_id = ANY($1::text[]) AND token = $2`, [runs, thisProcess().token]).catch(() => undefined);
      }
      await this.listener?.close();
      await this.pool?.end();
    })();
    return this.closing;
  }
}

/** Refuses a schema that holds no Blockwork store, for a store that must not create one. */
async function mustExist(client: PoolClient, t: Tables, display: string): Promise<void> {
  const { rows } = await client.query<{ schema: boolean; tables: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema, to_regclass($2) IS NOT NULL AS tables",
    [t.schema, t.migrations],
  );
  if (rows[0]?.tables) return;
  const what = rows[0]?.schema ? `schema "${t.schema}" holds no Blockwork store` : `schema "${t.schema}" does not exist`;
  throw new RunError({
    code: "store_not_found",
    message: `no store at ${display}: ${what} (this command only reads, so it creates nothing); check ?schema= in the connection string, or start a run on it first`,
  });
}

function ownerQuery(t: Tables): string {
  return `SELECT o.token, p.pid, p.host, p.started, o.claimed_at, p.heartbeat_at FROM ${t.runOwners} o LEFT JOIN ${t.processes} p ON p.token = o.token WHERE o.run_id = $1`;
}

const statementNames = new Map<string, string>();

/** @internal A named prepared statement: one name per distinct text in this process. */
export function prepared(text: string, values: readonly unknown[]): QueryConfig {
  let name = statementNames.get(text);
  if (name === undefined) statementNames.set(text, (name = `blockwork_${statementNames.size + 1}`));
  return { name, text, values: values as unknown[] };
}

export const RUN_COLUMNS = "id, graph_id, version, status, input, output, error, source, created_at, updated_at, trace";

/** @internal The parameters of an INSERT with `RUN_COLUMNS`. */
export function runParams(run: RunRecord): unknown[] {
  return [run.id, run.graphId, run.version, run.status, JSON.stringify(run.input), json(run.output), json(run.error), json(run.source), run.createdAt, run.updatedAt, run.trace ?? null];
}

/** JSON text for a json column, or NULL (`pg` would turn arrays into PostgreSQL arrays). */
function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function journalRows(rows: readonly JournalRow[]): JournalEntry[] {
  return rows.map((row) => entryOf(row, row.data));
}

interface BlobRow {
  readonly hash: string;
  readonly size: number;
  readonly media_type: string;
  readonly preview: string;
  readonly chunks: number;
  readonly created_at: number;
}

function blobRecordOf(row: BlobRow): BlobRecord {
  return { hash: row.hash, size: Number(row.size), mediaType: row.media_type, preview: row.preview, chunks: row.chunks, createdAt: Number(row.created_at) };
}

/** Links the blob handles in a run's input to the run. */
async function linkInputBlobs(store: PostgresStore, run: Pick<RunRecord, "id" | "input">): Promise<void> {
  const handles = blobHandlesIn(run.input);
  if (handles.length === 0) return;
  await store.query(`INSERT INTO ${store.tables.blobLinks} (run_id, blob) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, [run.id, handles.map((h) => h.$blob)]);
}

export function recordOf(row: RunRow): RunRecord {
  return {
    id: row.id,
    graphId: row.graph_id,
    version: row.version,
    status: row.status,
    input: row.input,
    ...(row.output !== null ? { output: row.output } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    ...(row.source !== null ? { source: row.source } : {}),
    ...(row.trace !== null && row.trace !== undefined ? { trace: row.trace } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
