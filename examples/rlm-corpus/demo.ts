import { handleOf, type RunEvent, run, type Store } from "@blockwork/core";
import type { Model } from "@blockwork/nodes";
import type { BlobHandle } from "@blockwork/spec";
import { corpusText, generateCorpus } from "./corpus.js";
import { makeCorpusGraph, makeInlineGraph } from "./corpus.graph.js";

/** Generates the corpus into the store's blob store (streamed: never one big string). */
export async function setupCorpus(store: Store, bytes: number): Promise<{ handle: BlobHandle; ms: number }> {
  const started = performance.now();
  const record = await store.putBlob(generateCorpus(bytes), { mediaType: "text/plain" });
  return { handle: handleOf(record), ms: performance.now() - started };
}

/** One question answered by the rlm graph, with what each model call cost in context. */
export interface Asked {
  readonly runId: string;
  readonly question: string;
  readonly answer: { answer: string; evidence: { offset: number; excerpt: string }[] };
  /** Context tokens of every model call (the block's turns and its sub-calls), in order. */
  readonly contextTokens: number[];
  readonly cells: number;
  readonly subCalls: number;
}

export async function ask(store: Store, corpus: BlobHandle, question: string, models: { model: Model; subModel: Model }): Promise<Asked> {
  const events: RunEvent[] = [];
  const handle = run(makeCorpusGraph(models.model, models.subModel), { corpus, question }, { store, onEvent: (e) => events.push(e) });
  const answer = await handle.result;
  const usage = events.flatMap((e) => (e.type === "block.usage" ? [e] : []));
  return {
    runId: handle.id,
    question,
    answer,
    contextTokens: usage.map((u) => u.contextTokens),
    cells: events.filter((e) => e.type === "block.step" && /^c\d+$/.test(e.step)).length,
    subCalls: usage.filter((u) => u.outcome === "sub-call").length,
  };
}

/** The same question with the whole corpus inlined into an agent block's input: refused by its context budget. */
export async function askInlined(bytes: number, question: string, model: Model): Promise<{ refused: boolean; needed?: number; budget?: number; message: string }> {
  const corpus = await corpusText(bytes);
  try {
    await run(makeInlineGraph(model), { corpus, question }).result;
    return { refused: false, message: "the agent block accepted the whole corpus" };
  } catch (error) {
    const info = (error as { info?: { kind?: string; message: string } }).info;
    const message = info?.message ?? String(error);
    // The run's error keeps the agent error's kind and message (with the numbers), as supervision sees it.
    const numbers = /needs (\d+) context tokens, over the budget of (\d+)/.exec(message);
    return { refused: info?.kind === "context_overflow", ...(numbers ? { needed: Number(numbers[1]), budget: Number(numbers[2]) } : {}), message };
  }
}
