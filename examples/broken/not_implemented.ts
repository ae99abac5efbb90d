import { createGraph, declareBlock } from "@blockwork/spec";
import { z } from "zod";
import { TextIn, TextOut } from "./_blocks.js";

// "summarize" is declared (contract, purpose, examples) but nothing implements it yet: no
// `implementation` module and no `.implement(run)`. `blockwork implement --missing` would write it.
const summarize = declareBlock({
  id: "summarize",
  purpose: "Shortens a text to its first sentence.",
  input: z.object({ text: z.string() }),
  output: z.object({ text: z.string() }),
  examples: [{ input: { text: "One. Two." }, output: { text: "One." } }],
});

export const graph = createGraph({ id: "broken-not-implemented", input: TextIn, output: TextOut })
  .add(summarize, (input) => input)
  .start("summarize")
  .output((_, { summarize }) => summarize)
  .build();
