import { agentBlock } from "@blockwork/nodes";
import { createGraph, defineContract, defineMemory } from "@blockwork/spec";
import { z } from "zod";
import type { Model } from "@blockwork/nodes";

/**
 * A support assistant's memory of one customer, across runs (one run per turn): facts it chose to
 * remember, and every turn in recall. Facts not used for 40 turns leave core (they stay searchable);
 * recall keeps the last 300 turns, older ones go to archival, searched on demand.
 */
export const supportMemory = defineMemory({
  name: "support",
  level: "thread",
  threadFrom: "customerId",
  kinds: { fact: z.object({}).passthrough(), turn: z.object({ turn: z.number().int() }) },
  policy: {
    core: { maxTokens: 300, keepIfAccessedWithin: { steps: 40 } },
    recall: { maxItems: 300 },
    archival: { maxItems: 20_000 },
  },
});

export const Turn = z.object({ customerId: z.string(), turn: z.number().int().positive(), message: z.string() });
export const Reply = z.object({ reply: z.string() });

/** The assistant, with a model (the example and its test give it a scripted one). */
export function supportAssistant(model?: Model) {
  return agentBlock(defineContract({ id: "assistant", input: Turn, output: Reply }), {
    instructions: "You are a support assistant. Answer the customer's message. Remember facts about the customer that matter later (pin the ones that must never be lost); look up what you do not see in your context.",
    ...(model ? { model } : {}),
    budget: { contextTokens: 2_000, toolCalls: 4 },
    memory: {
      scopes: [supportMemory],
      recordTurn: (input, output) => {
        const { turn, message } = input as z.output<typeof Turn>;
        return { scope: "support", kind: "turn", text: `Turn ${turn}. Q: ${message} A: ${(output as z.output<typeof Reply>).reply}`, data: { turn } };
      },
    },
  });
}

/** One turn of the conversation (the graph `blockwork check` sees; run with a model from BLOCKWORK_MODEL). */
export function supportGraph(model?: Model) {
  const assistant = supportAssistant(model);
  return createGraph({ id: "memory-support", input: Turn, output: Reply }).then(assistant).output((_, { assistant }) => assistant).build();
}

export const graph = supportGraph();
