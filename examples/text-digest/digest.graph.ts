import { z } from "zod";
import { createGraph, defineContract } from "@blockwork/spec";

/**
 * A linear pipeline: normalise a text, rank its sentences by the frequency of their words, and
 * compose an extractive digest. Each block has one small job and a contract that says what it is.
 */

const STOPWORDS = new Set(
  "a an and are as at be but by for from has have he her his i in is it its of on or our she that the their them they this to was we were will with you your".split(" "),
);

export const normalise = defineContract({
  id: "normalise",
  description: "Collapses whitespace and splits a text into sentences.",
  input: z.object({ text: z.string().min(1) }),
  output: z.object({ sentences: z.array(z.string().min(1)).min(1) }),
}).implement(({ text }) => {
  const clean = text.replace(/\s+/g, " ").trim();
  const sentences = clean.split(/(?<=[.!?])\s+/).filter((s) => s.length > 0);
  return { sentences: sentences.length > 0 ? sentences : [clean] };
});

export const rankSentences = defineContract({
  id: "rankSentences",
  description: "Scores each sentence by how frequent its content words are in the whole text.",
  input: z.object({ sentences: z.array(z.string()).min(1) }),
  output: z.object({
    ranked: z.array(z.object({ index: z.number().int().nonnegative(), score: z.number().nonnegative(), sentence: z.string() })),
    keywords: z.array(z.string()).max(10),
  }),
}).implement(({ sentences }) => {
  const words = (s: string) => s.toLowerCase().match(/[a-z][a-z'-]+/g)?.filter((w) => !STOPWORDS.has(w)) ?? [];
  const frequency = new Map<string, number>();
  for (const sentence of sentences) for (const word of words(sentence)) frequency.set(word, (frequency.get(word) ?? 0) + 1);
  const ranked = sentences
    .map((sentence, index) => {
      const ws = words(sentence);
      const score = ws.length === 0 ? 0 : ws.reduce((sum, w) => sum + (frequency.get(w) ?? 0), 0) / ws.length;
      return { index, score, sentence };
    })
    .sort((a, b) => b.score - a.score || a.index - b.index);
  const keywords = [...frequency.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 5)
    .map(([word]) => word);
  return { ranked, keywords };
});

export const compose = defineContract({
  id: "compose",
  description: "Keeps the best sentences in their original order.",
  input: z.object({
    ranked: z.array(z.object({ index: z.number().int(), score: z.number(), sentence: z.string() })),
    keywords: z.array(z.string()),
    maxSentences: z.number().int().min(1).max(20),
  }),
  output: z.object({ summary: z.string(), keywords: z.array(z.string()), sentenceCount: z.number().int().nonnegative() }),
}).implement(({ ranked, keywords, maxSentences }) => {
  const chosen = ranked.slice(0, maxSentences).sort((a, b) => a.index - b.index);
  return { summary: chosen.map((c) => c.sentence).join(" "), keywords, sentenceCount: ranked.length };
});

/** The whole pipeline: a graph, and therefore also a block usable in other graphs. */
export const digestGraph = createGraph({
  id: "text-digest",
  description: "An extractive digest of a text: its best sentences and its keywords.",
  input: z.object({ text: z.string().min(1), maxSentences: z.number().int().min(1).max(20).default(3) }),
  output: z.object({ summary: z.string(), keywords: z.array(z.string()), sentenceCount: z.number().int().nonnegative() }),
})
  .then(normalise, (input) => ({ text: input.text }))
  .then(rankSentences)
  .then(compose, (input, { rankSentences }) => ({
    ranked: rankSentences.ranked,
    keywords: rankSentences.keywords,
    maxSentences: input.maxSentences,
  }))
  .output((_, { compose }) => compose)
  .build();
