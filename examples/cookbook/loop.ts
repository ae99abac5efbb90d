import { MemoryStore, run } from "@blockwork/core";
import { createGraph, defineContract, maybe } from "@blockwork/spec";
import { z } from "zod";

// A bounded loop: a route sends the run back to an earlier block at most `max` times, then to
// `onExhausted`. The block at the top of the loop reads the later block's output with maybe():
// on the first pass it has not run yet.
const draft = defineContract({
  id: "draft",
  input: z.object({ topic: z.string(), feedback: z.array(z.string()).optional() }),
  output: z.object({ text: z.string() }),
}).implement(({ topic, feedback }) => ({ text: feedback?.length ? `${topic}: ${feedback.join(", ")}.` : topic }));

const review = defineContract({
  id: "review",
  input: z.object({ text: z.string() }),
  output: z.object({ verdict: z.enum(["approve", "revise"]), remarks: z.array(z.string()) }),
}).implement(({ text }) => (text.includes("example") ? { verdict: "approve", remarks: [] } : { verdict: "revise", remarks: ["add an example"] }));

const publish = defineContract({
  id: "publish",
  input: z.object({ text: z.string(), remarks: z.array(z.string()) }),
  output: z.object({ text: z.string(), approved: z.boolean() }),
}).implement(({ text, remarks }) => ({ text, approved: remarks.length === 0 }));

export const writeUp = createGraph({
  id: "write-up",
  input: z.object({ topic: z.string() }),
  output: z.object({ text: z.string(), approved: z.boolean() }),
})
  .then(draft, (input) => ({ topic: input.topic }))
  .then(review)
  .add(publish, (_, { draft, review }) => ({ text: draft.text, remarks: review.remarks }))
  .route("review", "verdict", { approve: "publish", revise: { to: "draft", max: 2, onExhausted: "publish" } })
  .bind("draft", (input, { review }) => ({ topic: input.topic, feedback: maybe(review.remarks) }))
  .output((_, { publish }) => publish)
  .build();

export async function demo() {
  return run(writeUp, { topic: "Loops" }, { store: new MemoryStore() }).result;
}
