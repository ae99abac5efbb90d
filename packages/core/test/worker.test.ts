import { createGraph, defineContract, type GraphBlock } from "@blockwork/spec";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { cancelRun, enqueueRun, run, type RunEvent, type RunOutcome, startWorker, submitRun, waitForRun, watchRun, type Worker, type WorkerEvent } from "../src/index.js";
import { runTask } from "../src/run/fold.js";
import { claimTasks, loadRuns } from "../src/worker/queue.js";
import { recordTask } from "../src/worker/record.js";
import { PG_URL, pgStore, requirePostgres } from "../../../test/pg.js";
import { fanOut, loop, mapGraph, routed } from "./fixtures/graphs.js";

const N = z.object({ n: z.number() });
const workers: Worker[] = [];
const start = async (options: Parameters<typeof startWorker>[0]) => {
  const worker = await startWorker({ pollMs: 50, ...options });
  workers.push(worker);
  return worker;
};
const until = async (condition: () => boolean | Promise<boolean>, what: string) => {
  for (let i = 0; i < 1_000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

/** A one- or two-block chain whose blocks call `behave` (and count their calls by idempotency key). */
function chain(ids: string[], behave: (id: string, ctx: { signal: AbortSignal; attempt: number }) => Promise<void> | void = () => undefined, retry?: object) {
  const calls: string[] = [];
  // biome-ignore lint: a chain built in a loop.
  let g: any = createGraph({ id: `chain-${ids.join("-")}`, input: N, output: N });
  for (const id of ids) {
    const block = defineContract({ id, input: N, output: N }).implement(async ({ n }, ctx) => {
      calls.push(ctx.idempotencyKey);
      await behave(id, ctx);
      return { n: n + 1 };
    });
    g = retry ? g.then(block, (input: unknown) => input, { retry }) : g.then(block);
  }
  const graph: GraphBlock = g.output((_: unknown, r: Record<string, unknown>) => r[ids[ids.length - 1] as string]).build();
  return { graph, calls };
}

beforeAll(() => requirePostgres());
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop({ graceMs: 0 })));
});

