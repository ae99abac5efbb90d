import { run, type RunEvent } from "@blockwork/core";
import { createGraph, defineContract } from "@blockwork/spec";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { agentBlock, defineTool, ModelError, openAICompatible, summarizeUsage } from "../src/index.js";
import { type FakeOpenAIServer, type FakeReply, startFakeOpenAIServer } from "../src/testing/index.js";

const Out = z.object({ answer: z.string() });
let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(reply: (n: number) => FakeReply) {
  server = await startFakeOpenAIServer((_, n) => reply(n));
  return openAICompatible({ baseURL: server.url, model: "fake-1", apiKey: "test-key", provider: "fake" });
}

function graphWith(model: ReturnType<typeof openAICompatible>, retry = 1, timeoutMs?: number) {
  const ask = agentBlock(defineContract({ id: "ask", input: z.object({ q: z.string() }), output: Out, ...(timeoutMs ? { budget: { timeoutMs } } : {}) }), {
    instructions: "Answer the question.",
    model,
    tools: [defineTool({ name: "now", description: "The current year.", input: z.object({}), run: () => ({ year: 2026 }) })],
  });
  return createGraph({ id: "ask", input: z.object({ q: z.string() }), output: Out })
    .then(ask, (input) => input, { retry: { attempts: retry, initialDelayMs: 1, jitter: 0 } })
    .output((_, { ask }) => ask)
    .build();
}

async function outcome(graph: ReturnType<typeof graphWith>) {
  const events: RunEvent[] = [];
  const result = await run(graph, { q: "Which year?" }, { onEvent: (e) => events.push(e) }).result.then(
    (output) => ({ ok: true as const, output }),
    (error: { info: { kind?: string; message: string } }) => ({ ok: false as const, kind: error.info.kind, message: error.info.message }),
  );
  return { result, events };
}

describe("openAICompatible against a fake OpenAI-compatible server on 127.0.0.1", () => {
  it("sends the structured-output schema, tools and auth, and reads the answer and usage", async () => {
    const model = await serve(() => ({ content: '{"answer":"2026"}', usage: { prompt_tokens: 321, completion_tokens: 7 } }));
    const { result, events } = await outcome(graphWith(model));
    expect(result).toEqual({ ok: true, output: { answer: "2026" } });
    const request = server?.requests[0];
    expect(request?.model).toBe("fake-1");
    expect(request?.response_format).toMatchObject({ type: "json_schema", json_schema: { name: "ask", schema: { type: "object", required: ["answer"] } } });
    expect(request?.tools).toMatchObject([{ type: "function", function: { name: "now" } }]);
    expect(events.find((e) => e.type === "block.usage")).toMatchObject({ model: "fake:fake-1", inputTokens: 321, outputTokens: 7 });
  });

  it("runs a tool round trip through the HTTP API", async () => {
    const model = await serve((n) => (n === 1 ? { toolCalls: [{ name: "now", arguments: "{}" }] } : { content: '{"answer":"it is 2026"}' }));
    expect((await outcome(graphWith(model))).result).toEqual({ ok: true, output: { answer: "it is 2026" } });
    const second = server?.requests[1]?.messages;
    expect(second?.at(-1)).toMatchObject({ role: "tool", content: '{"year":2026}' });
  });

  it("repairs malformed JSON in the content", async () => {
    const model = await serve((n) => ({ content: n === 1 ? '{"answer": "2026",,}' : '{"answer":"2026"}' }));
    const { result, events } = await outcome(graphWith(model));
    expect(result.ok).toBe(true);
    expect(events.filter((e) => e.type === "block.usage").map((e) => (e as { outcome: string }).outcome)).toEqual(["syntax", "ok"]);
  });

  it("classifies a refusal marked by the endpoint", async () => {
    const model = await serve(() => ({ content: null, refusal: "I'm sorry, I can't help with that." }));
    expect((await outcome(graphWith(model))).result).toMatchObject({ ok: false, kind: "refusal", message: expect.stringContaining("I'm sorry") });
  });

  it("classifies truncated output (finish_reason length)", async () => {
    const model = await serve(() => ({ content: '{"answer": "20', finishReason: "length" }));
    expect((await outcome(graphWith(model))).result).toMatchObject({ ok: false, kind: "truncated" });
  });

  it("reads a 429's Retry-After and the runtime waits for it before retrying", async () => {
    const model = await serve((n) => (n === 1 ? { status: 429, headers: { "retry-after": "0.05" } } : { content: '{"answer":"ok"}' }));
    const { result, events } = await outcome(graphWith(model, 2));
    expect(result).toEqual({ ok: true, output: { answer: "ok" } });
    expect(events.find((e) => e.type === "block.retried")).toMatchObject({ delayMs: 50, error: { kind: "rate_limit" } });
    await server?.close();
    const limited = await serve(() => ({ status: 429, headers: { "retry-after": "2" } }));
    const error = await limited.generate({ messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ kind: "rate_limit", status: 429, retryAfterMs: 2_000 });
  });

  it("classifies 5xx, malformed response bodies, bad keys and slow responses", async () => {
    const server500 = await serve(() => ({ status: 503 }));
    expect((await outcome(graphWith(server500))).result).toMatchObject({ ok: false, kind: "server" });
    await server?.close();
    const garbage = await serve(() => ({ body: "<html>gateway</html>" }));
    expect((await outcome(graphWith(garbage))).result).toMatchObject({ ok: false, kind: "provider" });
    await server?.close();
    const unauthorized = await serve(() => ({ status: 401 }));
    expect((await outcome(graphWith(unauthorized))).result).toMatchObject({ ok: false, kind: "auth" });
    await server?.close();
    const slow = await serve(() => ({ content: '{"answer":"late"}', delayMs: 2_000 }));
    expect((await outcome(graphWith(slow, 1, 50))).result).toMatchObject({ ok: false, message: expect.stringContaining("longer than its budget of 50 ms") });
  });

  it("reports an unreachable endpoint as a network error", async () => {
    const model = openAICompatible({ baseURL: "http://127.0.0.1:9/v1", model: "nothing" });
    const error = await model.generate({ messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).kind).toBe("network");
  });
});

