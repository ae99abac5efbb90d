import { describe, expect, it } from "vitest";
import { z } from "zod";
import { check, createGraph, declareBlock, declaredInfo, isBlockworkError, parseGraphDef } from "../src/index.js";

const input = z.object({ title: z.string() });
const output = z.object({ slug: z.string() });

const declare = (examples: { input: unknown; output: unknown }[], implementation?: URL) =>
  declareBlock({
    id: "slugify",
    purpose: "Turns a title into a lowercase slug.",
    input,
    output,
    examples: examples as never,
    properties: { lowercase: ({ output }) => output.slug === output.slug.toLowerCase() },
    ...(implementation ? { implementation } : {}),
  });

describe("declareBlock", () => {
  it("puts the purpose, examples and property names in the GraphDef's code node", () => {
    const block = declare([{ input: { title: "A b" }, output: { slug: "a-b" } }]);
    const graph = createGraph({ id: "g", input, output }).then(block).output((_, { slugify }) => slugify).build();
    const node = graph.def.nodes[0];
    expect(node?.kind === "code" && node.declared).toEqual({ purpose: "Turns a title into a lowercase slug.", examples: [{ input: { title: "A b" }, output: { slug: "a-b" } }], properties: ["lowercase"] });
    expect(parseGraphDef(JSON.parse(JSON.stringify(graph.def))).ok).toBe(true);
    expect(declaredInfo(block)?.purpose).toBe("Turns a title into a lowercase slug.");
  });

  it("refuses an example whose input breaks the input schema", () => {
    try {
      declare([{ input: { title: 3 }, output: { slug: "x" } }]);
      expect.unreachable();
    } catch (error) {
      expect(isBlockworkError(error) && error.code).toBe("invalid_example");
      expect(String(error)).toContain('declareBlock("slugify"): examples[0].input does not satisfy the input schema: title:');
    }
  });

  it("refuses an example whose output breaks the output schema", () => {
    expect(() => declare([{ input: { title: "x" }, output: {} }])).toThrow(/examples\[0\]\.output does not satisfy the output schema: slug:/);
  });

  it("refuses an example that breaks a declared property", () => {
    expect(() => declare([{ input: { title: "A" }, output: { slug: "A" } }])).toThrow(/examples\[0\] breaks the declared property "lowercase"/);
  });

  it("accepts zod refinements over { input, output } as properties", () => {
    const property = z.object({ input, output }).refine(({ input, output }) => output.slug.length <= input.title.length, "the slug is longer than the title");
    expect(() => declareBlock({ id: "s", purpose: "p", input, output, examples: [{ input: { title: "ab" }, output: { slug: "abc" } }], properties: { short: property } })).toThrow(/the slug is longer than the title/);
  });

  it("fails with not_implemented when run without an implementation, and runs one given in code", async () => {
    const missing = declare([], new URL("./does-not-exist.impl.ts", import.meta.url));
    await expect(Promise.resolve(missing.run({ title: "x" }, {} as never))).rejects.toThrow(/Block "slugify" is declared but not implemented: its implementation module .* does not exist yet/);
    const done = missing.implement(({ title }) => ({ slug: title.toLowerCase() }));
    expect(await done.run({ title: "AB" }, {} as never)).toEqual({ slug: "ab" });
    expect(declaredInfo(done)?.inline).toBeTypeOf("function");
  });

  it("is reported by check as not_implemented: an error, or a warning with allowMissing", () => {
    const graph = createGraph({ id: "g", input, output }).then(declare([])).output((_, { slugify }) => slugify).build();
    expect(check(graph.def)).toEqual([]);
    const issues = check(graph.def, { unimplemented: new Set(["slugify"]) });
    expect(issues.map((i) => [i.code, i.severity, i.block])).toEqual([["not_implemented", "error", "slugify"]]);
    expect(issues[0]?.message).toContain("blockwork implement <graph> --block slugify");
    expect(check(graph.def, { unimplemented: new Set(["slugify"]), allowMissing: true }).map((i) => i.severity)).toEqual(["warning"]);
  });
});
