import { startWorker, submitRun, type Worker } from "@blockwork/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PG_URL, pgClient, pgStore, requirePostgres, schemaName } from "../../../test/pg.js";
import { cli, root } from "./capture.js";
import { slowGraph } from "./fixtures/slow.graph.js";

// `run` and `runs` against PostgreSQL: the CLI submits and follows; a worker (here in the test
// process) executes. The fault test runs real `blockwork worker` processes.
const store = pgStore("cli");
const url = `${PG_URL}?schema=${store.schema}`;
let worker: Worker;

beforeAll(async () => {
  await requirePostgres();
  worker = await startWorker({ store, graphs: [slowGraph], pollMs: 50 });
});
afterAll(() => worker.stop({ graceMs: 0 }));

describe("blockwork run and runs on PostgreSQL", () => {
  it("submits a run to the workers, follows it, and lists, shows and watches it", async () => {
    const ran = await cli(["run", "packages/cli/test/fixtures/slow.graph.ts", "--input", '{"n": 1}', "--store", url, "--summary"]);
    expect(ran).toMatchObject({ code: 0 });
    expect(JSON.parse(ran.out)).toEqual({ n: 6 });
    expect(ran.err).toMatch(/submitted run [0-9a-f-]{36} to the workers at postgres:\/\/postgres@127\.0\.0\.1:5432\/test \(schema t_cli_\w+\); following it/);
    expect(ran.err).toMatch(/completed five/);
    expect(ran.err).toMatch(/journal: 5 entries \(5 blocks completed/);
    const id = /submitted run ([0-9a-f-]{36})/.exec(ran.err)?.[1] as string;
    expect(worker.stats.runsCompleted).toBeGreaterThanOrEqual(1);

    const list = await cli(["runs", "list", "--store", url]);
    expect(list.out).toMatch(new RegExp(`${id}\\s+slow\\s+completed`));
    const show = await cli(["runs", "show", id, "--store", url]);
    expect(show.out).toMatch(/completed {2}five {2}→ \{"n":6\}/);
    const watch = await cli(["runs", "watch", id, "--store", url]);
    expect(watch).toMatchObject({ code: 0 });
    expect(JSON.parse(watch.out)).toEqual({ n: 6 });
    const missing = await cli(["runs", "show", "nope", "--store", url]);
    expect(missing).toMatchObject({ code: 2, err: expect.stringMatching(/no run nope in postgres:\/\/postgres@127\.0\.0\.1:5432\/test \(schema t_cli_/) });
  });

  it("follows a run to its failure, and resumes (re-queues) unfinished runs", async () => {
    process.env["BLOCKWORK_TEST_FAIL"] = "three";
    try {
      const failed = await cli(["run", "packages/cli/test/fixtures/slow.graph.ts", "--input", '{"n": 1}', "--store", url]);
      expect(failed.code).toBe(1);
      expect(failed.err).toMatch(/blockwork: run [0-9a-f-]+ failed at block three \(block_failed\): threw: three failed on purpose/);
    } finally {
      delete process.env["BLOCKWORK_TEST_FAIL"];
    }
    const id = await submitRun(store, slowGraph, { n: 10 }, { source: { module: `${root}packages/cli/test/fixtures/slow.graph.ts`, exportName: "slowGraph" } });
    const resumed = await cli(["runs", "resume", id, "--store", url, "--quiet"]);
    expect(resumed, resumed.err).toMatchObject({ code: 0 });
    expect(JSON.parse(resumed.out)).toEqual({ n: 15 });
  });

  it("explains bad input, bad connection strings and unreachable databases", async () => {
    const bad = await cli(["run", "packages/cli/test/fixtures/slow.graph.ts", "--input", '{"n": "x"}', "--store", url]);
    expect(bad).toMatchObject({ code: 2, err: expect.stringMatching(/cannot run .*slow\.graph\.ts: the input does not satisfy the contract of graph "slow"/) });
    const malformed = await cli(["runs", "list", "--store", "postgres://localhost"]);
    expect(malformed).toMatchObject({ code: 2, err: expect.stringMatching(/names no database/) });
    const down = await cli(["runs", "list", "--store", "postgres://someone:secret@127.0.0.1:1/test"]);
    expect(down).toMatchObject({ code: 2, err: "blockwork: cannot connect to PostgreSQL at postgres://someone:***@127.0.0.1:1/test: connection refused: is PostgreSQL running and listening on that host and port?\n" });
    // Without --fail-fast a worker waits for its database (worker-start.test.ts).
    const worker = await cli(["worker", "--fail-fast", "--store", "postgres://127.0.0.1:1/test"]);
    expect(worker).toMatchObject({ code: 2, err: expect.stringMatching(/cannot connect to PostgreSQL at postgres:\/\/127\.0\.0\.1:1\/test: connection refused/) });
    const notPg = await cli(["worker", "--store", "runs.sqlite"]);
    expect(notPg).toMatchObject({ code: 2, err: expect.stringMatching(/blockwork worker needs a PostgreSQL store: --store postgres:\/\//) });
    const help = await cli(["worker", "--help"]);
    expect(help.out).toMatch(/--fail-fast/);
    expect(help.out).toMatch(/--concurrency <n>/);
  });

  it("never creates a missing schema from a command that only reads: one line, exit 2, nothing created", async () => {
    const db = await pgClient();
    const schema = schemaName("cli_typo");
    const typo = `${PG_URL}?schema=${schema}`;
    const schemaExists = async () => (await db.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])).rowCount === 1;
    const commands = [
      ["runs", "list", "--store", typo],
      ["runs", "show", "some-run", "--store", typo],
      ["runs", "resume", "--store", typo],
      ["runs", "resume", "some-run", "--store", typo],
      ["runs", "watch", "some-run", "--store", typo],
      ["resume", "some-run", "--block", "review", "--data", "{}", "--store", typo],
      ["graph", "packages/cli/test/fixtures/slow.graph.ts", "--run", "some-run", "--store", typo],
    ];
    for (const args of commands) {
      const result = await cli(args);
      expect(result, args.join(" ")).toMatchObject({ code: 2 });
      expect(result.err.trim().split("\n"), args.join(" ")).toEqual([
        expect.stringContaining(`blockwork: no store at postgres://postgres@127.0.0.1:5432/test (schema ${schema}): schema "${schema}" does not exist (this command only reads, so it creates nothing); check ?schema=`),
      ]);
      expect(await schemaExists(), args.join(" ")).toBe(false);
    }
    // A schema that exists but is not a Blockwork store is not filled with tables either.
    await db.query(`CREATE SCHEMA "${schema}"`);
    const foreign = await cli(["runs", "list", "--store", typo]);
    expect(foreign).toMatchObject({ code: 2, err: expect.stringMatching(new RegExp(`schema "${schema}" holds no Blockwork store`)) });
    expect((await db.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1", [schema])).rows[0].n).toBe(0);
    // The doctor reaches the database and creates nothing: the first run creates the schema.
    await db.query(`DROP SCHEMA "${schema}"`);
    const doctor = await cli(["doctor", "--store", typo]);
    expect(doctor.out).toMatch(new RegExp(`^ok {4}store {3}PostgreSQL .*\\(reachable, no Blockwork schema "${schema}" yet: the first run creates it\\)$`, "m"));
    expect(await schemaExists()).toBe(false);
  });
});
