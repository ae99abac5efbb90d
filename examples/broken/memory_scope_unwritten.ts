import { createGraph } from "@blockwork/spec";
import { TextIn, TextOut } from "./_blocks.js";
import { memoryAgent, notes } from "./_memory.js";

// The only block that uses the team notebook reads it; nobody writes it, so it is always empty.
const answer = memoryAgent("answer", { scopes: [{ scope: notes({ core: { maxTokens: 500 } }), access: "read" }] });

export const graph = createGraph({ id: "broken-memory-scope-unwritten", input: TextIn, output: TextOut }).then(answer).output((_, { answer }) => answer).build();
