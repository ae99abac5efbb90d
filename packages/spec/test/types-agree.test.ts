/**
 * The typed builder and `check` agree: a graph the types accept has no checker errors, and a graph
 * the types reject (each `@ts-expect-error` below, enforced by `tsc -p tsconfig.json`, which runs
 * in `npm test`) has the checker error of the same rule. Where the types cannot see a rule (flow
 * over paths: dominance, cycles, reachability), the difference is listed and tested at the end,
 * so that it is a known, deliberate gap (docs/checker.md, "What the types check").
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { check, createGraph, defineContract, firstOf, mapOf, maybe, P, type IssueCode } from "../src/index.js";
import { classify, count, fetchDoc, reply, summarise } from "./fixtures/blocks.js";

const Text = z.object({ text: z.string() });
const Reply = z.object({ reply: z.string() });
const graph = () => createGraph({ id: "g", input: Text, output: Reply });
const errors = (g: { def: Parameters<typeof check>[0] }) => check(g.def).filter((i) => i.severity === "error").map((i) => i.code);

const draft = defineContract({ id: "draft", input: z.object({ text: z.string(), notes: z.string().optional() }), output: z.object({ text: z.string() }) }).implement(({ text }) => ({ text }));
const review = defineContract({ id: "review", input: z.object({ text: z.string() }), output: z.object({ verdict: z.enum(["ok", "revise"]), notes: z.string() }) }).implement(() => ({ verdict: "ok", notes: "" }));
const send = defineContract({ id: "send", input: z.object({ text: z.string() }), output: Reply }).implement(({ text }) => ({ reply: text }));

/** Each case builds a graph; `code` is the checker error the types' rejection stands for (null: both accept). */
const cases: { name: string; code: IssueCode | null; also?: readonly IssueCode[]; build: () => { def: Parameters<typeof check>[0] } }[] = [
  // --- accepted by both -------------------------------------------------------------------
  { name: "a chain whose outputs fit", code: null, build: () => graph().then(classify).then(reply, (input) => ({ text: input.text })).output((_, b) => b.reply).build() },
  {
    name: "a discriminant route covering every case, merged with firstOf",
    code: null,
    build: () =>
      graph()
        .then(classify)
        .add(reply, (i) => ({ text: i.text }))
        .add(reply.as("formal"), (i) => ({ text: i.text, tone: "formal" as const }))
        .route("classify", "kind", { billing: "formal", tech: "reply", other: "reply" })
        .output((_, b) => ({ reply: firstOf(b.reply.reply, b.formal.reply) }))
        .build(),
  },
  {
    name: "a pattern route that ts-pattern and the checker both find exhaustive",
    code: null,
    build: () =>
      graph()
        .then(classify)
        .add(reply, (i) => ({ text: i.text }))
        .add(reply.as("formal"), (i) => ({ text: i.text, tone: "formal" as const }))
        .match("classify", (m) => m.with({ kind: "billing", urgent: true }, () => "formal").with({ kind: P.union("billing", "tech", "other") }, () => "reply").exhaustive())
        .output((_, b) => ({ reply: firstOf(b.reply.reply, b.formal.reply) }))
        .build(),
  },
  {
    name: "a bounded loop (review -> draft, max 2, then send) whose reads are declared",
    code: null,
    build: () =>
      graph()
        .then(draft, (i) => ({ text: i.text }))
        .then(review, (_, b) => ({ text: b.draft.text }))
        .bind("draft", (i, b) => ({ text: i.text, notes: maybe(b.review.notes) }))
        .add(send, (_, b) => ({ text: b.draft.text }))
        .route("review", "verdict", { ok: "send", revise: { to: "draft", max: 2, onExhausted: "send" } })
        .output((_, b) => b.send)
        .build(),
  },
  {
    name: "an error edge from a block with an error schema",
    code: null,
    build: () =>
      createGraph({ id: "g", input: z.object({ url: z.string() }), output: Reply })
        .then(fetchDoc)
        .add(reply, (i) => ({ text: i.url }))
        .add(send, (_, b) => ({ text: b.fetchDoc.text }))
        .edge("fetchDoc", "send")
        .onError("fetchDoc", "reply")
        .output((_, b) => ({ reply: firstOf(b.send.reply, b.reply.reply) }))
        .build(),
  },
  {
    name: "a map over a list",
    code: null,
    build: () =>
      createGraph({ id: "g", input: z.object({ items: z.array(z.object({ n: z.number() })) }), output: z.object({ results: z.array(z.object({ n: z.number() })) }) })
        .then(mapOf(count, { id: "each" }))
        .output((_, b) => ({ results: b.each.results }))
        .build() as never,
  },

  // --- rejected by both, for the same reason --------------------------------------------------
  {
    name: "duplicate_id",
    code: "duplicate_id",
    // @ts-expect-error: block id "classify" is already used in this graph
    build: () => graph().then(classify).add(classify, (i) => i).output(() => ({ reply: "x" })).build(),
  },
  {
    name: "unknown_block: an edge to a block that is not in the graph",
    code: "unknown_block",
    // The edge leads nowhere, so no path from classify reaches the end either.
    also: ["no_path_to_end"],
    // @ts-expect-error: "nowhere" is not a block of this graph
    build: () => graph().then(classify).edge("classify", "nowhere").output(() => ({ reply: "x" })).build(),
  },
  {
    name: "unknown_block: a loop's onExhausted names no block",
    code: "unknown_block",
    build: () =>
      graph()
        .then(draft, (i) => ({ text: i.text }))
        .then(review, (_, b) => ({ text: b.draft.text }))
        .bind("draft", (i, b) => ({ text: i.text, notes: maybe(b.review.notes) }))
        .add(send, (_, b) => ({ text: b.draft.text }))
        // @ts-expect-error: "publish" is not a block of this graph
        .route("review", "verdict", { ok: "send", revise: { to: "draft", max: 2, onExhausted: "publish" } })
        .output((_, b) => b.send)
        .build(),
  },
  {
    name: "unknown_block: a pattern route's handler returns an unknown block",
    code: "unknown_block",
    // @ts-expect-error: "nowhere" is not a block of this graph
    build: () => graph().then(classify).add(reply, (i) => ({ text: i.text })).match("classify", (m) => m.with({ kind: "billing" }, () => "nowhere").otherwise(() => "reply")).output((_, b) => b.reply).build(),
  },
  {
    name: "non_exhaustive_route: a discriminant route without a case for every value",
    code: "non_exhaustive_route",
    // @ts-expect-error: case "other" is missing and there is no otherwise
    build: () => graph().then(classify).add(reply, (i) => ({ text: i.text })).route("classify", "kind", { billing: "reply", tech: "reply" }).output((_, b) => b.reply).build(),
  },
  {
    name: "non_exhaustive_route: a pattern route that does not cover the output",
    code: "non_exhaustive_route",
    build: () =>
      graph()
        .then(classify)
        .add(reply, (i) => ({ text: i.text }))
        // @ts-expect-error: ts-pattern's NonExhaustiveError: kind "other" is not handled
        .match("classify", (m) => m.with({ kind: "billing" }, () => "reply").with({ kind: "tech" }, () => "reply").exhaustive())
        .output((_, b) => b.reply)
        .build(),
  },
  {
    name: "non_exhaustive_route: the loop's exit route misses a verdict",
    code: "non_exhaustive_route",
    build: () =>
      graph()
        .then(draft, (i) => ({ text: i.text }))
        .then(review, (_, b) => ({ text: b.draft.text }))
        .bind("draft", (i, b) => ({ text: i.text, notes: maybe(b.review.notes) }))
        .add(send, (_, b) => ({ text: b.draft.text }))
        // @ts-expect-error: case "ok" is missing and there is no otherwise
        .route("review", "verdict", { revise: { to: "draft", max: 2, onExhausted: "send" } })
        .output((_, b) => b.send)
        .build(),
  },
  {
    name: "unknown_route_case: a case that is not a value of the discriminant",
    code: "unknown_route_case",
    // @ts-expect-error: "refund" is not a value of classify.kind
    build: () => graph().then(classify).add(reply, (i) => ({ text: i.text })).route("classify", "kind", { refund: "reply" }, "reply").output((_, b) => b.reply).build(),
  },
  {
    name: "error_edge_without_error_schema",
    code: "error_edge_without_error_schema",
    // @ts-expect-error: block "classify" declares no error schema
    build: () => graph().then(classify).add(reply, (i) => ({ text: i.text })).onError("classify", "reply").output((_, b) => ({ reply: firstOf(b.reply.reply, "none") })).build(),
  },
  {
    name: "binding_type_mismatch: a number bound to a string field",
    code: "binding_type_mismatch",
    // @ts-expect-error: a number cannot be bound to the string field text
    build: () => graph().then(classify).then(reply, (_, b) => ({ text: b.classify.confidence })).output((_, b) => b.reply).build(),
  },
  {
    name: "binding_type_mismatch: then() with an output that does not fit",
    code: "binding_type_mismatch",
    // @ts-expect-error: the output of block "classify" does not fit the input of block "summarise"
    build: () => graph().then(classify).then(summarise).output(() => ({ reply: "x" })).build(),
  },
  {
    name: "binding_may_be_absent: maybe() bound to a required field",
    code: "binding_may_be_absent",
    build: () =>
      graph()
        .then(draft, (i) => ({ text: i.text }))
        .then(review, (_, b) => ({ text: b.draft.text }))
        // @ts-expect-error: maybe() makes the value possibly absent, but text is required
        .add(send, (_, b) => ({ text: maybe(b.draft.text) }))
        .route("review", "verdict", { ok: "send", revise: { to: "draft", max: 2, onExhausted: "send" } })
        .output((_, b) => b.send)
        .build(),
  },
  {
    name: "unbound_input",
    code: "unbound_input",
    // @ts-expect-error: the input of block "summarise" is not bound
    build: () => graph().add(summarise).start("summarise").output(() => ({ reply: "x" })).build(),
  },
  {
    name: "unbound_output",
    code: "unbound_output",
    // @ts-expect-error: the graph output is not bound
    build: () => graph().then(classify).build(),
  },
];

