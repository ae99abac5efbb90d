import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createGraph, defineContract, firstOf, GRAPH_DEF_FORMAT, mapOf, maybe, toJsonSchema } from "../index.js";
import type { GraphDef, NodeDef } from "../index.js";
import { diffGraphs } from "./diff.js";
import { formatDiff } from "./format.js";
import { CHANGE_CODES, type ChangeCode, type DiffChange } from "./types.js";

// A support-ticket graph with every feature the diff has rules for: retries and restarts, a route
// with an otherwise edge, a merge with firstOf, a bounded review loop with onExhausted, a human
// approval (resume schema), a subgraph block and a map.
const Text = z.object({ text: z.string() });
const fetchDoc = defineContract({
  id: "fetchDoc",
  input: z.object({ customer: z.string() }),
  output: z.object({ text: z.string(), docs: z.array(Text) }),
  error: z.object({ reason: z.enum(["not_found"]) }),
}).implement(({ customer }) => ({ text: customer, docs: [] }));
const classify = defineContract({ id: "classify", input: Text, output: z.object({ kind: z.enum(["billing", "tech", "other"]), text: z.string() }) }).implement(({ text }) => ({
  kind: "other" as const,
  text,
}));
const reply = defineContract({ id: "reply", input: Text, output: z.object({ reply: z.string() }) }).implement(({ text }) => ({ reply: text }));
const draft = defineContract({ id: "draft", input: z.object({ text: z.string(), remarks: z.array(z.string()).optional() }), output: Text }).implement(({ text }) => ({ text }));
const review = defineContract({ id: "review", input: Text, output: z.object({ verdict: z.enum(["approve", "revise"]), remarks: z.array(z.string()) }) }).implement(() => ({
  verdict: "approve" as const,
  remarks: [],
}));
const approve = defineContract({ id: "approve", input: Text, output: z.object({ ok: z.boolean() }), resume: z.object({ ok: z.boolean() }) }).implement(() => ({ ok: true }));
const summarise = defineContract({ id: "summarise", input: Text, output: z.object({ summary: z.string() }) }).implement(({ text }) => ({ summary: text }));
const tag = defineContract({ id: "tag", input: Text, output: z.object({ tag: z.string() }) }).implement(({ text }) => ({ tag: text }));
const digest = createGraph({ id: "digest", input: Text, output: z.object({ summary: z.string() }) })
  .then(summarise)
  .output((_, { summarise }) => summarise)
  .build();

const support = createGraph({
  id: "support",
  input: z.object({ customer: z.string(), ticket: z.string() }),
  output: z.object({ reply: z.string(), summary: z.string() }),
  error: z.object({ code: z.string() }),
})
  .then(fetchDoc, (input) => ({ customer: input.customer }), { retry: { attempts: 3 }, restart: { type: "transient", intensity: 3 } })
  .then(classify, (input) => ({ text: input.ticket }))
  .add(reply.as("billing"), (_, { classify }) => ({ text: classify.text }))
  .add(reply.as("tech"), (_, { classify }) => ({ text: classify.text }))
  .add(reply.as("other"), (_, { classify }) => ({ text: classify.text }))
  .route("classify", "kind", { billing: "billing", tech: "tech" }, "other")
  .add(draft, (_, { billing, tech, other }) => ({ text: firstOf(billing.reply, tech.reply, other.reply) }))
  .edge("billing", "draft")
  .edge("tech", "draft")
  .edge("other", "draft")
  .then(review, (_, { draft }) => ({ text: draft.text }))
  .add(approve, (_, { draft }) => ({ text: draft.text }))
  .route("review", "verdict", { approve: "approve", revise: { to: "draft", max: 3, onExhausted: "approve" } })
  .bind("draft", (_, { billing, tech, other, review }) => ({ text: firstOf(billing.reply, tech.reply, other.reply), remarks: maybe(review.remarks) }))
  .then(digest.as("digest"), (_, { draft }) => ({ text: draft.text }))
  .then(mapOf(tag, { id: "tags" }), (_, { fetchDoc }) => ({ items: fetchDoc.docs }))
  .output((_, { draft, digest }) => ({ reply: draft.text, summary: digest.summary }))
  .build();

