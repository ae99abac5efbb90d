import { z } from "zod";
import { createGraph, defineContract, firstOf, P } from "@blockwork/spec";

/**
 * A routed flow: classify a support ticket, then route on the classification to the block that
 * handles that kind; the route must cover every kind (the type checker and `blockwork check` both
 * insist). The branches merge again in the graph's output with firstOf().
 */

const Ticket = z.object({
  customer: z.string().min(1),
  subject: z.string(),
  body: z.string(),
});

export const classify = defineContract({
  id: "classify",
  description: "Classifies a ticket by keywords into a kind and an urgency.",
  input: Ticket,
  output: z.object({
    kind: z.enum(["billing", "technical", "account", "other"]),
    urgency: z.enum(["low", "high"]),
    matched: z.array(z.string()),
  }),
}).implement(({ subject, body }) => {
  const text = `${subject} ${body}`.toLowerCase();
  const rules = [
    { kind: "billing", words: ["invoice", "refund", "charge", "payment", "billing"] },
    { kind: "technical", words: ["error", "crash", "bug", "timeout", "broken"] },
    { kind: "account", words: ["password", "login", "account", "email address"] },
  ] as const;
  for (const rule of rules) {
    const matched = rule.words.filter((w) => text.includes(w));
    if (matched.length > 0) {
      const urgency = /urgent|asap|immediately|down/.test(text) ? "high" : "low";
      return { kind: rule.kind, urgency, matched: [...matched] };
    }
  }
  return { kind: "other", urgency: "low", matched: [] };
});

const Reply = z.object({ reply: z.string().min(1), queue: z.string() });

const INVOICES: Record<string, { last: string; amount: number }> = {
  acme: { last: "INV-2041", amount: 1290 },
  globex: { last: "INV-1877", amount: 540 },
};

export const billingReply = defineContract({
  id: "billingReply",
  description: "Answers billing questions from the customer's invoice record.",
  input: z.object({ customer: z.string(), urgency: z.enum(["low", "high"]) }),
  output: Reply,
}).implement(({ customer, urgency }) => {
  const invoice = INVOICES[customer.toLowerCase()];
  const detail = invoice ? `Your last invoice is ${invoice.last} (${invoice.amount} EUR).` : "We could not find an invoice for your account.";
  return { reply: `${detail} A billing specialist will follow up${urgency === "high" ? " today" : ""}.`, queue: "billing" };
});

const KNOWN_ISSUES = [
  { words: ["timeout"], answer: "Timeouts during export are a known issue; retry with a smaller date range." },
  { words: ["crash"], answer: "Please update to version 4.2, which fixes the crash on startup." },
];

export const technicalReply = defineContract({
  id: "technicalReply",
  description: "Matches a technical ticket against known issues.",
  input: z.object({ body: z.string(), matched: z.array(z.string()) }),
  output: Reply,
}).implement(({ body, matched }) => {
  const known = KNOWN_ISSUES.find((k) => k.words.some((w) => matched.includes(w) || body.toLowerCase().includes(w)));
  return { reply: known?.answer ?? "We are looking into the problem and will reply within one business day.", queue: "technical" };
});

export const accountReply = defineContract({
  id: "accountReply",
  description: "Sends account help.",
  input: z.object({ customer: z.string() }),
  output: Reply,
}).implement(({ customer }) => ({ reply: `Hello ${customer}, you can reset your password at /account/reset.`, queue: "account" }));

export const escalate = defineContract({
  id: "escalate",
  description: "Hands a ticket that fits no category to a human.",
  input: z.object({ subject: z.string() }),
  output: Reply,
}).implement(({ subject }) => ({ reply: `Thanks for your message about "${subject}". A colleague will get back to you.`, queue: "general" }));

export const triageGraph = createGraph({
  id: "support-triage",
  description: "Classifies a support ticket and drafts the reply for its kind.",
  input: Ticket,
  output: z.object({ reply: z.string(), queue: z.string(), kind: z.string() }),
})
  .add(classify, (ticket) => ticket)
  .add(billingReply, (ticket, { classify }) => ({ customer: ticket.customer, urgency: classify.urgency }))
  .add(technicalReply, (ticket, { classify }) => ({ body: ticket.body, matched: classify.matched }))
  .add(accountReply, (ticket) => ({ customer: ticket.customer }))
  .add(escalate, (ticket) => ({ subject: ticket.subject }))
  .start("classify")
  .route("classify", "kind", {
    billing: "billingReply",
    technical: "technicalReply",
    account: "accountReply",
    other: "escalate",
  })
  .output((_, { classify, billingReply, technicalReply, accountReply, escalate }) => ({
    reply: firstOf(billingReply.reply, technicalReply.reply, accountReply.reply, escalate.reply),
    queue: firstOf(billingReply.queue, technicalReply.queue, accountReply.queue, escalate.queue),
    kind: classify.kind,
  }))
  .build();

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
