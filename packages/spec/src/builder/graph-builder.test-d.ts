import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { classify, count, fetchDoc, noInput, reply, summarise } from "../../test/fixtures/blocks.js";
import { createGraph, defineContract, firstOf, mapOf, maybe, type Binding, type GraphBlock, type InputFrom, type OutputFrom } from "../index.js";

const ticketGraph = () =>
  createGraph({ id: "triage", input: z.object({ ticket: z.string() }), output: z.object({ reply: z.string() }) });

describe("contracts", () => {
  it("infers input, output and error types from the schemas", () => {
    expectTypeOf<InputFrom<typeof fetchDoc>>().toEqualTypeOf<{ url: string }>();
    expectTypeOf<OutputFrom<typeof fetchDoc>>().toEqualTypeOf<{ text: string; bytes: number }>();
    expectTypeOf<OutputFrom<typeof classify>["kind"]>().toEqualTypeOf<"billing" | "tech" | "other">();
  });

  it("gives the implementation the parsed input and checks its result against the output", () => {
    defineContract({ id: "x", input: z.object({ n: z.number().default(1) }), output: z.object({ kind: z.enum(["a", "b"]) }) }).implement(
      (input) => {
        expectTypeOf(input).toEqualTypeOf<{ n: number }>();
        return { kind: input.n > 0 ? "a" : "b" };
      },
    );
    defineContract({ id: "x", input: z.object({}), output: z.object({ kind: z.enum(["a", "b"]) }) })
      // @ts-expect-error: "c" is not a value of the output's kind
      .implement(() => ({ kind: "c" }));
  });

  it("types ctx.fail with the error schema", () => {
    defineContract({ id: "x", input: z.object({}), output: z.object({}), error: z.object({ reason: z.literal("gone") }) }).implement((_, ctx) =>
      ctx.fail({ reason: "gone" }),
    );
    defineContract({ id: "x", input: z.object({}), output: z.object({}), error: z.object({ reason: z.literal("gone") }) })
      // @ts-expect-error: "late" is not a declared error
      .implement((_, ctx) => ctx.fail({ reason: "late" }));
  });
});

