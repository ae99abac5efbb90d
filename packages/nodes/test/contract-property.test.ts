import { deepStrict, MemoryStore, run } from "@blockwork/core";
import { createGraph, defineContract, mapOf } from "@blockwork/spec";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentBlock, summarizeUsage } from "../src/index.js";
import { scriptedModel, type ScriptedReply } from "../src/testing/index.js";

const Person = z.object({ name: z.string().min(1), age: z.number().int().min(0).max(150), tags: z.array(z.enum(["a", "b"])).max(3) });
const strictPerson = deepStrict(Person);

/** Answers a model might give: valid ones, near misses, junk, in prose or fences. */
const answer: fc.Arbitrary<ScriptedReply> = fc.oneof(
  fc.record({ name: fc.string(), age: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.double()), tags: fc.array(fc.constantFrom("a", "b", "c"), { maxLength: 4 }) }).map((json) => ({ json })),
  fc.record({ name: fc.string({ minLength: 1 }), age: fc.integer({ min: 0, max: 150 }), tags: fc.constant(["a"]), extra: fc.jsonValue() }).map((json) => ({ json })),
  fc.jsonValue().map((json) => ({ json })),
  fc.string(),
  fc.record({ name: fc.string({ minLength: 1 }), age: fc.integer({ min: 0, max: 150 }), tags: fc.subarray(["a", "b"]) }).map((v) => `Here you go:\n\`\`\`json\n${JSON.stringify(v)}\n\`\`\``),
  fc.constant({ text: '{"name": "Ada", "age": 3', finishReason: "length" as const }),
);

describe("agent output and the contract (property)", () => {
  it("no output that breaks the contract ever reaches a successor", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(answer, { minLength: 1, maxLength: 3 }), async (replies) => {
        const received: unknown[] = [];
        const extract = agentBlock(defineContract({ id: "extract", input: z.object({ text: z.string() }), output: Person }), {
          instructions: "Extract the person.",
          model: scriptedModel([...replies, ...replies, ...replies]),
          budget: { attempts: replies.length },
        });
        const consume = defineContract({ id: "consume", input: z.looseObject({}), output: z.object({ ok: z.boolean() }) }).implement((value) => {
          received.push(value);
          return { ok: true };
        });
        const graph = createGraph({ id: "p", input: z.object({ text: z.string() }), output: z.object({ ok: z.boolean() }) })
          .then(extract)
          .then(consume, (_, { extract }) => extract)
          .output((_, { consume }) => consume)
          .build();
        const outcome = await run(graph, { text: "Ada, 36" }).result.then(
          () => "completed",
          (error: { info: { kind?: string } }) => error.info.kind,
        );
        if (outcome === "completed") {
          expect(received).toHaveLength(1);
          expect(strictPerson.safeParse(received[0]).success).toBe(true);
        } else {
          expect(received).toEqual([]);
          expect(["syntax", "schema", "truncated", "refusal"]).toContain(outcome);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("batches: a map over an agent block", () => {
  it("runs items concurrently, with per-item failures and token totals", async () => {
    const model = scriptedModel({
      rules: [
        { when: /"text":"broken"/, reply: "not json at all" },
        { when: /"text":"(\w+)"/, reply: (request) => ({ json: { name: /"text":"(\w+)"/.exec(JSON.stringify(request.messages))?.[1] ?? "?", age: 30, tags: [] } }) },
      ],
    });
    const extract = agentBlock(defineContract({ id: "extract", input: z.object({ text: z.string() }), output: Person }), {
      instructions: "Extract the person.",
      model,
      budget: { attempts: 2 },
    });
    const batch = mapOf(extract, { id: "batch", concurrency: 4, onItemError: "collect" });
    const graph = createGraph({ id: "b", input: z.object({ texts: z.array(z.object({ text: z.string() })) }), output: z.object({ failed: z.number() }) })
      .then(batch, (input) => ({ items: input.texts }))
      .output((_, { batch }) => ({ failed: batch.failed }))
      .build();
    const events: Parameters<typeof summarizeUsage>[0] extends Iterable<infer E> ? E[] : never = [];
    const texts = ["ada", "bob", "broken", "cy", "dee"].map((text) => ({ text }));
    await expect(run(graph, { texts }, { store: new MemoryStore(), onEvent: (e) => events.push(e) }).result).resolves.toEqual({ failed: 1 });
    const usage = summarizeUsage(events);
    expect(usage.calls).toBe(6); // one call per item, and a second (failed) answer for "broken"
    expect(Object.keys(usage.byBlock)).toEqual(["batch"]);
    expect(usage.contextTokens).toBeGreaterThan(6 * 50);
  });
});
