import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "@blockwork/core";
import { check } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { corpusText, INCIDENT } from "./corpus.js";
import { corpusGraph, inlineGraph } from "./corpus.graph.js";
import { ask, askInlined, setupCorpus } from "./demo.js";
import { QUESTIONS, scriptedCorpusModels } from "./scripted.js";

// The example on a 4 MB corpus (run.ts makes ~50 MB): the answers are checked against the
// corpus itself, scanned here in plain code.
const BYTES = 4 * 1024 * 1024;

describe("the rlm-corpus example", () => {
  it("passes the checker", () => {
    expect(check(corpusGraph.def)).toEqual([]);
    expect(check(inlineGraph.def)).toEqual([]);
  });

  it("answers three questions over a corpus it never puts in a context, each model call's context staying small", async () => {
    const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), "rlm-corpus-")), "runs.sqlite"));
    const { handle } = await setupCorpus(store, BYTES);
    const text = await corpusText(BYTES);
    expect(handle.size).toBe(Buffer.byteLength(text));
    // The same seed and size give the same bytes: the content address does not change.
    expect((await setupCorpus(store, BYTES)).handle.$blob).toBe(handle.$blob);

    const incident = await ask(store, handle, QUESTIONS.incident, scriptedCorpusModels());
    expect(incident.answer.answer).toBe(`The root cause of INCIDENT-4471 was ${INCIDENT.rootCause}.`);
    expect(incident.answer.evidence[0]?.offset).toBe(text.indexOf(INCIDENT.id));

    const returns = await ask(store, handle, QUESTIONS.returns, scriptedCorpusModels());
    const returned = text.split("region=north status=returned").length - 1;
    expect(returned).toBeGreaterThan(100);
    expect(returns.answer.answer).toBe(`${returned} orders from the north region were returned.`);

    const complaints = await ask(store, handle, QUESTIONS.complaints, scriptedCorpusModels());
    const lines = text.split("\n").filter((l) => l.includes("status=complaint product=widget-7"));
    const tally = new Map<string, number>();
    for (const line of lines.slice(0, 20)) {
      const reason = /reason=([a-z ]+)/.exec(line)?.[1] as string;
      tally.set(reason, (tally.get(reason) ?? 0) + 1);
    }
    const [reason, count] = [...tally.entries()].sort((a, b) => b[1] - a[1])[0] as [string, number];
    expect(complaints.answer.answer).toBe(`Of the first 20 of ${lines.length} complaints about widget-7, ${count} are about ${reason}.`);
    expect(complaints.subCalls).toBe(20);

    for (const asked of [incident, returns, complaints]) expect(Math.max(...asked.contextTokens)).toBeLessThan(6_000);
    store.close();
  });

  it("refuses the same question with the corpus inlined into an agent block, with the numbers", async () => {
    const inlined = await askInlined(1024 * 1024, QUESTIONS.incident, scriptedCorpusModels().model);
    expect(inlined.refused).toBe(true);
    expect(inlined.budget).toBe(8_000);
    expect(inlined.needed).toBeGreaterThan(200_000);
    expect(inlined.message).toMatch(/the input needs \d+ context tokens, over the budget of 8000 by \d+/);
  });
});
