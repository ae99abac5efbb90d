import { MemoryStore, run } from "@blockwork/core";
import { createGraph, defineContract, firstOf } from "@blockwork/spec";
import { z } from "zod";

// Routes: pick the next block by a field of an output (an enum or a boolean), then merge the
// branches with firstOf (the first alternative whose block ran).
const classify = defineContract({
  id: "classify",
  input: z.object({ text: z.string() }),
  output: z.object({ kind: z.enum(["billing", "tech", "other"]) }),
}).implement(({ text }) => ({ kind: /invoice|charge/.test(text) ? "billing" : /error|crash/.test(text) ? "tech" : "other" }));

// `const $Id` keeps each id literal, so the builder knows three different blocks.
const reply = <const $Id extends string>(id: $Id, answer: string) =>
  defineContract({ id, input: z.object({ text: z.string() }), output: z.object({ reply: z.string() }) }).implement(() => ({ reply: answer }));

const billingReply = reply("billingReply", "Our billing team will look at your invoice.");
const techReply = reply("techReply", "Please send us the error message.");
const genericReply = reply("genericReply", "Thanks, we will get back to you.");

export const triage = createGraph({
  id: "cookbook-triage",
  input: z.object({ text: z.string() }),
  output: z.object({ reply: z.string(), kind: z.enum(["billing", "tech", "other"]) }),
})
  .add(classify, (input) => ({ text: input.text }))
  .add(billingReply, (input) => ({ text: input.text }))
  .add(techReply, (input) => ({ text: input.text }))
  .add(genericReply, (input) => ({ text: input.text }))
  .start("classify")
  // Every value of `kind` has a target (a type error otherwise); a fourth argument would be the fallback.
  .route("classify", "kind", { billing: "billingReply", tech: "techReply", other: "genericReply" })
  .output((_, { classify, billingReply, techReply, genericReply }) => ({
    reply: firstOf(billingReply.reply, techReply.reply, genericReply.reply),
    kind: classify.kind,
  }))
  .build();

export async function demo() {
  const store = new MemoryStore();
  return Promise.all(["My invoice is wrong", "The app shows an error", "Hello"].map((text) => run(triage, { text }, { store }).result));
}
