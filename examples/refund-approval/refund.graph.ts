import { createGraph, defineContract, firstOf } from "@blockwork/spec";
import { humanBlock } from "@blockwork/nodes";
import { z } from "zod";

// A refund desk with a person in the loop: small refunds are approved by policy, larger ones wait
// for a human decision. The run suspends at `approve` (durably: the process may stop meanwhile)
// and goes on when someone resumes it:
//
//   blockwork run examples/refund-approval/refund.graph.ts --input @examples/refund-approval/request.json --store .blockwork/refunds.sqlite
//   blockwork resume <run id> --block approve --data '{"approved": true, "reason": "loyal customer"}' --store .blockwork/refunds.sqlite

export const Refund = z.object({
  customer: z.string().min(1),
  order: z.string().regex(/^ORD-\d+$/),
  amount: z.number().positive(),
  reason: z.string().min(1),
});

const Assessed = Refund.extend({ route: z.enum(["auto", "human"]), limit: z.number() });
export const Decision = z.object({ approved: z.boolean(), by: z.enum(["policy", "human"]), reason: z.string() });

/** Refunds up to the limit are approved by policy; above it, a person decides. */
export const assess = defineContract({ id: "assess", description: "Sends refunds above the limit to a person", input: Refund, output: Assessed }).implement((refund) => {
  const limit = 100;
  return { ...refund, route: refund.amount > limit ? "human" : "auto", limit };
});

export const autoApprove = defineContract({ id: "autoApprove", input: Assessed, output: Decision }).implement((refund) => ({
  approved: true,
  by: "policy",
  reason: `${refund.amount} EUR is within the ${refund.limit} EUR limit`,
}));

/** The person in the loop: suspends with the question, and turns the answer into a decision. */
export const approve = humanBlock(
  defineContract({
    id: "approve",
    description: "A person approves or rejects a refund above the limit",
    input: Assessed,
    output: Decision,
    resume: z.object({ approved: z.boolean(), reason: z.string().min(1) }),
  }),
)
  .ask((refund) => ({ question: `Refund ${refund.amount} EUR on ${refund.order} to ${refund.customer}? (limit ${refund.limit} EUR)`, reason: refund.reason }))
  .answer((answer) => ({ approved: answer.approved, by: "human", reason: answer.reason }));

export const settle = defineContract({
  id: "settle",
  input: z.object({ order: z.string(), amount: z.number(), decision: Decision }),
  output: z.object({ order: z.string(), refunded: z.number(), decision: Decision }),
}).implement(({ order, amount, decision }) => ({ order, refunded: decision.approved ? amount : 0, decision }));

export const refundGraph = createGraph({
  id: "refund-approval",
  description: "Refunds with a person in the loop above the limit",
  input: Refund,
  output: z.object({ order: z.string(), refunded: z.number(), decision: Decision }),
})
  .add(assess, (input) => input)
  .add(autoApprove, (_, { assess }) => assess)
  .add(approve, (_, { assess }) => assess)
  .add(settle, (input, { autoApprove, approve }) => ({ order: input.order, amount: input.amount, decision: firstOf(autoApprove, approve) }))
  .start("assess")
  .route("assess", "route", { auto: "autoApprove", human: "approve" })
  .edge("autoApprove", "settle")
  .edge("approve", "settle")
  .output((_, { settle }) => settle)
  .build();