describe("graph builder", () => {
  it("builds a graph block with the graph's own contract", () => {
    const graph = createGraph({ id: "sum", input: z.object({ url: z.string() }), output: z.object({ summary: z.string() }) })
      .then(fetchDoc)
      .then(summarise, (_, { fetchDoc }) => ({ text: fetchDoc.text }))
      .output((_, { summarise }) => summarise)
      .build();
    expectTypeOf(graph).toExtend<GraphBlock>();
    expectTypeOf<InputFrom<typeof graph>>().toEqualTypeOf<{ url: string }>();
    expectTypeOf<OutputFrom<typeof graph>>().toEqualTypeOf<{ summary: string }>();
  });

  it("gives bindings refs typed by the schemas, and keeps literals literal", () => {
    ticketGraph()
      .add(classify, (input) => {
        expectTypeOf(input.ticket).toExtend<Binding<string>>();
        expectTypeOf(input.ticket).not.toExtend<Binding<number>>();
        return { text: input.ticket };
      })
      .add(reply, (input, { classify }) => ({ text: input.ticket, tone: classify.urgent ? "formal" : "casual" }))
      .add(reply.as("formal"), (input) => ({ text: input.ticket, tone: "formal" }));
  });

  it("unknown_block: edges and bindings accept only known block ids", () => {
    const g = ticketGraph().add(classify, (input) => ({ text: input.ticket }));
    // @ts-expect-error: "clasify" is not a block of this graph
    g.edge("classify", "clasify");
    // @ts-expect-error: "reply" has not been added
    g.start("reply");
    g.add(reply, (_, blocks) => ({
      // @ts-expect-error: there is no block "replyy" to read from
      text: blocks.replyy.reply,
    }));
  });

  it("duplicate_id: a block id can be added once", () => {
    const g = ticketGraph().add(classify, (input) => ({ text: input.ticket }));
    // @ts-expect-error: block id "classify" is already used in this graph
    g.add(classify, (input) => ({ text: input.ticket }));
    g.add(classify.as("classify2"), (input) => ({ text: input.ticket }));
  });

  it("binding_type_mismatch: a bound value must fit the field", () => {
    createGraph({ id: "g", input: z.object({ ticket: z.number() }), output: z.object({}) })
      // @ts-expect-error: a number cannot be bound to the string field text
      .add(classify, (input) => ({ text: input.ticket }));
    ticketGraph()
      // @ts-expect-error: "shouty" is not a tone
      .add(reply, (input) => ({ text: input.ticket, tone: "shouty" }));
  });

  it("unbound_input: every required input field must be bound", () => {
    ticketGraph()
      // @ts-expect-error: the required field text is not bound
      .add(reply, () => ({ tone: "formal" }));
  });

  it("unbound_input: build() refuses a graph with a block whose input is not bound", () => {
    const g = ticketGraph().add(classify).output(() => ({ reply: "x" }));
    // @ts-expect-error: the input of block "classify" is not bound
    g.build();
    g.bind("classify", (input) => ({ text: input.ticket })).build();
    ticketGraph().add(noInput).output(() => ({ reply: "x" })).build();
  });

  it("unbound_output: build() refuses a graph whose output is not bound", () => {
    const g = ticketGraph().add(classify, (input) => ({ text: input.ticket }));
    // @ts-expect-error: the graph output is not bound
    g.build();
  });

  it("then: the previous output must fit the next input unless a binding is given", () => {
    // @ts-expect-error: the graph input { ticket } does not fit the input { text } of classify
    ticketGraph().then(classify);
    ticketGraph().then(classify, (input) => ({ text: input.ticket }));
    // fetchDoc's output { text, bytes } fits summarise's input { text, maxWords? }.
    createGraph({ id: "g", input: z.object({ url: z.string() }), output: z.object({}) }).then(fetchDoc).then(summarise);
  });

  it("non_exhaustive_route: a route without otherwise covers every case", () => {
    const g = ticketGraph()
      .add(classify, (input) => ({ text: input.ticket }))
      .add(reply, (input) => ({ text: input.ticket }));
    g.route("classify", "kind", { billing: "reply", tech: "reply", other: "reply" });
    // @ts-expect-error: case "other" is missing and there is no otherwise
    g.route("classify", "kind", { billing: "reply", tech: "reply" });
    g.route("classify", "kind", { billing: "reply" }, "reply");
    g.route("classify", "urgent", { true: "reply", false: "reply" });
  });

  it("unknown_route_case: a route case must be a value of the discriminant", () => {
    const g = ticketGraph()
      .add(classify, (input) => ({ text: input.ticket }))
      .add(reply, (input) => ({ text: input.ticket }));
    // @ts-expect-error: "refund" is not a value of classify.kind
    g.route("classify", "kind", { billing: "reply", refund: "reply" }, "reply");
    // @ts-expect-error: confidence is a number, not a discriminant
    g.route("classify", "confidence", {}, "reply");
  });

  it("unbounded_cycle: loops declare a bound on an edge", () => {
    const g = createGraph({ id: "l", input: z.object({ n: z.number() }), output: z.object({ n: z.number() }) })
      .then(count)
      .edge("count", "count", { max: 3 })
      .bind("count", (input, { count }) => ({ n: firstOf(maybe(count.n), input.n) }));
    g.output((_, { count }) => count).build();
    g.bind("count", (_, { count }) => ({
      // @ts-expect-error: maybe() makes the value possibly absent, but n is required
      n: maybe(count.n),
    }));
  });

  it("error_edge_without_error_schema: only blocks with an error schema have error edges", () => {
    const g = ticketGraph()
      .add(classify, (input) => ({ text: input.ticket }))
      .add(fetchDoc, () => ({ url: "u" }))
      .add(reply, (input) => ({ text: input.ticket }));
    g.onError("fetchDoc", "reply");
    // @ts-expect-error: block "classify" declares no error schema
    g.onError("classify", "reply");
  });

  it("mapOf: a map's contract is derived from its item block", () => {
    const each = mapOf(summarise, { id: "each" });
    expectTypeOf<InputFrom<typeof each>>().toEqualTypeOf<{ items: { text: string; maxWords: number }[] }>();
    expectTypeOf<OutputFrom<typeof each>>().toEqualTypeOf<{ results: { summary: string }[] }>();
    const collect = mapOf(summarise, { id: "each", onItemError: "collect" });
    expectTypeOf<OutputFrom<typeof collect>["failed"]>().toEqualTypeOf<number>();
    expectTypeOf<OutputFrom<typeof collect>["results"][number]>().toExtend<{ ok: true; value: { summary: string } } | { ok: false }>();
  });

  it("subgraph: a built graph is a block with its own contract", () => {
    const inner = createGraph({ id: "inner", input: z.object({ text: z.string() }), output: z.object({ summary: z.string() }) })
      .then(summarise)
      .output((_, { summarise }) => summarise)
      .build();
    createGraph({ id: "outer", input: z.object({ url: z.string() }), output: z.object({ summary: z.string() }) })
      .then(fetchDoc)
      .then(inner)
      .output((_, { inner }) => ({ summary: inner.summary }))
      .build();
    createGraph({ id: "outer", input: z.object({ n: z.number() }), output: z.object({}) })
      // @ts-expect-error: the graph input { n } does not fit the subgraph's input { text }
      .then(inner);
  });
});
