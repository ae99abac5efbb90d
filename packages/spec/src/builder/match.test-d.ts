import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { createGraph, defineContract, P } from "../index.js";

const classify = defineContract({
  id: "classify",
  input: z.object({}),
  output: z.object({ kind: z.enum(["refund", "question", "other"]), amount: z.number() }),
}).implement(() => ({ kind: "refund" as const, amount: 1 }));
const leaf = <const $Id extends string>(id: $Id) => defineContract({ id, input: z.object({}), output: z.object({}) }).implement(() => ({}));
const graph = () => createGraph({ id: "g", input: z.object({}), output: z.object({}) }).then(classify).add(leaf("review")).add(leaf("answer"));

describe("pattern routes (types)", () => {
  it("accepts exhaustive cases, and gives handlers the narrowed output", () => {
    graph().match("classify", (m) =>
      m
        .with({ kind: "refund", amount: P.number.gte(100) }, (v) => {
          expectTypeOf(v.kind).toEqualTypeOf<"refund">();
          return "review";
        })
        .with({ kind: P.union("refund", "question", "other") }, () => "answer")
        .exhaustive(),
    );
  });

  it("non_exhaustive_route: .exhaustive() is ts-pattern's NonExhaustiveError when a kind is missing", () => {
    graph().match("classify", (m) =>
      // @ts-expect-error: "other" is not handled
      m.with({ kind: "refund" }, () => "review").with({ kind: "question" }, () => "answer").exhaustive(),
    );
  });

  it("accepts a partial route that ends with otherwise", () => {
    graph().match("classify", (m) => m.with({ kind: "refund" }, () => "review").otherwise(() => "answer"));
  });

  it("unknown_block: a handler must return a block of the graph", () => {
    graph().match("classify", (m) =>
      m
        // @ts-expect-error: "nowhere" is not a block of this graph
        .with({ kind: "refund" }, () => "nowhere")
        .otherwise(() => "answer"),
    );
  });

  it("rejects a pattern that does not fit the output", () => {
    graph().match("classify", (m) =>
      m
        // @ts-expect-error: "refnd" is not a kind
        .with({ kind: "refnd" }, () => "review")
        .otherwise(() => "answer"),
    );
  });

  it("takes bounded targets for loops", () => {
    graph().match("classify", (m) => m.with({ kind: "refund" }, () => ({ to: "classify", max: 2, onExhausted: "answer" })).otherwise(() => "answer"));
  });
});
