import { handleOf, MemoryStore, run, type RunEvent, type Store } from "@blockwork/core";
import { type BlobHandle, blob, createGraph, defineContract } from "@blockwork/spec";
import { z } from "zod";
import { type Model, type RlmOptions, rlmBlock } from "../src/index.js";
import { textOf } from "../src/testing/index.js";

/** The contract most rlm tests use: a text blob and a question in, an answer out. */
export const Question = z.object({ corpus: blob({ mediaType: "text/plain" }), question: z.string() });
export const Answer = z.object({ answer: z.string(), evidence: z.array(z.number().int()).optional() });

/** A graph of one rlm block over `Question`. */
export function rlmGraph(model: Model, options: Partial<RlmOptions> = {}, retry = 1) {
  const block = rlmBlock(defineContract({ id: "ask", input: Question, output: Answer }), {
    instructions: "Answer the question from the corpus.",
    model,
    ...options,
  });
  return createGraph({ id: "rlm-one", input: Question, output: Answer })
    .then(block, (input) => input, { retry: { attempts: retry, initialDelayMs: 1, jitter: 0 } })
    .output((_, { ask }) => ask)
    .build();
}

/** A fenced cell, as a model writes it. */
export function cell(code: string): string {
  return `Next cell:\n\`\`\`js\n${code}\n\`\`\``;
}

/** Whether a request is a sub-call (llm_query / llm_batch) rather than a turn of the block. */
export function isSubCall(request: Parameters<Model["generate"]>[0]): boolean {
  return textOf(request).startsWith("You answer one request about the data you are given");
}

/** Stores `text` as a blob in `store` and returns its handle. */
export async function putText(store: Store, text: string): Promise<BlobHandle> {
  return handleOf(await store.putBlob(text, { mediaType: "text/plain" }));
}

/** Runs the graph; the outcome (or the error's code, kind and message) and the events. */
export async function runRlm(graph: ReturnType<typeof rlmGraph>, input: z.input<typeof Question>, store: Store = new MemoryStore()) {
  const events: RunEvent[] = [];
  const result = await run(graph, input, { store, onEvent: (e) => events.push(e) }).result.then(
    (output) => ({ ok: true as const, output }),
    (error: unknown) => ({ ok: false as const, error: error as { code: string; info: { kind?: string; message: string } } }),
  );
  return { result, events };
}
