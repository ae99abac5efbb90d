import { createGraph } from "@blockwork/spec";
import { TextIn, TextOut } from "./_blocks.js";
import { memoryAgent, notes } from "./_memory.js";

// A summary bound larger than core itself: a summary that does not fit core cannot replace it.
const answer = memoryAgent("answer", { scopes: [notes({ core: { maxTokens: 500 }, onCoreOverflow: "compact", compaction: { maxTokens: 800 } })] });

export const graph = createGraph({ id: "broken-memory-policy-invalid", input: TextIn, output: TextOut }).then(answer).output((_, { answer }) => answer).build();
