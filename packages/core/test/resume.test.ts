import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createGraph, defineContract, firstOf, mapOf, maybe } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { resume, run, SqliteStore, type Store } from "../src/index.js";
import { crashGraph } from "./fixtures/crash-graph.js";

const dir = mkdtempSync(join(tmpdir(), "blockwork-resume-"));
let files = 0;
const sqlite = () => new SqliteStore(join(dir, `run-${files++}.sqlite`));

/** What a block does when called: a value, a thrown error, or never finishing (the "crash"). */
type Behaviour = (id: string, n: number) => number | "hang" | "throw";
const N = z.object({ n: z.number() });

/** A graph whose blocks call `behave` and count their calls; the GraphDef does not depend on it. */
function counted(kind: "chain" | "loop" | "map" | "subgraph", behave: Behaviour) {
  const calls: string[] = [];
  const block = <const I extends string>(id: I) =>
    defineContract({ id, input: N, output: N }).implement(({ n }) => {
      calls.push(`${id}:${n}`);
      const result = behave(id, n);
      if (result === "hang") return new Promise<never>(() => {});
      if (result === "throw") throw new Error(`${id} failed`);
      return { n: result };
    });
  const graph = (() => {
    switch (kind) {
      case "chain":
        return createGraph({ id: "chain", input: N, output: N }).then(block("a")).then(block("b")).then(block("c")).output((_, { c }) => c).build();
      case "loop": {
        const review = defineContract({ id: "review", input: N, output: z.object({ n: z.number(), verdict: z.enum(["again", "ok"]) }) }).implement(({ n }) => {
          calls.push(`review:${n}`);
          const result = behave("review", n);
          if (result === "hang") return new Promise<never>(() => {});
          return { n, verdict: n >= 3 ? "ok" : "again" };
        });
        return createGraph({ id: "loop", input: N, output: N })
          .add(block("draft"))
          .add(review, (_, { draft }) => draft)
          .add(block("done"), (_, { review }) => ({ n: review.n }))
          // On the first pass there is no review yet: the graph input is the default.
          .bind("draft", (input, { review }) => ({ n: firstOf(maybe(review.n), input.n) }))
          .start("draft")
          .edge("draft", "review")
          .route("review", "verdict", { again: { to: "draft", max: 5 }, ok: "done" })
          .output((_, { done }) => done)
          .build();
      }
      case "map":
        return createGraph({ id: "map", input: z.object({ items: z.array(N) }), output: z.object({ results: z.array(N) }) })
          .then(mapOf(block("sq"), { id: "each", concurrency: 2 }), (input) => ({ items: input.items }))
          .output((_, { each }) => each)
          .build();
      case "subgraph": {
        const inner = createGraph({ id: "inner", input: N, output: N }).then(block("x")).then(block("y")).output((_, { y }) => y).build();
        return createGraph({ id: "outer", input: N, output: N }).then(block("before")).then(inner).then(block("after")).output((_, { after }) => after).build();
      }
    }
  })();
  return { graph, calls };
}

async function untilJournal(store: Store, runId: string, entries: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await store.journal(runId)).length >= entries) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`the journal of ${runId} never reached ${entries} entries`);
}

