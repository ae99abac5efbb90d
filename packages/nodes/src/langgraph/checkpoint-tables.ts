// The tables of BlockworkCheckpointSaver, in a SqliteStore's file or a PostgresStore's schema.
import type { PostgresStore, SqliteStore } from "@blockwork/core";

/** One stored checkpoint (without its channel values, which are stored per channel version). */
export interface CheckpointRow {
  readonly thread: string;
  readonly ns: string;
  readonly id: string;
  readonly parent: string | null;
  readonly type: string;
  readonly checkpoint: Uint8Array;
  readonly metadata: Uint8Array;
}

/** A channel's value at one version (`type` "empty": the channel was cleared). */
export interface ChannelValueRow {
  readonly channel: string;
  readonly version: string;
  readonly type: string;
  readonly value: Uint8Array | null;
}

/** One pending write of a task against a checkpoint. */
export interface WriteRow {
  readonly task: string;
  readonly idx: number;
  readonly channel: string;
  readonly type: string;
  readonly value: Uint8Array;
}

/** What to list: all given fields must match; `before` is exclusive. Newest first. */
export interface CheckpointQuery {
  readonly thread?: string;
  readonly ns?: string;
  readonly id?: string;
  readonly before?: string;
}

/** The storage BlockworkCheckpointSaver needs, over SQLite or PostgreSQL. */
export interface CheckpointTables {
  checkpoint(thread: string, ns: string, id: string | undefined): Promise<CheckpointRow | undefined>;
  checkpoints(query: CheckpointQuery): Promise<CheckpointRow[]>;
  channelValues(thread: string, ns: string, wanted: readonly { channel: string; version: string }[]): Promise<ChannelValueRow[]>;
  /** Writes against a checkpoint in (task id, idx) order. */
  writes(thread: string, ns: string, id: string): Promise<WriteRow[]>;
  /** Stores a checkpoint and its channel values in one transaction. */
  put(row: CheckpointRow, values: readonly ChannelValueRow[]): Promise<void>;
  /** `replace`: a write at an existing (task, idx) replaces it; otherwise the first one stays. */
  putWrites(thread: string, ns: string, id: string, rows: readonly WriteRow[], replace: boolean): Promise<void>;
  deleteThread(thread: string): Promise<void>;
}

