import { MemoryStore, run } from "@blockwork/core";
import { humanBlock } from "@blockwork/nodes";
import { createGraph, defineContract } from "@blockwork/spec";
import { z } from "zod";

// A person in the loop: the run suspends at a human block (durably, on a real store the process
// may stop meanwhile) until it is resumed with data that satisfies the block's `resume` schema.
const approve = humanBlock(
  defineContract({
    id: "approve",
    input: z.object({ title: z.string() }),
    output: z.object({ approved: z.boolean(), note: z.string() }),
    resume: z.object({ approved: z.boolean(), note: z.string().min(1) }),
  }),
)
  .ask(({ title }) => ({ question: `Publish "${title}"?` }))
  .answer(({ approved, note }) => ({ approved, note }));

export const review = createGraph({
  id: "publish-review",
  input: z.object({ title: z.string() }),
  output: z.object({ approved: z.boolean(), note: z.string() }),
})
  .then(approve)
  .output((_, { approve }) => approve)
  .build();

export async function demo() {
  const handle = run(review, { title: "Cookbook" }, { store: new MemoryStore() });
  const settled = await handle.settled(); // { status: "suspended", suspensions: [{ id: "approve#1", payload: ... }] }
  // From another process: blockwork resume <run id> --block approve --data '{"approved": true, "note": "ship it"}'
  await handle.resume("approve", { approved: true, note: "ship it" });
  return { waitedFor: settled.status === "suspended" ? settled.suspensions.map((s) => s.payload) : [], output: await handle.result };
}
