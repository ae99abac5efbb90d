import { beforeAll, describe, expect, it } from "vitest";
import { submitRun } from "../src/index.js";
import { runTask } from "../src/run/fold.js";
import type { PostgresStore } from "../src/store/postgres-store.js";
import type { JournalEntry, RunRecord } from "../src/store/store.js";
import { RecordBatcher } from "../src/worker/record-batch.js";
import { type Recorded, recordTask } from "../src/worker/record.js";
import { type ClaimedTask, claimTasks, loadRuns } from "../src/worker/queue.js";
import { pgStore, requirePostgres } from "../../../test/pg.js";
import { fanOut, routed } from "./fixtures/graphs.js";

// The batched completion statement (record-batch.ts): completions of different runs recorded
// together, each checked on its own; one that fails its check is written nothing and goes the
// locked way, alone. Driven by hand here (claim, run, record), against the real PostgreSQL.

beforeAll(() => requirePostgres());

type AnyGraph = Parameters<typeof runTask>[0];

/** Claims up to `limit` tasks as worker `owner`, runs each, and returns what recording needs. */
async function claimAndRun(store: PostgresStore, graph: AnyGraph, owner: string, limit: number) {
  const tasks = await claimTasks(store, owner, limit, 30_000);
  const runs = await loadRuns(store, tasks.map((t) => t.runId));
  return Promise.all(
    tasks.map(async (task: ClaimedTask) => {
      const { record, journal } = runs.get(task.runId) as { record: RunRecord; journal: JournalEntry[] };
      const result = await runTask(graph, record, journal, task.key);
      return { graph, record, journal, task, result, owner, leaseMs: 30_000, continueHere: true };
    }),
  );
}

const completed = async (store: PostgresStore, runId: string) => (await store.journal(runId)).filter((e) => e.kind === "block.completed").map((e) => e.path);

describe("recording completions in one statement", () => {
  it("records the first blocks of many runs together, each with its next block leased to the worker", async () => {
    const store = pgStore("batch");
    const graph = routed([]);
    const ids = await Promise.all([1, 2, 3, 4, 5].map((n) => submitRun(store, graph, { n })));
    const records = await claimAndRun(store, graph, "w1", 5);
    expect(records).toHaveLength(5);
    const batcher = new RecordBatcher(store);
    const results = await Promise.all(records.map((r) => recordTask(store, r, batcher)));
    for (const [i, recorded] of results.entries()) {
      expect(recorded).toMatchObject({ status: "recorded", next: { task: { runId: records[i]?.record.id } } });
      expect(recorded).not.toHaveProperty("reconciled");
    }
    for (const id of ids) expect(await completed(store, id)).toHaveLength(1);
    // The next tasks are this worker's, with the tokens the statement returned.
    const leased = await store.query<{ run_id: string; lease_token: string }>(`SELECT run_id, lease_token FROM ${store.tables.tasks} WHERE lease_owner = 'w1'`);
    expect(new Map(leased.map((r) => [r.run_id, r.lease_token]))).toEqual(new Map(results.map((r, i) => [records[i]?.record.id, (r as Extract<Recorded, { status: "recorded" }>).next?.task.token])));
  });

  it("writes nothing for a completion whose claim another worker took; that one is reconciled alone, the others recorded", async () => {
    const store = pgStore("batch");
    const graph = routed([]);
    await Promise.all([1, 2, 3].map((n) => submitRun(store, graph, { n })));
    const records = await claimAndRun(store, graph, "w1", 3);
    const stolen = records[1]?.task as ClaimedTask;
    await store.query(`UPDATE ${store.tables.tasks} SET lease_owner = 'w2', lease_token = gen_random_uuid() WHERE run_id = $1 AND key = $2`, [stolen.runId, stolen.key]);
    const batcher = new RecordBatcher(store);
    const results = await Promise.all(records.map((r) => recordTask(store, r, batcher)));
    expect(results.map((r) => r.status)).toEqual(["recorded", "recorded", "recorded"]);
    expect(results.map((r) => (r as { reconciled?: boolean }).reconciled ?? false)).toEqual([false, true, false]);
    for (const r of records) expect(await completed(store, r.record.id)).toHaveLength(1);
  });

  it("puts one completion per run in a statement: two parallel blocks of one run are both recorded, in turn", async () => {
    const store = pgStore("batch");
    const graph = fanOut([], 0);
    const id = await submitRun(store, graph, { n: 1 });
    const records = await claimAndRun(store, graph, "w1", 2);
    expect(records.map((r) => r.task.key).sort()).toEqual(["a#1", "b#1"]);
    const batcher = new RecordBatcher(store);
    const results = await Promise.all(records.map((r) => recordTask(store, r, batcher)));
    expect(results.map((r) => r.status)).toEqual(["recorded", "recorded"]);
    const journal = await store.journal(id);
    expect(journal.map((e) => e.seq)).toEqual([1, 2]);
    expect((await completed(store, id)).sort()).toEqual(["a", "b"]);
    // sum is ready once, leased to the worker that recorded the second of the two.
    const tasks = await store.query<{ key: string; lease_owner: string | null }>(`SELECT key, lease_owner FROM ${store.tables.tasks} WHERE run_id = $1`, [id]);
    expect(tasks).toEqual([{ key: "sum#1", lease_owner: "w1" }]);
  });

  it("ends runs in the same statement: outputs written, their tasks gone", async () => {
    const store = pgStore("batch");
    const graph = fanOut([], 0);
    const ids = await Promise.all([1, 2].map((n) => submitRun(store, graph, { n })));
    const batcher = new RecordBatcher(store);
    // a and b of both runs, recorded without going on: each run's sum is queued, unleased.
    const first = await claimAndRun(store, graph, "w1", 10);
    expect(first).toHaveLength(4);
    await Promise.all(first.map((r) => recordTask(store, { ...r, continueHere: false }, batcher)));
    const last = await claimAndRun(store, graph, "w1", 10);
    expect(last.map((r) => r.task.key)).toEqual(["sum#1", "sum#1"]);
    const ended = await Promise.all(last.map((r) => recordTask(store, r, batcher)));
    // a adds 1, b adds 10, sum adds them: 2n + 11.
    expect(ended.map((r) => (r as { outcome?: unknown }).outcome)).toEqual(last.map((r) => ({ status: "completed", output: { n: 2 * (r.record.input as { n: number }).n + 11 } })));
    for (const id of ids) expect(await store.getRun(id)).toMatchObject({ status: "completed" });
    expect(await store.query(`SELECT * FROM ${store.tables.tasks}`)).toEqual([]);
  });
});
