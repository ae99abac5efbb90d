import { MemoryStore, run } from "@blockwork/core";
import { createGraph, defineContract } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { type RlmBudget, type RlmOptions, rlmBlock } from "../src/index.js";
import { scriptedModel, type ScriptedReply } from "../src/testing/index.js";
import { Answer, cell, isSubCall, putText, Question, rlmGraph, runRlm } from "./rlm-helpers.js";

// Every budget of an rlm block, run out at each level where it can run out: in the block's own
// turns, and inside a sub-call that a cell makes. The block ends with an RlmError whose kind
// the runtime records (what supervision and retry policies act on); the code cannot swallow it.

const corpus = "alpha beta gamma\n".repeat(1_000);

async function exhaust(budget: RlmBudget, cells: readonly string[], sub: ScriptedReply = "sub answer", options: Partial<RlmOptions> = {}) {
  const store = new MemoryStore();
  const handle = await putText(store, corpus);
  const model = scriptedModel({
    rules: [
      { when: isSubCall, reply: sub },
      ...cells.map((code, i) => ({ when: (r: Parameters<typeof model.generate>[0]) => !isSubCall(r) && r.messages.filter((m) => m.role === "assistant").length === i, reply: cell(code) })),
    ],
  });
  const { result, events } = await runRlm(rlmGraph(model, { budget, ...options }), { corpus: handle, question: "?" }, store);
  if (result.ok) throw new Error(`expected the block to fail, it answered ${JSON.stringify(result.output)}`);
  return { info: result.error.info, calls: model.calls, events };
}

const loopForever = "for (let i = 0; ; i++) llm_query('q' + i)";

