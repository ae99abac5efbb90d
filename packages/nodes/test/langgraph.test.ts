import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resume, run, SqliteStore } from "@blockwork/core";
import { createGraph, defineContract } from "@blockwork/spec";
import { Annotation, interrupt, MemorySaver, StateGraph } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fromLangGraph } from "../src/langgraph/index.js";

// A real LangGraph graph (research -> write) inside a Blockwork block.

const State = Annotation.Root({
  topic: Annotation<string>,
  notes: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  draft: Annotation<string>,
  approved: Annotation<boolean>,
});

function researchGraph(calls: string[], options: { failWriteOnce?: boolean; ask?: boolean } = {}) {
  let failed = false;
  return new StateGraph(State)
    .addNode("research", async (s) => {
      calls.push("research");
      return { notes: [`${s.topic} is old`, `${s.topic} is loved`] };
    })
    .addNode("write", async (s) => {
      calls.push("write");
      if (options.failWriteOnce && !failed) {
        failed = true;
        throw new Error("the writer timed out");
      }
      const approved = options.ask ? (interrupt({ question: `Publish a text about ${s.topic}?` }) as { ok: boolean }).ok : true;
      return { draft: `${s.topic}: ${s.notes.join("; ")}`, approved };
    })
    .addEdge("__start__", "research")
    .addEdge("research", "write")
    .addEdge("write", "__end__");
}

const Topic = z.object({ topic: z.string() });
const Article = z.object({ draft: z.string(), notes: z.number(), approved: z.boolean() });
const article = (state: Record<string, unknown>) => ({ draft: state["draft"] as string, notes: (state["notes"] as string[]).length, approved: state["approved"] as boolean });

function pipeline<B extends Parameters<ReturnType<typeof createGraph>["then"]>[0]>(block: B) {
  const shout = defineContract({ id: "shout", input: Article, output: z.object({ text: z.string() }) }).implement(({ draft, approved }) => ({ text: approved ? draft.toUpperCase() : "(rejected)" }));
  return createGraph({ id: "langgraph-pipeline", input: Topic, output: z.object({ text: z.string() }) })
    .then(block as never)
    .then(shout, (_: unknown, r: Record<string, unknown>) => r["article"] as never)
    .output((_: unknown, r: Record<string, unknown>) => r["shout"] as never)
    .build();
}

describe("a LangGraph graph as a block", () => {
  it("runs with the block's input as its state, and its final state checked against the contract", async () => {
    const calls: string[] = [];
    const block = fromLangGraph(defineContract({ id: "article", input: Topic, output: Article }), researchGraph(calls).compile(), { output: article });
    await expect(run(pipeline(block), { topic: "tea" }).result).resolves.toEqual({ text: "TEA: TEA IS OLD; TEA IS LOVED" });
    expect(calls).toEqual(["research", "write"]);

    // The final state as it is has more fields than the contract allows: a contract failure, not a silent pass.
    const loose = fromLangGraph(defineContract({ id: "article", input: Topic, output: Article }), researchGraph([]).compile());
    await expect(run(pipeline(loose), { topic: "tea" }).result).rejects.toMatchObject({ code: "output_invalid", path: "article" });
  });

  it("retries from LangGraph's checkpoint: the node that finished does not run again", async () => {
    const calls: string[] = [];
    const saver = SqliteSaver.fromConnString(join(mkdtempSync(join(tmpdir(), "bw-langgraph-")), "checkpoints.sqlite"));
    const block = fromLangGraph(defineContract({ id: "article", input: Topic, output: Article }), researchGraph(calls, { failWriteOnce: true }).compile({ checkpointer: saver }), { output: article });
    const graph = createGraph({ id: "retrying", input: Topic, output: Article })
      .then(block, (input) => input, { retry: { attempts: 2, initialDelayMs: 0, jitter: 0 } })
      .output((_, { article }) => article)
      .build();
    await expect(run(graph, { topic: "tea" }).result).resolves.toEqual({ draft: "tea: tea is old; tea is loved", notes: 2, approved: true });
    expect(calls).toEqual(["research", "write", "write"]);
  });

  it("turns interrupt() into a suspension, and the resume data into Command({ resume })", async () => {
    const calls: string[] = [];
    const contract = defineContract({ id: "article", input: Topic, output: Article, resume: z.object({ ok: z.boolean() }) });
    const block = fromLangGraph(contract, researchGraph(calls, { ask: true }).compile({ checkpointer: new MemorySaver() }), { output: article });
    const handle = run(pipeline(block), { topic: "tea" });
    expect(await handle.settled()).toMatchObject({ status: "suspended", suspensions: [{ id: "article#1", payload: { question: "Publish a text about tea?" } }] });
    await handle.resume("article", { ok: false });
    await expect(handle.result).resolves.toEqual({ text: "(rejected)" });
    // research ran once; write ran up to the interrupt, then again with the answer (as LangGraph does).
    expect(calls).toEqual(["research", "write", "write"]);

    const noResume = fromLangGraph(defineContract({ id: "article", input: Topic, output: Article }), researchGraph([], { ask: true }).compile({ checkpointer: new MemorySaver() }), { output: article });
    await expect(run(pipeline(noResume), { topic: "tea" }).result).rejects.toMatchObject({ message: expect.stringMatching(/was interrupted .* but the block's contract has no resume schema/) });
  });

  it("survives the process: a suspended run resumed elsewhere continues the same LangGraph thread", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bw-langgraph-"));
    const checkpoints = join(dir, "checkpoints.sqlite");
    const contract = defineContract({ id: "article", input: Topic, output: Article, resume: z.object({ ok: z.boolean() }) });
    const store = new SqliteStore(join(dir, "runs.sqlite"));
    const first: string[] = [];
    const handle = run(pipeline(fromLangGraph(contract, researchGraph(first, { ask: true }).compile({ checkpointer: SqliteSaver.fromConnString(checkpoints) }), { output: article })), { topic: "tea" }, { store });
    await handle.settled();
    // Another process: new graph objects, new checkpointer connection, the same files.
    const second: string[] = [];
    const again = pipeline(fromLangGraph(contract, researchGraph(second, { ask: true }).compile({ checkpointer: SqliteSaver.fromConnString(checkpoints) }), { output: article }));
    const resumed = await resume(handle.id, { store, graph: again, block: "article", data: { ok: true } });
    await expect(resumed.result).resolves.toEqual({ text: "TEA: TEA IS OLD; TEA IS LOVED" });
    expect(first).toEqual(["research", "write"]);
    expect(second).toEqual(["write"]);
    store.close();
  });
});
