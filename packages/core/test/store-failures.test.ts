import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createGraph, defineContract } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { pgClient, pgStore } from "../../../test/pg.js";
import { isRunError, PostgresStore, resume, run, type RunEvent, SqliteStore, type Store } from "../src/index.js";
import { padGraph } from "./fixtures/pad-graph.js";

// Store failures are run failures: a journal write that fails (disk full, database gone, constraint
// violation, a PostgreSQL connection terminated mid-append) stops that run with a typed error on
// its handle and in its events; the process lives, and the run resumes from its journal.
const dir = mkdtempSync(join(tmpdir(), "blockwork-storefail-"));
const N = z.object({ n: z.number() });

/** a → b → c, each n + 1; b waits for `gate` (when given) before it returns. */
function chain(calls: string[], gate?: Promise<void>) {
  const step = <const I extends string>(id: I, wait?: Promise<void>) =>
    defineContract({ id, input: N, output: N }).implement(async ({ n }) => {
      calls.push(id);
      if (wait !== undefined) await wait;
      return { n: n + 1 };
    });
  return createGraph({ id: "abc", input: N, output: N }).then(step("a")).then(step("b", gate)).then(step("c")).output((_, { c }) => c).build();
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function failure(result: Promise<unknown>) {
  const error = await result.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRunError(error)) throw new Error(`expected a RunError, got ${String(error)}`);
  return error;
}

