import { MemoryStore, run } from "@blockwork/core";
import { createGraph, defineContract } from "@blockwork/spec";
import { z } from "zod";

// A subgraph: a built graph is a block with its own contract; the outer graph sees only that.
const normalise = defineContract({
  id: "normalise",
  input: z.object({ text: z.string() }),
  output: z.object({ text: z.string() }),
}).implement(({ text }) => ({ text: text.replace(/\s+/g, " ").trim().toLowerCase() }));

const tokens = defineContract({
  id: "tokens",
  input: z.object({ text: z.string() }),
  output: z.object({ tokens: z.array(z.string()) }),
}).implement(({ text }) => ({ tokens: text.split(" ").filter(Boolean) }));

export const tokenise = createGraph({
  id: "tokenise",
  input: z.object({ text: z.string() }),
  output: z.object({ tokens: z.array(z.string()) }),
})
  .then(normalise)
  .then(tokens)
  .output((_, { tokens }) => tokens)
  .build();

const overlap = defineContract({
  id: "overlap",
  input: z.object({ a: z.array(z.string()), b: z.array(z.string()) }),
  output: z.object({ shared: z.array(z.string()) }),
}).implement(({ a, b }) => ({ shared: [...new Set(a.filter((t) => b.includes(t)))].sort() }));

export const compare = createGraph({
  id: "compare",
  input: z.object({ left: z.string(), right: z.string() }),
  output: z.object({ shared: z.array(z.string()) }),
})
  // The same graph twice, under two ids (.as renames the block in this graph).
  .add(tokenise.as("leftTokens"), (input) => ({ text: input.left }))
  .add(tokenise.as("rightTokens"), (input) => ({ text: input.right }))
  .add(overlap, (_, { leftTokens, rightTokens }) => ({ a: leftTokens.tokens, b: rightTokens.tokens }))
  .start("leftTokens", "rightTokens")
  .edge("leftTokens", "overlap")
  .edge("rightTokens", "overlap")
  .output((_, { overlap }) => overlap)
  .build();

export async function demo() {
  return run(compare, { left: "Blocks  have CONTRACTS", right: "graphs have contracts too" }, { store: new MemoryStore() }).result;
}