/** Positions of the support graph, in its order. */
const ALL = ["fetchDoc", "classify", "billing", "tech", "other", "draft", "review", "approve", "digest", "digest/summarise", "tags"];

type Mutable<T> = T extends readonly (infer U)[] ? Mutable<U>[] : T extends object ? { -readonly [K in keyof T]: Mutable<T[K]> } : T;
type Def = Mutable<GraphDef>;

/** A copy of the support graph's def, edited as plain data. */
function edit(change: (def: Def) => void, base: GraphDef = support.def): GraphDef {
  const def = structuredClone(base) as Def;
  change(def);
  return def as GraphDef;
}

function node<K extends NodeDef["kind"] = "code">(def: Def, id: string): Mutable<Extract<NodeDef, { kind: K }>> {
  const found = def.nodes.find((n) => n.id === id);
  if (found === undefined) throw new Error(`no block ${id}`);
  return found as Mutable<Extract<NodeDef, { kind: K }>>;
}

const input = (schema: z.ZodType) => toJsonSchema(schema, "input") as Mutable<GraphDef["contract"]["input"]>;
const output = (schema: z.ZodType) => toJsonSchema(schema, "output") as Mutable<GraphDef["contract"]["output"]>;

/** What a case expects of one change: its code and path, and its classification. */
interface Expected {
  readonly code: ChangeCode;
  readonly path: string;
  readonly callers: DiffChange["callers"];
  readonly inFlight: DiffChange["inFlight"];
  /** Exactly these positions are unsafe because of it (when given). */
  readonly unsafeAt?: readonly string[];
  readonly flow?: DiffChange["flow"];
}

interface Case {
  readonly name: string;
  readonly before?: GraphDef;
  readonly after: GraphDef;
  readonly expect: readonly Expected[];
}

const withApproveToTags = edit((d) => void d.edges.push({ from: "approve", to: "tags" }));
// The same route, with the value "other" spelled out as a case (besides the otherwise edge).
const withOtherCase = edit((d) => void d.edges.splice(3, 0, { from: "classify", to: "other", when: { kind: "case", field: "kind", equals: "other" } }));