describe("rlm budgets, enforced by the host", () => {
  it("cells: the block's turns", async () => {
    const { info, calls } = await exhaust({ cells: 2 }, ["print(1)", "print(2)", "print(3)"]);
    expect(info).toMatchObject({ code: "block_failed", kind: "cells_exceeded" });
    expect(calls).toHaveLength(2);
  });

  it("model calls: at the block's level (its turns)", async () => {
    const { info, calls } = await exhaust({ modelCalls: 2 }, ["print(1)", "print(2)", "print(3)"]);
    expect(info).toMatchObject({ kind: "model_calls_exceeded" });
    expect(info.message).toMatch(/model call 3, over budget.modelCalls 2/);
    expect(calls).toHaveLength(2);
  });

  it("model calls: inside a cell's sub-calls, and the code cannot catch its way past it", async () => {
    const { info, calls } = await exhaust({ modelCalls: 5 }, [`try { ${loopForever} } catch (e) { print("swallowed") } answer = { content: { answer: "x" }, ready: true }`]);
    expect(info).toMatchObject({ kind: "model_calls_exceeded" });
    expect(calls.filter(isSubCall)).toHaveLength(4);
  });

  it("model calls: inside llm_batch, which stops launching", async () => {
    const { info, calls } = await exhaust({ modelCalls: 4 }, ["llm_batch(Array.from({ length: 20 }, (_, i) => 'q' + i))"], { text: "ok", delayMs: 5 }, { concurrency: 2 });
    expect(info).toMatchObject({ kind: "model_calls_exceeded" });
    expect(calls.filter(isSubCall).length).toBe(3);
  });

  it("tokens: at the block's level", async () => {
    const { info } = await exhaust({ tokens: 1_500 }, ["print('x'.repeat(3000))", "print(2)", "print(3)"]);
    expect(info).toMatchObject({ kind: "tokens_exceeded" });
  });

  it("tokens: inside a sub-call (the child gets the remaining budget, not a fresh one)", async () => {
    const { info, calls } = await exhaust({ tokens: 3_000, subContextTokens: 2_000 }, [`for (let i = 0; ; i++) llm_query("q", blob_slice(corpus, 0, 4000))`]);
    expect(info).toMatchObject({ kind: "tokens_exceeded" });
    // Each sub-call's context is ~1,000 tokens: the third does not fit what the turn and two sub-calls left.
    expect(calls.filter(isSubCall).length).toBeLessThanOrEqual(2);
  });

  it("a sub-call whose data does not fit its own context budget is refused to the code (which can then slice smaller)", async () => {
    const store = new MemoryStore();
    const handle = await putText(store, corpus);
    const model = scriptedModel({
      rules: [
        { when: isSubCall, reply: "small enough" },
        { when: /Cell 1 output/, reply: cell("answer = { content: { answer: said }, ready: true }") },
        { when: () => true, reply: cell(`let said; try { llm_query("q", blob_slice(corpus, 0, 17000)) } catch (e) { print(e.message) } said = llm_query("q", blob_slice(corpus, 0, 100));`) },
      ],
    });
    const { result } = await runRlm(rlmGraph(model, { budget: { subContextTokens: 1_000 } }), { corpus: handle, question: "?" }, store);
    expect(result).toEqual({ ok: true, output: { answer: "small enough" } });
    const second = model.calls.find((c) => JSON.stringify(c.messages).includes("Cell 1 output"));
    expect(JSON.stringify(second?.messages)).toMatch(/llm_query: the prompt and data need \d+ tokens, over the sub-call budget of 1000/);
  });

  it("depth: 0 allows no sub-calls at all", async () => {
    const { info, calls } = await exhaust({ depth: 0 }, ["llm_query('q')"]);
    expect(info).toMatchObject({ kind: "depth_exceeded" });
    expect(calls.filter(isSubCall)).toHaveLength(0);
  });

  it("wall time: a slow sub-call is aborted when the block's time is up", async () => {
    const started = Date.now();
    const { info } = await exhaust({ wallMs: 400 }, ["llm_query('slow')"], { text: "late", delayMs: 20_000 });
    expect(info).toMatchObject({ kind: "time_exceeded" });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("wall time: a slow turn of the block's own model is aborted too", async () => {
    const store = new MemoryStore();
    const handle = await putText(store, corpus);
    const model = scriptedModel([{ text: cell("print(1)"), delayMs: 20_000 }]);
    const { result } = await runRlm(rlmGraph(model, { budget: { wallMs: 300 } }), { corpus: handle, question: "?" }, store);
    expect(result.ok === false && result.error.info).toMatchObject({ kind: "time_exceeded" });
  });

  it("CPU per cell: an endless loop", async () => {
    const { info } = await exhaust({ cpuMsPerCell: 200 }, ["while (true) {}"]);
    expect(info).toMatchObject({ kind: "cpu_exceeded" });
    expect(info.message).toMatch(/cell 1 ran longer than its CPU budget of 200 ms/);
  });

  it("memory: a cell that fills the sandbox", async () => {
    const { info } = await exhaust({ memoryBytes: 16 * 1024 * 1024, cpuMsPerCell: 10_000 }, ["const all = []; for (;;) all.push(blob_slice(corpus, 0, 16000) + all.length)"]);
    expect(info).toMatchObject({ kind: "memory_exceeded" });
  });

  it("cost: priced calls, at the block's level and in sub-calls", async () => {
    const pricing = { inputPerMillion: 1_000, outputPerMillion: 1_000 };
    const top = await exhaust({ costUsd: 1 }, ["print(1)", "print(2)", "print(3)", "print(4)"], "x", { pricing });
    expect(top.info).toMatchObject({ kind: "budget_exceeded" });
    const sub = await exhaust({ costUsd: 2 }, [loopForever], "x", { pricing });
    expect(sub.info).toMatchObject({ kind: "budget_exceeded" });
    expect(sub.calls.filter(isSubCall).length).toBeGreaterThan(0);
  });

  it("context: the block's own context, when even eliding old cells cannot make it fit", async () => {
    const { info } = await exhaust({ contextTokens: 300 }, ["print(1)"], "x", { instructions: "Answer carefully. ".repeat(200) });
    expect(info).toMatchObject({ kind: "context_overflow" });
  });

  it("elides the oldest cell outputs to keep the context within budget, instead of failing", async () => {
    const store = new MemoryStore();
    const handle = await putText(store, corpus);
    const cells = Array.from({ length: 8 }, (_, i) => cell(i < 7 ? `print(blob_slice(corpus, ${i * 1000}, ${i * 1000 + 2400}))` : "answer = { content: { answer: 'done' }, ready: true }"));
    const model = scriptedModel(cells);
    const { result, events } = await runRlm(rlmGraph(model, { budget: { contextTokens: 3_000, cells: 8 } }), { corpus: handle, question: "?" }, store);
    expect(result).toEqual({ ok: true, output: { answer: "done" } });
    const contexts = events.flatMap((e) => (e.type === "block.usage" ? [e.contextTokens] : []));
    expect(Math.max(...contexts)).toBeLessThanOrEqual(3_000);
    expect(JSON.stringify(model.calls[7]?.messages)).toContain("elided to keep the context within its budget");
  });

  it("gives supervision a kind to act on: restart after a CPU overrun, escalate at once when tokens run out", async () => {
    const store = new MemoryStore();
    const handle = await putText(store, corpus);
    // The first attempt loops forever; the restarted one answers.
    let calls = 0;
    const model = scriptedModel({ rules: [{ when: () => true, reply: () => cell(++calls === 1 ? "while (true) {}" : "answer = { content: { answer: 'second time' }, ready: true }") }] });
    const graphWith = (budget: RlmBudget) =>
      createGraph({ id: "supervised-rlm", input: Question, output: Answer })
        .then(rlmBlock(defineContract({ id: "ask", input: Question, output: Answer }), { instructions: "Answer.", model, budget }), (i) => i, {
          restart: { type: "permanent", initialDelayMs: 0, jitter: 0, on: { cpu_exceeded: "restart", tokens_exceeded: "escalate" } },
        })
        .output((_, { ask }) => ask)
        .build();
    await expect(run(graphWith({ cpuMsPerCell: 200 }), { corpus: handle, question: "?" }, { store }).result).resolves.toEqual({ answer: "second time" });
    const spent = await run(graphWith({ tokens: 100 }), { corpus: handle, question: "?" }, { store }).result.catch((e: unknown) => e as { info: { kind?: string; trail?: { reason: string }[] } });
    expect(spent).toMatchObject({ info: { kind: "tokens_exceeded", trail: [{ reason: "policy: tokens_exceeded failures escalate" }] } });
  });

  it("a provider failure in a sub-call ends the block with the provider's kind, for retry policies", async () => {
    const { info } = await exhaust({}, [`try { llm_query("q") } catch (e) { print("caught") } answer = { content: { answer: "x" }, ready: true }`], { error: "rate_limit", retryAfterMs: 5 });
    expect(info).toMatchObject({ kind: "rate_limit" });
  });

  it("ends with the block's typed error when the code sets answer.error (validated by the error schema)", async () => {
    const store = new MemoryStore();
    const handle = await putText(store, corpus);
    const { z } = await import("zod");
    const NotFound = z.object({ reason: z.enum(["not_in_corpus"]) });
    const model = scriptedModel([cell("answer = { error: { reason: 'nowhere' }, ready: true }"), cell("answer = { error: { reason: 'not_in_corpus' }, ready: true }")]);
    const block = rlmBlock(defineContract({ id: "ask", input: Question, output: Answer, error: NotFound }), { instructions: "Answer.", model });
    const graph = createGraph({ id: "typed-rlm", input: Question, output: Answer }).then(block, (i) => i).output((_, { ask }) => ask).build();
    const failed = await run(graph, { corpus: handle, question: "?" }, { store }).result.catch((e: unknown) => e as { code: string; info: { error?: unknown } });
    expect(failed).toMatchObject({ code: "typed_failure", info: { error: { reason: "not_in_corpus" } } });
    expect(model.calls[1]?.messages.at(-1)?.content).toContain('answer.error does not match the error schema: reason: Invalid input: expected "not_in_corpus"');
  });
});
