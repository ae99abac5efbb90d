import { MemoryStore, run, type RunEvent } from "@blockwork/core";
import { simulate } from "@blockwork/nodes";
import { agentCalls, scriptedModel } from "@blockwork/nodes/testing";
import { check } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { makeSupportAgent, supportAgentGraph } from "./support.graph.js";

// The example with a scripted model: the mechanics are real (contracts, repairs, tools, the loop),
// the answers are scripted (see the rules below), never presented as a model's.
function scripted(options: { reviews: ("approve" | "revise")[]; category?: string }) {
  const reviews = options.reviews.map((verdict) => ({ json: { verdict, issues: verdict === "revise" ? ["sign with 'The Support Team'"] : [] } }));
  return scriptedModel({
    rules: [
      { when: /^Classify the customer's support ticket/, reply: { json: { category: options.category ?? "billing", urgency: "low", summary: "The customer was charged twice for the last invoice." } } },
      {
        when: /^Write the reply to the customer/,
        reply: (request) =>
          request.messages.some((m) => m.role === "tool")
            ? { json: { reply: "Hello Jo, invoice INV-2041 (1290 EUR) was charged once and is paid; no duplicate charge reached us. The Support Team" } }
            : { toolCalls: [{ name: "lookup_invoice", input: { customer: "acme" } }] },
      },
      { when: /^Review a support reply/, reply: reviews },
    ],
  });
}

const ticket = { customer: "acme", subject: "Charged twice?", body: "Our last invoice was charged twice." };

async function runSupport(model: ReturnType<typeof scripted>) {
  const events: RunEvent[] = [];
  const output = await run(makeSupportAgent(model), ticket, { store: new MemoryStore(), onEvent: (e) => events.push(e) }).result;
  return { output, events };
}

describe("the support-agent example", () => {
  it("passes the checker", () => {
    expect(check(supportAgentGraph.def)).toEqual([]);
  });

  it("classifies, looks the invoice up, drafts, revises once on review, and sends", async () => {
    const { output, events } = await runSupport(scripted({ reviews: ["revise", "approve"] }));
    expect(output).toEqual({
      reply: "Hello Jo, invoice INV-2041 (1290 EUR) was charged once and is paid; no duplicate charge reached us. The Support Team",
      status: "sent",
      category: "billing",
    });
    expect(agentCalls(events).map((c) => `${c.path}:${c.outcome}`)).toEqual([
      "classify:ok",
      "draft:tool-calls",
      "draft:ok",
      "review:ok",
      "draft:tool-calls",
      "draft:ok",
      "review:ok",
    ]);
    expect(events.filter((e) => e.type === "block.tool").map((e) => (e as { tool: string }).tool)).toEqual(["lookup_invoice", "lookup_invoice"]);
  });

  it("gives the second draft the reviewer's issues, and nothing from other blocks' instructions", async () => {
    const model = scripted({ reviews: ["revise", "approve"] });
    await runSupport(model);
    const drafts = model.calls.filter((c) => /^Write the reply/.test(c.messages[0]?.content ?? ""));
    expect(drafts[2]?.messages[1]?.content).toContain('"feedback":["sign with \'The Support Team\'"]');
    for (const call of model.calls) {
      const text = JSON.stringify(call.messages);
      // Each block sees its own instructions only.
      expect([/Classify the customer/, /Write the reply/, /Review a support reply/].filter((r) => r.test(text))).toHaveLength(1);
    }
  });

  it("escalates when review never approves (bounded loop), and routes 'other' straight to a human", async () => {
    const stuck = await runSupport(scripted({ reviews: ["revise", "revise", "revise"] }));
    expect(stuck.output).toMatchObject({ status: "escalated", reply: expect.stringContaining("Open review issues") });
    const spam = await runSupport(scripted({ reviews: [], category: "other" }));
    expect(spam.output).toEqual({ status: "escalated", category: "other", reply: "Escalated to a human: The customer was charged twice for the last invoice." });
  });

  it("runs in simulation without a model, covering every route", async () => {
    const report = await simulate(supportAgentGraph, { runs: 40, seed: 3 });
    expect(report.replaced).toEqual(["classify", "draft", "review"]);
    expect(report.failures).toEqual([]);
    expect(report.completed).toBe(40);
    expect(report.blocks.neverReached).toEqual([]);
    expect(report.edges.neverTaken).toEqual([]);
    expect(report.loopsAtBound).toEqual(["review (bound exhausted, went to escalate)"]);
  });
});
