import { createGraph, defineContract } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { MemoryStore, type RunEvent, resume, run, upgrade } from "../src/index.js";
import { approval, reviewGraph, reviewV1b } from "./fixtures/hitl.js";

const N = z.object({ n: z.number() });

/** a -> b -> c (each n + 1); `v2` changes what c does and adds d (n * 10) after it. */
function counter(version: 1 | 2, trace: string[], slowB = 0) {
  const step = <const I extends string>(id: I, fn: (n: number) => number, wait = 0) =>
    defineContract({ id, input: N, output: N }).implement(async ({ n }) => {
      trace.push(`${id}@v${version}`);
      if (wait) await new Promise((r) => setTimeout(r, wait));
      return { n: fn(n) };
    });
  const g = createGraph({ id: "counter", input: N, output: N })
    .then(step("a", (n) => n + 1))
    .then(step("b", (n) => n + 1, slowB))
    .then(step("c", (n) => (version === 1 ? n + 1 : n + 100)));
  if (version === 1) return g.output((_, { c }) => c).build();
  return g
    .then(step("d", (n) => n * 10))
    .output((_, { d }) => d)
    .build();
}

/** The review graph, v2: `write` also produces a summary, and `publish` is followed by `archive`. */
function reviewV2(calls: string[] = []) {
  const write = defineContract({ id: "write", input: z.object({ topic: z.string() }), output: z.object({ text: z.string(), summary: z.string() }) }).implement(({ topic }) => {
    calls.push("write");
    return { text: `About ${topic}`, summary: topic };
  });
  const publish = defineContract({ id: "publish", input: z.object({ approved: z.boolean(), note: z.string() }), output: z.object({ published: z.boolean(), note: z.string() }) }).implement(
    ({ approved, note }) => {
      calls.push("publish@v2");
      return { published: approved, note: `${note} (v2)` };
    },
  );
  const archive = defineContract({ id: "archive", input: z.object({ summary: z.string(), published: z.boolean() }), output: z.object({ published: z.boolean(), note: z.string() }) }).implement(
    ({ summary, published }) => {
      calls.push("archive");
      return { published, note: `archived ${summary}` };
    },
  );
  return createGraph({ id: "review", input: z.object({ topic: z.string() }), output: z.object({ published: z.boolean(), note: z.string() }) })
    .then(write)
    .then(approval("approve", calls), (_, { write }) => ({ text: write.text }))
    .then(publish)
    .then(archive, (_, { write, publish }) => ({ summary: write.summary, published: publish.published }))
    .output((_, { archive }) => archive)
    .build();
}