describe("workers on a PostgreSQL store", () => {
  const items = [1, 2, 3, 4, 5].map((n) => ({ n }));
  const cases: [string, () => GraphBlock, unknown][] = [
    ["a route and a merge", () => routed([]), { n: 3 }],
    ["parallel branches and a join", () => fanOut([], 5), { n: 0 }],
    ["a bounded loop", () => loop([], { max: 5, onExhausted: false, passAt: 3 }), {}],
    ["a loop that exhausts into onExhausted", () => loop([], { max: 2, onExhausted: true, passAt: 99 }), {}],
    ["a map", () => mapGraph({ concurrency: 3, delayMs: 5 }).graph, { items }],
    ["a collecting map with a failure", () => mapGraph({ concurrency: 2, delayMs: 0, collect: true, failOn: 3 }).graph, { items }],
    ["a map that fails", () => mapGraph({ concurrency: 2, delayMs: 0, failOn: 3 }).graph, { items }],
  ];

  it.each(cases)("end %s as one process does, with two workers sharing the runs", async (_, make, input) => {
    const graph = make();
    const expected: RunOutcome = await run(graph, input as never).result.then(
      (output) => ({ status: "completed", output }) as RunOutcome,
      (error: { info: never }) => ({ status: "failed", error: error.info }),
    );
    const store = pgStore("worker");
    await start({ store, graphs: [graph], concurrency: 2 });
    await start({ store, graphs: [graph], concurrency: 2 });
    const id = await submitRun(store, graph, input as never);
    const outcome: RunOutcome = await waitForRun(store, id).then(
      (output) => ({ status: "completed", output }),
      (error: { info: never }) => ({ status: "failed", error: error.info }),
    );
    if (expected.status === "failed") expect(outcome).toMatchObject({ status: "failed", error: { code: expected.error.code } });
    else expect(outcome).toEqual(expected);
    const journal = await store.journal(id);
    expect(journal.map((e) => e.seq)).toEqual(journal.map((_, i) => i + 1));
    expect(await store.query(`SELECT * FROM ${store.tables.tasks}`)).toEqual([]);
  });

  it("runs the next attempt of a failed block only after its journaled delay", async () => {
    const started: number[] = [];
    const { graph } = chain(["flaky"], (_, ctx) => {
      started.push(Date.now());
      if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} fails`);
    }, { attempts: 3, initialDelayMs: 150, factor: 1, jitter: 0 });
    const store = pgStore("worker");
    await start({ store, graphs: [graph] });
    const id = await submitRun(store, graph, { n: 1 });
    expect(await waitForRun(store, id)).toEqual({ n: 2 });
    const journal = await store.journal(id);
    expect(journal.map((e) => [e.kind, e.attempt])).toEqual([["attempt.failed", 1], ["attempt.failed", 2], ["block.completed", 3]]);
    for (const [i, entry] of journal.slice(0, 2).entries()) {
      if (entry.kind === "attempt.failed") expect(started[i + 1]).toBeGreaterThanOrEqual(entry.at + entry.delayMs);
    }
  });

  it("takes over the task of a worker that died once its lease expires; the dead worker cannot record it", async () => {
    const { graph, calls } = chain(["a", "b"]);
    const store = pgStore("worker");
    const id = await submitRun(store, graph, { n: 0 });
    // The "dead" worker: claims a#1 with a short lease, runs it, and records nothing (yet).
    const [task] = await claimTasks(store, "dead-worker", 1, 200);
    const { record, journal } = (await loadRuns(store, [id])).get(id) as { record: never; journal: never[] };
    const result = await runTask(graph, record, journal, "a#1");
    await start({ store, graphs: [graph] });
    expect(await waitForRun(store, id)).toEqual({ n: 2 });
    const late = await recordTask(store, { graph, record, journal, task: task as never, result, owner: "dead-worker", leaseMs: 200, continueHere: false });
    expect(late).toMatchObject({ status: "lost", because: "superseded", reason: expect.stringMatching(/another worker recorded the block first/) });
    expect(calls).toEqual([`${id}:a#1`, `${id}:a#1`, `${id}:b#1`]);
    expect((await store.journal(id)).map((e) => `${e.kind} ${e.path}`)).toEqual(["block.completed a", "block.completed b"]);
  });

  it("keeps a block that outlasts its lease with heartbeats: no other worker runs it", async () => {
    const { graph, calls } = chain(["slow"], () => new Promise((resolve) => setTimeout(resolve, 900)));
    const store = pgStore("worker");
    await start({ store, graphs: [graph], leaseMs: 300 });
    const id = await submitRun(store, graph, { n: 0 });
    await until(() => calls.length === 1, "the block to start");
    await start({ store, graphs: [graph], leaseMs: 300 });
    expect(await waitForRun(store, id)).toEqual({ n: 1 });
    expect(calls).toHaveLength(1);
  });

  it("stops gracefully: a running block finishes and is recorded", async () => {
    let release = () => {};
    const { graph, calls } = chain(["gate"], () => new Promise<void>((resolve) => (release = resolve)));
    const store = pgStore("worker");
    const worker = await start({ store, graphs: [graph] });
    const id = await submitRun(store, graph, { n: 0 });
    await until(() => calls.length === 1, "the block to start");
    const stopped = worker.stop({ graceMs: 30_000 });
    release();
    await stopped;
    expect(worker.stats).toMatchObject({ recorded: 1, released: 0, runsCompleted: 1 });
    expect(await waitForRun(store, id)).toEqual({ n: 1 });
  });

  it("releases what does not finish within the grace time, and another worker takes it at once", async () => {
    const aborted: boolean[] = [];
    const { graph, calls } = chain(["stuck"], (_, ctx) =>
      calls.length > 1 ? undefined : new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => (aborted.push(true), resolve()))),
    );
    const store = pgStore("worker");
    const events: WorkerEvent[] = [];
    const first = await start({ store, graphs: [graph], leaseMs: 60_000, onEvent: (e) => events.push(e) });
    const id = await submitRun(store, graph, { n: 0 });
    await until(() => calls.length === 1, "the block to start");
    await first.stop({ graceMs: 50 });
    expect(first.stats.released).toBe(1);
    expect(aborted).toEqual([true]);
    expect(events).toContainEqual(expect.objectContaining({ type: "task.released", key: "stuck#1" }));
    // The lease was 60 s: only a release lets the next worker have it now.
    await start({ store, graphs: [graph], leaseMs: 60_000 });
    expect(await waitForRun(store, id)).toEqual({ n: 1 });
    expect(calls).toEqual([`${id}:stuck#1`, `${id}:stuck#1`]);
  });

  it("cancels a run from anywhere: the running block's signal aborts and nothing more is recorded", async () => {
    let sawAbort = false;
    const { graph } = chain(["waits"], (_, ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => ((sawAbort = true), resolve()))));
    const store = pgStore("worker");
    const worker = await start({ store, graphs: [graph], leaseMs: 300 });
    const id = await submitRun(store, graph, { n: 0 });
    await until(async () => (await store.query(`SELECT 1 FROM ${store.tables.tasks} WHERE lease_owner IS NOT NULL`)).length > 0, "a claim");
    expect(await cancelRun(store, id, "no longer needed")).toBe(true);
    await expect(waitForRun(store, id)).rejects.toMatchObject({ code: "run_cancelled", message: expect.stringMatching(/no longer needed/) });
    await until(() => sawAbort && worker.stats.discarded === 1, "the block to be aborted");
    expect(worker.stats.lost).toBe(0);
    expect(await store.journal(id)).toEqual([]);
    expect(await cancelRun(store, id)).toBe(false);
  });

  it("streams a run's events to another machine, and rejects with the run's error", async () => {
    const { graph } = chain(["one", "two", "three"], (id) => {
      if (id === "three") throw new Error("three breaks");
    });
    const store = pgStore("worker");
    const elsewhere = pgStore("worker", { schema: store.schema });
    await start({ store, graphs: [graph] });
    const id = await submitRun(store, graph, { n: 0 });
    const events: RunEvent[] = [];
    for await (const event of watchRun(elsewhere, id, { pollMs: 20 })) events.push(event);
    const completed = events.filter((e) => e.type === "block.completed").map((e) => ("path" in e ? e.path : ""));
    expect(completed).toEqual(["one", "two"]);
    expect(events[0]).toMatchObject({ type: "run.started", graph: graph.def.id });
    expect(events.at(-1)).toMatchObject({ type: "run.failed", error: { code: "block_failed", path: "three" } });
    await expect(waitForRun(elsewhere, id)).rejects.toMatchObject({ name: "RunError", code: "block_failed", path: "three", runId: id });
    await expect(waitForRun(elsewhere, "no-such-run")).rejects.toMatchObject({ code: "run_not_found" });
  });

  it("leaves a run it has no graph for to other workers, saying why", async () => {
    const { graph } = chain(["x"]);
    const other = chain(["y"]).graph;
    const store = pgStore("worker");
    const events: WorkerEvent[] = [];
    await start({ store, graphs: [], loader: () => other, onEvent: (e) => events.push(e) });
    const id = await submitRun(store, graph, { n: 0 });
    await until(() => events.some((e) => e.type === "task.released"), "the task to be released");
    expect(events).toContainEqual(expect.objectContaining({ type: "worker.error", message: expect.stringMatching(/has version \w+, but run .* is pinned to version/) }));
    const [row] = await store.query<{ lease_owner: string | null; not_before: number }>(`SELECT lease_owner, not_before FROM ${store.tables.tasks} WHERE run_id = $1`, [id]);
    expect(row?.lease_owner).toBeNull();
    expect(row?.not_before).toBeGreaterThan(Date.now());
  });

  it("hands a run started in one process whose process stopped to the workers", async () => {
    let hang = true;
    const { graph, calls } = chain(["a", "b"], (id) => (id === "b" && hang ? new Promise<void>(() => {}) : undefined));
    const store = pgStore("worker");
    const handle = run(graph, { n: 0 }, { store });
    await until(async () => (await store.journal(handle.id)).length === 1, "a to be journaled");
    hang = false; // The process that ran it is gone: b never finished there.
    await start({ store, graphs: [graph] });
    expect(await enqueueRun(store, graph, handle.id)).toBe(1);
    expect(await waitForRun(store, handle.id)).toEqual({ n: 2 });
    expect(calls).toEqual([`${handle.id}:a#1`, `${handle.id}:b#1`, `${handle.id}:b#1`]);
  });

  it("validates the input before anything is written", async () => {
    const { graph } = chain(["a"]);
    const store = pgStore("worker");
    await expect(submitRun(store, graph, { n: "one" } as never)).rejects.toMatchObject({ code: "input_invalid" });
    expect(await store.listRuns()).toEqual([]);
    expect(PG_URL).toMatch(/^postgres/);
  });
});
