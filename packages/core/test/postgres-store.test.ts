import { beforeAll, describe, expect, it } from "vitest";
import { PostgresStore, type RunRecord } from "../src/index.js";
import { PG_URL, pgClient, pgStore, requirePostgres, schemaName } from "../../../test/pg.js";

// What the PostgreSQL store adds to the conformance suite: its migrations, the schema's own
// guarantees, connection strings and errors, and surviving dropped connections.
const record = (id: string): RunRecord => ({ id, graphId: "g", version: "v1", status: "running", input: {}, createdAt: 1, updatedAt: 1 });
const completed = (seq: number, path = "a") => ({ seq, kind: "block.completed" as const, path, act: 1, attempt: 1, at: seq, output: { n: seq } });

beforeAll(() => requirePostgres());

describe("PostgresStore migrations", () => {
  it("creates its schema once when many stores connect at the same moment, and reopens it", async () => {
    const schema = schemaName("migrate");
    const stores = Array.from({ length: 5 }, () => pgStore("migrate", { schema }));
    await Promise.all(stores.map((s) => s.connect()));
    const db = await pgClient();
    const { rows } = await db.query(`SELECT version, name FROM "${schema}".migrations ORDER BY version`);
    expect(rows).toEqual([
      { version: 1, name: "runs, journal and tasks" },
      { version: 2, name: "blob store and block steps" },
      { version: 3, name: "run owners" },
      { version: 4, name: "agent memory" },
      { version: 5, name: "run trace context" },
    ]);
    const again = pgStore("migrate", { schema });
    await again.createRun(record("r"));
    expect((await stores[0]?.getRun("r"))?.id).toBe("r");
  });

  it("refuses a schema migrated by a newer Blockwork", async () => {
    const schema = schemaName("newer");
    await pgStore("newer", { schema }).connect();
    const db = await pgClient();
    await db.query(`INSERT INTO "${schema}".migrations (version, name) VALUES (99, 'from the future')`);
    await expect(pgStore("newer", { schema }).getRun("x")).rejects.toMatchObject({ code: "store_invalid", message: expect.stringMatching(/newer Blockwork \(schema version 99; this one knows 5\)/) });
  });

  it("migrates a schema at version 1 (before blobs) without losing its runs", async () => {
    const schema = schemaName("v1");
    const first = pgStore("v1", { schema });
    await first.createRun(record("old"));
    await first.append("old", completed(1));
    await first.close();
    // Back to version 1 exactly: versions 2 to 5 only added tables, indexes and a column.
    const db = await pgClient();
    await db.query(`ALTER TABLE "${schema}".runs DROP COLUMN trace; DELETE FROM "${schema}".migrations WHERE version = 5`);
    await db.query(`DROP TABLE "${schema}".memory_scopes, "${schema}".memory_batches, "${schema}".memory_items; DELETE FROM "${schema}".migrations WHERE version = 4`);
    await db.query(`DROP TABLE "${schema}".blob_chunks, "${schema}".blob_parts, "${schema}".blobs, "${schema}".blob_links; DROP INDEX "${schema}".journal_step_once; DROP TABLE "${schema}".run_owners, "${schema}".processes; DELETE FROM "${schema}".migrations WHERE version >= 2`);
    const store = pgStore("v1", { schema });
    expect(await store.getRun("old")).toMatchObject({ id: "old" });
    expect(await store.journal("old")).toEqual([completed(1)]);
    const put = await store.putBlob("after the migration", { runId: "old" });
    expect(await store.blobsOf("old")).toEqual([put.hash]);
    await store.memory.apply("s", { key: "k", basedOn: 0, ops: [] });
    const { rows } = await db.query(`SELECT max(version) AS v FROM "${schema}".migrations`);
    expect(rows[0].v).toBe(5);
  });

  it("records a block step once, whatever its sequence number", async () => {
    const store = pgStore("steps");
    await store.createRun(record("r"));
    const step = { seq: 1, kind: "step.completed" as const, path: "a", act: 1, attempt: 1, at: 1, step: "cell#1", result: { ok: true } };
    await store.append("r", step);
    await expect(store.append("r", { ...step, seq: 2 })).rejects.toThrow(/journal_step_once/);
    await store.append("r", { ...step, seq: 3, attempt: 2 });
  });
});