describe("the typed builder and check agree", () => {
  it.each(cases)("$name", ({ build, code, also = [] }) => {
    expect(errors(build())).toEqual(code === null ? [] : [code, ...also]);
  });
});

/**
 * Rules the types cannot see (they are about paths through the graph, which TypeScript does not
 * follow): the types accept these graphs; the checker rejects them. Listed so that the gap is known.
 */
describe("known gaps: flow rules only the checker enforces", () => {
  it.each([
    {
      name: "binding_may_not_run: on the first pass, the loop body reads a block that runs after it",
      code: "binding_may_not_run",
      build: () =>
        graph()
          .then(draft, (i) => ({ text: i.text }))
          .then(review, (_, b) => ({ text: b.draft.text }))
          .bind("draft", (i, b) => ({ text: i.text, notes: b.review.notes }))
          .add(send, (_, b) => ({ text: b.draft.text }))
          .route("review", "verdict", { ok: "send", revise: { to: "draft", max: 2, onExhausted: "send" } })
          .output((_, b) => b.send)
          .build(),
    },
    {
      name: "unbounded_cycle: a loop without max",
      code: "unbounded_cycle",
      build: () =>
        graph()
          .then(draft, (i) => ({ text: i.text }))
          .then(review, (_, b) => ({ text: b.draft.text }))
          .bind("draft", (i, b) => ({ text: i.text, notes: maybe(b.review.notes) }))
          .add(send, (_, b) => ({ text: b.draft.text }))
          .route("review", "verdict", { ok: "send", revise: "draft" })
          .output((_, b) => b.send)
          .build(),
    },
    {
      name: "unreachable_block: a block no edge leads to",
      code: "unreachable_block",
      build: () => graph().then(classify).add(reply, (i) => ({ text: i.text })).output((_, b) => ({ reply: firstOf(b.reply.reply, "none") })).build(),
    },
    {
      name: "unreachable_route_case: a pattern case shadowed by an earlier one",
      code: "unreachable_route_case",
      build: () =>
        graph()
          .then(classify)
          .add(reply, (i) => ({ text: i.text }))
          .match("classify", (m) => m.with({ kind: "billing" }, () => "reply").with({ kind: "billing", urgent: true }, () => "reply").otherwise(() => "reply"))
          .output((_, b) => b.reply)
          .build(),
    },
  ] as const)("$name", ({ build, code }) => {
    expect(errors(build())).toContain(code);
  });
});
