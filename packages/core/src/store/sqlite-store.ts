import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { blobHandlesIn, type GraphDef } from "@blockwork/spec";
import Database from "better-sqlite3";
import {
  type BlobCollectOptions,
  type BlobCollectResult,
  type BlobContent,
  type BlobPutOptions,
  type BlobRange,
  type BlobRecord,
  type ChunkPart,
  checkAddress,
  clampRange,
  DEFAULT_GRACE_MS,
  DEFAULT_MEDIA_TYPE,
  readParts,
  type StoredPart,
  writeChunks,
} from "./blob-data.js";
import { dataOf, type EntryColumns, entryOf } from "./entry-data.js";
import { isLive, type OwnerJoinRow, type OwnerRow, ownedError, ownerOf, ownerRowOf, type RunOwner, takenOverError, thisProcess } from "./owner.js";
import type { JournalEntry, RunPatch, RunQuery, RunRecord, Store } from "./store.js";
import { SQLITE_MEMORY_MIGRATION, SqliteMemory } from "../memory/sqlite-memory.js";

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * `normal` (default): WAL with synchronous=NORMAL. A committed entry survives the process being
   * killed; after a power loss the last few commits may be lost. `full`: every commit is synced to
   * disk as well (slower, survives power loss).
   */
  readonly sync?: "normal" | "full";
  /** How often a process that owns runs in this file writes its heartbeat (default 5,000 ms). */
  readonly heartbeatMs?: number;
  /**
   * How old the heartbeat of an owner on another host may be before its runs count as orphaned and
   * may be taken over (default 30,000 ms). On the same host the kernel says whether the owner lives.
   */
  readonly staleMs?: number;
}

// Versioned migrations; `PRAGMA user_version` holds how many have been applied.
const MIGRATIONS = [
  `CREATE TABLE graphs (version TEXT PRIMARY KEY, graph_id TEXT NOT NULL, def TEXT NOT NULL);
   CREATE TABLE runs (
     id TEXT PRIMARY KEY, graph_id TEXT NOT NULL, version TEXT NOT NULL, status TEXT NOT NULL,
     input TEXT NOT NULL, output TEXT, error TEXT, source TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
   CREATE INDEX runs_status ON runs (status, created_at);
   CREATE TABLE journal (
     run_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, path TEXT NOT NULL, act INTEGER NOT NULL,
     attempt INTEGER NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID;`,
  // 2: the blob store. Chunks by their own sha-256 (shared between blobs), blobs as lists of
  // chunks, and the runs that reference each blob. Additive: nothing of version 1 changes.
  `CREATE TABLE blob_chunks (hash TEXT PRIMARY KEY, data BLOB NOT NULL, size INTEGER NOT NULL, touched_at INTEGER NOT NULL);
   CREATE TABLE blobs (hash TEXT PRIMARY KEY, size INTEGER NOT NULL, media_type TEXT NOT NULL, preview TEXT NOT NULL, chunks INTEGER NOT NULL, created_at INTEGER NOT NULL);
   CREATE TABLE blob_parts (blob TEXT NOT NULL, idx INTEGER NOT NULL, start INTEGER NOT NULL, length INTEGER NOT NULL, chunk TEXT NOT NULL, PRIMARY KEY (blob, idx)) WITHOUT ROWID;
   CREATE INDEX blob_parts_chunk ON blob_parts (chunk);
   CREATE TABLE blob_links (run_id TEXT NOT NULL, blob TEXT NOT NULL, PRIMARY KEY (run_id, blob)) WITHOUT ROWID;
   CREATE INDEX blob_links_blob ON blob_links (blob);`,
  // 3: run ownership. A process that executes runs has a row (with its heartbeat); each run being
  // executed names its process. Additive.
  `CREATE TABLE processes (token TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, started TEXT NOT NULL, claimed_at INTEGER NOT NULL, heartbeat_at INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE run_owners (run_id TEXT PRIMARY KEY, token TEXT NOT NULL, claimed_at INTEGER NOT NULL) WITHOUT ROWID;
   CREATE INDEX run_owners_token ON run_owners (token);`,
  // 4: agent memory (see docs/memory.md). Additive.
  SQLITE_MEMORY_MIGRATION,
  // 5: a run's trace context (a W3C traceparent; docs/observability.md), so that a resume continues its trace. Additive.
  `ALTER TABLE runs ADD COLUMN trace TEXT;`,
];

