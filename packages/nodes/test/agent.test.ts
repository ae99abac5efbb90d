import { run, type RunEvent } from "@blockwork/core";
import { createGraph, defineContract, firstOf } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AgentError, agentBlock, defineTool, type Model } from "../src/index.js";
import { agentCalls, scriptedModel } from "../src/testing/index.js";

const Ticket = z.object({ subject: z.string(), body: z.string() });
const Classified = z.object({ kind: z.enum(["billing", "technical"]), confidence: z.number().min(0).max(1) });

function classifyGraph(model: Model, options: Partial<Parameters<typeof agentBlock>[1]> = {}, retry = 1) {
  const classify = agentBlock(defineContract({ id: "classify", input: Ticket, output: Classified }), {
    instructions: "Classify the support ticket by its topic.",
    model,
    ...options,
  });
  return createGraph({ id: "classify-only", input: Ticket, output: Classified })
    .then(classify, (input) => input, { retry: { attempts: retry, initialDelayMs: 1, jitter: 0 } })
    .output((_, { classify }) => classify)
    .build();
}

const ticket = { subject: "Invoice", body: "I was charged twice." };

async function runCollecting(graph: ReturnType<typeof classifyGraph>) {
  const events: RunEvent[] = [];
  const result = await run(graph, ticket, { onEvent: (e) => events.push(e) }).result.then(
    (output) => ({ ok: true as const, output }),
    (error: unknown) => ({ ok: false as const, error: error as { code: string; info: { kind?: string; message: string } } }),
  );
  return { result, events, calls: agentCalls(events) };
}

