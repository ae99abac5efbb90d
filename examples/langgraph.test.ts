import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore, run, SqliteStore } from "@blockwork/core";
import { BlockworkCheckpointSaver, LangGraphCompileError, toLangGraph } from "@blockwork/nodes/langgraph";
import { createGraph, defineContract, type GraphBlock, mapOf } from "@blockwork/spec";
import { Command, MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { refundGraph } from "./refund-approval/refund.graph.js";
import { releaseNotesGraph } from "./release-notes/release-notes.graph.js";
import { triageGraph } from "./support-triage/triage.graph.js";
import { digestGraph } from "./text-digest/digest.graph.js";

// One behaviour suite, two engines: every example graph runs on Blockwork's runtime and, compiled
// by toLangGraph, on LangGraph's own engine; outputs and the order of blocks must be the same.

const json = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")) as never;
let threads = 0;

async function onBlockwork(graph: GraphBlock, input: unknown) {
  const store = new MemoryStore();
  const handle = run(graph, input as never, { store });
  const output = await handle.result;
  return { output, order: store.journal(handle.id).filter((e) => e.kind === "block.completed").map((e) => e.path) };
}

async function onLangGraph(graph: GraphBlock, input: unknown) {
  const app = toLangGraph(graph).compile({ checkpointer: new MemorySaver() });
  const state = await app.invoke({ input }, { configurable: { thread_id: `t-${++threads}` } });
  return { output: state.output, order: state.trail };
}

const cases: [string, GraphBlock, unknown][] = [
  ["text-digest", digestGraph, { text: "Graphs are made of blocks. Blocks have contracts. Contracts are checked. The sky is blue.", maxSentences: 2 }],
  ["support-triage (billing)", triageGraph, json("./support-triage/ticket.json")],
  ["support-triage (technical)", triageGraph, { customer: "x", subject: "App crash", body: "It crashes on start" }],
  ["support-triage (other)", triageGraph, { customer: "x", subject: "Hi", body: "Nice product" }],
  ["release-notes (a bounded review loop and a subgraph)", releaseNotesGraph, json("./release-notes/input.json")],
  ["refund-approval (small: no person asked)", refundGraph, { ...(json("./refund-approval/request.json") as object), amount: 30 }],
];

describe("example graphs on both engines", () => {
  it.each(cases)("%s: same output and same order of blocks", async (_, graph, input) => {
    const blockwork = await onBlockwork(graph, input);
    const langgraph = await onLangGraph(graph, input);
    expect(langgraph.output).toEqual(blockwork.output);
    expect(langgraph.order).toEqual(blockwork.order);
    expect(blockwork.order.length).toBeGreaterThan(1);
  });

  it("refund-approval: the human block interrupts on LangGraph and resumes with Command({ resume }), as the Blockwork run resumes", async () => {
    const request = json("./refund-approval/request.json");
    const decision = { approved: false, reason: "outside the return window" };
    const store = new MemoryStore();
    const handle = run(refundGraph, request, { store });
    const settled = await handle.settled();
    await handle.resume("approve", decision);
    const expected = await handle.result;

    const app = toLangGraph(refundGraph).compile({ checkpointer: new MemorySaver() });
    const thread = { configurable: { thread_id: "refund-1" } };
    const waiting = await app.invoke({ input: request }, thread);
    expect(waiting.output).toBeUndefined();
    const snapshot = await app.getState(thread);
    expect(snapshot.tasks[0]?.interrupts[0]?.value).toEqual((settled as { readonly suspensions?: readonly { readonly payload: unknown }[] }).suspensions?.[0]?.payload);
    // Resume data is checked against the block's resume schema: refused data asks again, with the issues.
    const refused = await app.invoke(new Command({ resume: { approved: false, reason: "" } }), thread);
    expect(refused.output).toBeUndefined();
    expect((await app.getState(thread)).tasks[0]?.interrupts[0]?.value).toMatchObject({ code: "resume_invalid", issues: [expect.stringMatching(/^reason: /)] });
    const done = await app.invoke(new Command({ resume: decision }), thread);
    expect(done.output).toEqual(expected);
    expect(done.trail).toEqual(store.journal(handle.id).filter((e) => e.kind === "block.completed").map((e) => e.path));
  });
});

describe("the compiled graph with another checkpointer", () => {
  it("suspends at the human block, and resumes after the SQLite store behind BlockworkCheckpointSaver was closed and opened again", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "bw-to-lg-")), "lg.sqlite");
    const request = json("./refund-approval/request.json");
    const thread = { configurable: { thread_id: "refund-durable" } };
    const first = new SqliteStore(file);
    await toLangGraph(refundGraph).compile({ checkpointer: new BlockworkCheckpointSaver(first) }).invoke({ input: request }, thread);
    first.close();
    const again = new SqliteStore(file);
    const app = toLangGraph(refundGraph).compile({ checkpointer: new BlockworkCheckpointSaver(again) });
    expect((await app.getState(thread)).next).toEqual(["approve"]);
    const done = await app.invoke(new Command({ resume: { approved: true, reason: "kettle broken on arrival" } }), thread);
    expect(done.output).toEqual({ order: "ORD-1042", refunded: 240, decision: { approved: true, by: "human", reason: "kettle broken on arrival" } });
    again.close();
  });
});