/** How many migrations this version of Blockwork applies to a SQLite file (`PRAGMA user_version`). */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

interface RunRow {
  id: string;
  graph_id: string;
  version: string;
  status: RunRecord["status"];
  input: string;
  output: string | null;
  error: string | null;
  source: string | null;
  trace: string | null;
  created_at: number;
  updated_at: number;
}

interface JournalRow extends EntryColumns {
  readonly data: string;
}

/**
 * Runs and journals in one SQLite file (WAL mode): the embedded default. One writer process at a
 * time; appends are synchronous, so an entry is on disk (in the WAL) when `append` returns.
 *
 * Processes share the file safely: each run has one owner process (`claimRun`), and an append for
 * a run this process owns is written only while it still owns it (checked in the same statement).
 */
export class SqliteStore implements Store {
  readonly durable = true;
  readonly file: string;
  private readonly db: Database.Database;
  private readonly statements: ReturnType<SqliteStore["prepare"]>;
  private readonly transactions: ReturnType<SqliteStore["prepareTransactions"]>;
  /** Runs this store object has claimed (and not released): their appends are checked. */
  private readonly owned = new Set<string>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  /** Whether this store object has written this process's row. */
  private registered = false;
  private readonly heartbeatMs: number;
  private readonly staleMs: number;
  private memoryBackend: SqliteMemory | undefined;