describe("resume", () => {
  it("continues a chain after the last journaled block without running finished blocks again", async () => {
    const store = sqlite();
    const first = counted("chain", (id, n) => (id === "c" ? "hang" : n + 1));
    const h = run(first.graph, { n: 0 }, { store });
    await untilJournal(store, h.id, 2);
    // The first process is gone (its "c" never finishes); a second one resumes from the file.
    const second = counted("chain", (_, n) => n + 10);
    const resumed = await resume(h.id, { store: new SqliteStore(store.file), graph: second.graph });
    await expect(resumed.result).resolves.toEqual({ n: 12 });
    expect(second.calls).toEqual(["c:2"]);
  });

  it("replays a loop up to the activation that was running", async () => {
    const store = sqlite();
    const first = counted("loop", (id, n) => (id === "draft" && n === 2 ? "hang" : id === "draft" ? n + 1 : n));
    const h = run(first.graph, { n: 0 }, { store });
    // Two completions and a loop.pass entry per pass.
    await untilJournal(store, h.id, 6);
    expect(first.calls).toEqual(["draft:0", "review:1", "draft:1", "review:2", "draft:2"]);
    const second = counted("loop", (id, n) => (id === "draft" ? n + 1 : n));
    const resumed = await resume(h.id, { store, graph: second.graph });
    await expect(resumed.result).resolves.toEqual({ n: 3 });
    expect(second.calls).toEqual(["draft:2", "review:3", "done:3"]);
    expect((await store.journal(h.id)).map((e) => `${e.kind === "loop.pass" ? "pass " : ""}${e.path}#${e.act}`)).toEqual([
      "draft#1",
      "review#1",
      "pass draft#2",
      "draft#2",
      "review#2",
      "pass draft#3",
      "draft#3",
      "review#3",
      "done#1",
    ]);
  });

  it("does not redo finished map items", async () => {
    const store = sqlite();
    const first = counted("map", (_, n) => (n >= 3 ? "hang" : n * n));
    const items = [1, 2, 3, 4, 5].map((n) => ({ n }));
    const h = run(first.graph, { items }, { store });
    await untilJournal(store, h.id, 2);
    const second = counted("map", (_, n) => n * n);
    const resumed = await resume(h.id, { store, graph: second.graph });
    await expect(resumed.result).resolves.toEqual({ results: items.map(({ n }) => ({ n: n * n })) });
    expect(second.calls.sort()).toEqual(["sq:3", "sq:4", "sq:5"]);
  });

  it("resumes inside a subgraph", async () => {
    const store = sqlite();
    const first = counted("subgraph", (id, n) => (id === "y" ? "hang" : n + 1));
    const h = run(first.graph, { n: 0 }, { store });
    await untilJournal(store, h.id, 2);
    expect((await store.journal(h.id)).map((e) => e.path)).toEqual(["before", "inner/x"]);
    const second = counted("subgraph", (_, n) => n + 1);
    await expect((await resume(h.id, { store, graph: second.graph })).result).resolves.toEqual({ n: 4 });
    expect(second.calls).toEqual(["y:2", "after:3"]);
  });

  it("continues a pending retry with the next attempt after what is left of its delay", async () => {
    const store = sqlite();
    let attempts = 0;
    const flaky = (hangOn: number) =>
      defineContract({ id: "flaky", input: N, output: N }).implement(({ n }, ctx) => {
        attempts++;
        if (ctx.attempt < hangOn) throw new Error(`attempt ${ctx.attempt} failed`);
        if (ctx.attempt === hangOn && hangOn < 3) return new Promise<never>(() => {});
        return { n: n + ctx.attempt };
      });
    const graph = (hangOn: number) =>
      createGraph({ id: "retry", input: N, output: N })
        .then(flaky(hangOn), (input) => input, { retry: { attempts: 5, initialDelayMs: 30, jitter: 0 } })
        .output((_, { flaky }) => flaky)
        .build();
    const h = run(graph(2), { n: 0 }, { store });
    await untilJournal(store, h.id, 1);
    const resumed = await resume(h.id, { store, graph: graph(3) });
    // Attempt 2 was running at the "crash": it runs again as attempt 2 (the attempt count goes on).
    await expect(resumed.result).resolves.toEqual({ n: 3 });
    expect((await store.journal(h.id)).map((e) => [e.kind, e.attempt])).toEqual([
      ["attempt.failed", 1],
      ["attempt.failed", 2],
      ["block.completed", 3],
    ]);
    expect(attempts).toBe(4);
  });

  it("refuses a graph whose version differs from the run's", async () => {
    const store = sqlite();
    const first = counted("chain", (id, n) => (id === "b" ? "hang" : n + 1));
    const h = run(first.graph, { n: 0 }, { store });
    await untilJournal(store, h.id, 1);
    const other = counted("map", (_, n) => n);
    await expect(resume(h.id, { store, graph: other.graph })).rejects.toMatchObject({ code: "graph_not_found" });
  });

  it("survives SIGKILL of a real process: completed blocks never run again", async () => {
    const file = join(dir, "killed.sqlite");
    const log = join(dir, "side-effects.log");
    const child = spawn(process.execPath, ["--conditions=@blockwork/source", "--import", "tsx", fileURLToPath(new URL("./fixtures/crash-child.ts", import.meta.url)), file, log], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const runId = await new Promise<string>((resolve, reject) => {
      child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once("exit", (code) => reject(new Error(`the child exited early with ${code}`)));
    });
    // Let it get a few blocks in, then kill it without warning.
    for (let i = 0; i < 1_000 && (!existsSync(log) || readFileSync(log, "utf8").split("\n").length < 5); i++) await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const store = new SqliteStore(file);
    const before = store.journal(runId).map((e) => e.path);
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.length).toBeLessThan(10);
    expect(store.getRun(runId)?.status).toBe("running");

    const resumed = await resume(runId, { store, graph: crashGraph(log, 1) });
    await expect(resumed.result).resolves.toEqual({ n: 10 });
    const effects = readFileSync(log, "utf8").trim().split("\n");
    const count = (key: string) => effects.filter((k) => k === key).length;
    for (const path of before) expect(count(`${runId}:${path}#1`), `${path} completed before the kill`).toBe(1);
    // Only the block running at the kill ran twice, with the same idempotency key.
    const twice = [...new Set(effects)].filter((k) => count(k) > 1);
    expect(twice.length).toBeLessThanOrEqual(1);
    expect(new Set(effects).size).toBe(10);
    expect(store.journal(runId).filter((e) => e.kind === "block.completed")).toHaveLength(10);
    expect(store.getRun(runId)).toMatchObject({ status: "completed", output: { n: 10 } });
  });
});