const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS lg_checkpoints (
  thread_id TEXT NOT NULL, checkpoint_ns TEXT NOT NULL, checkpoint_id TEXT NOT NULL, parent_id TEXT,
  type TEXT NOT NULL, checkpoint BLOB NOT NULL, metadata BLOB NOT NULL,
  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lg_channel_values (
  thread_id TEXT NOT NULL, checkpoint_ns TEXT NOT NULL, channel TEXT NOT NULL, version TEXT NOT NULL,
  type TEXT NOT NULL, value BLOB,
  PRIMARY KEY (thread_id, checkpoint_ns, channel, version)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lg_writes (
  thread_id TEXT NOT NULL, checkpoint_ns TEXT NOT NULL, checkpoint_id TEXT NOT NULL, task_id TEXT NOT NULL,
  idx INTEGER NOT NULL, channel TEXT NOT NULL, type TEXT NOT NULL, value BLOB NOT NULL,
  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)) WITHOUT ROWID;`;

const COLUMNS = "thread_id AS thread, checkpoint_ns AS ns, checkpoint_id AS id, parent_id AS parent, type, checkpoint, metadata";

/** The tables in a SqliteStore's file (created on first use; synchronous underneath). */
export function sqliteTables(db: SqliteStore["database"]): CheckpointTables {
  db.exec(SQLITE_SCHEMA);
  const latest = db.prepare(`SELECT ${COLUMNS} FROM lg_checkpoints WHERE thread_id = ? AND checkpoint_ns = ? ORDER BY checkpoint_id DESC LIMIT 1`);
  const exact = db.prepare(`SELECT ${COLUMNS} FROM lg_checkpoints WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?`);
  const value = db.prepare("SELECT channel, version, type, value FROM lg_channel_values WHERE thread_id = ? AND checkpoint_ns = ? AND channel = ? AND version = ?");
  const writes = db.prepare("SELECT task_id AS task, idx, channel, type, value FROM lg_writes WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? ORDER BY task_id, idx");
  const putCheckpoint = db.prepare(
    "INSERT OR REPLACE INTO lg_checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_id, type, checkpoint, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const putValue = db.prepare("INSERT OR IGNORE INTO lg_channel_values (thread_id, checkpoint_ns, channel, version, type, value) VALUES (?, ?, ?, ?, ?, ?)");
  const insertWrite = db.prepare("INSERT OR IGNORE INTO lg_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  const replaceWrite = db.prepare("INSERT OR REPLACE INTO lg_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  const put = db.transaction((row: CheckpointRow, values: readonly ChannelValueRow[]) => {
    for (const v of values) putValue.run(row.thread, row.ns, v.channel, v.version, v.type, v.value);
    putCheckpoint.run(row.thread, row.ns, row.id, row.parent, row.type, row.checkpoint, row.metadata);
  });
  const putWrites = db.transaction((thread: string, ns: string, id: string, rows: readonly WriteRow[], replace: boolean) => {
    for (const w of rows) (replace ? replaceWrite : insertWrite).run(thread, ns, id, w.task, w.idx, w.channel, w.type, w.value);
  });
  const deleteThread = db.transaction((thread: string) => {
    for (const table of ["lg_checkpoints", "lg_channel_values", "lg_writes"]) db.prepare(`DELETE FROM ${table} WHERE thread_id = ?`).run(thread);
  });
  return {
    async checkpoint(thread, ns, id) {
      return (id === undefined ? latest.get(thread, ns) : exact.get(thread, ns, id)) as CheckpointRow | undefined;
    },
    async checkpoints(query) {
      const { where, params } = whereOf(query, () => "?");
      return db.prepare(`SELECT ${COLUMNS} FROM lg_checkpoints ${where} ORDER BY checkpoint_id DESC`).all(...params) as CheckpointRow[];
    },
    async channelValues(thread, ns, wanted) {
      return wanted.map((w) => value.get(thread, ns, w.channel, w.version) as ChannelValueRow | undefined).filter((v) => v !== undefined);
    },
    async writes(thread, ns, id) {
      return writes.all(thread, ns, id) as WriteRow[];
    },
    async put(row, values) {
      put(row, values);
    },
    async putWrites(thread, ns, id, rows, replace) {
      putWrites(thread, ns, id, rows, replace);
    },
    async deleteThread(thread) {
      deleteThread(thread);
    },
  };
}

function whereOf(query: CheckpointQuery, param: (n: number) => string): { where: string; params: string[] } {
  const clauses: string[] = [];
  const params: string[] = [];
  const add = (clause: string, value: string) => {
    params.push(value);
    clauses.push(`${clause} ${param(params.length)}`);
  };
  if (query.thread !== undefined) add("thread_id =", query.thread);
  if (query.ns !== undefined) add("checkpoint_ns =", query.ns);
  if (query.id !== undefined) add("checkpoint_id =", query.id);
  if (query.before !== undefined) add("checkpoint_id <", query.before);
  return { where: clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "", params };
}

/** The tables in a PostgresStore's schema (created on first use, once however many savers start at once). */
export function pgTables(store: PostgresStore): CheckpointTables {
  const q = (name: string) => `"${store.schema}"."${name}"`;
  const [checkpoints, values, writesTable] = [q("lg_checkpoints"), q("lg_channel_values"), q("lg_writes")];
  let ready: Promise<void> | undefined;
  const setup = () => {
    ready ??= store.transaction(async (client) => {
      // CREATE TABLE IF NOT EXISTS races with itself in PostgreSQL: serialise the creators.
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`${store.schema}.lg_checkpoints`]);
      await client.query(`
        CREATE TABLE IF NOT EXISTS ${checkpoints} (
          thread_id TEXT NOT NULL, checkpoint_ns TEXT NOT NULL, checkpoint_id TEXT NOT NULL, parent_id TEXT,
          type TEXT NOT NULL, checkpoint BYTEA NOT NULL, metadata BYTEA NOT NULL,
          PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id));
        CREATE TABLE IF NOT EXISTS ${values} (
          thread_id TEXT NOT NULL, checkpoint_ns TEXT NOT NULL, channel TEXT NOT NULL, version TEXT NOT NULL,
          type TEXT NOT NULL, value BYTEA,
          PRIMARY KEY (thread_id, checkpoint_ns, channel, version));
        CREATE TABLE IF NOT EXISTS ${writesTable} (
          thread_id TEXT NOT NULL, checkpoint_ns TEXT NOT NULL, checkpoint_id TEXT NOT NULL, task_id TEXT NOT NULL,
          idx INTEGER NOT NULL, channel TEXT NOT NULL, type TEXT NOT NULL, value BYTEA NOT NULL,
          PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx));`);
    });
    ready.catch(() => (ready = undefined));
    return ready;
  };
  const query = async <R extends object>(sql: string, params: readonly unknown[]) => {
    await setup();
    return store.query<R>(sql, params);
  };
  // ORDER BY … COLLATE "C": checkpoint ids (uuid6) and task ids compare by bytes, as in SQLite.
  return {
    async checkpoint(thread, ns, id) {
      const rows =
        id === undefined
          ? await query<CheckpointRow>(`SELECT ${COLUMNS} FROM ${checkpoints} WHERE thread_id = $1 AND checkpoint_ns = $2 ORDER BY checkpoint_id COLLATE "C" DESC LIMIT 1`, [thread, ns])
          : await query<CheckpointRow>(`SELECT ${COLUMNS} FROM ${checkpoints} WHERE thread_id = $1 AND checkpoint_ns = $2 AND checkpoint_id = $3`, [thread, ns, id]);
      return rows[0];
    },
    async checkpoints(query_) {
      const { where, params } = whereOf(query_, (n) => `$${n}`);
      return query<CheckpointRow>(`SELECT ${COLUMNS} FROM ${checkpoints} ${where.replace("checkpoint_id <", 'checkpoint_id COLLATE "C" <')} ORDER BY checkpoint_id COLLATE "C" DESC`, params);
    },
    async channelValues(thread, ns, wanted) {
      if (wanted.length === 0) return [];
      return query<ChannelValueRow>(
        `SELECT v.channel, v.version, v.type, v.value FROM ${values} v JOIN unnest($3::text[], $4::text[]) AS w(channel, version) ON v.channel = w.channel AND v.version = w.version
         WHERE v.thread_id = $1 AND v.checkpoint_ns = $2`,
        [thread, ns, wanted.map((w) => w.channel), wanted.map((w) => w.version)],
      );
    },
    async writes(thread, ns, id) {
      return query<WriteRow>(`SELECT task_id AS task, idx, channel, type, value FROM ${writesTable} WHERE thread_id = $1 AND checkpoint_ns = $2 AND checkpoint_id = $3 ORDER BY task_id COLLATE "C", idx`, [
        thread,
        ns,
        id,
      ]);
    },
    async put(row, channelValues) {
      await setup();
      await store.transaction(async (client) => {
        for (const v of channelValues) {
          await client.query(`INSERT INTO ${values} (thread_id, checkpoint_ns, channel, version, type, value) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, [
            row.thread,
            row.ns,
            v.channel,
            v.version,
            v.type,
            v.value === null ? null : Buffer.from(v.value),
          ]);
        }
        await client.query(
          `INSERT INTO ${checkpoints} (thread_id, checkpoint_ns, checkpoint_id, parent_id, type, checkpoint, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET parent_id = excluded.parent_id, type = excluded.type, checkpoint = excluded.checkpoint, metadata = excluded.metadata`,
          [row.thread, row.ns, row.id, row.parent, row.type, Buffer.from(row.checkpoint), Buffer.from(row.metadata)],
        );
      });
    },
    async putWrites(thread, ns, id, rows, replace) {
      await setup();
      const conflict = replace ? "DO UPDATE SET channel = excluded.channel, type = excluded.type, value = excluded.value" : "DO NOTHING";
      await store.transaction(async (client) => {
        for (const w of rows) {
          await client.query(
            `INSERT INTO ${writesTable} (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) ${conflict}`,
            [thread, ns, id, w.task, w.idx, w.channel, w.type, Buffer.from(w.value)],
          );
        }
      });
    },
    async deleteThread(thread) {
      await setup();
      await store.transaction(async (client) => {
        for (const table of [checkpoints, values, writesTable]) await client.query(`DELETE FROM ${table} WHERE thread_id = $1`, [thread]);
      });
    },
  };
}
