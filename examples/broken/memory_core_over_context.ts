import { createGraph } from "@blockwork/spec";
import { TextIn, TextOut } from "./_blocks.js";
import { memoryAgent, notes } from "./_memory.js";

// Core memory is always in the context: 6,000 tokens of it cannot fit a context of 4,000.
const answer = memoryAgent("answer", { scopes: [notes({ core: { maxTokens: 6_000 } })], contextTokens: 4_000 });

export const graph = createGraph({ id: "broken-memory-core-over-context", input: TextIn, output: TextOut }).then(answer).output((_, { answer }) => answer).build();
