import { MemoryStore, run } from "@blockwork/core";
import { agentBlock, type Model } from "@blockwork/nodes";
import { scriptedModel } from "@blockwork/nodes/testing";
import { createGraph, defineContract } from "@blockwork/spec";
import { z } from "zod";

// An agent block: a model answers within the block's contract (its output is parsed and checked;
// a wrong answer goes back to the model with the issues). Without `model`, the block uses the one
// named by BLOCKWORK_MODEL (docs/agents.md), e.g. BLOCKWORK_MODEL=ollama:llama3.1.
export function makeSentiment(model?: Model) {
  const sentiment = agentBlock(
    defineContract({
      id: "sentiment",
      input: z.object({ review: z.string() }),
      output: z.object({ mood: z.enum(["positive", "neutral", "negative"]), because: z.string() }),
    }),
    { instructions: "Say whether the product review is positive, neutral or negative, and why in a few words.", ...(model ? { model } : {}) },
  );
  return createGraph({
    id: "sentiment",
    input: z.object({ review: z.string() }),
    output: z.object({ mood: z.enum(["positive", "neutral", "negative"]), because: z.string() }),
  })
    .then(sentiment)
    .output((_, { sentiment }) => sentiment)
    .build();
}

export async function demo() {
  // A scripted model (no model is called): its first answer breaks the contract ("great" is not a
  // mood), so the block sends the issues back and the second answer is accepted.
  const model = scriptedModel([{ json: { mood: "great", because: "works well" } }, { json: { mood: "positive", because: "works well" } }]);
  const output = await run(makeSentiment(model), { review: "Works well, arrived early." }, { store: new MemoryStore() }).result;
  return { output, modelCalls: model.calls.length };
}
