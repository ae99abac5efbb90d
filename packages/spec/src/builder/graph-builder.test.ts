import { describe, expect, it } from "vitest";
import { z } from "zod";
import { classify, count, fetchDoc, reply, summarise } from "../../test/fixtures/blocks.js";
import { createGraph, defineContract, firstOf, GRAPH_DEF_FORMAT, mapOf, maybe, parseGraphDef } from "../index.js";

const ticketGraph = () =>
  createGraph({ id: "triage", input: z.object({ ticket: z.string() }), output: z.object({ reply: z.string() }) });

describe("createGraph", () => {
  it("records blocks, edges and bindings as a plain GraphDef", () => {
    const graph = createGraph({ id: "sum", input: z.object({ url: z.string() }), output: z.object({ summary: z.string() }) })
      .then(fetchDoc)
      .then(summarise, (_, { fetchDoc }) => ({ text: fetchDoc.text, maxWords: 10 }))
      .output((_, { summarise }) => summarise)
      .build();
    const { def } = graph;
    expect(def.format).toBe(GRAPH_DEF_FORMAT);
    expect(def.entry).toEqual(["fetchDoc"]);
    expect(def.edges).toEqual([{ from: "fetchDoc", to: "summarise" }]);
    expect(def.nodes.map((n) => [n.id, n.kind, n.kind === "code" ? n.block : undefined])).toEqual([
      ["fetchDoc", "code", "fetchDoc"],
      ["summarise", "code", "summarise"],
    ]);
    expect(def.nodes[0]?.input).toEqual({ kind: "input", path: [] });
    expect(def.nodes[1]?.input).toEqual({
      kind: "object",
      fields: { text: { kind: "output", node: "fetchDoc", path: ["text"] }, maxWords: { kind: "literal", value: 10 } },
    });
    expect(def.output).toEqual({ kind: "output", node: "summarise", path: [] });
    expect(graph.blocks.get("fetchDoc")).toBe(fetchDoc);
  });

  it("stores inputs in input mode and outputs in output mode", () => {
    const { def } = createGraph({ id: "g", input: z.object({ text: z.string() }), output: z.object({ summary: z.string() }) })
      .then(summarise, (input) => ({ text: input.text }))
      .output((_, { summarise }) => summarise)
      .build();
    const node = def.nodes[0];
    // maxWords has a default: optional for callers, so not required in input mode.
    expect(node?.contract.input).toMatchObject({ required: ["text"] });
    expect(node?.contract.output).toMatchObject({ required: ["summary"], additionalProperties: false });
    expect(node?.contract.input).not.toHaveProperty("$schema");
  });

  it("is immutable: every call returns a new builder and leaves the old one as it was", () => {
    const base = ticketGraph().add(classify, (input) => ({ text: input.ticket }));
    const a = base.add(reply, (input) => ({ text: input.ticket })).start("classify").edge("classify", "reply");
    const b = base.start("classify");
    const built = a.output((_, { reply }) => reply).build();
    expect(built.def.nodes.map((n) => n.id)).toEqual(["classify", "reply"]);
    expect(b.output(() => ({ reply: "x" })).build().def.nodes.map((n) => n.id)).toEqual(["classify"]);
  });

  it("turns route cases into typed case values and bounds", () => {
    const { def } = ticketGraph()
      .add(classify, (input) => ({ text: input.ticket }))
      .add(reply, (input) => ({ text: input.ticket }))
      .add(reply.as("other"), (input) => ({ text: input.ticket }))
      .start("classify")
      .route("classify", "urgent", { true: "reply", false: { to: "other", max: 2, onExhausted: "reply" } })
      .route("classify", "kind", { billing: "reply" }, "other")
      .output((_, { reply, other }) => ({ reply: firstOf(reply.reply, other.reply) }))
      .build();
    expect(def.edges).toEqual([
      { from: "classify", to: "reply", when: { kind: "case", field: "urgent", equals: true } },
      { from: "classify", to: "other", max: 2, onExhausted: "reply", when: { kind: "case", field: "urgent", equals: false } },
      { from: "classify", to: "reply", when: { kind: "case", field: "kind", equals: "billing" } },
      { from: "classify", to: "other", when: { kind: "otherwise" } },
    ]);
    expect(def.nodes[2]).toMatchObject({ id: "other", block: "reply" });
  });

  it("records maybe() and firstOf() refs", () => {
    const { def } = createGraph({ id: "l", input: z.object({ n: z.number() }), output: z.object({ n: z.number() }) })
      .then(count)
      .edge("count", "count", { max: 3 })
      .bind("count", (input, { count }) => ({ n: firstOf(maybe(count.n), input.n) }))
      .output((_, { count }) => count)
      .build();
    expect(def.nodes[0]?.input).toEqual({
      kind: "object",
      fields: {
        n: {
          kind: "first",
          of: [
            { kind: "output", node: "count", path: ["n"], optional: true },
            { kind: "input", path: ["n"] },
          ],
        },
      },
    });
  });

  it("round-trips losslessly through JSON and the GraphDef loader", () => {
    const inner = createGraph({ id: "inner", input: z.object({ text: z.string() }), output: z.object({ summary: z.string() }) })
      .then(summarise)
      .output((_, { summarise }) => summarise)
      .build();
    const { def } = createGraph({ id: "outer", input: z.object({ url: z.string() }), output: z.object({ summary: z.string() }) })
      .then(fetchDoc)
      .then(inner)
      .onError("fetchDoc", "inner")
      .output((_, { inner }) => inner)
      .build();
    const loaded = parseGraphDef(JSON.parse(JSON.stringify(def)));
    expect(loaded).toEqual({ ok: true, def });
    expect(def.nodes[1]).toMatchObject({ kind: "graph", id: "inner", graph: inner.def, contract: inner.def.contract });
  });

  it("records a map block with its item block and a contract derived from it", () => {
    const each = mapOf(summarise, { id: "each", concurrency: 3, onItemError: "collect" });
    const graph = createGraph({ id: "g", input: z.object({ docs: z.array(z.object({ text: z.string() })) }), output: z.object({ failed: z.number() }) })
      .then(each, (input) => ({ items: input.docs }))
      .output((_, { each }) => ({ failed: each.failed }))
      .build();
    const node = graph.def.nodes[0];
    expect(node).toMatchObject({ kind: "map", id: "each", concurrency: 3, onItemError: "collect", item: { kind: "code", id: "summarise", block: "summarise" } });
    expect(node?.contract.input).toMatchObject({ properties: { items: { type: "array" } }, required: ["items"] });
    expect(graph.blocks.get("summarise")).toBe(summarise);
    expect(parseGraphDef(JSON.parse(JSON.stringify(graph.def)))).toEqual({ ok: true, def: graph.def });
    expect(() => mapOf(summarise, { id: "bad", concurrency: 0 })).toThrow(/concurrency must be a whole number of at least 1, got 0/);
  });

  it("rejects two different blocks with one name, and values that are not bindings", () => {
    const impostor = defineContract({ id: "classify", input: z.object({ text: z.string() }), output: z.object({}) }).implement(() => ({}));
    const g = ticketGraph()
      .add(classify, (input) => ({ text: input.ticket }))
      .add(impostor.as("other"), (input) => ({ text: input.ticket }))
      .output(() => ({ reply: "x" }));
    expect(() => g.build()).toThrow(/two different blocks are both named "classify"/);
    expect(() => ticketGraph().add(reply, () => ({ text: new Date() as unknown as string }))).toThrow(
      /Binding of block "reply".text: an instance of Date is neither a ref, a JSON literal nor an object of them/,
    );
    expect(() => defineContract({ id: "bad id", input: z.object({}), output: z.object({}) })).toThrow(/id "bad id" is not valid/);
  });
});

