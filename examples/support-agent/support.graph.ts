import { agentBlock, defineTool, lazyModel, type Model } from "@blockwork/nodes";
import { createGraph, defineContract, firstOf, maybe } from "@blockwork/spec";
import { z } from "zod";

/**
 * Support triage run by agents, each with a small context of its own: classify the ticket, draft a
 * reply (looking up invoices with a tool), review the draft and send it back for revision at most
 * twice; tickets nobody should answer automatically, and drafts that never pass review, go to a
 * human. Needs a model: set BLOCKWORK_MODEL (see docs/agents.md); the tests use a scripted one.
 */

export const Ticket = z.object({ customer: z.string().min(1), subject: z.string(), body: z.string() });

const INVOICES: Record<string, { number: string; amount: number; status: "paid" | "open" }> = {
  acme: { number: "INV-2041", amount: 1290, status: "paid" },
  globex: { number: "INV-1877", amount: 540, status: "open" },
};

export const lookupInvoice = defineTool({
  name: "lookup_invoice",
  description: "The last invoice of a customer: number, amount in EUR, and whether it is paid.",
  input: z.object({ customer: z.string() }),
  run: ({ customer }) => INVOICES[customer.toLowerCase()] ?? { error: `no invoice for ${customer}` },
});

export function makeSupportAgent(model: Model = lazyModel()) {
  const classify = agentBlock(
    defineContract({
      id: "classify",
      description: "Classifies a support ticket.",
      input: Ticket,
      output: z.object({
        category: z.enum(["billing", "technical", "account", "other"]),
        urgency: z.enum(["low", "high"]),
        summary: z.string().min(1).max(200),
      }),
    }),
    {
      model,
      instructions:
        "Classify the customer's support ticket. category: billing (invoices, payments, refunds), technical (errors, bugs, outages), account (login, profile), other (anything else, including spam). urgency: high when the customer cannot work or mentions a deadline. summary: one sentence in your own words.",
      budget: { contextTokens: 2_000, outputTokens: 200 },
    },
  );

  const draft = agentBlock(
    defineContract({
      id: "draft",
      description: "Drafts a reply to a classified ticket.",
      input: z.object({ ticket: Ticket, category: z.string(), summary: z.string(), feedback: z.array(z.string()).optional() }),
      output: z.object({ reply: z.string().min(20).max(1_200) }),
    }),
    {
      model,
      tools: [lookupInvoice],
      instructions:
        "Write the reply to the customer: friendly, specific, at most 120 words, signed 'The Support Team'. For billing questions, look the invoice up with the tool and quote its number. If feedback from a reviewer is given, address every point of it.",
      budget: { contextTokens: 3_000, outputTokens: 400, toolCalls: 2 },
    },
  );

  const review = agentBlock(
    defineContract({
      id: "review",
      description: "Reviews a drafted reply against the house rules.",
      input: z.object({ summary: z.string(), reply: z.string() }),
      output: z.object({ verdict: z.enum(["approve", "revise"]), issues: z.array(z.string()).max(5) }),
    }),
    {
      model,
      instructions:
        "Review a support reply. Approve it only if it answers the summarised question, promises nothing we cannot check, and is signed 'The Support Team'. Otherwise ask for a revision and list each issue in a few words.",
      budget: { contextTokens: 2_000, outputTokens: 200 },
    },
  );

  const send = defineContract({
    id: "send",
    description: "Queues the approved reply.",
    input: z.object({ reply: z.string() }),
    output: z.object({ reply: z.string(), status: z.literal("sent") }),
  }).implement(({ reply }) => ({ reply, status: "sent" }));

  const escalate = defineContract({
    id: "escalate",
    description: "Hands the ticket to a human.",
    input: z.object({ summary: z.string(), issues: z.array(z.string()).optional() }),
    output: z.object({ reply: z.string(), status: z.literal("escalated") }),
  }).implement(({ summary, issues }) => ({
    reply: `Escalated to a human: ${summary}${issues?.length ? ` Open review issues: ${issues.join("; ")}.` : ""}`,
    status: "escalated",
  }));

  return createGraph({
    id: "support-agent",
    description: "Agent-run support triage with a reviewed, bounded revise loop.",
    input: Ticket,
    output: z.object({ reply: z.string(), status: z.enum(["sent", "escalated"]), category: z.string() }),
  })
    .add(classify, (ticket) => ticket)
    .add(draft)
    .add(review, (_, { classify, draft }) => ({ summary: classify.summary, reply: draft.reply }))
    .add(send, (_, { draft }) => ({ reply: draft.reply }))
    .add(escalate, (_, { classify, review }) => ({ summary: classify.summary, issues: maybe(review.issues) }))
    // The draft sees the ticket, its class, and on a second pass the reviewer's issues: nothing else.
    .bind("draft", (ticket, { classify, review }) => ({ ticket, category: classify.category, summary: classify.summary, feedback: maybe(review.issues) }))
    .start("classify")
    .route("classify", "category", { billing: "draft", technical: "draft", account: "draft", other: "escalate" })
    .edge("draft", "review")
    .route("review", "verdict", { approve: "send", revise: { to: "draft", max: 2, onExhausted: "escalate" } })
    .output((_, { classify, send, escalate }) => ({
      reply: firstOf(send.reply, escalate.reply),
      status: firstOf(send.status, escalate.status),
      category: classify.category,
    }))
    .build();
}

/** The graph with the model named by BLOCKWORK_MODEL (resolved when a block first calls it). */
export const supportAgentGraph = makeSupportAgent();
