import { createGraph } from "@blockwork/spec";
import { TextIn, TextOut } from "./_blocks.js";
import { memoryAgent, notes } from "./_memory.js";

// Two blocks share the scope "notes" but declare it with different budgets.
const draft = memoryAgent("draft", { scopes: [notes({ core: { maxTokens: 500 } })] });
const review = memoryAgent("review", { scopes: [notes({ core: { maxTokens: 900 } })] });

export const graph = createGraph({ id: "broken-memory-scope-conflict", input: TextIn, output: TextOut })
  .then(draft)
  .then(review, (_, { draft }) => draft)
  .output((_, { review }) => review)
  .build();
