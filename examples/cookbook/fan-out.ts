import { MemoryStore, run } from "@blockwork/core";
import { createGraph, defineContract, mapOf } from "@blockwork/spec";
import { z } from "zod";

// Fan-out: run one block for every item of a list, a few at a time, results in item order.
const split = defineContract({
  id: "split",
  input: z.object({ text: z.string() }),
  output: z.object({ items: z.array(z.object({ text: z.string() })) }),
}).implement(({ text }) => ({ items: text.split(/\n\s*\n/).map((p) => ({ text: p.trim() })) }));

const measure = defineContract({
  id: "measure",
  input: z.object({ text: z.string() }),
  output: z.object({ words: z.number().int() }),
}).implement(({ text }) => ({ words: text.split(/\s+/).filter(Boolean).length }));

// mapOf makes a block with input { items: { text }[] } and output { results: { words }[] }.
const measureAll = mapOf(measure, { id: "measureAll", concurrency: 4 });

const total = defineContract({
  id: "total",
  input: z.object({ results: z.array(z.object({ words: z.number().int() })) }),
  output: z.object({ perParagraph: z.array(z.number().int()), words: z.number().int() }),
}).implement(({ results }) => ({ perParagraph: results.map((r) => r.words), words: results.reduce((sum, r) => sum + r.words, 0) }));

export const paragraphStats = createGraph({
  id: "paragraph-stats",
  input: z.object({ text: z.string() }),
  output: z.object({ perParagraph: z.array(z.number().int()), words: z.number().int() }),
})
  // Each output fits the next input whole, so then() needs no bindings here.
  .then(split)
  .then(measureAll)
  .then(total)
  .output((_, { total }) => total)
  .build();

export async function demo() {
  return run(paragraphStats, { text: "One two three.\n\nFour five.\n\nSix." }, { store: new MemoryStore() }).result;
}
