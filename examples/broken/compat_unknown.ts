import { z } from "zod";
import { createGraph, defineContract } from "@blockwork/spec";
import { TextIn } from "./_blocks.js";

// A transform's output cannot be described in JSON Schema, so the checker cannot prove that it
// fits the next block's input: it says so as a warning instead of assuming it fits.
const measure = defineContract({
  id: "measure",
  input: TextIn,
  output: z.object({ length: z.string().transform((s) => s.length) }),
}).implement(({ text }) => ({ length: text }));

const show = defineContract({
  id: "show",
  input: z.object({ length: z.number() }),
  output: z.object({ line: z.string() }),
}).implement(({ length }) => ({ line: `${length} characters` }));

export const graph = createGraph({ id: "broken-compat-unknown", input: TextIn, output: z.object({ line: z.string() }) })
  .then(measure)
  .then(show, (_, { measure }) => ({ length: measure.length }))
  .output((_, { show }) => show)
  .build();