describe("usage events of failed provider calls (fake server on 127.0.0.1)", () => {
  const usage = (events: RunEvent[]) => events.filter((e): e is Extract<RunEvent, { type: "block.usage" }> => e.type === "block.usage");

  it("reports a 429 and a 503 with their outcome class and status, then the answered retry", async () => {
    const model = await serve((n) => (n === 1 ? { status: 429, headers: { "retry-after": "0.01" } } : n === 2 ? { status: 503 } : { content: '{"answer":"ok"}', usage: { prompt_tokens: 40, completion_tokens: 3 } }));
    const { result, events } = await outcome(graphWith(model, 3));
    expect(result).toEqual({ ok: true, output: { answer: "ok" } });
    const calls = usage(events);
    expect(calls.map((e) => [e.attempt, e.outcome, e.answered ?? true, e.status])).toEqual([
      [1, "rate_limit", false, 429],
      [2, "server", false, 503],
      [3, "ok", true, undefined],
    ]);
    for (const call of calls) {
      expect(call.model).toBe("fake:fake-1");
      expect(call.contextTokens).toBeGreaterThan(0);
      expect(call.latencyMs).toBeGreaterThanOrEqual(0);
    }
    expect(calls[0]?.inputTokens).toBeUndefined();
    const summary = summarizeUsage(events);
    expect(summary).toMatchObject({ calls: 3, failedCalls: 2, inputTokens: 40, outputTokens: 3 });
  });

  it("reports a call that ran past the block's time budget as a timeout", async () => {
    const model = await serve(() => ({ content: '{"answer":"late"}', delayMs: 2_000 }));
    const { result, events } = await outcome(graphWith(model, 1, 100));
    expect(result).toMatchObject({ ok: false });
    // The aborted call settles just after the attempt failed; wait for its report.
    await expect.poll(() => usage(events).length, { timeout: 10_000 }).toBe(1);
    expect(usage(events)[0]).toMatchObject({ outcome: "timeout", answered: false });
  });

  it("reports a failed call of a block that fails for good (500 on every attempt)", async () => {
    const model = await serve(() => ({ status: 500 }));
    const { result, events } = await outcome(graphWith(model, 2));
    expect(result).toMatchObject({ ok: false, kind: "server" });
    expect(usage(events).map((e) => [e.outcome, e.status])).toEqual([
      ["server", 500],
      ["server", 500],
    ]);
  });
});
