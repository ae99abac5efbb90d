import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createGraph, defineContract } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { foldRun, MemoryStore, newRunRecord, resume, type RunEvent, run, runTask, SqliteStore, trackBlocks } from "../src/index.js";
import { nestedReview, reviewGraph, twoApprovals } from "./fixtures/hitl.js";

const dir = mkdtempSync(join(tmpdir(), "blockwork-hitl-"));

describe("human in the loop: suspend and resume", () => {
  it("suspends a block with its payload, settles as suspended, and resumes it with validated data", async () => {
    const calls: string[] = [];
    const store = new MemoryStore();
    const events: RunEvent[] = [];
    const h = run(reviewGraph(calls), { topic: "tea" }, { store, onEvent: (e) => events.push(e) });
    const settled = await h.settled();
    expect(settled).toEqual({ status: "suspended", suspensions: [{ id: "approve#1", path: "approve", act: 1, payload: { question: 'Approve "About tea"?' }, at: expect.any(Number) }] });
    expect(store.getRun(h.id)?.status).toBe("suspended");
    expect(events.map((e) => e.type)).toContain("run.suspended");

    await h.resume("approve", { approved: true, note: "lovely" });
    await expect(h.result).resolves.toEqual({ published: true, note: "lovely" });
    expect(calls).toEqual(["write", "approve", "approve:resumed", "publish"]);
    expect(store.journal(h.id).map((e) => `${e.kind} ${e.path}#${e.act}.${e.attempt}`)).toEqual([
      "block.completed write#1.1",
      "block.suspended approve#1.1",
      "block.resumed approve#1.1",
      "block.completed approve#1.2",
      "block.completed publish#1.1",
    ]);
    expect(store.getRun(h.id)?.status).toBe("completed");
    await expect(h.settled()).resolves.toMatchObject({ status: "completed" });
  });

  it("refuses data that breaks the resume schema, and a name that matches no suspension, and stays suspended", async () => {
    const h = run(reviewGraph(), { topic: "tea" });
    await h.settled();
    await expect(h.resume("approve", { approved: "yes" })).rejects.toMatchObject({ code: "resume_invalid", message: expect.stringMatching(/resume schema of block approve: approved: Invalid input: expected boolean/) });
    await expect(h.resume("publish", { approved: true })).rejects.toMatchObject({ code: "not_suspended", message: expect.stringMatching(/no suspended block "publish" \(suspended: approve#1\)/) });
    expect(h.suspensions().map((s) => s.id)).toEqual(["approve#1"]);
    await h.resume("approve#1", { approved: false });
    await expect(h.result).resolves.toEqual({ published: false, note: "" });
    await expect(h.resume("approve#1", { approved: true })).rejects.toMatchObject({ code: "not_suspended" });
  });

  it("keeps several suspensions in flight, each with its own id; the run is suspended only when nothing else can go on", async () => {
    const calls: string[] = [];
    const store = new MemoryStore();
    const statuses: string[] = [];
    const h = run(twoApprovals(calls), { topic: "tea" }, { store, onEvent: (e) => e.type === "run.suspended" && statuses.push(e.suspensions.map((s) => s.id).join(",")) });
    const first = await h.settled();
    // `check` ran (20 ms) before the run went quiet: both approvals were waiting by then.
    expect(first).toMatchObject({ status: "suspended", suspensions: [{ id: "legal#1" }, { id: "brand#1" }] });
    expect(calls.slice(0, 4).sort()).toEqual(["brand", "check", "legal", "write"]);
    await h.resume("brand", { approved: true });
    await expect(h.settled()).resolves.toMatchObject({ status: "suspended", suspensions: [{ id: "legal#1" }] });
    await h.resume("legal", { approved: true });
    await expect(h.result).resolves.toEqual({ ok: true });
    expect(statuses).toEqual(["legal#1,brand#1", "legal#1"]);
  });

  it("suspends inside a subgraph: the suspension's path names the block inside", async () => {
    const h = run(nestedReview(), { topic: "tea" });
    await expect(h.settled()).resolves.toMatchObject({ status: "suspended", suspensions: [{ id: "inner/approve#1", path: "inner/approve" }] });
    await h.resume("inner/approve", { approved: true, note: "ok" });
    await expect(h.result).resolves.toEqual({ published: true, note: "ok" });
  });

  it("resumes a suspended run in another process (a new store instance on the same file), and only then", async () => {
    const file = join(dir, "later.sqlite");
    const calls: string[] = [];
    const first = new SqliteStore(file);
    const h = run(reviewGraph(calls), { topic: "tea" }, { store: first });
    await h.settled();
    first.close();

    const store = new SqliteStore(file);
    expect(store.getRun(h.id)?.status).toBe("suspended");
    // A wrong answer is refused before anything runs, and the run stays suspended.
    await expect(resume(h.id, { store, graph: reviewGraph(calls), block: "approve", data: { approved: 1 } })).rejects.toMatchObject({ code: "resume_invalid" });
    await expect(resume(h.id, { store, graph: reviewGraph(calls), block: "nope", data: {} })).rejects.toMatchObject({ code: "not_suspended" });
    expect(store.journal(h.id)).toHaveLength(2);

    // Resumed without an answer: it replays and stays suspended.
    const idle = await resume(h.id, { store, graph: reviewGraph(calls) });
    await expect(idle.settled()).resolves.toMatchObject({ status: "suspended", suspensions: [{ id: "approve#1" }] });

    const resumed = await resume(h.id, { store, graph: reviewGraph(calls), block: "approve", data: { approved: true, note: "later" } });
    await expect(resumed.result).resolves.toEqual({ published: true, note: "later" });
    expect(calls).toEqual(["write", "approve", "approve:resumed", "publish"]);
    expect(store.getRun(h.id)).toMatchObject({ status: "completed" });
  });

  it("survives SIGKILL while suspended: the resumed run keeps the answer given before the crash and waits for the other", async () => {
    const file = join(dir, "killed.sqlite");
    const child = spawn(process.execPath, ["--conditions=@blockwork/source", "--import", "tsx", fileURLToPath(new URL("./fixtures/hitl-child.ts", import.meta.url)), file], { stdio: ["ignore", "pipe", "inherit"] });
    const lines: string[] = [];
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        lines.push(...chunk.toString().trim().split("\n"));
        if (lines.includes("suspended")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`the child exited early with ${code}`)));
    });
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const runId = lines[0] as string;
    const store = new SqliteStore(file);
    expect(store.getRun(runId)?.status).toBe("suspended");

    const calls: string[] = [];
    const h = await resume(runId, { store, graph: twoApprovals(calls) });
    await expect(h.settled()).resolves.toMatchObject({ status: "suspended", suspensions: [{ id: "legal#1" }] });
    // Nothing that finished before the crash runs again: brand was answered there.
    expect(calls).toEqual([]);
    await h.resume("legal", { approved: false });
    await expect(h.result).resolves.toEqual({ ok: false });
    expect(calls).toEqual(["legal:resumed", "both"]);
    expect(store.getRun(runId)?.status).toBe("completed");
  });

  it("a block that suspends without a resume schema fails with suspend_invalid", async () => {
    const sneaky = defineContract({ id: "sneaky", input: z.object({}), output: z.object({}) }).implement((_, ctx) => (ctx as unknown as { suspend(p: unknown): never }).suspend({}));
    const graph = createGraph({ id: "g", input: z.object({}), output: z.object({}) }).then(sneaky).output(() => ({})).build();
    await expect(run(graph, {}).result).rejects.toMatchObject({ code: "suspend_invalid", message: expect.stringMatching(/declares no resume schema/) });
  });

  it("a supervisor restart that takes a suspended block along drops its suspension; its new activation suspends again", async () => {
    let failures = 1;
    const calls: string[] = [];
    const tracker = trackBlocks();
    const h = run(twoApprovals(calls, { strategy: "one_for_all", restart: { type: "permanent", initialDelayMs: 0, jitter: 0 }, failing: () => failures-- > 0 }), { topic: "tea" }, { onEvent: (e) => tracker.apply(e) });
    // check fails once (after legal and brand suspended): everything restarts, the approvals ask again.
    await expect(h.settled()).resolves.toMatchObject({ status: "suspended", suspensions: [{ id: "legal#2" }, { id: "brand#2" }] });
    await expect(h.resume("legal#1", { approved: true })).rejects.toMatchObject({ code: "not_suspended" });
    await h.resume("legal", { approved: true });
    await h.resume("brand", { approved: true });
    await expect(h.result).resolves.toEqual({ ok: true });
    expect(tracker.violations).toEqual([]);
    expect(Object.fromEntries(tracker.states())).toMatchObject({ legal: "completed", brand: "completed", check: "completed" });
  });
});

describe("human in the loop across processes (foldRun / runTask)", () => {
  it("a suspended block is not ready; the fold lists it as suspended", async () => {
    const graph = reviewGraph();
    const record = newRunRecord(graph, { topic: "tea" });
    const write = await runTask(graph, record, [], "write#1");
    const j1 = write.entries.map((e, i) => ({ ...e, seq: i + 1 })) as never[];
    const suspended = await runTask(graph, record, j1, "approve#1");
    expect(suspended.entries).toMatchObject([{ kind: "block.suspended", path: "approve", payload: { question: 'Approve "About tea"?' } }]);
    const j2 = [...j1, ...suspended.entries.map((e, i) => ({ ...e, seq: j1.length + i + 1 }))] as never[];
    const fold = foldRun(graph, record, j2);
    expect(fold.ready).toEqual([]);
    expect(fold.suspended).toMatchObject([{ id: "approve#1", path: "approve" }]);
    expect(fold.outcome).toBeUndefined();
  });
});
