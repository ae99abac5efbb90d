import type { PoolClient } from "pg";
import { RunError } from "../errors.js";
import { postgresMemoryMigration } from "../memory/postgres-memory.js";
import type { Tables } from "./postgres-tables.js";

export { type Tables, tablesOf } from "./postgres-tables.js";

/**
 * Versioned migrations: `migrations` holds one row per applied version. Append new versions at the
 * end; never edit an applied one (stores already migrated would not see the change).
 */
const MIGRATIONS: readonly { readonly name: string; readonly sql: (t: Tables) => string }[] = [
  {
    name: "runs, journal and tasks",
    sql: (t) => `
      CREATE TABLE ${t.graphs} (version text PRIMARY KEY, graph_id text NOT NULL, def json NOT NULL);
      CREATE TABLE ${t.runs} (
        id text PRIMARY KEY, graph_id text NOT NULL, version text NOT NULL,
        status text NOT NULL,
        input json NOT NULL, output json, error json, source json,
        created_at bigint NOT NULL, updated_at bigint NOT NULL,
        -- The journal's last sequence number: lets a completion check in one statement that the
        -- journal did not grow since its task started.
        last_seq integer NOT NULL DEFAULT 0);
      CREATE INDEX runs_newest ON ${t.runs} (created_at DESC, id DESC);
      CREATE INDEX runs_by_status ON ${t.runs} (status, created_at DESC, id DESC);
      CREATE TABLE ${t.journal} (
        run_id text NOT NULL REFERENCES ${t.runs} (id) ON DELETE CASCADE,
        seq integer NOT NULL CHECK (seq > 0),
        kind text NOT NULL,
        path text NOT NULL, act integer NOT NULL, attempt integer NOT NULL, at bigint NOT NULL, data json NOT NULL,
        PRIMARY KEY (run_id, seq));
      -- An activation of a block is decided once: whatever a worker does, the journal can never
      -- hold two outcomes (completed, failed and routed, failed as a map item, restarted) of one
      -- (run, path, act), nor one failed attempt twice. Other kinds (suspended, resumed) may repeat
      -- within an activation. Statuses and kinds are not listed in CHECKs: the code owns them.
      CREATE UNIQUE INDEX journal_decided_once ON ${t.journal} (run_id, path, act)
        WHERE kind IN ('block.completed', 'block.failed', 'item.failed', 'block.restarted');
      CREATE UNIQUE INDEX journal_attempt_once ON ${t.journal} (run_id, path, act, attempt) WHERE kind = 'attempt.failed';
      -- The ready tasks of runs that workers execute: one row per ready block activation (key
      -- "<path>#<act>"), leased by one worker at a time until lease_until (database clock).
      CREATE TABLE ${t.tasks} (
        run_id text NOT NULL REFERENCES ${t.runs} (id) ON DELETE CASCADE,
        key text NOT NULL, path text NOT NULL, act integer NOT NULL, attempt integer NOT NULL,
        not_before bigint NOT NULL, run_created bigint NOT NULL,
        lease_owner text, lease_token uuid, lease_until timestamptz, claims integer NOT NULL DEFAULT 0, claimed_at bigint,
        PRIMARY KEY (run_id, key));
      -- Claim order: oldest run first, so that runs finish rather than all advancing in lockstep.
      CREATE INDEX tasks_queue ON ${t.tasks} (run_created, run_id, key);
      CREATE INDEX tasks_owner ON ${t.tasks} (lease_owner) WHERE lease_owner IS NOT NULL;`,
  },
  {
    // Additive: nothing of version 1 changes.
    name: "blob store and block steps",
    sql: (t) => `
      -- Chunks by their own sha-256 (shared between blobs); blobs as lists of chunks; the runs
      -- that reference each blob. No foreign key from links to runs or blobs: a blob may be put
      -- before the run that uses it exists, and a link may name a blob still being written.
      CREATE TABLE ${t.blobChunks} (hash text PRIMARY KEY, data bytea NOT NULL, size integer NOT NULL, touched_at bigint NOT NULL);
      CREATE TABLE ${t.blobs} (hash text PRIMARY KEY, size bigint NOT NULL, media_type text NOT NULL, preview text NOT NULL, chunks integer NOT NULL, created_at bigint NOT NULL);
      CREATE TABLE ${t.blobParts} (
        blob text NOT NULL REFERENCES ${t.blobs} (hash) ON DELETE CASCADE,
        idx integer NOT NULL, start bigint NOT NULL, length integer NOT NULL, chunk text NOT NULL,
        PRIMARY KEY (blob, idx));
      CREATE INDEX blob_parts_chunk ON ${t.blobParts} (chunk);
      CREATE TABLE ${t.blobLinks} (run_id text NOT NULL, blob text NOT NULL, PRIMARY KEY (run_id, blob));
      CREATE INDEX blob_links_blob ON ${t.blobLinks} (blob);
      -- A step of a block attempt is recorded once, whatever the workers do.
      CREATE UNIQUE INDEX journal_step_once ON ${t.journal} (run_id, path, act, attempt, (data->>'step')) WHERE kind = 'step.completed';`,
  },
  {
    // Additive: the owner of a run executed by run() in one process (workers lease tasks instead).
    name: "run owners",
    sql: (t) => `
      CREATE TABLE ${t.processes} (token text PRIMARY KEY, pid integer NOT NULL, host text NOT NULL, started text NOT NULL, claimed_at bigint NOT NULL, heartbeat_at bigint NOT NULL);
      CREATE TABLE ${t.runOwners} (run_id text PRIMARY KEY REFERENCES ${t.runs} (id) ON DELETE CASCADE, token text NOT NULL, claimed_at bigint NOT NULL);
      CREATE INDEX run_owners_token ON ${t.runOwners} (token);`,
  },
  // Additive: agent memory (see docs/memory.md).
  { name: "agent memory", sql: postgresMemoryMigration },
  // Additive: a run's trace context (a W3C traceparent; docs/observability.md), so that a resume continues its trace.
  { name: "run trace context", sql: (t) => `ALTER TABLE ${t.runs} ADD COLUMN trace text;` },
];

/**
 * Creates the schema and applies the migrations it lacks, in one transaction under an advisory
 * lock, so that many workers starting at once migrate it exactly once.
 */
export async function migrate(client: PoolClient, t: Tables, where: string): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`blockwork:${t.schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${t.schema}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${t.migrations} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${t.migrations}`);
    const applied = rows[0]?.version ?? 0;
    if (applied > MIGRATIONS.length) {
      throw new RunError({
        code: "store_invalid",
        message: `schema "${t.schema}" at ${where} was migrated by a newer Blockwork (schema version ${applied}; this one knows ${MIGRATIONS.length}): upgrade @blockwork/core on this machine`,
      });
    }
    for (let version = applied + 1; version <= MIGRATIONS.length; version++) {
      const migration = MIGRATIONS[version - 1] as (typeof MIGRATIONS)[number];
      await client.query(migration.sql(t));
      await client.query(`INSERT INTO ${t.migrations} (version, name) VALUES ($1, $2)`, [version, migration.name]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