const cases: readonly Case[] = [
  { name: "renaming the graph breaks callers", after: edit((d) => void (d.id = "support-v2")), expect: [{ code: "graph_id_changed", path: "", callers: "breaking", inFlight: "compatible" }] },
  {
    name: "a new description is listed and compatible",
    after: edit((d) => void (d.description = "Answers tickets.")),
    expect: [{ code: "description_changed", path: "", callers: "none", inFlight: "compatible" }],
  },
  {
    name: "a graph input that accepts more is compatible for callers and runs",
    before: edit((d) => void (d.contract.input = input(z.object({ customer: z.string(), ticket: z.string().max(500) })))),
    after: support.def,
    expect: [{ code: "graph_input_changed", path: "", callers: "compatible", inFlight: "compatible", flow: "compatible" }],
  },
  {
    name: "a narrower graph input breaks callers, and runs that will still read the field",
    after: edit((d) => void (d.contract.input = input(z.object({ customer: z.string(), ticket: z.string().max(5) })))),
    // classify reads input.ticket: runs that have not started it yet carry an old, maybe longer, ticket.
    expect: [{ code: "graph_input_changed", path: "", callers: "breaking", inFlight: "breaking", unsafeAt: ["fetchDoc", "classify"] }],
  },
  {
    name: "a graph output with a new field breaks callers (old readers reject it)",
    after: edit((d) => void (d.contract.output = output(z.object({ reply: z.string(), summary: z.string(), lang: z.string().optional() })))),
    expect: [{ code: "graph_output_changed", path: "", callers: "breaking", inFlight: "compatible", flow: "compatible" }],
  },
  {
    name: "typed errors with a new required field break callers",
    after: edit((d) => void (d.contract.error = output(z.object({ code: z.string(), detail: z.string() })))),
    expect: [{ code: "graph_error_changed", path: "", callers: "breaking", inFlight: "compatible" }],
  },
  {
    name: "a graph that now declares a resume schema breaks callers",
    after: edit((d) => void (d.contract.resume = input(z.object({ ok: z.boolean() })))),
    expect: [{ code: "graph_resume_changed", path: "", callers: "breaking", inFlight: "compatible" }],
  },
  {
    name: "a tighter graph budget breaks callers and every position",
    after: edit((d) => void (d.contract.budget = { timeoutMs: 1000 })),
    expect: [{ code: "graph_budget_changed", path: "", callers: "breaking", inFlight: "breaking", unsafeAt: ALL }],
  },
  {
    name: "an output binding that reads a block every run has passed is compatible",
    after: edit((d) => void (d.output = { kind: "object", fields: { reply: { kind: "output", node: "classify", path: ["text"] }, summary: { kind: "output", node: "digest", path: ["summary"] } } })),
    expect: [{ code: "graph_output_binding_changed", path: "", callers: "none", inFlight: "compatible", flow: "compatible" }],
  },
  {
    name: "a new entry block breaks runs in flight (they never start it)",
    after: edit((d) => {
      d.entry.push("audit");
      d.nodes.push({ id: "audit", kind: "code", block: "audit", contract: { input: { type: "object" }, output: { type: "object" } } });
    }),
    expect: [
      { code: "entry_changed", path: "", callers: "none", inFlight: "breaking", unsafeAt: ALL },
      { code: "block_added", path: "audit", callers: "none", inFlight: "compatible" },
    ],
  },
  {
    name: "another supervision strategy is unsafe at every position",
    after: edit((d) => void (d.supervision = { strategy: "one_for_all" })),
    expect: [{ code: "supervision_changed", path: "", callers: "none", inFlight: "breaking", unsafeAt: ALL }],
  },
  {
    name: "a block appended at the end is compatible",
    after: edit((d) => {
      d.nodes.push({ id: "notify", kind: "code", block: "notify", contract: { input: input(Text), output: { type: "object" } }, input: { kind: "object", fields: { text: { kind: "output", node: "draft", path: ["text"] } } } });
      d.edges.push({ from: "tags", to: "notify" });
    }),
    expect: [
      { code: "block_added", path: "notify", callers: "none", inFlight: "compatible", flow: "compatible" },
      { code: "edge_added", path: "tags", callers: "none", inFlight: "compatible" },
    ],
  },
  {
    name: "a removed block is unsafe only where a run is in it",
    after: edit((d) => {
      d.nodes = d.nodes.filter((n) => n.id !== "tags");
      d.edges = d.edges.filter((e) => e.to !== "tags");
    }),
    expect: [
      { code: "edge_removed", path: "digest", callers: "none", inFlight: "compatible" },
      { code: "block_removed", path: "tags", callers: "none", inFlight: "breaking", unsafeAt: ["tags"] },
    ],
  },
  {
    name: "a block that changes kind is unsafe where a run is in it",
    after: edit((d) => {
      const tags = node<"map">(d, "tags");
      d.nodes[d.nodes.indexOf(tags)] = { id: "tags", kind: "code", block: "tagAll", contract: tags.contract, input: tags.input } as Mutable<NodeDef>;
    }),
    expect: [{ code: "block_kind_changed", path: "tags", callers: "none", inFlight: "breaking", unsafeAt: ["tags"] }],
  },
  {
    name: "another implementation under the same contract is compatible",
    after: edit((d) => void (node(d, "classify").block = "classifyV2")),
    expect: [{ code: "block_implementation_changed", path: "classify", callers: "none", inFlight: "compatible" }],
  },
  {
    name: "a map that runs another block per item (same contract) is compatible",
    after: edit((d) => {
      const item = node<"map">(d, "tags").item as Mutable<Extract<NodeDef, { kind: "code" }>>;
      item.id = "tagV2";
      item.block = "tagV2";
    }),
    expect: [
      { code: "block_implementation_changed", path: "tags/*", callers: "none", inFlight: "compatible" },
      { code: "map_item_replaced", path: "tags/*", callers: "none", inFlight: "compatible" },
    ],
  },
  {
    name: "a block input that accepts more is compatible",
    before: edit((d) => void (node(d, "review").contract.input = input(z.object({ text: z.string().max(500) })))),
    after: support.def,
    expect: [{ code: "block_input_changed", path: "review", callers: "none", inFlight: "compatible", flow: "compatible" }],
  },
  {
    name: "a narrower block input breaks its binding and a run already in it",
    after: edit((d) => void (node(d, "review").contract.input = input(z.object({ text: z.string().max(5) })))),
    expect: [{ code: "block_input_changed", path: "review", callers: "none", inFlight: "breaking", unsafeAt: ["review"], flow: "breaking" }],
  },
  {
    name: "a narrower block output suits consumers but not outputs already in the journal",
    after: edit((d) => void (node(d, "classify").contract.output = output(z.object({ kind: z.enum(["billing", "tech", "other"]), text: z.string().min(1) })))),
    // The branches read classify.text; a run past classify may hold an empty text.
    expect: [{ code: "block_output_changed", path: "classify", callers: "none", inFlight: "breaking", unsafeAt: ["classify", "billing", "tech", "other"], flow: "compatible" }],
  },
  {
    name: "a wider block output that every consumer still accepts is compatible",
    after: edit((d) => void (node(d, "classify").contract.output = output(z.object({ kind: z.enum(["billing", "tech", "other", "spam"]), text: z.string() })))),
    expect: [{ code: "block_output_changed", path: "classify", callers: "none", inFlight: "compatible", flow: "compatible" }],
  },
  {
    name: "a wider block output that a consumer rejects breaks the flow",
    after: edit((d) => void (node(d, "classify").contract.output = output(z.object({ kind: z.enum(["billing", "tech", "other"]), text: z.string().optional() })))),
    expect: [{ code: "block_output_changed", path: "classify", callers: "none", inFlight: "compatible", flow: "breaking" }],
  },
  {
    name: "more typed errors are compatible when no error edge depends on them",
    after: edit((d) => void (node(d, "fetchDoc").contract.error = output(z.object({ reason: z.enum(["not_found", "timeout"]) })))),
    expect: [{ code: "block_error_changed", path: "fetchDoc", callers: "none", inFlight: "compatible", flow: "compatible" }],
  },
  {
    name: "a narrower resume schema breaks callers and a run suspended there",
    after: edit((d) => void (node(d, "approve").contract.resume = input(z.object({ ok: z.literal(true) })))),
    expect: [{ code: "block_resume_changed", path: "approve", callers: "breaking", inFlight: "breaking", unsafeAt: ["approve"] }],
  },
  {
    name: "a tighter block budget is unsafe where the block runs, and in its loop",
    after: edit((d) => void (node(d, "review").contract.budget = { timeoutMs: 1000 })),
    expect: [{ code: "block_budget_changed", path: "review", callers: "none", inFlight: "breaking", unsafeAt: ["draft", "review"] }],
  },
  {
    name: "bindings for a block that had none are compatible when they fit",
    before: edit((d) => void delete node(d, "tags").input),
    after: support.def,
    expect: [{ code: "binding_added", path: "tags", callers: "none", inFlight: "compatible", flow: "compatible" }],
  },
  {
    name: "removing required bindings breaks the flow",
    after: edit((d) => void delete node(d, "tags").input),
    expect: [{ code: "binding_removed", path: "tags", callers: "none", inFlight: "compatible", flow: "breaking" }],
  },
  {
    name: "a binding that reads a block every run has passed is compatible",
    after: edit((d) => void (node(d, "draft").input = { kind: "object", fields: { text: { kind: "output", node: "classify", path: ["text"] } } })),
    expect: [{ code: "binding_changed", path: "draft", callers: "none", inFlight: "compatible", flow: "compatible" }],
  },
  {
    name: "another join mode is unsafe where an incoming branch may already have fired",
    after: edit((d) => void (node(d, "draft").join = "any")),
    expect: [{ code: "join_changed", path: "draft", callers: "none", inFlight: "breaking", unsafeAt: ["billing", "tech", "other", "draft", "review"] }],
  },
  {
    name: "fewer attempts are unsafe where the block may be on a later attempt",
    after: edit((d) => void (node(d, "fetchDoc").retry = { attempts: 1 })),
    expect: [{ code: "retry_changed", path: "fetchDoc", callers: "none", inFlight: "breaking", unsafeAt: ["fetchDoc"] }],
  },
  {
    name: "a restart policy that restarts more is compatible",
    after: edit((d) => void (node(d, "fetchDoc").restart = { type: "permanent", intensity: 5 })),
    expect: [{ code: "restart_changed", path: "fetchDoc", callers: "none", inFlight: "compatible" }],
  },
  {
    name: "a restart policy that restarts less is unsafe where the block runs",
    after: edit((d) => void (node(d, "fetchDoc").restart = { type: "temporary" })),
    expect: [{ code: "restart_changed", path: "fetchDoc", callers: "none", inFlight: "breaking", unsafeAt: ["fetchDoc"] }],
  },
  {
    name: "a lower map concurrency is unsafe where the map runs",
    after: edit((d) => void (node<"map">(d, "tags").concurrency = 2)),
    expect: [{ code: "map_concurrency_changed", path: "tags", callers: "none", inFlight: "breaking", unsafeAt: ["tags"] }],
  },
  {
    name: "collecting failed items instead of failing is compatible",
    after: edit((d) => void (node<"map">(d, "tags").onItemError = "collect")),
    expect: [{ code: "map_item_error_changed", path: "tags", callers: "none", inFlight: "compatible" }],
  },
  {
    name: "an edge from a block runs may have finished into a block still to come hangs them",
    after: withApproveToTags,
    // approve finished under the old graph, so its new edge never fires: tags would wait for it.
    expect: [{ code: "edge_added", path: "approve", callers: "none", inFlight: "breaking", unsafeAt: ["digest", "digest/summarise"] }],
  },
  {
    name: "a removed edge is unsafe where its source may have finished and its target is still to come",
    before: withApproveToTags,
    after: support.def,
    expect: [{ code: "edge_removed", path: "approve", callers: "none", inFlight: "breaking", unsafeAt: ["digest", "digest/summarise"] }],
  },
  {
    name: "a new route case is unsafe where the route may already have been decided",
    after: withOtherCase,
    expect: [{ code: "route_case_added", path: "classify", callers: "none", inFlight: "breaking", unsafeAt: ["billing", "tech", "draft", "review", "approve", "digest", "digest/summarise", "tags"] }],
  },
  {
    name: "a removed route case (now taken by otherwise) is unsafe past the route",
    before: withOtherCase,
    after: support.def,
    expect: [{ code: "route_case_removed", path: "classify", callers: "none", inFlight: "breaking", unsafeAt: ["billing", "tech", "draft", "review", "approve", "digest", "digest/summarise", "tags"] }],
  },
  {
    name: "a retargeted route case is unsafe past the route",
    after: edit((d) => void (d.edges.find((e) => e.when?.kind === "case" && e.when.equals === "tech")!.to = "billing")),
    expect: [{ code: "route_case_retargeted", path: "classify", callers: "none", inFlight: "breaking" }],
  },
  {
    name: "a retargeted otherwise edge is unsafe past the route",
    after: edit((d) => void (d.edges.find((e) => e.when?.kind === "otherwise")!.to = "tech")),
    expect: [{ code: "route_otherwise_changed", path: "classify", callers: "none", inFlight: "breaking" }],
  },
  {
    name: "a raised loop bound is compatible",
    after: edit((d) => void (d.edges.find((e) => e.max !== undefined)!.max = 5)),
    expect: [{ code: "loop_bound_raised", path: "review", callers: "none", inFlight: "compatible" }],
  },
  {
    name: "a lowered loop bound is unsafe inside the loop only",
    after: edit((d) => void (d.edges.find((e) => e.max !== undefined)!.max = 2)),
    expect: [{ code: "loop_bound_lowered", path: "review", callers: "none", inFlight: "breaking", unsafeAt: ["draft", "review"] }],
  },
  {
    name: "another onExhausted target is unsafe where the loop may still exhaust or has just left",
    after: edit((d) => void (d.edges.find((e) => e.max !== undefined)!.onExhausted = "digest")),
    expect: [{ code: "on_exhausted_changed", path: "review", callers: "none", inFlight: "breaking", unsafeAt: ["draft", "review", "approve"] }],
  },
  {
    name: "an unknown field of a block is reported as it is",
    after: edit((d) => void ((node(d, "classify") as unknown as Record<string, unknown>)["x-owner"] = "team-a")),
    expect: [{ code: "option_changed", path: "classify", callers: "none", inFlight: "compatible" }],
  },
  {
    name: "a block description is documentation only",
    after: edit((d) => void (node(d, "review").description = "Checks the draft.")),
    expect: [{ code: "description_changed", path: "review", callers: "none", inFlight: "compatible" }],
  },
];