describe("store failures are run failures", () => {
  it("the database closed under a running run: store_failed on the handle and in the events, resumable", async () => {
    const file = join(dir, "gone.sqlite");
    const store = new SqliteStore(file);
    const calls: string[] = [];
    const b = gate();
    const events: RunEvent[] = [];
    const handle = run(chain(calls, b.promise), { n: 0 }, { store, onEvent: (e) => events.push(e) });
    await until("a journaled", () => store.journal(handle.id).length === 1);
    store.close();
    b.open();
    const error = await failure(handle.result);
    expect(error).toMatchObject({ code: "store_failed", runId: handle.id });
    expect(error.info.message).toMatch(/the store failed while writing journal entry 2 \(block\.completed of b\): The database connection is not open.*resume it/);
    expect(events.at(-1)).toMatchObject({ type: "run.failed", error: { code: "store_failed" } });
    await expect(handle.settled()).resolves.toMatchObject({ status: "failed" });

    const again = new SqliteStore(file);
    expect(again.getRun(handle.id)?.status).toBe("running");
    const more: string[] = [];
    await expect((await resume(handle.id, { store: again, graph: chain(more) })).result).resolves.toEqual({ n: 3 });
    expect(more).toEqual(["b", "c"]);
    again.close();
  });

  it("a constraint violation (two executions of one run in a process) fails the loser's handle, not the process", async () => {
    const file = join(dir, "twice.sqlite");
    const store = new SqliteStore(file);
    const first = run(chain([], new Promise(() => {})), { n: 0 }, { store });
    await until("a journaled", () => store.journal(first.id).length === 1);
    const calls: string[] = [];
    const g = chain(calls);
    // Both resume on the same store object (one process owns the run): both run b, one append wins.
    const [x, y] = await Promise.all([resume(first.id, { store, graph: g }), resume(first.id, { store, graph: g })]);
    const results = await Promise.allSettled([x.result, y.result]);
    const lost = results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason as { code: string; message: string });
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ code: "store_failed", message: expect.stringMatching(/UNIQUE constraint failed: journal\.run_id, journal\.seq/) });
    expect(store.getRun(first.id)?.status).toBe("completed");
    store.close();
  });

  it("a run started with the id of an existing run fails with store_failed and leaves that run as it was", async () => {
    const store = new SqliteStore(join(dir, "same-id.sqlite"));
    const first = run(chain([]), { n: 0 }, { store, runId: "taken" });
    await expect(first.result).resolves.toEqual({ n: 3 });
    const before = store.getRun("taken");
    const again = run(chain([]), { n: 5 }, { store, runId: "taken" });
    const error = await failure(again.result);
    expect(error).toMatchObject({ code: "store_failed", message: expect.stringMatching(/the run's record: UNIQUE constraint failed: runs\.id/) });
    expect(store.getRun("taken")).toEqual(before);
    expect(store.journal("taken")).toHaveLength(3);
    store.close();
  });

  it("a full disk (a real file size limit, ulimit -f) fails the run with store_failed; the process lives; the run resumes elsewhere", async () => {
    const file = join(dir, "full.sqlite");
    const childFile = fileURLToPath(new URL("./fixtures/disk-child.ts", import.meta.url));
    // 1024 blocks of 1 KiB: the journal of 30 outputs of 100 KB does not fit.
    const script = `ulimit -f 1024 && exec "${process.execPath}" --import tsx "${childFile}" "${file}"`;
    const child = spawn("bash", ["-c", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code, err).toBe(0);
    expect(out).toMatch(/^event store_failed$/m);
    expect(out).toMatch(/^result store_failed ".*the store failed while writing journal entry \d+ \(block\.completed of pad\d+\).*(disk|full|I\/O)/im);
    expect(out).toMatch(/^alive$/m);
    const id = (/^run (\S+)$/m.exec(out) as RegExpExecArray)[1] as string;

    const store = new SqliteStore(file);
    const journaled = store.journal(id).length;
    expect(journaled).toBeGreaterThan(0);
    expect(journaled).toBeLessThan(30);
    expect(store.getRun(id)?.status).toBe("running");
    const calls: string[] = [];
    const handle = await resume(id, { store, graph: padGraph(calls) });
    await expect(handle.result).resolves.toMatchObject({ n: 30 });
    expect(calls).toHaveLength(30 - journaled);
    const paths = store.journal(id).map((e) => e.path);
    expect(new Set(paths).size).toBe(30);
    store.close();
  }, 120_000);

  it("a PostgreSQL connection terminated mid-append (pg_terminate_backend): store_failed, the process lives, the run resumes", async () => {
    const store = pgStore("storefail");
    await store.connect();
    const admin = await pgClient();
    const calls: string[] = [];
    const b = gate();
    const events: RunEvent[] = [];
    const handle = run(chain(calls, b.promise), { n: 0 }, { store, onEvent: (e) => events.push(e) });
    await until("a journaled", async () => (await store.journal(handle.id)).length === 1);
    // Hold the run's row: b's append waits on it, and is terminated while it waits.
    await admin.query("BEGIN");
    await admin.query(`SELECT 1 FROM "${store.schema}".runs WHERE id = $1 FOR UPDATE`, [handle.id]);
    b.open();
    let terminated = 0;
    await until("the append waiting", async () => {
      const { rows } = await admin.query(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%journal%' AND pid <> pg_backend_pid()",
      );
      for (const row of rows as { pid: number }[]) {
        await admin.query("SELECT pg_terminate_backend($1)", [row.pid]);
        terminated++;
      }
      return terminated > 0;
    });
    await admin.query("ROLLBACK");
    const error = await failure(handle.result);
    expect(error).toMatchObject({ code: "store_failed", runId: handle.id });
    expect(error.info.message).toMatch(/journal entry 2 \(block\.completed of b\)/);
    expect(events.at(-1)).toMatchObject({ type: "run.failed", error: { code: "store_failed" } });
    expect((await store.getRun(handle.id))?.status).toBe("running");

    const again: Store = new PostgresStore((store as unknown as { clientConfig: { connectionString: string } }).clientConfig.connectionString, { schema: store.schema });
    const more: string[] = [];
    await expect((await resume(handle.id, { store: again, graph: chain(more) })).result).resolves.toEqual({ n: 3 });
    expect(more).toEqual(["b", "c"]);
    await again.close();
  }, 60_000);
});
