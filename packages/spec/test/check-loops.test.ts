import { describe, expect, it } from "vitest";
import { z } from "zod";
import { check, createGraph, defineContract, maybe } from "../src/index.js";

// Issue 12: the checker follows the runtime's rules for loop passes and for the graph's input.

const codes = (def: Parameters<typeof check>[0]) => check(def).map((i) => `${i.severity} ${i.code}`);

describe("the graph's input is read as the runtime parses it (closed objects)", () => {
  const Block = defineContract({ id: "block", input: z.object({ text: z.string(), lang: z.string().optional() }), output: z.object({ ok: z.boolean() }) }).implement(() => ({ ok: true }));

  it("a block's optional field that the graph's input lacks is no binding_type_mismatch", () => {
    const graph = createGraph({ id: "g", input: z.object({ text: z.string(), meta: z.object({ n: z.number() }) }), output: z.object({ ok: z.boolean() }) })
      .then(Block, (input) => input)
      .output((_, { block }) => block)
      .build();
    expect(codes(graph.def)).toEqual([]);
  });

  it("a nested object of the input is closed too", () => {
    const Inner = defineContract({ id: "inner", input: z.object({ n: z.number(), tag: z.string().optional() }), output: z.object({ ok: z.boolean() }) }).implement(() => ({ ok: true }));
    const graph = createGraph({ id: "g", input: z.object({ meta: z.object({ n: z.number() }) }), output: z.object({ ok: z.boolean() }) })
      .then(Inner, (input) => input.meta)
      .output((_, { inner }) => inner)
      .build();
    expect(codes(graph.def)).toEqual([]);
  });

  it("an input that allows extra keys (z.looseObject) stays open: the field may hold anything", () => {
    const graph = createGraph({ id: "g", input: z.looseObject({ text: z.string() }), output: z.object({ ok: z.boolean() }) })
      .then(Block, (input) => input)
      .output((_, { block }) => block)
      .build();
    expect(check(graph.def).find((i) => i.code === "binding_type_mismatch")?.message).toMatch(/lang/);
  });
});

describe("loop passes in the checker", () => {
  const N = z.object({ n: z.number().optional() });
  const Out = z.object({ n: z.number(), c: z.enum(["x", "y"]) });
  const mk = <const I extends string>(id: I) => defineContract({ id, input: N, output: Out }).implement(() => ({ n: 1, c: "y" as const }));

  it("a cycle closed through a block that starts again at every pass is unbounded, and says why", () => {
    // n0 -> n1 -> n4, n0 -> n3 -> n4; n4 routes x -> n3 (max 1) | y -> exit. The depth-first walk
    // reaches n3 from n4 first, so n3 -> n4 closes the loop at n4: every pass starts n3 again
    // through its way in from n0, and n3 -> n4 is taken every pass without the bounded edge.
    const graph = createGraph({ id: "g", input: z.object({}), output: z.object({}) })
      .add(mk("n0"))
      .add(mk("n1"))
      .add(mk("n3"))
      .add(mk("n4"), undefined as never, { join: "any" })
      .add(mk("exit"))
      .start("n0")
      .edge("n0", "n1")
      .edge("n0", "n3")
      .edge("n1", "n4")
      .edge("n3", "n4")
      .route("n4", "c", { x: { to: "n3", max: 1 }, y: "exit" })
      .output(() => ({}))
      .build();
    const cycle = check(graph.def).find((i) => i.code === "unbounded_cycle");
    expect(cycle?.severity).toBe("error");
    expect(cycle?.message).toMatch(/starts again at every new pass of the loop at "n4"/);
  });

  it("a loop whose entry is its only way in stays bounded by its back edge", () => {
    const graph = createGraph({ id: "g", input: z.object({}), output: z.object({}) })
      .add(mk("a"))
      .add(mk("b"))
      .add(mk("exit"))
      .bind("a", (_, { b }) => ({ n: maybe(b.n) }))
      .start("a")
      .edge("a", "b")
      .route("b", "c", { x: { to: "a", max: 2 }, y: "exit" })
      .output(() => ({}))
      .build();
    expect(codes(graph.def)).toEqual([]);
  });
});