// Maps fan out with Send; not used by an example graph yet, so a small one here.
const Word = z.object({ word: z.string() });
const upper = defineContract({ id: "upper", input: Word, output: z.object({ up: z.string() }) }).implement(({ word }) => {
  if (word === "boom") throw new Error("no booms");
  return { up: word.toUpperCase() };
});
const words = defineContract({ id: "words", input: z.object({ text: z.string() }), output: z.object({ items: z.array(Word) }) }).implement(({ text }) => ({ items: text.split(" ").map((word) => ({ word })) }));
function mapGraph(mode: "fail" | "collect") {
  const each = mapOf(upper, { id: "each", concurrency: 2, onItemError: mode });
  return createGraph({ id: `words-${mode}`, input: z.object({ text: z.string() }), output: each.contract.output })
    .then(words, (input) => input)
    .then(each, (_, { words }) => words)
    .output((_, r) => r.each)
    .build() as unknown as GraphBlock;
}

describe("maps via Send", () => {
  it("runs one task per item and gives the results in item order, as Blockwork does", async () => {
    const graph = mapGraph("fail");
    const blockwork = await onBlockwork(graph, { text: "a bb ccc" });
    const langgraph = await onLangGraph(graph, { text: "a bb ccc" });
    expect(langgraph.output).toEqual({ results: [{ up: "A" }, { up: "BB" }, { up: "CCC" }] });
    expect(langgraph.output).toEqual(blockwork.output);
    expect([...langgraph.order].sort()).toEqual([...blockwork.order].sort());
  });

  it("collects item failures when the map says so, as Blockwork does", async () => {
    const graph = mapGraph("collect");
    const blockwork = await onBlockwork(graph, { text: "a boom" });
    const langgraph = await onLangGraph(graph, { text: "a boom" });
    expect(langgraph.output).toMatchObject({ failed: 1, results: [{ ok: true, value: { up: "A" } }, { ok: false, error: { code: "block_failed" } }] });
    expect((langgraph.output as { results: unknown[] }).results[0]).toEqual((blockwork.output as { results: unknown[] }).results[0]);
  });
});

describe("contracts on LangGraph's engine, and what does not compile", () => {
  const liar = defineContract({ id: "liar", input: z.object({ n: z.number() }), output: z.object({ n: z.number() }) }).implement(() => ({ n: "seven" }) as never);
  const lying = createGraph({ id: "lying", input: z.object({ n: z.number() }), output: z.object({ n: z.number() }) })
    .then(liar, (input) => input)
    .output((_, r) => r.liar)
    .build();

  it("rejects a block output that breaks its contract, with the runtime's code and the block's path", async () => {
    await expect(onBlockwork(lying, { n: 1 })).rejects.toMatchObject({ code: "output_invalid" });
    await expect(onLangGraph(lying, { n: 1 })).rejects.toMatchObject({ code: "output_invalid", path: "lying/liar" });
  });

  it("rejects an input that breaks the first block's contract", async () => {
    await expect(onLangGraph(lying, { n: "one" })).rejects.toMatchObject({ code: "input_invalid", path: "lying/liar" });
  });

  it("retries a block up to its attempts (LangGraph's retry policy), and fails a slow attempt with block_timeout", async () => {
    let calls = 0;
    const flaky = defineContract({ id: "flaky", input: z.object({ n: z.number() }), output: z.object({ n: z.number() }), budget: { attempts: 3 } }).implement(({ n }) => {
      calls += 1;
      if (calls < 3) throw new Error("not yet");
      return { n };
    });
    const retried = createGraph({ id: "retried", input: z.object({ n: z.number() }), output: z.object({ n: z.number() }) })
      .then(flaky, (input) => input)
      .output((_, r) => r.flaky)
      .build();
    await expect(onLangGraph(retried, { n: 5 })).resolves.toMatchObject({ output: { n: 5 } });
    expect(calls).toBe(3);
    const slow = defineContract({ id: "slow", input: z.object({ n: z.number() }), output: z.object({ n: z.number() }), budget: { timeoutMs: 50 } }).implement(
      ({ n }) => new Promise<{ n: number }>((done) => setTimeout(() => done({ n }), 5_000).unref()),
    );
    const timed = createGraph({ id: "timed", input: z.object({ n: z.number() }), output: z.object({ n: z.number() }) })
      .then(slow, (input) => input)
      .output((_, r) => r.slow)
      .build();
    await expect(onLangGraph(timed, { n: 1 })).rejects.toMatchObject({ code: "block_timeout", path: "timed/slow" });
  });

  it("refuses supervision with a clear error instead of dropping it", () => {
    const supervised = { ...lying, def: { ...lying.def, supervision: { strategy: "one_for_all" as const } } } as GraphBlock;
    expect(() => toLangGraph(supervised)).toThrow(LangGraphCompileError);
    expect(() => toLangGraph(supervised)).toThrow(/cannot compile lying to LangGraph: its supervision strategy "one_for_all" has no LangGraph equivalent/);
    const restarted = { ...lying, def: { ...lying.def, nodes: lying.def.nodes.map((n) => ({ ...n, restart: { type: "permanent" as const } })) } } as GraphBlock;
    expect(() => toLangGraph(restarted)).toThrow(/cannot compile lying\/liar to LangGraph: its restart policy \("permanent"\)/);
  });
});
