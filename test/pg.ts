import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { afterAll } from "vitest";
import { PostgresStore, type PostgresStoreOptions } from "@blockwork/core";

/**
 * PostgreSQL for tests: 127.0.0.1:5432, trust auth, database `test` (`.ci/run` starts the server),
 * or `BLOCKWORK_TEST_PG`. Each test file gets its own schemas, dropped after the file. When the
 * server is unreachable the tests fail with a message that says how to start it: never skip.
 */
export const PG_URL = process.env["BLOCKWORK_TEST_PG"] ?? "postgres://postgres@127.0.0.1:5432/test";

const created: { schema: string; stores: PostgresStore[] }[] = [];
let checked: Promise<void> | undefined;

/** Fails with a clear message when the test database is not reachable. */
export function requirePostgres(): Promise<void> {
  checked ??= (async () => {
    const client = new Client({ connectionString: PG_URL, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
    } catch (error) {
      throw new Error(
        `PostgreSQL is not reachable at ${PG_URL} (${error instanceof Error ? error.message : String(error)}). ` +
          "These tests need it: start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` " +
          "(.ci/run does this), create the database with `createdb -h 127.0.0.1 -U postgres test`, or point BLOCKWORK_TEST_PG at another server.",
      );
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return checked;
}

/** A fresh schema name for this test file (lowercase, unique across parallel test processes). */
export function schemaName(prefix: string): string {
  const schema = `t_${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;
  created.push({ schema, stores: [] });
  return schema;
}

/** A store on a fresh schema (or on `schema`), closed and dropped after the file. */
export function pgStore(prefix: string, options: PostgresStoreOptions & { schema?: string } = {}): PostgresStore {
  const schema = options.schema ?? schemaName(prefix);
  const store = new PostgresStore(PG_URL, { ...options, schema });
  const entry = created.find((c) => c.schema === schema) ?? { schema, stores: [] };
  if (!created.includes(entry)) created.push(entry);
  entry.stores.push(store);
  return store;
}

/** A plain client for assertions and fixtures (closed after the file). */
export async function pgClient(): Promise<Client> {
  await requirePostgres();
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  clients.push(client);
  return client;
}
const clients: Client[] = [];

afterAll(async () => {
  for (const { stores } of created) for (const store of stores) await store.close().catch(() => undefined);
  if (created.length > 0) {
    const client = new Client({ connectionString: PG_URL });
    try {
      await client.connect();
      for (const { schema } of created.splice(0)) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } catch {
      // Unreachable: requirePostgres already failed the tests with the reason.
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  for (const client of clients.splice(0)) await client.end().catch(() => undefined);
}, 60_000);