describe("agent blocks", () => {
  it("a scripted model keeps the newest keepCalls requests (none with 0), and counts calls all the same", async () => {
    const script = ["one", "two", "three", { json: { n: 4 } }];
    const none = scriptedModel(script, "scripted:none", { keepCalls: 0 });
    const two = scriptedModel(script, "scripted:two", { keepCalls: 2 });
    const all = scriptedModel(script);
    const ask = (text: string) => ({ messages: [{ role: "user" as const, content: text }] });
    for (const model of [none, two, all]) expect((await Promise.all(["a", "b", "c", "d"].map((t) => model.generate(ask(t))))).map((r) => r.text)).toEqual(["one", "two", "three", '{"n":4}']);
    expect(none.calls).toEqual([]);
    expect(two.calls.map((c) => c.messages[0]?.content)).toEqual(["c", "d"]);
    expect(all.calls).toHaveLength(4);
  });

  it("answers within the contract and reports the call's tokens", async () => {
    const model = scriptedModel([{ json: { kind: "billing", confidence: 0.9 } }]);
    const { result, calls } = await runCollecting(classifyGraph(model));
    expect(result).toEqual({ ok: true, output: { kind: "billing", confidence: 0.9 } });
    expect(calls).toEqual([{ path: "classify", attempt: 1, call: 1, model: "scripted:test", contextTokens: expect.any(Number), outcome: "ok" }]);
    expect(calls[0]?.contextTokens).toBeGreaterThan(50);
  });

  it("builds a small context: its instructions, its contract, its input, nothing else", async () => {
    const model = scriptedModel([{ json: { kind: "billing", confidence: 0.5 } }]);
    await runCollecting(classifyGraph(model));
    const [system, user] = model.calls[0]?.messages ?? [];
    expect(system?.content).toMatch(/^Classify the support ticket by its topic\.\n\nYou are one block of a workflow/);
    expect(system?.content).toContain('"enum":["billing","technical"]');
    expect(user).toEqual({ role: "user", content: `Input:\n${JSON.stringify(ticket)}` });
    expect(model.calls[0]?.responseFormat?.name).toBe("classify");
  });

  it("reads JSON inside prose and code fences", async () => {
    const model = scriptedModel(['Sure! Here it is:\n```json\n{"kind": "technical", "confidence": 0.7}\n```\nAnything else?']);
    expect((await runCollecting(classifyGraph(model))).result).toEqual({ ok: true, output: { kind: "technical", confidence: 0.7 } });
  });

  it("repairs a syntax error by showing the model what was wrong", async () => {
    const model = scriptedModel(["I think it's billing.", { json: { kind: "billing", confidence: 0.8 } }]);
    const { result, calls } = await runCollecting(classifyGraph(model));
    expect(result.ok).toBe(true);
    expect(calls.map((c) => c.outcome)).toEqual(["syntax", "ok"]);
    const repair = model.calls[1]?.messages.at(-1);
    expect(repair).toEqual({ role: "user", content: expect.stringMatching(/^The answer is not valid JSON \(.*\)\. Answer with only the JSON object/) });
    expect(model.calls[1]?.messages.at(-2)).toMatchObject({ role: "assistant", content: "I think it's billing." });
  });

  it("repairs a schema error with the precise issues, unknown fields included", async () => {
    const model = scriptedModel([{ json: { kind: "refund", confidence: 2, note: "x" } }, { json: { kind: "billing", confidence: 1 } }]);
    const { result, calls } = await runCollecting(classifyGraph(model));
    expect(result).toEqual({ ok: true, output: { kind: "billing", confidence: 1 } });
    expect(calls.map((c) => c.outcome)).toEqual(["schema", "ok"]);
    const feedback = model.calls[1]?.messages.at(-1)?.content;
    expect(feedback).toMatch(/kind: Invalid option: expected one of "billing"\|"technical"/);
    expect(feedback).toMatch(/confidence: Too big: expected number to be <=1/);
    expect(feedback).toMatch(/Unrecognized key: "note"/);
  });

  it("gives up after its attempts with kind schema; nothing reaches the graph's output", async () => {
    const model = scriptedModel([{ json: { kind: "x" } }, { json: { kind: "y" } }, { json: { kind: "z" } }]);
    const { result } = await runCollecting(classifyGraph(model));
    expect(result).toMatchObject({ ok: false, error: { code: "block_failed", info: { kind: "schema", message: expect.stringMatching(/after 3 answers/) } } });
  });

  it("fails at once on a refusal, with kind refusal", async () => {
    const model = scriptedModel([{ refusal: "I can't help with that." }, { json: { kind: "billing", confidence: 1 } }]);
    const { result, calls } = await runCollecting(classifyGraph(model));
    expect(result).toMatchObject({ ok: false, error: { info: { kind: "refusal", message: expect.stringContaining("the model refused: I can't help with that.") } } });
    expect(calls).toHaveLength(1);
  });

  it("asks for a shorter answer after truncation, and fails with kind truncated if it persists", async () => {
    const cut = { text: '{"kind": "bill', finishReason: "length" as const };
    const recovered = await runCollecting(classifyGraph(scriptedModel([cut, { json: { kind: "billing", confidence: 0.2 } }])));
    expect(recovered.calls.map((c) => c.outcome)).toEqual(["truncated", "ok"]);
    const failed = await runCollecting(classifyGraph(scriptedModel([cut, cut, cut])));
    expect(failed.result).toMatchObject({ ok: false, error: { info: { kind: "truncated" } } });
  });

  it("classifies provider errors, and the runtime retries a rate limit after its Retry-After", async () => {
    const events: RunEvent[] = [];
    const model = scriptedModel([{ error: "rate_limit", status: 429, retryAfterMs: 30 }, { json: { kind: "billing", confidence: 1 } }]);
    const output = await run(classifyGraph(model, {}, 2), ticket, { onEvent: (e) => events.push(e) }).result;
    expect(output).toEqual({ kind: "billing", confidence: 1 });
    const retried = events.find((e) => e.type === "block.retried");
    expect(retried).toMatchObject({ delayMs: 30, error: { kind: "rate_limit" } });
    for (const kind of ["server", "timeout", "network"] as const) {
      const { result } = await runCollecting(classifyGraph(scriptedModel([{ error: kind }])));
      expect(result).toMatchObject({ ok: false, error: { info: { kind } } });
    }
  });

  it("fails with context_overflow saying by how much, or truncates the input when told to", async () => {
    const long = { subject: "Invoice", body: "word ".repeat(2_000) };
    const graph = classifyGraph(scriptedModel([{ json: { kind: "billing", confidence: 1 } }]), { budget: { contextTokens: 500 } });
    const error = await run(graph, long).result.catch((e: unknown) => e as { info: { kind: string; message: string } });
    expect(error).toMatchObject({ info: { kind: "context_overflow", message: expect.stringMatching(/needs \d+ context tokens, over the budget of 500 by \d+/) } });
    const model = scriptedModel([{ json: { kind: "billing", confidence: 1 } }]);
    await expect(run(classifyGraph(model, { budget: { contextTokens: 500 }, onOverflow: "truncate" }), long).result).resolves.toEqual({ kind: "billing", confidence: 1 });
    expect(model.calls[0]?.messages[1]?.content).toContain("…[truncated]");
  });

  it("stops when the cost budget runs out", async () => {
    const model = scriptedModel([{ text: "nope", usage: { inputTokens: 1_000_000, outputTokens: 0 } }, { json: { kind: "billing", confidence: 1 } }]);
    const { result } = await runCollecting(classifyGraph(model, { pricing: { inputPerMillion: 5, outputPerMillion: 15 }, budget: { costUsd: 1 } }));
    expect(result).toMatchObject({ ok: false, error: { info: { kind: "budget_exceeded", message: expect.stringContaining("cost $5.0000, over the budget of $1") } } });
  });

  it("fails with the block's typed error when the model answers $error, which an error edge routes", async () => {
    const triage = agentBlock(
      defineContract({ id: "triage", input: Ticket, output: Classified, error: z.object({ reason: z.enum(["spam", "unreadable"]) }) }),
      { instructions: "Classify, or reject spam.", model: scriptedModel([{ json: { $error: { reason: "spam" } } }]) },
    );
    const human = defineContract({ id: "human", input: z.object({}), output: Classified }).implement(() => ({ kind: "billing", confidence: 0 }));
    const graph = createGraph({ id: "g", input: Ticket, output: Classified })
      .then(triage)
      .add(human)
      .onError("triage", "human")
      .output((_, { triage, human }) => firstOf(triage, human))
      .build();
    await expect(run(graph, ticket).result).resolves.toEqual({ kind: "billing", confidence: 0 });
  });

  it("runs zod-typed tools, feeds results and tool errors back, and reports each call", async () => {
    const invoices: Record<string, number> = { acme: 120 };
    const lookup = defineTool({
      name: "lookup_invoice",
      description: "The amount of a customer's last invoice.",
      input: z.object({ customer: z.string() }),
      run: ({ customer }) => {
        if (!(customer in invoices)) throw new Error(`no customer ${customer}`);
        return { amount: invoices[customer] };
      },
    });
    const model = scriptedModel([
      { toolCalls: [{ name: "lookup_invoice", input: { customer: "nobody" } }] },
      { toolCalls: [{ name: "lookup_invoice", input: { customer: 42 } }] },
      { toolCalls: [{ name: "lookup_invoice", input: { customer: "acme" } }] },
      { json: { kind: "billing", confidence: 1 } },
    ]);
    const { result, events, calls } = await runCollecting(classifyGraph(model, { tools: [lookup] }));
    expect(result.ok).toBe(true);
    const toolResults = model.calls[3]?.messages.filter((m) => m.role === "tool").map((m) => m.content);
    expect(toolResults).toEqual(["Error from lookup_invoice: no customer nobody", "Error from lookup_invoice: customer: Invalid input: expected string, received number", '{"amount":120}']);
    expect(events.filter((e) => e.type === "block.tool").map((e) => (e as { ok: boolean }).ok)).toEqual([false, false, true]);
    expect(calls.map((c) => c.outcome)).toEqual(["tool-calls", "tool-calls", "tool-calls", "ok"]);
    expect(model.calls[0]?.tools?.[0]).toMatchObject({ name: "lookup_invoice", inputSchema: { type: "object", required: ["customer"] } });
  });

  it("fails with kind tool_error when told to, or when the model calls tools without end", async () => {
    const broken = defineTool({ name: "broken", description: "Always fails.", input: z.object({}), run: () => Promise.reject(new Error("down")) });
    const strict = await runCollecting(classifyGraph(scriptedModel([{ toolCalls: [{ name: "broken", input: {} }] }]), { tools: [broken], onToolError: "fail" }));
    expect(strict.result).toMatchObject({ ok: false, error: { info: { kind: "tool_error", message: expect.stringContaining("tool broken failed: down") } } });
    const forever = scriptedModel({ rules: [{ when: () => true, reply: { toolCalls: [{ name: "broken", input: {} }] } }] });
    const looping = await runCollecting(classifyGraph(forever, { tools: [broken], budget: { toolCalls: 3 } }));
    expect(looping.result).toMatchObject({ ok: false, error: { info: { kind: "tool_error", message: expect.stringContaining("more than 3 tool calls") } } });
  });

  it("exposes its failure classes as AgentError kinds", () => {
    expect(new AgentError("schema", "x").kind).toBe("schema");
  });
});
