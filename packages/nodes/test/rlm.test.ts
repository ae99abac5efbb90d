import { MemoryStore, SqliteStore } from "@blockwork/core";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scriptedModel, textOf } from "../src/testing/index.js";
import { cell, isSubCall, putText, rlmGraph, runRlm } from "./rlm-helpers.js";

const corpus = Array.from({ length: 2_000 }, (_, i) => (i === 1_234 ? "line 1234: the launch code is PELICAN-7." : `line ${i}: nothing to see here.`)).join("\n");

describe("rlm blocks", () => {
  it("answers from a blob it explores with code, and its context never holds the blob", async () => {
    const store = new MemoryStore();
    const handle = await putText(store, corpus);
    const model = scriptedModel([
      cell(`const hits = blob_search(corpus, "launch code", { context: 40 });\nprint(hits.total, hits.matches.map(m => m.offset));`),
      cell(`const m = hits.matches[0];\nconst line = blob_slice(corpus, m.offset - 11, m.offset + 30);\nconst code = /[A-Z]+-\\d/.exec(line)[0];\nanswer = { content: { answer: code, evidence: [m.offset] }, ready: true };`),
    ]);
    const { result, events } = await runRlm(rlmGraph(model), { corpus: handle, question: "What is the launch code?" }, store);
    const offset = corpus.indexOf("launch code");
    expect(result).toEqual({ ok: true, output: { answer: "PELICAN-7", evidence: [offset] } });
    // The model saw the handle's metadata and the cell's output, never the corpus.
    const seen = model.calls.map(textOf).join("\n") + model.calls.flatMap((c) => c.messages.filter((m) => m.role === "assistant").map((m) => m.content)).join("\n");
    expect(seen).toContain(`${handle.size} bytes`);
    expect(seen).toContain(`1 [\n  ${offset}\n]`);
    expect(seen).not.toContain("line 1500");
    // Every turn and cell is reported: usage per model call, a step per cell.
    const steps = events.filter((e) => e.type === "block.step");
    expect(steps.map((s) => s.type === "block.step" && s.step)).toEqual(["c1", "c2"]);
    const usage = events.filter((e) => e.type === "block.usage");
    expect(usage).toHaveLength(2);
    for (const u of usage) if (u.type === "block.usage") expect(u.contextTokens).toBeLessThan(2_000);
  });

  it("keeps top-level variables between cells", async () => {
    const store = new MemoryStore();
    const handle = await putText(store, "abc");
    const model = scriptedModel([cell("let n = 40;"), cell("n += 2; function twice(x) { return 2 * x }"), cell("answer = { content: { answer: String(twice(n) / 2) }, ready: true }")]);
    expect((await runRlm(rlmGraph(model), { corpus: handle, question: "?" }, store)).result).toEqual({ ok: true, output: { answer: "42" } });
  });

  it("shows the model a cell's error and lets it go on", async () => {
    const store = new MemoryStore();
    const handle = await putText(store, "abc");
    const model = scriptedModel([cell("undefinedThing.call()"), cell("answer = { content: { answer: 'ok' }, ready: true }")]);
    const { result } = await runRlm(rlmGraph(model), { corpus: handle, question: "?" }, store);
    expect(result.ok).toBe(true);
    expect(textOf(model.calls[1] as never) + JSON.stringify(model.calls[1]?.messages)).toMatch(/The cell threw: ReferenceError: 'undefinedThing' is not defined/);
  });

  it("does not accept an answer that breaks the output contract: the model is told, and fixes it", async () => {
    const store = new MemoryStore();
    const handle = await putText(store, "abc");
    const model = scriptedModel([cell("answer = { content: { answer: 42 }, ready: true }"), cell("answer = { content: { answer: '42' }, ready: true }")]);
    const { result } = await runRlm(rlmGraph(model), { corpus: handle, question: "?" }, store);
    expect(result).toEqual({ ok: true, output: { answer: "42" } });
    expect(JSON.stringify(model.calls[1]?.messages)).toMatch(/answer\.content does not match the output schema: answer: Invalid input: expected string, received number/);
  });

  it("never returns an unvalidated answer: out of cells, the block fails with cells_exceeded", async () => {
    const store = new MemoryStore();
    const handle = await putText(store, "abc");
    const model = scriptedModel({ rules: [{ when: () => true, reply: cell("answer = { content: { wrong: true }, ready: true }") }] });
    const { result } = await runRlm(rlmGraph(model, { budget: { cells: 3 } }), { corpus: handle, question: "?" }, store);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.info).toMatchObject({ kind: "cells_exceeded" });
    expect(model.calls).toHaveLength(3);
  });

  it("fans out with llm_batch: fresh sub-contexts that see only their prompt and data, at most `concurrency` at once", async () => {
    const store = new MemoryStore();
    const handle = await putText(store, corpus);
    let inFlight = 0;
    let most = 0;
    const model = scriptedModel({
      rules: [
        {
          when: isSubCall,
          reply: (request) => {
            inFlight++;
            most = Math.max(most, inFlight);
            const text = textOf(request);
            return { text: `summary of ${/part (\d+)/.exec(text)?.[1]}`, delayMs: 20, usage: { outputTokens: 5 } };
          },
        },
        {
          when: /Cell 1 output/,
          reply: cell("answer = { content: { answer: parts.join(';') }, ready: true }"),
        },
        {
          when: () => true,
          reply: cell("const pieces = [0, 1, 2, 3, 4, 5].map(i => ({ prompt: 'Summarise part ' + i, data: blob_slice(corpus, i * 100, i * 100 + 100) }));\nconst parts = llm_batch(pieces);\nprint(parts.length);"),
        },
      ],
    });
    const wrapped = { id: model.id, calls: model.calls, generate: async (r: Parameters<typeof model.generate>[0]) => model.generate(r).finally(() => isSubCall(r) && inFlight--) };
    const { result, events } = await runRlm(rlmGraph(wrapped, { concurrency: 2 }), { corpus: handle, question: "?" }, store);
    expect(result).toEqual({ ok: true, output: { answer: [0, 1, 2, 3, 4, 5].map((i) => `summary of ${i}`).join(";") } });
    expect(most).toBeLessThanOrEqual(2);
    const subs = model.calls.filter(isSubCall);
    expect(subs).toHaveLength(6);
    // A sub-call's context is its own: the fixed instruction, the prompt, the slice; nothing of the block's.
    expect(subs[0]?.messages).toHaveLength(2);
    expect(textOf(subs[0] as never)).not.toContain("Answer the question from the corpus");
    const subUsage = events.filter((e) => e.type === "block.usage" && e.outcome === "sub-call");
    expect(subUsage).toHaveLength(6);
    // Each sub-call is a step of its cell, with its context size and tokens.
    const subSteps = events.filter((e) => e.type === "block.step" && e.step.includes("."));
    expect(subSteps.map((s) => s.type === "block.step" && s.step).sort()).toEqual(["c1.q1", "c1.q2", "c1.q3", "c1.q4", "c1.q5", "c1.q6"]);
    for (const s of subSteps) if (s.type === "block.step") expect(s.detail).toMatchObject({ contextTokens: expect.any(Number), outputTokens: 5 });
  });

  it("journals every turn, cell and sub-call as a step of the attempt", async () => {
    const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), "rlm-")), "runs.sqlite"));
    const handle = await putText(store, corpus);
    const model = scriptedModel({
      rules: [
        { when: isSubCall, reply: "yes" },
        { when: /Cell 1 output/, reply: cell("answer = { content: { answer: said }, ready: true }") },
        { when: () => true, reply: cell("const said = llm_query('Is this a line?', blob_slice(corpus, 0, 30)); print(said);") },
      ],
    });
    const { result } = await runRlm(rlmGraph(model), { corpus: handle, question: "?" }, store);
    expect(result).toEqual({ ok: true, output: { answer: "yes" } });
    const [runRecord] = store.listRuns();
    const journal = store.journal(runRecord?.id as string);
    expect(journal.map((e) => (e.kind === "step.completed" ? e.step : e.kind))).toEqual(["t1", "c1.q1", "c1", "t2", "c2", "block.completed"]);
    const c1 = journal.find((e) => e.kind === "step.completed" && e.step === "c1");
    expect(c1).toMatchObject({ result: { code: expect.stringContaining("llm_query"), output: "yes\n", subCalls: 1, answer: "none" } });
    // The run references its input's blob.
    expect(store.blobsOf(runRecord?.id as string)).toEqual([handle.$blob]);
    store.close();
  });
});