describe("refs used as values", () => {
  const usedAsValue = (shown: string) => new RegExp(`^The ref ${shown.replace(/\./g, "\\.")} was used as a value \\(in a template string, arithmetic, a comparison or String\\(\\)\\)`);

  it("a template string, +, a comparison, == or String() on a ref is an invalid_binding naming the ref", () => {
    const uses: [string, (ref: unknown) => unknown][] = [
      ["template", (r) => `Re: ${r as string}`],
      ["plus", (r) => (r as number) + 1],
      ["less", (r) => (r as number) < 3],
      ["loose equality", (r) => (r as string) == "x"],
      ["String()", (r) => String(r)],
    ];
    for (const [what, use] of uses) {
      let thrown: unknown;
      try {
        ticketGraph().add(reply, (input) => ({ text: use(input.ticket) as string }));
      } catch (error) {
        thrown = error;
      }
      expect(thrown, what).toMatchObject({ name: "BlockworkError", code: "invalid_binding", details: { ref: "input.ticket" } });
      expect((thrown as Error).message, what).toMatch(usedAsValue("input.ticket"));
    }
    expect(() => ticketGraph().add(classify, (input) => ({ text: input.ticket })).add(reply, (_, { classify }) => ({ text: `${classify.kind as unknown as string}!` }))).toThrow(
      usedAsValue("blocks.classify.kind"),
    );
  });

  it("a ref that is only passed around asks for no value: awaited or stringified, it does not throw", async () => {
    let captured: unknown;
    ticketGraph().add(reply, (input) => {
      captured = input.ticket;
      return { text: input.ticket };
    });
    expect(await Promise.resolve(captured)).toBe(captured);
    expect(JSON.stringify(captured)).toBe("{}");
  });
});
