import { createGraph, defineContract, type GraphBlock } from "@blockwork/spec";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { PostgresStore, startWorker, submitRun, waitForRun, type Worker, type WorkerEvent } from "../src/index.js";
import { PG_URL, pgStore, requirePostgres, schemaName } from "../../../test/pg.js";
import { TcpProxy } from "../../../test/tcp-proxy.js";

// Workers keep their word through database outages: one worker's database goes away (a real TCP
// proxy in front of the real PostgreSQL drops its connections and refuses new ones) for longer
// than its lease, while another worker, connected directly, takes the block over. Whatever the
// order, the journal holds the block's outcome once, and each worker's stats say what happened.

const N = z.object({ n: z.number() });
const pg = new URL(PG_URL);
const target = { host: pg.hostname, port: Number(pg.port || 5432) };
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});
beforeAll(() => requirePostgres());

const until = async (condition: () => boolean | Promise<boolean>, what: string, ms = 60_000) => {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** A one-block graph whose n-th call waits for the n-th gate (so a test decides who finishes when). */
function gated(id: string) {
  const gates = [gate(), gate(), gate()];
  const calls: string[] = [];
  const block = defineContract({ id: "slow", input: N, output: N }).implement(async ({ n }, ctx) => {
    const mine = gates[calls.length] ?? gate();
    calls.push(ctx.idempotencyKey);
    await mine.opened;
    return { n: n + 1 };
  });
  const graph: GraphBlock = createGraph({ id, input: N, output: N })
    .then(block)
    .output((_, r) => r.slow)
    .build();
  return { graph, calls, gates };
}

async function worker(options: Parameters<typeof startWorker>[0]): Promise<{ worker: Worker; events: WorkerEvent[] }> {
  const events: WorkerEvent[] = [];
  const w = await startWorker({ pollMs: 50, concurrency: 1, ...options, onEvent: (e) => events.push(e) });
  cleanup.push(() => w.stop({ graceMs: 0 }));
  return { worker: w, events };
}

/** A store on `schema` whose every connection goes through `proxy`. */
function behind(proxy: TcpProxy, schema: string): PostgresStore {
  const store = new PostgresStore(proxy.url(PG_URL), { schema, connectTimeoutMs: 1_000 });
  cleanup.push(() => store.close());
  return store;
}

/** Worker A, behind a proxy, runs the block; then its database goes away until its lease has expired. */
async function outageAfterClaim(id: string) {
  const direct = pgStore("outage");
  await direct.connect();
  const proxy = await TcpProxy.start(target);
  cleanup.push(() => proxy.cut());
  const { graph, calls, gates } = gated(id);
  const a = await worker({ store: behind(proxy, direct.schema), graphs: [graph], leaseMs: 600 });
  const runId = await submitRun(direct, graph, { n: 0 });
  await until(() => calls.length === 1, "worker A to start the block");
  await proxy.cut();
  gates[0]?.open();
  await until(() => a.events.some((e) => e.type === "worker.error" && /cannot record the outcome of slow#1 yet/.test(e.message)), "worker A to fail recording");
  await until(async () => (await direct.query(`SELECT 1 FROM ${direct.tables.tasks} WHERE lease_until < clock_timestamp()`)).length === 1, "A's lease to expire");
  return { direct, proxy, graph, calls, gates, a, runId };
}

const decided = async (store: PostgresStore, runId: string) => (await store.journal(runId)).filter((e) => e.kind === "block.completed").map((e) => e.path);

describe("a worker whose database goes away for longer than its lease", () => {
  it("records its outcome when the database answers again, although another worker re-claimed the block: recorded once", { timeout: 120_000 }, async () => {
    const { direct, proxy, graph, calls, gates, a, runId } = await outageAfterClaim("reconciled");
    // Worker B (connected directly) claims the expired task and starts the block again.
    const b = await worker({ store: direct, graphs: [graph], leaseMs: 3_000 });
    await until(() => calls.length === 2, "worker B to start the block again");
    await proxy.restore();
    expect(await waitForRun(direct, runId)).toEqual({ n: 1 });
    await until(() => a.worker.stats.recorded === 1, "worker A to record");
    expect(a.events).toContainEqual(expect.objectContaining({ type: "task.recorded", key: "slow#1", reconciled: true }));
    // B's run of the block is discarded: its heartbeat aborts it, or its recording finds the block decided.
    gates[1]?.open();
    await until(() => b.worker.stats.superseded === 1, "worker B to count its run of the block as superseded");
    expect(await decided(direct, runId)).toEqual(["slow"]);
    expect(calls).toEqual([`${runId}:slow#1`, `${runId}:slow#1`]);
    expect(a.worker.stats).toMatchObject({ recorded: 1, reconciled: 1, superseded: 0, lost: 0 });
    expect(b.worker.stats).toMatchObject({ recorded: 0, superseded: 1, lost: 0 });
  });

  it("writes nothing when the worker that re-claimed the block recorded it first, and counts its own run as superseded", { timeout: 120_000 }, async () => {
    const { direct, proxy, graph, calls, gates, a, runId } = await outageAfterClaim("superseded");
    gates[1]?.open();
    const b = await worker({ store: direct, graphs: [graph], leaseMs: 3_000 });
    expect(await waitForRun(direct, runId)).toEqual({ n: 1 });
    await until(() => b.worker.stats.recorded === 1, "worker B to count its recording");
    expect(b.worker.stats).toMatchObject({ recorded: 1, reconciled: 0 });
    await proxy.restore();
    await until(() => a.worker.stats.superseded === 1, "worker A to find the block recorded");
    expect(a.events).toContainEqual(expect.objectContaining({ type: "task.superseded", key: "slow#1", reason: expect.stringMatching(/another worker recorded the block first/) }));
    expect(await decided(direct, runId)).toEqual(["slow"]);
    expect(calls).toHaveLength(2);
    expect(a.worker.stats).toMatchObject({ recorded: 0, lost: 0, discarded: 0 });
  });

  it("records it with no other worker around, however long the outage (past the lease)", { timeout: 120_000 }, async () => {
    const { direct, proxy, calls, a, runId } = await outageAfterClaim("alone");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await proxy.restore();
    expect(await waitForRun(direct, runId)).toEqual({ n: 1 });
    // The run is complete once the recording commits; the worker counts it when the commit returns.
    await until(() => a.worker.stats.recorded === 1, "worker A to count its recording");
    expect(a.worker.stats).toMatchObject({ recorded: 1, reconciled: 0, lost: 0, superseded: 0 });
    expect(calls).toHaveLength(1);
    expect(a.events).toContainEqual(expect.objectContaining({ type: "worker.error", message: expect.stringMatching(/recorded the outcome of slow#1 after \d+ failed tr/) }));
  });

  it("counts an outcome it could not record before it stopped as lost; another worker runs the block again, recorded once", { timeout: 120_000 }, async () => {
    const { direct, graph, calls, gates, a, runId } = await outageAfterClaim("lost");
    await a.worker.stop({ graceMs: 300 });
    expect(a.worker.stats).toMatchObject({ recorded: 0, lost: 1 });
    expect(a.events).toContainEqual(expect.objectContaining({ type: "task.lost", key: "slow#1" }));
    expect(a.events.at(-1)).toMatchObject({ type: "worker.stopped", stats: { lost: 1 } });
    gates[1]?.open();
    await worker({ store: direct, graphs: [graph] });
    expect(await waitForRun(direct, runId)).toEqual({ n: 1 });
    expect(await decided(direct, runId)).toEqual(["slow"]);
    expect(calls).toHaveLength(2);
  });
});

describe("a worker started before its database", () => {
  it("waits with backoff, says so on every try, and starts when the database answers", { timeout: 120_000 }, async () => {
    const schema = schemaName("early");
    const direct = pgStore("early", { schema });
    const proxy = await TcpProxy.stopped(target);
    cleanup.push(() => proxy.cut());
    const { graph, gates } = gated("early");
    gates[0]?.open();
    const events: WorkerEvent[] = [];
    let started: Worker | undefined;
    const starting = startWorker({ store: behind(proxy, schema), graphs: [graph], pollMs: 50, onEvent: (e) => events.push(e) }).then((w) => (started = w));
    cleanup.push(async () => (await starting).stop({ graceMs: 0 }));
    await until(() => events.filter((e) => e.type === "worker.waiting").length >= 3, "three tries");
    expect(started).toBeUndefined();
    const waits = events.filter((e): e is Extract<WorkerEvent, { type: "worker.waiting" }> => e.type === "worker.waiting");
    expect(waits.map((e) => e.attempt)).toEqual(waits.map((_, i) => i + 1));
    expect(waits[1]?.retryInMs).toBeGreaterThan(waits[0]?.retryInMs ?? Infinity);
    expect(waits[0]?.message).toMatch(/waiting for the database \(try 1, .*connection refused/);
    await proxy.restore();
    await starting;
    const runId = await submitRun(direct, graph, { n: 41 });
    expect(await waitForRun(direct, runId)).toEqual({ n: 42 });
    expect(events).toContainEqual(expect.objectContaining({ type: "worker.error", message: expect.stringMatching(/answers after \d+ tries/) }));
  });

  it("with failFast, rejects at once with the connection error", async () => {
    const proxy = await TcpProxy.stopped(target);
    const events: WorkerEvent[] = [];
    await expect(startWorker({ store: behind(proxy, schemaName("fast")), failFast: true, onEvent: (e) => events.push(e) })).rejects.toMatchObject({
      code: "store_unavailable",
      message: expect.stringMatching(/cannot connect to PostgreSQL at .*connection refused/),
    });
    expect(events).toEqual([]);
  });

  it("does not wait for what waiting cannot fix: a database that does not exist", async () => {
    const missing = new URL(PG_URL);
    missing.pathname = "/i20_no_such_database";
    const store = new PostgresStore(missing.toString(), { schema: "i20_nowhere" });
    cleanup.push(() => store.close());
    await expect(startWorker({ store })).rejects.toMatchObject({ code: "store_unavailable", message: expect.stringMatching(/does not exist/) });
  });

  it("stops while waiting when asked to, without ever connecting", { timeout: 60_000 }, async () => {
    const proxy = await TcpProxy.stopped(target);
    const events: WorkerEvent[] = [];
    const starting = startWorker({ store: behind(proxy, schemaName("never")), onEvent: (e) => events.push(e), handleSignals: true });
    await until(() => events.some((e) => e.type === "worker.waiting"), "a try");
    process.emit("SIGTERM");
    const w = await starting;
    await w.stopped;
    expect(events.at(-1)).toMatchObject({ type: "worker.stopped", stats: { claimed: 0 } });
  });
});