  constructor(file: string, options: SqliteStoreOptions = {}) {
    this.file = file;
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.staleMs = options.staleMs ?? 30_000;
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${options.sync === "full" ? "FULL" : "NORMAL"}`);
    this.db.pragma("busy_timeout = 5000");
    this.migrate();
    this.statements = this.prepare();
    this.transactions = this.prepareTransactions();
  }

  private migrate(): void {
    const applied = this.db.pragma("user_version", { simple: true }) as number;
    if (applied > MIGRATIONS.length) {
      throw new Error(`${this.file} was written by a newer Blockwork (schema version ${applied}; this one knows ${MIGRATIONS.length}).`);
    }
    // Up to date: nothing is written (a full disk, a read-only use, does not stop it opening).
    if (applied === MIGRATIONS.length) return;
    // Read again under the write lock: processes opening a new file at once migrate it once.
    this.db
      .transaction(() => {
        const now = this.db.pragma("user_version", { simple: true }) as number;
        for (let i = now; i < MIGRATIONS.length; i++) this.db.exec(MIGRATIONS[i] as string);
        if (now < MIGRATIONS.length) this.db.pragma(`user_version = ${MIGRATIONS.length}`);
      })
      .immediate();
  }

  private prepare() {
    return {
      saveGraph: this.db.prepare("INSERT OR IGNORE INTO graphs (version, graph_id, def) VALUES (?, ?, ?)"),
      getGraph: this.db.prepare("SELECT def FROM graphs WHERE version = ?").pluck(),
      createRun: this.db.prepare(
        "INSERT INTO runs (id, graph_id, version, status, input, output, error, source, trace, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      getRun: this.db.prepare("SELECT * FROM runs WHERE id = ?"),
      listAll: this.db.prepare("SELECT * FROM runs ORDER BY created_at DESC, id DESC LIMIT ?"),
      listByStatus: this.db.prepare("SELECT * FROM runs WHERE status = ? ORDER BY created_at DESC, id DESC LIMIT ?"),
      finishRun: this.db.prepare("UPDATE runs SET status = ?, output = ?, error = ?, updated_at = ? WHERE id = ?"),
      finishOwned: this.db.prepare(
        "UPDATE runs SET status = ?, output = ?, error = ?, updated_at = ? WHERE id = ? AND EXISTS (SELECT 1 FROM run_owners WHERE run_id = ? AND token = ?)",
      ),
      updateRun: this.db.prepare(
        "UPDATE runs SET status = COALESCE(?, status), version = COALESCE(?, version), source = COALESCE(?, source), updated_at = ? WHERE id = ? AND status IN ('running', 'suspended')",
      ),
      append: this.db.prepare("INSERT INTO journal (run_id, seq, kind, path, act, attempt, at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
      journal: this.db.prepare("SELECT seq, kind, path, act, attempt, at, data FROM journal WHERE run_id = ? ORDER BY seq"),
      appendOwned: this.db.prepare(
        "INSERT INTO journal (run_id, seq, kind, path, act, attempt, at, data) SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM run_owners WHERE run_id = ? AND token = ?)",
      ),
      owner: this.db.prepare(
        "SELECT o.token, p.pid, p.host, p.started, o.claimed_at, p.heartbeat_at FROM run_owners o LEFT JOIN processes p ON p.token = o.token WHERE o.run_id = ?",
      ),
      putProcess: this.db.prepare(
        "INSERT INTO processes (token, pid, host, started, claimed_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (token) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
      ),
      beat: this.db.prepare("UPDATE processes SET heartbeat_at = ? WHERE token = ?"),
      putOwner: this.db.prepare("INSERT INTO run_owners (run_id, token, claimed_at) VALUES (?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET token = excluded.token, claimed_at = excluded.claimed_at"),
      dropOwner: this.db.prepare("DELETE FROM run_owners WHERE run_id = ? AND token = ?"),
      putChunk: this.db.prepare("INSERT INTO blob_chunks (hash, data, size, touched_at) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO UPDATE SET touched_at = excluded.touched_at"),
      hasChunk: this.db.prepare("SELECT 1 FROM blob_chunks WHERE hash = ?").pluck(),
      putBlob: this.db.prepare("INSERT OR IGNORE INTO blobs (hash, size, media_type, preview, chunks, created_at) VALUES (?, ?, ?, ?, ?, ?)"),
      putPart: this.db.prepare("INSERT INTO blob_parts (blob, idx, start, length, chunk) VALUES (?, ?, ?, ?, ?)"),
      blobInfo: this.db.prepare("SELECT hash, size, media_type, preview, chunks, created_at FROM blobs WHERE hash = ?"),
      parts: this.db.prepare("SELECT idx, start, length, chunk FROM blob_parts WHERE blob = ? AND start < ? AND start + length > ? ORDER BY idx"),
      readChunk: this.db.prepare("SELECT substr(data, ?, ?) FROM blob_chunks WHERE hash = ?").pluck(),
      link: this.db.prepare("INSERT OR IGNORE INTO blob_links (run_id, blob) VALUES (?, ?)"),
      links: this.db.prepare("SELECT blob FROM blob_links WHERE run_id = ? ORDER BY blob").pluck(),
      release: this.db.prepare("DELETE FROM blob_links WHERE run_id = ?"),
      collectBlobs: this.db.prepare("DELETE FROM blobs WHERE created_at <= ? AND NOT EXISTS (SELECT 1 FROM blob_links l WHERE l.blob = blobs.hash) RETURNING hash").pluck(),
      dropParts: this.db.prepare("DELETE FROM blob_parts WHERE blob = ?"),
      collectChunks: this.db.prepare("DELETE FROM blob_chunks WHERE touched_at <= ? AND NOT EXISTS (SELECT 1 FROM blob_parts p WHERE p.chunk = blob_chunks.hash) RETURNING size").pluck(),
    };
  }

  /**
   * The store's own SQLite connection, for a package that keeps tables of its own in the same file
   * (the server's threads). Sharing it costs nothing per statement, where a second connection to
   * the file would re-read its pages after every write of the other. Do not close it: `close()` does.
   *
   * @example
   * const store = new SqliteStore(".blockwork/runs.sqlite");
   * store.connection.exec("CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, text TEXT)");
   */
  get connection(): Database.Database {
    return this.db;
  }

  /** Agent memory in this file (created on first use). */
  get memory(): SqliteMemory {
    return (this.memoryBackend ??= new SqliteMemory(this.db));
  }

  saveGraph(version: string, def: GraphDef): void {
    this.statements.saveGraph.run(version, def.id, JSON.stringify(def));
  }

  getGraph(version: string): GraphDef | undefined {
    const text = this.statements.getGraph.get(version) as string | undefined;
    return text === undefined ? undefined : (JSON.parse(text) as GraphDef);
  }

  createRun(run: RunRecord): void {
    this.insertRun(run);
  }

  private insertRun(run: RunRecord): void {
    this.statements.createRun.run(
      run.id,
      run.graphId,
      run.version,
      run.status,
      JSON.stringify(run.input),
      run.output === undefined ? null : JSON.stringify(run.output),
      run.error === undefined ? null : JSON.stringify(run.error),
      run.source === undefined ? null : JSON.stringify(run.source),
      run.trace ?? null,
      run.createdAt,
      run.updatedAt,
    );
    for (const handle of blobHandlesIn(run.input)) this.statements.link.run(run.id, handle.$blob);
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.statements.getRun.get(id) as RunRow | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  listRuns(query: RunQuery = {}): RunRecord[] {
    const limit = query.limit ?? 50;
    const rows = (query.status === undefined ? this.statements.listAll.all(limit) : this.statements.listByStatus.all(query.status, limit)) as RunRow[];
    return rows.map(toRecord);
  }

  finishRun(id: string, outcome: Pick<RunRecord, "status" | "output" | "error" | "updatedAt">): void {
    const output = outcome.output === undefined ? null : JSON.stringify(outcome.output);
    const error = outcome.error === undefined ? null : JSON.stringify(outcome.error);
    if (!this.owned.has(id)) {
      const result = this.statements.finishRun.run(outcome.status, output, error, outcome.updatedAt, id);
      if (result.changes === 0) throw new Error(`run ${id} is not in ${this.file}`);
      return;
    }
    // The outcome of a run this process owns is written only while it still owns it, and ends
    // the ownership in the same transaction.
    this.owned.delete(id);
    this.transactions.finishOwned.immediate(id, outcome.status, output, error, outcome.updatedAt);
  }

  updateRun(id: string, patch: RunPatch): void {
    this.statements.updateRun.run(patch.status ?? null, patch.version ?? null, patch.source ? JSON.stringify(patch.source) : null, patch.updatedAt, id);
  }

  append(runId: string, entry: JournalEntry): void {
    const data = JSON.stringify(dataOf(entry));
    if (!this.owned.has(runId)) {
      this.statements.append.run(runId, entry.seq, entry.kind, entry.path, entry.act, entry.attempt, entry.at, data);
      return;
    }
    // Written only while this process owns the run: one statement, no extra round trip.
    const me = thisProcess().token;
    const result = this.statements.appendOwned.run(runId, entry.seq, entry.kind, entry.path, entry.act, entry.attempt, entry.at, data, runId, me);
    if (result.changes === 0) {
      this.owned.delete(runId);
      throw takenOverError(runId, this.ownerRow(runId));
    }
  }

  claimRun(runId: string, create?: RunRecord): boolean {
    const now = Date.now();
    // The process row once per store object while it beats (the heartbeat keeps it fresh).
    const register = !this.registered || this.heartbeat === undefined;
    const taken = this.transactions.claim.immediate(runId, create, now, register);
    this.registered = true;
    this.owned.add(runId);
    this.startHeartbeat();
    return taken;
  }

  /** The multi-statement writes, as transactions built once. */
  private prepareTransactions() {
    const me = thisProcess();
    return {
      claim: this.db.transaction((runId: string, create: RunRecord | undefined, now: number, register: boolean): boolean => {
        if (create !== undefined) {
          this.insertRun(create);
        } else {
          const row = this.ownerRow(runId);
          if (row?.token === me.token) return false;
          if (row !== undefined && isLive(row, this.staleMs, now)) throw ownedError(runId, row);
        }
        if (register) this.statements.putProcess.run(me.token, me.pid, me.host, me.started, now, now);
        this.statements.putOwner.run(runId, me.token, now);
        return true;
      }),
      finishOwned: this.db.transaction((id: string, status: string, output: string | null, error: string | null, updatedAt: number) => {
        const result = this.statements.finishOwned.run(status, output, error, updatedAt, id, id, me.token);
        if (result.changes === 0) {
          if (this.statements.getRun.get(id) === undefined) throw new Error(`run ${id} is not in ${this.file}`);
          throw takenOverError(id, this.ownerRow(id));
        }
        this.statements.dropOwner.run(id, me.token);
      }),
    };
  }

  releaseRun(runId: string): void {
    this.owned.delete(runId);
    this.statements.dropOwner.run(runId, thisProcess().token);
  }

  runOwner(runId: string): RunOwner | undefined {
    const row = this.ownerRow(runId);
    return row === undefined ? undefined : ownerOf(row, this.staleMs);
  }

  /** The owner row of a run (a process row gone counts as a dead owner: heartbeat 0). */
  private ownerRow(runId: string): OwnerRow | undefined {
    return ownerRowOf(this.statements.owner.get(runId) as OwnerJoinRow | undefined);
  }

  private startHeartbeat(): void {
    if (this.heartbeat !== undefined) return;
    const token = thisProcess().token;
    this.heartbeat = setInterval(() => {
      if (this.owned.size === 0) {
        clearInterval(this.heartbeat);
        this.heartbeat = undefined;
        return;
      }
      try {
        this.statements.beat.run(Date.now(), token);
      } catch {
        // A heartbeat that cannot be written (disk full, busy) is tried again at the next tick;
        // on this host, liveness does not depend on it.
      }
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  journal(runId: string): JournalEntry[] {
    return (this.statements.journal.all(runId) as JournalRow[]).map(toEntry);
  }

  /** Bytes of journal data stored for a run (for measurements). */
  journalBytes(runId: string): number {
    return this.db.prepare("SELECT COALESCE(SUM(LENGTH(data) + LENGTH(path) + LENGTH(kind) + 24), 0) FROM journal WHERE run_id = ?").pluck().get(runId) as number;
  }

  /**
   * @internal The open database, for adapters that keep their own tables in the store's file
   * (the LangGraph checkpointer of `@blockwork/nodes/langgraph`), so that one process has one
   * writer connection to it.
   */
  get database(): Database.Database {
    return this.db;
  }

  /**
   * Closes the file. The runs this store object still owns are released first (best effort):
   * nothing more can be written for them through it, so another process may take them.
   */
  close(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (!this.db.open) return;
    if (this.owned.size > 0) {
      const token = thisProcess().token;
      try {
        this.db.transaction(() => {
          for (const runId of this.owned) this.statements.dropOwner.run(runId, token);
        })();
      } catch {
        // Released or not, this process stops writing; a dead owner's runs are taken over anyway.
      }
      this.owned.clear();
    }
    this.db.close();
  }

  async putBlob(content: BlobContent, options: BlobPutOptions = {}): Promise<BlobRecord> {
    const now = options.now ?? Date.now();
    const parts: Omit<ChunkPart, "bytes">[] = [];
    const sizes: number[] = [];
    // Chunks are written in transactions of about 4 MiB: one commit per chunk would be slow, and
    // one transaction for the whole blob cannot span the awaits of a stream.
    let pending: ChunkPart[] = [];
    let pendingBytes = 0;
    const flush = this.db.transaction((batch: ChunkPart[]) => {
      for (const part of batch) this.statements.putChunk.run(part.hash, part.bytes, part.bytes.length, now);
    });
    const written = await writeChunks(content, (part) => {
      pending.push(part);
      pendingBytes += part.bytes.length;
      parts.push({ hash: part.hash, start: part.start });
      sizes.push(part.bytes.length);
      if (pendingBytes >= 4 * 1024 * 1024) {
        flush(pending);
        pending = [];
        pendingBytes = 0;
      }
    });
    if (pending.length > 0) flush(pending);
    const mediaType = options.mediaType ?? DEFAULT_MEDIA_TYPE;
    this.db.transaction(() => {
      if (this.statements.blobInfo.get(written.hash) !== undefined) return;
      // A collection that ran while the chunks streamed in must not have taken any of them.
      for (const part of parts) {
        if (this.statements.hasChunk.get(part.hash) === undefined) throw new Error(`chunk ${part.hash} of blob ${written.hash} was collected while the blob was written; put it again`);
      }
      this.statements.putBlob.run(written.hash, written.size, mediaType, written.preview, parts.length, now);
      parts.forEach((part, idx) => this.statements.putPart.run(written.hash, idx, part.start, sizes[idx], part.hash));
    })();
    if (options.runId !== undefined) this.statements.link.run(options.runId, written.hash);
    return this.blobInfo(written.hash) as BlobRecord;
  }

  blobInfo(hash: string): BlobRecord | undefined {
    const row = this.statements.blobInfo.get(hash) as BlobRow | undefined;
    return row === undefined ? undefined : blobRecordOf(row);
  }

  async *readBlob(hash: string, range?: BlobRange): AsyncIterable<Uint8Array> {
    checkAddress(hash);
    const info = this.blobInfo(hash);
    if (info === undefined) throw new Error(`${this.file} has no blob ${hash}`);
    const { start, end } = clampRange(range, info.size);
    if (end <= start) return;
    const parts = this.statements.parts.all(hash, end, start) as StoredPart[];
    // substr on a BLOB counts bytes from 1, so only the asked-for bytes of a chunk leave SQLite.
    yield* readParts(parts, start, end, (chunk, offset, length) => toBytes(this.statements.readChunk.get(offset + 1, length, chunk)));
  }

  linkBlob(runId: string, hash: string): void {
    checkAddress(hash);
    this.statements.link.run(runId, hash);
  }

  blobsOf(runId: string): string[] {
    return this.statements.links.all(runId) as string[];
  }

  releaseBlobs(runId: string): number {
    return this.statements.release.run(runId).changes;
  }

  collectBlobs(options: BlobCollectOptions = {}): BlobCollectResult {
    const before = (options.now ?? Date.now()) - (options.graceMs ?? DEFAULT_GRACE_MS);
    return this.db.transaction(() => {
      const gone = this.statements.collectBlobs.all(before) as string[];
      for (const hash of gone) this.statements.dropParts.run(hash);
      const sizes = this.statements.collectChunks.all(before) as number[];
      return { blobs: gone.length, chunks: sizes.length, bytes: sizes.reduce((a, b) => a + b, 0) };
    })();
  }
}

interface BlobRow {
  hash: string;
  size: number;
  media_type: string;
  preview: string;
  chunks: number;
  created_at: number;
}

function blobRecordOf(row: BlobRow): BlobRecord {
  return { hash: row.hash, size: row.size, mediaType: row.media_type, preview: row.preview, chunks: row.chunks, createdAt: row.created_at };
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  return new Uint8Array(0);
}

function toEntry(row: JournalRow): JournalEntry {
  return entryOf(row, JSON.parse(row.data));
}

function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    graphId: row.graph_id,
    version: row.version,
    status: row.status,
    input: JSON.parse(row.input),
    ...(row.output !== null ? { output: JSON.parse(row.output) } : {}),
    ...(row.error !== null ? { error: JSON.parse(row.error) } : {}),
    ...(row.source !== null ? { source: JSON.parse(row.source) } : {}),
    ...(row.trace !== null && row.trace !== undefined ? { trace: row.trace } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
