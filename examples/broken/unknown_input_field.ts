import { z } from "zod";
import { createGraph, defineContract } from "@blockwork/spec";
import { TextIn, TextOut } from "./_blocks.js";

// "summarise" takes a strict object { text, maxWords? }; the binding sets "maxWord" (a typo), which
// TypeScript accepts as an extra property but the block would reject.
const summarise = defineContract({
  id: "summarise",
  input: z.strictObject({ text: z.string(), maxWords: z.number().int().optional() }),
  output: TextOut,
}).implement(({ text, maxWords }) => ({ text: text.split(" ").slice(0, maxWords ?? 10).join(" ") }));

export const graph = createGraph({ id: "broken-unknown-input-field", input: TextIn, output: TextOut })
  .then(summarise, (input) => ({ text: input.text, maxWord: 5 }))
  .output((_, { summarise }) => summarise)
  .build();
