import { z } from "zod";
import { createGraph, firstOf, P } from "@blockwork/spec";
import { accountReply, billingReply, classify, escalate, technicalReply, Ticket } from "./triage.graph.js";

/**
 * The same blocks with a pattern route: urgent billing and account tickets go to a human, a
 * technical ticket goes to the known-issues block only when some keyword matched, everything
 * else as before. `blockwork check` proves the cases cover every classification (docs/checker.md,
 * "Pattern routes").
 */
export const priorityTriageGraph = createGraph({
  id: "support-triage-priority",
  description: "Classifies a support ticket and routes it by kind, urgency and matched keywords.",
  input: Ticket,
  output: z.object({ reply: z.string(), queue: z.string(), kind: z.string() }),
})
  .add(classify, (ticket) => ticket)
  .add(billingReply, (ticket, { classify }) => ({ customer: ticket.customer, urgency: classify.urgency }))
  .add(technicalReply, (ticket, { classify }) => ({ body: ticket.body, matched: classify.matched }))
  .add(accountReply, (ticket) => ({ customer: ticket.customer }))
  .add(escalate, (ticket) => ({ subject: ticket.subject }))
  .start("classify")
  .match("classify", (m) =>
    m
      .with({ kind: "billing", urgency: "high" }, () => "escalate")
      .with({ kind: "account", urgency: "high" }, () => "escalate")
      .with({ kind: "billing" }, () => "billingReply")
      .with({ kind: "account" }, () => "accountReply")
      .with({ kind: "technical", matched: [P.string, ...P.array(P.string)] }, () => "technicalReply")
      .with({ kind: P.union("technical", "other") }, () => "escalate")
      .exhaustive(),
  )
  .output((_, { classify, billingReply, technicalReply, accountReply, escalate }) => ({
    reply: firstOf(billingReply.reply, technicalReply.reply, accountReply.reply, escalate.reply),
    queue: firstOf(billingReply.queue, technicalReply.queue, accountReply.queue, escalate.queue),
    kind: classify.kind,
  }))
  .build();
