import { defineCatalogue, defineContract } from "@blockwork/spec";
import { z } from "zod";
import { compose, normalise, rankSentences } from "../text-digest/digest.graph.js";

/**
 * The blocks a coordinator may add to the text-digest graph (examples/text-digest): its own three,
 * and three more. A catalogue lists blocks by id, purpose and contract; it carries their
 * implementations so that a patched graph runs again (graphFromDef).
 */

const POSITIVE = ["good", "great", "nice", "love", "excellent", "happy", "glad", "thanks"];
const NEGATIVE = ["bad", "poor", "hate", "awful", "broken", "angry", "sad", "slow"];

export const sentiment = defineContract({
  id: "sentiment",
  description: "Scores the mood of a text by its positive and negative words.",
  input: z.object({ text: z.string() }),
  output: z.object({ mood: z.enum(["positive", "neutral", "negative"]), score: z.number().min(-1).max(1) }),
}).implement(({ text }) => {
  const words = text.toLowerCase().match(/[a-z']+/g) ?? [];
  const plus = words.filter((w) => POSITIVE.includes(w)).length;
  const minus = words.filter((w) => NEGATIVE.includes(w)).length;
  const score = plus + minus === 0 ? 0 : (plus - minus) / (plus + minus);
  return { mood: score > 0.2 ? "positive" : score < -0.2 ? "negative" : "neutral", score };
});

export const wordCount = defineContract({
  id: "wordCount",
  description: "Counts the words of a text.",
  input: z.object({ text: z.string() }),
  output: z.object({ words: z.number().int().nonnegative() }),
}).implement(({ text }) => ({ words: text.split(/\s+/).filter(Boolean).length }));

export const detectLanguage = defineContract({
  id: "detectLanguage",
  description: "Guesses the language of a text from its most common short words.",
  input: z.object({ text: z.string() }),
  output: z.object({ language: z.enum(["en", "de", "fr", "unknown"]) }),
}).implement(({ text }) => {
  const words = new Set(text.toLowerCase().match(/[a-zäöüéè]+/g) ?? []);
  const hits = (list: string[]) => list.filter((w) => words.has(w)).length;
  const scores = { en: hits(["the", "and", "is", "of"]), de: hits(["der", "die", "und", "ist"]), fr: hits(["le", "la", "et", "est"]) };
  const [best, count] = Object.entries(scores).sort((a, b) => b[1] - a[1])[0] as [keyof typeof scores, number];
  return { language: count > 0 ? best : "unknown" };
});

export const catalogue = defineCatalogue([normalise, rankSentences, compose, sentiment, wordCount, detectLanguage]);
