import { createGraph, defineCatalogue, defineContract } from "@blockwork/spec";
import { z } from "zod";

/**
 * Rerouting at run time: a price report that converts an amount with live exchange rates. When the
 * rates service is down (the failure reaches the top of the run), a reroute policy asks the
 * coordinator for a patch; the catalogue offers `cachedRates`, a block with the same contract that
 * reads yesterday's rates. See reroute.test.ts and docs/coordinator.md ("At run time").
 */

const Rates = z.object({ base: z.literal("EUR"), rates: z.record(z.string(), z.number().positive()), asOf: z.string() });

/** Calls a rates service; here it is down, as services sometimes are. */
export const liveRates = defineContract({
  id: "liveRates",
  description: "Fetches today's exchange rates from the rates service.",
  input: z.object({ currencies: z.array(z.string().length(3)).min(1) }),
  output: Rates,
}).implement(() => {
  throw new Error("rates service unavailable (HTTP 503)");
});

export const cachedRates = defineContract({
  id: "cachedRates",
  description: "Yesterday's exchange rates from the local cache: always available, a day old.",
  input: z.object({ currencies: z.array(z.string().length(3)).min(1) }),
  output: Rates,
}).implement(({ currencies }) => {
  const known: Record<string, number> = { USD: 1.08, GBP: 0.85, CHF: 0.96, JPY: 163.2 };
  return { base: "EUR" as const, rates: Object.fromEntries(currencies.map((c) => [c, known[c] ?? 1])), asOf: "yesterday" };
});

/** Counts words: in the catalogue, and a wrong choice for replacing a rates block. */
export const wordCount = defineContract({
  id: "wordCount",
  description: "Counts the words of a text.",
  input: z.object({ text: z.string() }),
  output: z.object({ words: z.number().int() }),
}).implement(({ text }) => ({ words: text.split(/\s+/).filter(Boolean).length }));

const convert = defineContract({
  id: "convert",
  description: "Converts an amount in EUR to each currency.",
  input: z.object({ amount: z.number(), rates: z.record(z.string(), z.number()), asOf: z.string() }),
  output: z.object({ prices: z.record(z.string(), z.number()), asOf: z.string() }),
}).implement(({ amount, rates, asOf }) => ({ prices: Object.fromEntries(Object.entries(rates).map(([c, r]) => [c, Math.round(amount * r * 100) / 100])), asOf }));

export const priceReport = createGraph({
  id: "price-report",
  description: "An amount in EUR, priced in other currencies",
  input: z.object({ amount: z.number().positive(), currencies: z.array(z.string().length(3)).min(1) }),
  output: z.object({ prices: z.record(z.string(), z.number()), asOf: z.string() }),
})
  .then(liveRates.as("rates"), (input) => ({ currencies: input.currencies }))
  .then(convert, (input, { rates }) => ({ amount: input.amount, rates: rates.rates, asOf: rates.asOf }))
  .output((_, { convert }) => convert)
  .build();

/** What the coordinator may swap in. */
export const rerouteCatalogue = defineCatalogue([cachedRates, wordCount]);