describe("rlm blocks read only their own blobs", () => {
  it("refuses a handle the code makes up for another blob in the same store", async () => {
    const store = new MemoryStore();
    const mine = await putText(store, "my corpus");
    const other = await putText(store, "someone else's secret");
    const model = scriptedModel([
      cell(`let got; try { got = blob_slice(${JSON.stringify(other)}, 0, 10) } catch (e) { got = e.message } print(got); print(blob_slice(corpus, 0, 2));`),
      cell("answer = { content: { answer: 'done' }, ready: true }"),
    ]);
    await expect(runRlm(rlmGraph(model), { corpus: mine, question: "?" }, store)).resolves.toMatchObject({ result: { ok: true } });
    const shown = model.calls[1]?.messages.at(-1)?.content ?? "";
    expect(shown).toContain("blob_slice: this block may read only the blobs of its input\nmy\n");
    expect(shown).not.toContain("secret");
  });
});

describe("blob handles in agent blocks", () => {
  it("an agent block given a handle sees its metadata and preview only, and the context is counted with them", async () => {
    const { agentBlock, countContextTokens } = await import("../src/index.js");
    const { createGraph, defineContract, blob } = await import("@blockwork/spec");
    const { z } = await import("zod");
    const { run } = await import("@blockwork/core");
    const store = new MemoryStore();
    const big = `${"The start of a long report. ".repeat(20)}${"x".repeat(5 * 1024 * 1024)}THE SECRET AT THE END`;
    const handle = await putText(store, big);
    const model = scriptedModel([{ json: { summary: "a long report" } }]);
    const Input = z.object({ report: blob({ mediaType: "text/plain" }) });
    const Output = z.object({ summary: z.string() });
    const summarise = agentBlock(defineContract({ id: "summarise", input: Input, output: Output }), { instructions: "Summarise the report from what you are shown.", model });
    const graph = createGraph({ id: "agent-handle", input: Input, output: Output }).then(summarise, (i) => i).output((_, { summarise }) => summarise).build();
    const events: import("@blockwork/core").RunEvent[] = [];
    await expect(run(graph, { report: handle }, { store, onEvent: (e) => events.push(e) }).result).resolves.toEqual({ summary: "a long report" });
    const request = model.calls[0];
    const text = JSON.stringify(request?.messages);
    expect(text).toContain(handle.$blob);
    expect(text).toContain(String(handle.size));
    expect(text).toContain("The start of a long report.");
    expect(text).not.toContain("xxxxxxxxxx");
    expect(text).not.toContain("THE SECRET AT THE END");
    const usage = events.find((e) => e.type === "block.usage");
    expect(usage?.type === "block.usage" && usage.contextTokens).toBe(countContextTokens(request?.messages ?? []));
    expect(usage?.type === "block.usage" && usage.contextTokens).toBeLessThan(400);
  });
});
