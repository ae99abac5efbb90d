import { createGraph, defineContract } from "@blockwork/spec";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { resumeOnWorkers, type RunEvent, run, settleOnWorkers, startWorker, submitRun, upgradeOnWorkers, waitForRun, type Worker } from "../src/index.js";
import { pgStore, requirePostgres } from "../../../test/pg.js";
import { reviewGraph, reviewV1b } from "./fixtures/hitl.js";
import { fanIn, pipeline, script } from "./fixtures/supervised.js";

// Supervision, human in the loop and upgrades of runs that workers execute on PostgreSQL.

const workers: Worker[] = [];
beforeAll(() => requirePostgres());
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop({ graceMs: 0 })));
});

describe("suspended runs on workers", () => {
  it("marks a run suspended when every block left waits, and goes on when resumed from anywhere", async () => {
    const calls: string[] = [];
    const graph = reviewGraph(calls);
    const store = pgStore("worker_hitl");
    workers.push(await startWorker({ store, graphs: [graph], pollMs: 50 }));
    const id = await submitRun(store, graph, { topic: "tea" });

    const events: RunEvent[] = [];
    const settled = await settleOnWorkers(store, id, { pollMs: 20, onEvent: (e) => events.push(e) });
    expect(settled).toMatchObject({ status: "suspended", suspensions: [{ id: "approve#1", path: "approve", payload: { question: 'Approve "About tea"?' } }] });
    expect(events.map((e) => e.type)).toContain("block.suspended");
    expect((await store.getRun(id))?.status).toBe("suspended");
    // Nothing is left for workers to claim while it waits.
    expect(await store.query(`SELECT key FROM ${store.tables.tasks} WHERE run_id = $1`, [id])).toEqual([]);

    // Data the resume schema rejects is refused, and nothing is written.
    const before = await store.journal(id);
    await expect(resumeOnWorkers(store, graph, id, "approve", { approved: "yes" })).rejects.toMatchObject({ code: "resume_invalid" });
    expect(await store.journal(id)).toEqual(before);
    await expect(resumeOnWorkers(store, graph, id, "publish", { approved: true })).rejects.toMatchObject({ code: "not_suspended" });

    // Resumed from another connection (another machine): the workers finish it.
    const elsewhere = pgStore("worker_hitl", { schema: store.schema });
    await resumeOnWorkers(elsewhere, graph, id, "approve#1", { approved: true, note: "fine" });
    expect(await waitForRun(elsewhere, id, { pollMs: 20 })).toEqual({ published: true, note: "fine" });
    // write ran once: the resumed block ran again with the answer, then publish.
    expect(calls).toEqual(["write", "approve", "approve:resumed", "publish"]);
    const kinds = (await store.journal(id)).map((e) => `${e.kind} ${e.path}`);
    expect(kinds).toEqual(["block.completed write", "block.suspended approve", "block.resumed approve", "block.completed approve", "block.completed publish"]);
  });

  it("moves a suspended run to a new graph version; workers go on with the new version", async () => {
    const calls: string[] = [];
    const v1 = reviewGraph(calls);
    const v2 = reviewV1b(calls);
    const store = pgStore("worker_hitl");
    workers.push(await startWorker({ store, graphs: [v1, v2], pollMs: 50 }));
    const id = await submitRun(store, v1, { topic: "tea" });
    expect(await settleOnWorkers(store, id, { pollMs: 20 })).toMatchObject({ status: "suspended" });

    const result = await upgradeOnWorkers(store, id, { to: v2 });
    expect(result).toMatchObject({ runId: id, position: ["approve"], migrated: [] });
    expect((await store.getRun(id))?.version).toBe(result.to);
    expect((await store.journal(id)).at(-1)).toMatchObject({ kind: "run.upgraded", to: result.to });

    await resumeOnWorkers(store, v2, id, "approve", { approved: true, note: "ok" });
    expect(await waitForRun(store, id, { pollMs: 20 })).toEqual({ published: true, note: "OK" });
    expect(calls.slice(-3)).toEqual(["approve:resumed", "publish@v1b", "check"]);
  });

  it("refuses to move a run while a worker runs one of its blocks", async () => {
    const N = z.object({ n: z.number() });
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = defineContract({ id: "slow", input: N, output: N }).implement(async ({ n }) => {
      await gate;
      return { n: n + 1 };
    });
    const graph = createGraph({ id: "slow-one", input: N, output: N })
      .then(slow)
      .output((_, { slow }) => slow)
      .build();
    const store = pgStore("worker_hitl");
    workers.push(await startWorker({ store, graphs: [graph], pollMs: 20 }));
    const id = await submitRun(store, graph, { n: 1 });
    for (let i = 0; (await store.query(`SELECT 1 FROM ${store.tables.tasks} WHERE run_id = $1 AND lease_owner IS NOT NULL`, [id])).length === 0; i++) {
      if (i > 500) throw new Error("no worker claimed the block");
      await new Promise((r) => setTimeout(r, 10));
    }
    await expect(upgradeOnWorkers(store, id, { to: graph })).rejects.toMatchObject({ code: "upgrade_refused", message: expect.stringMatching(/a worker is running slow#1; try again at the next block boundary/) });
    release();
    expect(await waitForRun(store, id, { pollMs: 20 })).toEqual({ n: 2 });
  });
});

describe("supervision on workers", () => {
  const fast = { initialDelayMs: 0, jitter: 0 } as const;

  it("restarts the right blocks, journals the restarts, and ends as one process does", async () => {
    const cases = [
      // b fails twice: restarted within its limit (rest_for_one restarts b and what follows it).
      () => {
        const s = script({ b: ["throw", "throw"] });
        return { s, graph: pipeline(s, { restart: { type: "permanent", intensity: 3, ...fast }, strategy: "rest_for_one" }) };
      },
      // y fails once: one_for_all restarts x, y and z.
      () => {
        const s = script({ y: [{ wait: 20, then: "throw" }] });
        return { s, graph: fanIn(s, "one_for_all", { type: "permanent", intensity: 2, ...fast }) };
      },
      // b fails beyond its limit: the failure escalates and the run fails.
      () => {
        const s = script({ b: ["throw", "throw", "throw"] });
        return { s, graph: pipeline(s, { restart: { type: "permanent", intensity: 1, ...fast } }) };
      },
    ];
    for (const make of cases) {
      const local = make();
      const expected = await run(local.graph, { n: 0 }).result.then(
        (output) => ({ status: "completed", output }),
        (error: { code: string }) => ({ status: "failed", code: error.code }),
      );
      const remote = make();
      const store = pgStore("worker_hitl");
      workers.push(await startWorker({ store, graphs: [remote.graph], pollMs: 20 }));
      const id = await submitRun(store, remote.graph, { n: 0 });
      const outcome = await waitForRun(store, id, { pollMs: 20 }).then(
        (output) => ({ status: "completed", output }),
        (error: { code: string }) => ({ status: "failed", code: error.code }),
      );
      expect(outcome).toEqual(expected);
      // The same blocks ran the same number of times (order across parallel blocks may differ).
      expect([...remote.s.trace].sort()).toEqual([...local.s.trace].sort());
      const restarts = (await store.journal(id)).filter((e) => e.kind === "block.restarted").length;
      expect(restarts).toBeGreaterThan(0);
      await Promise.all(workers.splice(0).map((w) => w.stop({ graceMs: 0 })));
    }
  });
});
