import { agentBlock, type Model, rlmBlock } from "@blockwork/nodes";
import { blob, createGraph, defineContract } from "@blockwork/spec";
import { z } from "zod";

/** A question over a corpus that is only ever a handle: the corpus stays in the blob store. */
export const Question = z.object({
  corpus: blob({ mediaType: "text/plain", description: "order records, one per line" }),
  question: z.string().min(1),
});

/** An answer with the places in the corpus it rests on. */
export const Answer = z.object({
  answer: z.string().min(1),
  evidence: z.array(z.object({ offset: z.number().int().nonnegative(), excerpt: z.string().max(300) })).max(5),
});

const INSTRUCTIONS = [
  "Answer the question about the order records in the corpus.",
  "The corpus is far too large to read: search it, slice what you need, and delegate reading of small pieces with llm_batch.",
  "Each record is one line: ORD-<n> <date> region=<r> status=<s> product=<p> qty=<n> note=\"...\".",
  "Give the byte offsets of the lines your answer rests on as evidence (at most five).",
].join(" ");

/**
 * The rlm graph: one rlm block whose model writes search code over the corpus. With no model
 * given, it uses the one `BLOCKWORK_MODEL` names (resolved when the block first runs).
 */
export function makeCorpusGraph(model?: Model, subModel?: Model) {
  const ask = rlmBlock(defineContract({ id: "ask", input: Question, output: Answer }), {
    instructions: INSTRUCTIONS,
    ...(model ? { model } : {}),
    ...(subModel ? { subModel } : {}),
    budget: { cells: 8, contextTokens: 6_000, cellOutputTokens: 800, modelCalls: 40, tokens: 150_000, cpuMsPerCell: 3_000 },
    concurrency: 4,
  });
  return createGraph({ id: "rlm-corpus", input: Question, output: Answer })
    .then(ask, (input) => input)
    .output((_, { ask }) => ask)
    .build();
}

export const corpusGraph = makeCorpusGraph();

/** The comparison: the same question to an agent block that is given the whole corpus as a string. */
export const InlineQuestion = z.object({ corpus: z.string(), question: z.string().min(1) });

export function makeInlineGraph(model?: Model) {
  const inline = agentBlock(defineContract({ id: "inline", input: InlineQuestion, output: Answer }), {
    instructions: INSTRUCTIONS,
    ...(model ? { model } : {}),
    budget: { contextTokens: 8_000 },
  });
  return createGraph({ id: "rlm-corpus-inline", input: InlineQuestion, output: Answer })
    .then(inline, (input) => input)
    .output((_, { inline }) => inline)
    .build();
}

export const inlineGraph = makeInlineGraph();