describe("upgrading runs in flight", () => {
  it("moves a suspended run to a new version; the store keeps both versions and the run goes on on the new one", async () => {
    const store = new MemoryStore();
    const h = run(reviewGraph(), { topic: "tea" }, { store });
    await h.settled();
    const v1 = store.getRun(h.id)?.version as string;

    const calls: string[] = [];
    const result = await upgrade(h.id, { store, to: reviewV1b(calls) });
    expect(result).toMatchObject({ from: v1, position: ["approve"], migrated: [], waived: [] });
    expect(store.getRun(h.id)?.version).toBe(result.to);
    expect(store.getGraph(v1)).toBeDefined();
    expect(store.getGraph(result.to)).toBeDefined();
    expect(store.journal(h.id).at(-1)).toMatchObject({ kind: "run.upgraded", from: v1, to: result.to });

    // The old graph can no longer resume it: it is pinned to the new version.
    await expect(resume(h.id, { store, graph: reviewGraph() })).rejects.toMatchObject({ code: "graph_not_found" });
    const resumed = await resume(h.id, { store, graph: reviewV1b(calls), block: "approve", data: { approved: true, note: "ok" } });
    await expect(resumed.result).resolves.toEqual({ published: true, note: "OK" });
    expect(calls).toEqual(["approve:resumed", "publish@v1b", "check"]);
  });

  it("finishes an upgrade interrupted between its journal entry and the new pin, when the run is resumed", async () => {
    const store = new MemoryStore();
    const h = run(reviewGraph(), { topic: "tea" }, { store });
    await h.settled();
    const v1 = store.getRun(h.id)?.version as string;
    const result = await upgrade(h.id, { store, to: reviewV1b() });
    // The process died after appending run.upgraded, before pinning the run to the new version.
    store.updateRun(h.id, { version: v1, updatedAt: Date.now() });
    const resumed = await resume(h.id, { store, graph: reviewV1b(), block: "approve", data: { approved: true, note: "ok" } });
    await expect(resumed.result).resolves.toEqual({ published: true, note: "OK" });
    expect(store.getRun(h.id)?.version).toBe(result.to);
  });

  it("refuses a move the run's data does not allow, with every reason, and changes nothing", async () => {
    const store = new MemoryStore();
    const h = run(reviewGraph(), { topic: "tea" }, { store });
    await h.settled();
    const before = store.journal(h.id);
    const version = store.getRun(h.id)?.version;
    const error = (await upgrade(h.id, { store, to: reviewV2() }).catch((e: unknown) => e)) as { code: string; message: string };
    expect(error.code).toBe("upgrade_refused");
    // The static verdict for the position, and the concrete check of what the run holds.
    expect(error.message).toMatch(/cannot be moved to the new version:/);
    expect(error.message).toMatch(/at approve: /);
    expect(store.journal(h.id)).toEqual(before);
    expect(store.getRun(h.id)?.version).toBe(version);

    // With a migration the data is rewritten, checked against the new schemas, and journaled.
    const missing = (await upgrade(h.id, { store, to: reviewV2(), migrate: { outputs: { nope: (o) => o } } }).catch((e: unknown) => e)) as { message: string };
    expect(missing.message).toMatch(/journaled output of write does not satisfy its schema in the new graph: summary: Invalid input/);
    expect(missing.message).toMatch(/rewrites outputs of nope, which the run has not produced \(blocks it did produce: write\)/);

    const calls: string[] = [];
    const result = await upgrade(h.id, { store, to: reviewV2(calls), migrate: { outputs: { write: (o) => ({ ...(o as object), summary: "tea (migrated)" }) } } });
    expect(result.migrated).toEqual(["write"]);
    expect(result.waived.length).toBeGreaterThan(0);
    const resumed = await resume(h.id, { store, graph: reviewV2(calls), block: "approve", data: { approved: true, note: "fine" } });
    await expect(resumed.result).resolves.toEqual({ published: true, note: "archived tea (migrated)" });
    expect(calls).toEqual(["approve:resumed", "publish@v2", "archive"]);
  });

  it("upgrades a running run at its next block boundary: the block in progress finishes, the rest runs on the new version", async () => {
    const trace: string[] = [];
    const store = new MemoryStore();
    const events: RunEvent[] = [];
    const h = run(counter(1, trace, 60), { n: 0 }, { store, onEvent: (e) => events.push(e) });
    // Wait until b is running, then ask for the upgrade.
    while (!trace.includes("b@v1")) await new Promise((r) => setTimeout(r, 2));
    const upgraded = h.upgrade(counter(2, trace));
    await expect(upgraded).resolves.toMatchObject({ position: ["c"] });
    await expect(h.result).resolves.toEqual({ n: 1020 });
    expect(trace).toEqual(["a@v1", "b@v1", "c@v2", "d@v2"]);
    // After the upgrade, the journal is replayed on the new version (completions marked replayed).
    const order = events
      .filter((e) => !(e.type === "block.completed" && e.replayed))
      .map((e) => (e.type === "block.completed" || e.type === "block.started" ? `${e.type}:${e.path}` : e.type))
      .filter((t) => t !== "edge.taken");
    expect(order.slice(order.indexOf("block.completed:b"), order.indexOf("block.completed:b") + 3)).toEqual(["block.completed:b", "run.upgraded", "block.started:c"]);
    expect(store.journal(h.id).map((e) => `${e.kind}${e.path ? ` ${e.path}` : ""}`)).toEqual([
      "block.completed a",
      "block.completed b",
      "run.upgraded",
      "block.completed c",
      "block.completed d",
    ]);
  });

  it("refuses an unsafe upgrade of a running run, which then goes on as it was", async () => {
    const trace: string[] = [];
    const h = run(counter(1, trace, 30), { n: 0 });
    while (!trace.includes("b@v1")) await new Promise((r) => setTimeout(r, 2));
    // The new version needs an input field the run does not have.
    const strict = createGraph({ id: "counter", input: z.object({ n: z.number(), label: z.string() }), output: N })
      .then(defineContract({ id: "a", input: N, output: N }).implement(({ n }) => ({ n })))
      .output((_, { a }) => a)
      .build();
    await expect(h.upgrade(strict)).rejects.toMatchObject({ code: "upgrade_refused", message: expect.stringMatching(/input does not satisfy the new graph's input schema: label: Invalid input/) });
    await expect(h.result).resolves.toEqual({ n: 3 });
    expect(trace).toEqual(["a@v1", "b@v1", "c@v1"]);
  });
});

