import { createGraph, declareBlock, defineContract } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatVerifyReport, verifyBlock, verifyGraph } from "../../src/index.js";

// A block that counts the words of a text, with its contract and properties.
const counter = declareBlock({
  id: "count",
  purpose: "Counts the words (runs of non-space characters) of a text, and says whether it is empty.",
  input: z.object({ text: z.string().max(40) }),
  output: z.object({ words: z.number().int().min(0), size: z.enum(["empty", "short", "long"]) }),
  examples: [
    { input: { text: "" }, output: { words: 0, size: "empty" } },
    { input: { text: "a b" }, output: { words: 2, size: "short" } },
  ],
  properties: {
    "at most one word per two characters, rounded up": ({ input, output }) => output.words <= Math.ceil(input.text.length / 2),
    "blank text has no words": ({ input, output }) => input.text.trim() !== "" || output.words === 0,
    "empty exactly when no words": ({ output }) => (output.words === 0) === (output.size === "empty"),
  },
});
const truncate = declareBlock({
  id: "truncate",
  purpose: "Cuts a text to at most max characters, keeping its beginning.",
  input: z.object({ text: z.string(), max: z.number().int().min(0).max(20) }),
  output: z.object({ text: z.string() }),
  examples: [{ input: { text: "ab", max: 5 }, output: { text: "ab" } }],
  properties: {
    fits: ({ input, output }) => output.text.length <= input.max,
    prefix: ({ input, output }) => input.text.startsWith(output.text),
  },
});
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
const size = (n: number) => (n === 0 ? "empty" : n < 5 ? "short" : "long");

describe("verifyBlock", () => {
  it("passes a correct implementation on generated inputs, examples and properties", async () => {
    const verdict = await verifyBlock(counter.implement(({ text }) => ({ words: words(text), size: size(words(text)) })), { runs: 200 });
    expect(verdict).toMatchObject({ status: "passed", runs: 200, examples: 2 });
  });

  it("finds an off-by-one and shrinks the counterexample to the smallest failing input", async () => {
    // Seeded bug: keeps one character too many.
    const verdict = await verifyBlock(truncate.implement(({ text, max }) => ({ text: text.slice(0, max + 1) })), { runs: 300 });
    expect(verdict.status).toBe("failed");
    expect(verdict.failure).toMatchObject({ kind: "property", property: "fits" });
    // Shrunk: max 0 and a one-character text (the example, shorter than its max, does not see the bug).
    expect(verdict.failure?.input).toMatchObject({ max: 0 });
    expect([...(verdict.failure?.input as { text: string }).text]).toHaveLength(1);
    expect(verdict.failure?.shrinks).toBeGreaterThan(0);
    const correct = await verifyBlock(truncate.implement(({ text, max }) => ({ text: text.slice(0, max) })), { runs: 300 });
    expect(correct.status).toBe("passed");
  });

  it("finds a bug only a property sees, with the graph helper", async () => {
    // Seeded bug: whitespace-only text counts as one word (the examples do not cover it).
    const buggy = counter.implement(({ text }) => {
      const n = text !== "" && text.trim() === "" ? 1 : words(text);
      return { words: n, size: size(n) };
    });
    const report = await verifyGraph(graphOf(buggy), { runs: 300 });
    const f = report.blocks[0]?.failure;
    expect(report.ok).toBe(false);
    expect(f).toMatchObject({ kind: "property", property: "blank text has no words" });
    expect((f?.input as { text: string }).text).toMatch(/^\s$/);
  });

  it("finds a missing output field, with the schema issue's path", async () => {
    const buggy = counter.implement(({ text }) => (text.includes("x") ? ({ words: words(text) } as never) : { words: words(text), size: size(words(text)) }));
    const verdict = await verifyBlock(buggy, { runs: 300 });
    expect(verdict.failure).toMatchObject({ kind: "output_schema" });
    expect(verdict.failure?.message).toContain("size:");
    expect(verdict.failure?.input).toEqual({ text: "x" });
  });

  it("finds a wrong enum value", async () => {
    const buggy = counter.implement(({ text }) => {
      const n = words(text);
      return { words: n, size: (n >= 5 ? "huge" : size(n)) as "long" };
    });
    const verdict = await verifyBlock(buggy, { runs: 400 });
    expect(verdict.failure?.kind).toBe("output_schema");
    expect(verdict.failure?.message).toMatch(/size: Invalid option/);
    expect(words((verdict.failure?.input as { text: string }).text)).toBe(5);
  });

  it("fails on an example the implementation does not reproduce", async () => {
    const verdict = await verifyBlock(counter.implement(({ text }) => ({ words: words(text), size: text === "a b" ? "long" : size(words(text)) })));
    expect(verdict.failure).toMatchObject({ kind: "example", example: 1, expected: { words: 2, size: "short" } });
  });

  it("reports a block without implementation as not_implemented, and a thrown error with its message", async () => {
    expect((await verifyBlock(counter)).status).toBe("not_implemented");
    const throwing = await verifyBlock(counter.implement(({ text }) => {
      if (/[^\x00-\x7f]/.test(text)) throw new Error("ascii only");
      return { words: words(text), size: size(words(text)) };
    }), { runs: 300 });
    // The edge cases include unicode: the ascii-only assumption is found.
    expect(throwing.failure).toMatchObject({ kind: "threw", message: "Error: ascii only" });
    expect([...(throwing.failure?.input as { text: string }).text].length).toBe(1);
  });

  it("verifies plain code blocks of a graph too, and formats the counterexample", async () => {
    const half = defineContract({ id: "half", input: z.object({ n: z.number().int().min(0).max(100) }), output: z.object({ n: z.number().int() }) }).implement(({ n }) => ({ n: n / 2 }));
    const graph = createGraph({ id: "h", input: z.object({ n: z.number().int().min(0).max(100) }), output: z.object({ n: z.number() }) }).then(half).output((_, { half }) => half).build();
    const report = await verifyGraph(graph);
    // Shrunk towards 0 until every smaller candidate passed: an odd number, and a small one.
    const n = (report.blocks[0]?.failure?.input as { n: number }).n;
    expect(n % 2).toBe(1);
    expect(n).toBeLessThanOrEqual(3);
    const text = formatVerifyReport(report);
    expect(text).toContain("FAIL half: the output does not satisfy the output schema: n:");
    expect(text).toContain('counterexample (shrunk');
    expect(text).toContain(`input {"n":${n}}`);
    await expect(verifyGraph(graph, { blocks: ["nope"] })).rejects.toThrow(/has no code block "nope"/);
  });
});

function graphOf(block: typeof counter) {
  return createGraph({ id: "g", input: z.object({ text: z.string().max(40) }), output: z.object({ words: z.number() }) })
    .then(block)
    .output((_, { count }) => ({ words: count.words }))
    .build();
}
