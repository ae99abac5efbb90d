import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { GraphDef } from "@blockwork/spec";
import Database from "better-sqlite3";
import { dataOf, type EntryColumns, entryOf } from "./entry-data.js";
import type { JournalEntry, RunPatch, RunQuery, RunRecord, Store } from "./store.js";

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * `normal` (default): WAL with synchronous=NORMAL. A committed entry survives the process being
   * killed; after a power loss the last few commits may be lost. `full`: every commit is synced to
   * disk as well (slower, survives power loss).
   */
  readonly sync?: "normal" | "full";
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
];

interface RunRow {
  id: string;
  graph_id: string;
  version: string;
  status: RunRecord["status"];
  input: string;
  output: string | null;
  error: string | null;
  source: string | null;
  created_at: number;
  updated_at: number;
}

interface JournalRow extends EntryColumns {
  readonly data: string;
}

/**
 * Runs and journals in one SQLite file (WAL mode): the embedded default. One writer process at a
 * time; appends are synchronous, so an entry is on disk (in the WAL) when `append` returns.
 */
export class SqliteStore implements Store {
  readonly durable = true;
  readonly file: string;
  private readonly db: Database.Database;
  private readonly statements: ReturnType<SqliteStore["prepare"]>;

  constructor(file: string, options: SqliteStoreOptions = {}) {
    this.file = file;
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${options.sync === "full" ? "FULL" : "NORMAL"}`);
    this.db.pragma("busy_timeout = 5000");
    this.migrate();
    this.statements = this.prepare();
  }

  private migrate(): void {
    const applied = this.db.pragma("user_version", { simple: true }) as number;
    if (applied > MIGRATIONS.length) {
      throw new Error(`${this.file} was written by a newer Blockwork (schema version ${applied}; this one knows ${MIGRATIONS.length}).`);
    }
    this.db.transaction(() => {
      for (let i = applied; i < MIGRATIONS.length; i++) this.db.exec(MIGRATIONS[i] as string);
      this.db.pragma(`user_version = ${MIGRATIONS.length}`);
    })();
  }

  private prepare() {
    return {
      saveGraph: this.db.prepare("INSERT OR IGNORE INTO graphs (version, graph_id, def) VALUES (?, ?, ?)"),
      getGraph: this.db.prepare("SELECT def FROM graphs WHERE version = ?").pluck(),
      createRun: this.db.prepare(
        "INSERT INTO runs (id, graph_id, version, status, input, output, error, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      getRun: this.db.prepare("SELECT * FROM runs WHERE id = ?"),
      listAll: this.db.prepare("SELECT * FROM runs ORDER BY created_at DESC, id DESC LIMIT ?"),
      listByStatus: this.db.prepare("SELECT * FROM runs WHERE status = ? ORDER BY created_at DESC, id DESC LIMIT ?"),
      finishRun: this.db.prepare("UPDATE runs SET status = ?, output = ?, error = ?, updated_at = ? WHERE id = ?"),
      updateRun: this.db.prepare(
        "UPDATE runs SET status = COALESCE(?, status), version = COALESCE(?, version), source = COALESCE(?, source), updated_at = ? WHERE id = ? AND status IN ('running', 'suspended')",
      ),
      append: this.db.prepare("INSERT INTO journal (run_id, seq, kind, path, act, attempt, at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
      journal: this.db.prepare("SELECT seq, kind, path, act, attempt, at, data FROM journal WHERE run_id = ? ORDER BY seq"),
    };
  }

  saveGraph(version: string, def: GraphDef): void {
    this.statements.saveGraph.run(version, def.id, JSON.stringify(def));
  }

  getGraph(version: string): GraphDef | undefined {
    const text = this.statements.getGraph.get(version) as string | undefined;
    return text === undefined ? undefined : (JSON.parse(text) as GraphDef);
  }

  createRun(run: RunRecord): void {
    this.statements.createRun.run(
      run.id,
      run.graphId,
      run.version,
      run.status,
      JSON.stringify(run.input),
      run.output === undefined ? null : JSON.stringify(run.output),
      run.error === undefined ? null : JSON.stringify(run.error),
      run.source === undefined ? null : JSON.stringify(run.source),
      run.createdAt,
      run.updatedAt,
    );
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
    const result = this.statements.finishRun.run(
      outcome.status,
      outcome.output === undefined ? null : JSON.stringify(outcome.output),
      outcome.error === undefined ? null : JSON.stringify(outcome.error),
      outcome.updatedAt,
      id,
    );
    if (result.changes === 0) throw new Error(`run ${id} is not in ${this.file}`);
  }

  updateRun(id: string, patch: RunPatch): void {
    this.statements.updateRun.run(patch.status ?? null, patch.version ?? null, patch.source ? JSON.stringify(patch.source) : null, patch.updatedAt, id);
  }

  append(runId: string, entry: JournalEntry): void {
    this.statements.append.run(runId, entry.seq, entry.kind, entry.path, entry.act, entry.attempt, entry.at, JSON.stringify(dataOf(entry)));
  }

  journal(runId: string): JournalEntry[] {
    return (this.statements.journal.all(runId) as JournalRow[]).map(toEntry);
  }

  /** Bytes of journal data stored for a run (for measurements). */
  journalBytes(runId: string): number {
    return this.db.prepare("SELECT COALESCE(SUM(LENGTH(data) + LENGTH(path) + LENGTH(kind) + 24), 0) FROM journal WHERE run_id = ?").pluck().get(runId) as number;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
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
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