// Edge order decides which edge of a loop is its re-entry (the checker and the runtime agree).
const twoWays = (first: "a" | "b"): GraphDef => ({
  format: GRAPH_DEF_FORMAT,
  id: "two-ways",
  contract: { input: { type: "object" }, output: { type: "object" } },
  entry: ["s"],
  nodes: ["s", "a", "b"].map((id) => ({ id, kind: "code", block: id, contract: { input: { type: "object" }, output: { type: "object" } }, join: "any" })),
  edges: [
    { from: "s", to: first },
    { from: "s", to: first === "a" ? "b" : "a" },
    { from: "a", to: "b" },
    { from: "b", to: "a", max: 2 },
  ],
});

const loopEdgeCase: Case = {
  name: "reordered edges that change which edge closes the loop are unsafe inside it",
  before: twoWays("a"),
  after: twoWays("b"),
  expect: [
    { code: "loop_edge_changed", path: "a", callers: "none", inFlight: "breaking" },
    { code: "loop_edge_changed", path: "b", callers: "none", inFlight: "breaking" },
  ],
};

describe("diffGraphs: one case per change kind", () => {
  it.each([...cases, loopEdgeCase].map((c) => [c.name, c] as const))("%s", (_, c) => {
    const diff = diffGraphs(c.before ?? support.def, c.after);
    expect(diff.changes.map((ch) => `${ch.code}@${ch.path}`)).toEqual(c.expect.map((e) => `${e.code}@${e.path}`));
    c.expect.forEach((e, i) => {
      const change = diff.changes[i] as DiffChange;
      expect({ callers: change.callers, inFlight: change.inFlight }, `${e.code}@${e.path}: ${change.message}`).toEqual({ callers: e.callers, inFlight: e.inFlight });
      if (e.unsafeAt) expect(change.unsafeAt).toEqual(e.unsafeAt);
      if (e.flow) expect(change.flow, change.reasons?.join("\n")).toBe(e.flow);
    });
    // The summary agrees with the changes and positions.
    const unsafe = diff.positions.filter((p) => !p.safe).map((p) => p.block);
    for (const change of diff.changes) for (const at of change.unsafeAt) expect(unsafe).toContain(at);
    expect(diff.breaking).toBe(diff.callers === "breaking" || diff.flow === "breaking" || diff.inFlight === "breaking");
  });

  it("has a case for every change code", () => {
    const covered = new Set([...cases, loopEdgeCase].flatMap((c) => c.expect.map((e) => e.code)));
    expect(Object.keys(CHANGE_CODES).filter((code) => !covered.has(code as ChangeCode))).toEqual([]);
  });
});