describe("the journal schema", () => {
  it("never holds two outcomes of one block activation, whatever their sequence numbers", async () => {
    const store = pgStore("unique");
    await store.createRun(record("r"));
    await store.append("r", completed(1));
    await expect(store.append("r", completed(2))).rejects.toThrow(/journal_decided_once/);
    await expect(store.append("r", { ...completed(2), kind: "block.failed", error: { why: "x" } })).rejects.toThrow(/journal_decided_once/);
    const failedAttempt = { seq: 2, kind: "attempt.failed" as const, path: "b", act: 1, attempt: 1, at: 2, delayMs: 5, error: { code: "block_failed" as const, message: "x" } };
    await store.append("r", failedAttempt);
    await expect(store.append("r", { ...failedAttempt, seq: 3 })).rejects.toThrow(/journal_attempt_once/);
    await store.append("r", { ...failedAttempt, seq: 3, attempt: 2 });
    expect((await store.journal("r")).map((e) => e.seq)).toEqual([1, 2, 3]);
    // Suspending and resuming do not decide an activation: they may repeat before its outcome.
    const at = { path: "h", act: 1, attempt: 1, at: 9 };
    await store.append("r", { ...at, seq: 4, kind: "block.suspended", payload: { ask: 1 } });
    await store.append("r", { ...at, seq: 5, kind: "block.resumed", data: { ok: false } });
    await store.append("r", { ...at, seq: 6, kind: "block.suspended", payload: { ask: 2 } });
    await store.append("r", { ...at, seq: 7, kind: "block.resumed", data: { ok: true } });
    await store.append("r", { ...at, seq: 8, kind: "block.completed", output: {} });
    await expect(store.append("r", { ...at, seq: 9, kind: "block.completed", output: {} })).rejects.toThrow(/journal_decided_once/);
  });

  it("keeps stores on different schemas apart (the schema option and the connection string's schema parameter)", async () => {
    const a = pgStore("apart");
    const schema = schemaName("apart");
    const b = new PostgresStore(`${PG_URL}?schema=${schema}`);
    pgStore("apart", { schema }); // dropped after the file
    await a.createRun(record("same-id"));
    await b.createRun(record("same-id"));
    await b.finishRun("same-id", { status: "completed", output: [1, "two"], updatedAt: 5 });
    expect((await a.getRun("same-id"))?.status).toBe("running");
    expect(await b.getRun("same-id")).toMatchObject({ status: "completed", output: [1, "two"] });
    expect(b.schema).toBe(schema);
    await b.close();
  });
});

describe("connection strings and errors", () => {
  it("explains a malformed connection string or schema name", () => {
    expect(() => new PostgresStore("mysql://localhost/db")).toThrow(/is not a PostgreSQL connection string; expected postgres:\/\/user:password@host:5432\/database/);
    expect(() => new PostgresStore("postgres://localhost")).toThrow(/names no database/);
    expect(() => new PostgresStore(`${PG_URL}?schema=Bad-Name`)).toThrow(/schema name "Bad-Name" is not allowed/);
    expect(() => new PostgresStore("postgres://u:hunter2@[bad/db")).toThrow(/postgres:\/\/u:\*\*\*@/);
  });

  it("says where and why it cannot connect, without the password", async () => {
    const store = new PostgresStore("postgres://bob:hunter2@127.0.0.1:1/test", { connectTimeoutMs: 2_000 });
    const error = await store.getRun("x").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "store_unavailable", message: expect.stringMatching(/cannot connect to PostgreSQL at postgres:\/\/bob:\*\*\*@127\.0\.0\.1:1\/test: connection refused/) });
    expect(String((error as Error).message)).not.toContain("hunter2");
    const missing = new PostgresStore(PG_URL.replace(/\/[^/]+$/, "/no_such_database_here"));
    await expect(missing.connect()).rejects.toMatchObject({ code: "store_unavailable", message: expect.stringMatching(/does not exist: create it/) });
    await store.close();
    await missing.close();
  });

  it("goes on after the server drops its connections (as in a restart), LISTEN included", async () => {
    const name = `bw_drop_${process.pid}`;
    const schema = schemaName("drop");
    const store = new PostgresStore(`${PG_URL}?application_name=${name}`, { schema });
    await store.createRun(record("r"));
    const db = await pgClient();
    const notices: (string | undefined)[] = [];
    const unsubscribe = store.subscribe("runs", (payload) => notices.push(payload));
    const arrives = async (payload: string | undefined, send: boolean) => {
      for (let i = 0; i < 500 && !notices.includes(payload); i++) {
        if (send) await db.query("SELECT pg_notify($1, $2)", [store.tables.runsChannel, payload]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(notices).toContain(payload);
    };
    await arrives("before", true);
    const { rows } = await db.query("SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1", [name]);
    expect(rows[0].n).toBeGreaterThanOrEqual(2);
    // The pool's idle connection died; the next query gets a new one (one retry at most).
    const read = () => store.getRun("r");
    expect((await read().catch(read))?.id).toBe("r");
    // The LISTEN connection comes back and tells its subscribers to re-read (notices may have been missed).
    await arrives(undefined, false);
    await arrives("after", true);
    unsubscribe();
    await store.close();
  });
});
