import { run } from "@blockwork/core";
import { SpanStatusCode } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { createGraph, defineContract } from "@blockwork/spec";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { agentBlock, defineTool, openAICompatible } from "../src/index.js";
import { type FakeOpenAIServer, startFakeOpenAIServer } from "../src/testing/index.js";

// Model and tool call spans of an agent block, following the OpenTelemetry GenAI semantic
// conventions, against the real OpenAI-compatible adapter and a fake server on 127.0.0.1.

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const Out = z.object({ answer: z.string() });
const byStart = (a: ReadableSpan, b: ReadableSpan) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1];

describe("agent block spans", () => {
  it("makes a span per model call (gen_ai.*) and per tool call, inside the block attempt's span", async () => {
    server = await startFakeOpenAIServer((_, n) => {
      if (n === 1) return { toolCalls: [{ name: "now", arguments: "{}" }, { name: "broken", arguments: "{}" }], usage: { prompt_tokens: 100, completion_tokens: 12 } };
      if (n === 2) return { content: "not json at all", usage: { prompt_tokens: 140, completion_tokens: 5 } };
      return { content: '{"answer":"2026"}', usage: { prompt_tokens: 160, completion_tokens: 9 } };
    });
    const model = openAICompatible({ baseURL: server.url, model: "fake-1", apiKey: "test-key", provider: "fake" });
    const ask = agentBlock(defineContract({ id: "ask", input: z.object({ q: z.string() }), output: Out }), {
      instructions: "Answer the question.",
      model,
      tools: [
        defineTool({ name: "now", description: "The current year.", input: z.object({}), run: () => ({ year: 2026 }) }),
        defineTool({ name: "broken", description: "Always fails.", input: z.object({}), run: () => Promise.reject(new Error("down")) }),
      ],
    });
    const graph = createGraph({ id: "ask", input: z.object({ q: z.string() }), output: Out }).then(ask).output((_, { ask }) => ask).build();
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const h = run(graph, { q: "Which year?" }, { tracing: { tracerProvider } });
    await expect(h.result).resolves.toEqual({ answer: "2026" });
    const spans = exporter.getFinishedSpans();
    const block = spans.find((s) => s.name === "block ask") as ReadableSpan;
    const inside = spans.filter((s) => s.parentSpanContext?.spanId === block.spanContext().spanId).sort(byStart);
    expect(inside.map((s) => s.name)).toEqual(["chat fake-1", "execute_tool now", "execute_tool broken", "chat fake-1", "chat fake-1"]);
    const [first, now, broken, syntax, last] = inside as [ReadableSpan, ReadableSpan, ReadableSpan, ReadableSpan, ReadableSpan];
    expect(first.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "fake",
      "gen_ai.request.model": "fake-1",
      "gen_ai.usage.input_tokens": 100,
      "gen_ai.usage.output_tokens": 12,
      "gen_ai.response.finish_reasons": ["tool-calls"],
      "blockwork.model.call": 1,
      "blockwork.model.outcome": "tool-calls",
      "blockwork.run.id": h.id,
      "blockwork.block.path": "ask",
      "blockwork.block.attempt": 1,
    });
    expect(first.status.code).toBe(SpanStatusCode.UNSET);
    expect(now.attributes).toMatchObject({ "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "now", "gen_ai.tool.call.id": expect.any(String) });
    expect(now.status.code).toBe(SpanStatusCode.UNSET);
    expect(broken.status).toMatchObject({ code: SpanStatusCode.ERROR, message: expect.stringContaining("down") });
    expect(broken.attributes["error.type"]).toBe("tool_error");
    // The malformed answer: the call got an answer that failed to parse; the block repaired it.
    expect(syntax.attributes).toMatchObject({ "blockwork.model.outcome": "syntax", "error.type": "syntax", "gen_ai.usage.input_tokens": 140, "blockwork.model.call": 2 });
    expect(syntax.status.code).toBe(SpanStatusCode.ERROR);
    expect(last.attributes).toMatchObject({ "blockwork.model.outcome": "ok", "gen_ai.response.finish_reasons": ["stop"], "gen_ai.usage.output_tokens": 9, "blockwork.model.call": 3 });
    // Each call lies within the block attempt, and the calls do not overlap.
    const ns = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
    for (const [i, s] of inside.entries()) {
      // Inside the attempt (a millisecond allowed: latencies are whole milliseconds), one after the other.
      expect(ns(s.startTime) + 1_000_000n >= ns(block.startTime) && ns(s.endTime) <= ns(block.endTime), s.name).toBe(true);
      const next = inside[i + 1];
      if (next) expect(ns(s.endTime) <= ns(next.startTime) + 1_000_000n, `${s.name} before ${next.name}`).toBe(true);
      expect(s.spanContext().traceId).toBe(block.spanContext().traceId);
    }
    expect(block.attributes["blockwork.outcome"]).toBe("completed");
  });

  it("marks a model call that got no answer with the provider failure", async () => {
    server = await startFakeOpenAIServer((_, n) => (n === 1 ? { status: 503, body: JSON.stringify({ error: { message: "overloaded" } }) } : { content: '{"answer":"ok"}' }));
    const model = openAICompatible({ baseURL: server.url, model: "fake-1", apiKey: "test-key", provider: "fake" });
    const ask = agentBlock(defineContract({ id: "ask", input: z.object({ q: z.string() }), output: Out }), { instructions: "Answer.", model });
    const graph = createGraph({ id: "ask", input: z.object({ q: z.string() }), output: Out })
      .then(ask, (input) => input, { retry: { attempts: 2, initialDelayMs: 1, jitter: 0 } })
      .output((_, { ask }) => ask)
      .build();
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    await expect(run(graph, { q: "?" }, { tracing: { tracerProvider } }).result).resolves.toEqual({ answer: "ok" });
    const spans = exporter.getFinishedSpans();
    const attempts = spans.filter((s) => s.name === "block ask").sort(byStart);
    expect(attempts.map((a) => [a.attributes["blockwork.block.attempt"], a.attributes["blockwork.outcome"]])).toEqual([
      [1, "retried"],
      [2, "completed"],
    ]);
    const calls = spans.filter((s) => s.name === "chat fake-1").sort(byStart);
    expect(calls.map((c) => [c.parentSpanContext?.spanId, c.attributes["blockwork.model.outcome"], c.attributes["http.response.status_code"] ?? null])).toEqual([
      [attempts[0]?.spanContext().spanId, "server", 503],
      [attempts[1]?.spanContext().spanId, "ok", null],
    ]);
    expect(calls[0]?.status).toMatchObject({ code: SpanStatusCode.ERROR, message: expect.stringContaining("no answer") });
  });
});