describe("diffGraphs: classification details", () => {
  it("says why a narrower input breaks callers, with a counterexample", () => {
    const diff = diffGraphs(support.def, cases[3]!.after);
    expect(diff.callers).toBe("breaking");
    expect(diff.changes[0]?.reasons?.[0]).toMatch(/^\(A = the old schema, B = the new one\) at ticket: .*maxLength 5.*\(for example /);
  });

  it("counts a containment it cannot prove as breaking, and says so", () => {
    const after = edit((d) => void (d.contract.input = input(z.object({ customer: z.string().regex(/^[a-z]+$/), ticket: z.string() }))));
    const before = edit((d) => void (d.contract.input = input(z.object({ customer: z.string().regex(/^[a-c]+$/), ticket: z.string() }))));
    const change = diffGraphs(before, after).changes[0] as DiffChange;
    expect(change.callers).toBe("breaking");
    expect(change.message).toMatch(/may not accept every old input \(not proven\)/);
    expect(change.reasons?.[0]).toMatch(/^could not be proven: /);
  });

  it("attributes the checker's new issue to the output change that causes it", () => {
    const diff = diffGraphs(support.def, cases.find((c) => c.name.startsWith("a wider block output that a consumer rejects"))!.after);
    const change = diff.changes[0] as DiffChange;
    expect(change.reasons?.join("\n")).toMatch(/binding_may_be_absent: .*"billing"/);
    expect(diff.issues.map((i) => i.code)).toContain("binding_may_be_absent");
    // The new graph does not pass the checker: no run can be moved to it.
    expect(diff.positions.every((p) => !p.safe && p.reasons.some((r) => r.startsWith("the new graph does not pass the checker")))).toBe(true);
  });

  it("keeps old and new values of small fields", () => {
    const change = diffGraphs(support.def, edit((d) => void (node<"map">(d, "tags").concurrency = 2))).changes[0];
    expect(change).toMatchObject({ before: 8, after: 2, message: 'Map "tags" now runs at most 2 items at once (was 8).' });
  });

  it("reports nothing for equal graphs, however they were built", () => {
    const diff = diffGraphs(support.def, JSON.parse(JSON.stringify(support.def)) as GraphDef);
    expect(diff).toMatchObject({ changes: [], callers: "unchanged", flow: "unchanged", inFlight: "unchanged", issues: [], breaking: false });
    expect(diff.positions.map((p) => p.block)).toEqual(ALL);
    expect(diff.positions.every((p) => p.safe)).toBe(true);
  });

  it("formats a diff for people", () => {
    const diff = diffGraphs(support.def, edit((d) => void (d.edges.find((e) => e.max !== undefined)!.max = 2)));
    expect(formatDiff(diff, { header: ["old: a.graph.json", "new: b.graph.json"] })).toMatchInlineSnapshot(`
      "old: a.graph.json
      new: b.graph.json

      Callers: unchanged

      Changes: 1 (1 breaking)
        breaking    loop_bound_lowered  review
            The bound of edge review -> draft was lowered (max 3 → 2).
            callers: none · flow: none · in flight: breaking at draft, review

      Runs in flight: breaking (9 of 11 positions safe)
        safe    fetchDoc, classify, billing, tech, other, approve, digest, digest/summarise, tags
        unsafe  draft
            - The bound of edge review -> draft was lowered (max 3 → 2); the run may already have taken the edge more often than that, and may take it again from here
        unsafe  review
            - The bound of edge review -> draft was lowered (max 3 → 2); the run may already have taken the edge more often than that, and may take it again from here

      Result: breaking (in flight)"
    `);
  });
});

