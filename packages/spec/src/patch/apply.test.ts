import { describe, expect, it } from "vitest";
import { z } from "zod";
import { classify, count, fetchDoc, reply, summarise } from "../../test/fixtures/blocks.js";
import { defineCatalogue } from "../catalogue/catalogue.js";
import { check } from "../check/check.js";
import { defineContract } from "../contract/block.js";
import { createGraph } from "../builder/graph-builder.js";
import { firstOf } from "../builder/refs.js";
import type { GraphDef } from "../def/graph-def.js";
import { parseGraphDef } from "../def/load.js";
import { applyPatch, type PatchResult } from "./apply.js";
import type { PatchOp } from "./patch-schema.js";

// Replacements for summarise with contracts that do, or do not, fit where it is used.
const shortSummary = defineContract({
  id: "shortSummary",
  description: "Summarises in one line.",
  input: z.object({ text: z.string() }),
  output: z.object({ summary: z.string().max(80) }),
}).implement(({ text }) => ({ summary: text.slice(0, 80) }));
const pickySummary = defineContract({
  id: "pickySummary",
  input: z.object({ text: z.string(), language: z.enum(["en", "de"]) }),
  output: z.object({ summary: z.string() }),
}).implement(({ text }) => ({ summary: text }));
const scoreOnly = defineContract({
  id: "scoreOnly",
  input: z.object({ text: z.string() }),
  output: z.object({ summary: z.number() }),
}).implement(() => ({ summary: 1 }));
const maybeSummary = defineContract({
  id: "maybeSummary",
  input: z.object({ text: z.string() }),
  output: z.object({ summary: z.string().optional() }),
}).implement(() => ({}));
const tonedSummary = defineContract({
  id: "tonedSummary",
  input: z.object({ text: z.string(), tone: z.enum(["dry", "warm"]).optional() }),
  output: z.object({ summary: z.string() }),
}).implement(({ text }) => ({ summary: text }));
const plainFetch = defineContract({
  id: "plainFetch",
  input: z.object({ url: z.string() }),
  output: z.object({ text: z.string(), bytes: z.number().int() }),
}).implement(({ url }) => ({ text: url, bytes: 0 }));

const catalogue = defineCatalogue([fetchDoc, summarise, classify, reply, count, shortSummary, pickySummary, tonedSummary, scoreOnly, maybeSummary, plainFetch]);

/** fetchDoc -> summarise (whole output of fetchDoc) -> classify -> route kind: billing/tech/other -> reply; fetchDoc's error -> apology */
const graph = createGraph({ id: "g", input: z.object({ url: z.string() }), output: z.object({ summary: z.string(), kind: z.string() }) })
  .then(fetchDoc)
  .then(summarise)
  .then(classify, (_, { summarise }) => ({ text: summarise.summary }))
  .add(reply, (_, { summarise }) => ({ text: summarise.summary }))
  .add(reply.as("apology"), (input) => ({ text: input.url }))
  .route("classify", "kind", { billing: "reply", tech: "reply", other: "reply" })
  .onError("fetchDoc", "apology")
  .output((_, { summarise, classify }) => ({ summary: firstOf(summarise.summary, "(no summary)"), kind: firstOf(classify.kind, "none") }))
  .build();
const def: GraphDef = deepFreeze(structuredClone(graph.def) as GraphDef);

function apply(...ops: PatchOp[]): PatchResult {
  return applyPatch(def, { ops }, catalogue);
}

const problems = (r: PatchResult) => r.problems.map((p) => `${p.op} ${p.name} ${p.code}: ${p.message}`);
const codes = (r: PatchResult) => r.issues.map((i) => `${i.code}${i.block ? `@${i.block}` : ""}`);
const node = (r: PatchResult, id: string) => r.def.nodes.find((n) => n.id === id);

describe("applyPatch", () => {
  it("starts from a graph the checker accepts", () => {
    expect(check(def)).toEqual([]);
  });

  it("is pure: the input GraphDef is deeply frozen and stays as it was; the result is a new object", () => {
    const before = JSON.stringify(def);
    const result = apply({ op: "remove_block", id: "reply" }, { op: "set_entry", entry: ["fetchDoc", "summarise"] });
    expect(JSON.stringify(def)).toBe(before);
    expect(result.def).not.toBe(def);
    expect(parseGraphDef(result.def).ok).toBe(true);
  });

  it("returns the checker's issues for the candidate, exactly as check() does", () => {
    const result = apply({ op: "remove_block", id: "summarise" });
    expect(result.issues).toEqual(check(result.def));
    expect(result.ok).toBe(false);
  });

  it("applies the operations that can be applied, and lists the others with their index", () => {
    const result = apply({ op: "connect", from: "nope", to: "reply" }, { op: "set_entry", entry: ["fetchDoc"] }, { op: "remove_block", id: "ghost" });
    expect(result.problems.map((p) => [p.op, p.name, p.code])).toEqual([
      [0, "connect", "unknown_block"],
      [2, "remove_block", "unknown_block"],
    ]);
    expect(result.ok).toBe(false);
  });
});

describe("add_block", () => {
  it("adds a catalogue block with its input binding, under its own id or another", () => {
    const result = apply(
      { op: "add_block", block: "count", id: "counter", input: { kind: "object", fields: { n: { kind: "output", node: "fetchDoc", path: ["bytes"] } } } },
      { op: "connect", from: "fetchDoc", to: "counter" },
    );
    expect(result.ok).toBe(true);
    expect(node(result, "counter")).toMatchObject({ kind: "code", block: "count", input: { kind: "object" } });
  });

  it("refuses a block that is not in the catalogue, or an id already used", () => {
    expect(problems(apply({ op: "add_block", block: "translate" }))).toMatchInlineSnapshot(`
      [
        "0 add_block unknown_catalogue_block: add_block names "translate", which is not in the catalogue (catalogue: fetchDoc, summarise, classify, reply, count, shortSummary, pickySummary, tonedSummary, scoreOnly, maybeSummary, plainFetch). Use one of these ids.",
      ]
    `);
    expect(problems(apply({ op: "add_block", block: "summarise" }))).toMatchInlineSnapshot(`
      [
        "0 add_block duplicate_id: add_block: graph "g" already has a block "summarise". Give the new one another id ("id": "summarise_2").",
      ]
    `);
    expect(problems(applyPatch(def, { ops: [{ op: "add_block", block: "count" }] }))).toMatchInlineSnapshot(`
      [
        "0 add_block unknown_catalogue_block: add_block names "count", but there is no catalogue of blocks to add from. Pass a catalogue (blockwork coordinate --catalogue <module>).",
      ]
    `);
  });
});

describe("remove_block", () => {
  it("removes the block, its edges and its place in the entry; bindings that read it are left to the checker", () => {
    const result = apply({ op: "remove_block", id: "fetchDoc" });
    expect(result.def.nodes.map((n) => n.id)).toEqual(["summarise", "classify", "reply", "apology"]);
    expect(result.def.edges.some((e) => e.from === "fetchDoc" || e.to === "fetchDoc")).toBe(false);
    expect(result.def.entry).toEqual([]);
    expect(codes(result)).toEqual(expect.arrayContaining(["missing_entry", "unknown_block@summarise"]));
  });

  it("refuses an unknown id, listing the blocks", () => {
    expect(problems(apply({ op: "remove_block", id: "fetchdoc" }))).toMatchInlineSnapshot(`
      [
        "0 remove_block unknown_block: remove_block names block "fetchdoc", which is not in graph "g" (blocks: fetchDoc, summarise, classify, reply, apology). Use one of these ids, or add the block first.",
      ]
    `);
  });
});

describe("connect and disconnect", () => {
  it("adds an edge with a condition and a bound, and removes edges by endpoints (and condition)", () => {
    const connected = apply({ op: "connect", from: "reply", to: "summarise", max: 2 });
    expect(connected.def.edges.at(-1)).toEqual({ from: "reply", to: "summarise", max: 2 });
    const disconnected = apply({ op: "disconnect", from: "classify", to: "reply", when: { kind: "case", field: "kind", equals: "tech" } });
    expect(disconnected.def.edges.filter((e) => e.from === "classify").map((e) => (e.when as { equals: string }).equals)).toEqual(["billing", "other"]);
    expect(codes(disconnected)).toEqual(["non_exhaustive_route@classify"]);
    expect(apply({ op: "disconnect", from: "classify", to: "reply" }).def.edges.some((e) => e.from === "classify")).toBe(false);
  });

  it("refuses an edge that is already there, unknown ids, and removing an edge that is not there", () => {
    expect(problems(apply({ op: "connect", from: "fetchDoc", to: "summarise" }))).toMatchInlineSnapshot(`
      [
        "0 connect duplicate_edge: connect: the edge fetchDoc -> summarise is already there. To change its bound use set_loop_bound; to add a second way between the blocks give another condition ("when").",
      ]
    `);
    expect(problems(apply({ op: "connect", from: "fetchDoc", to: "audit", onExhausted: "later" }))).toMatchInlineSnapshot(`
      [
        "0 connect unknown_block: connect fetchDoc -> audit names block "audit", which is not in graph "g" (blocks: fetchDoc, summarise, classify, reply, apology). Use one of these ids, or add the block first.",
        "0 connect unknown_block: connect fetchDoc -> audit names block "later", which is not in graph "g" (blocks: fetchDoc, summarise, classify, reply, apology). Use one of these ids, or add the block first.",
      ]
    `);
    expect(problems(apply({ op: "disconnect", from: "summarise", to: "reply" }))).toMatchInlineSnapshot(`
      [
        "0 disconnect no_such_edge: disconnect: there is no edge summarise -> reply. Edges from summarise: summarise -> classify.",
      ]
    `);
  });
});

describe("bind and unbind", () => {
  it("sets one field of an object binding, or the whole input", () => {
    const result = apply({ op: "bind", block: "reply", field: "tone", binding: { kind: "literal", value: "formal" } });
    expect(node(result, "reply")?.input).toEqual({ kind: "object", fields: { text: { kind: "output", node: "summarise", path: ["summary"] }, tone: { kind: "literal", value: "formal" } } });
    expect(result.ok).toBe(true);
    const whole = apply({ op: "bind", block: "reply", binding: { kind: "object", fields: { text: { kind: "input", path: ["url"] } } } });
    expect(node(whole, "reply")?.input).toEqual({ kind: "object", fields: { text: { kind: "input", path: ["url"] } } });
  });

  it("spreads a whole-output binding over the fields the block declares and its source has, then sets one", () => {
    expect(node(apply(), "summarise")?.input).toEqual({ kind: "output", node: "fetchDoc", path: [] });
    const result = apply({ op: "bind", block: "summarise", field: "maxWords", binding: { kind: "literal", value: 10 } });
    expect(node(result, "summarise")?.input).toEqual({
      kind: "object",
      fields: { text: { kind: "output", node: "fetchDoc", path: ["text"] }, maxWords: { kind: "literal", value: 10 } },
    });
    expect(result.ok).toBe(true);
  });

  it("catches a type mismatch through the checker, not as a problem of the operation", () => {
    const result = apply({ op: "bind", block: "reply", field: "text", binding: { kind: "output", node: "fetchDoc", path: ["bytes"] } });
    expect(result.problems).toEqual([]);
    expect(codes(result)).toEqual(["binding_type_mismatch@reply"]);
  });

  it("removes one field's binding, and the whole binding when no field is left", () => {
    const one = apply({ op: "unbind", block: "reply", field: "text" });
    expect(node(one, "reply")?.input).toBeUndefined();
    expect(codes(one)).toEqual(["unbound_input@reply"]);
    expect(node(apply({ op: "unbind", block: "summarise" }), "summarise")?.input).toBeUndefined();
  });

  it("refuses to remove a binding that is not there, and to split a firstOf", () => {
    expect(problems(apply({ op: "unbind", block: "reply", field: "tone" }))).toMatchInlineSnapshot(`
      [
        "0 unbind no_such_binding: unbind: block "reply" has no binding for "tone" (bound: text).",
      ]
    `);
    const first = apply({
      op: "bind",
      block: "reply",
      binding: { kind: "first", of: [{ kind: "object", fields: { text: { kind: "output", node: "summarise", path: ["summary"] } } }, { kind: "literal", value: { text: "" } }] },
    });
    expect(first.ok).toBe(true);
    expect(problems(applyPatch(first.def, { ops: [{ op: "bind", block: "reply", field: "tone", binding: { kind: "literal", value: "casual" } }] }, catalogue))).toMatchInlineSnapshot(`
      [
        "0 bind cannot_expand_binding: bind: block "reply" is bound as a whole (firstOf({text: summarise.summary}, {"text":""})), and a firstOf(...) cannot be split into fields. Bind it as a whole instead (omit "field").",
      ]
    `);
  });

  it("binds and unbinds fields of the graph's output", () => {
    const unbound = apply({ op: "unbind_output", field: "kind" });
    expect(codes(unbound)).toEqual(["unbound_output"]);
    const rebound = applyPatch(unbound.def, { ops: [{ op: "bind_output", field: "kind", binding: { kind: "literal", value: "fixed" } }] });
    expect(rebound.ok).toBe(true);
    expect(codes(apply({ op: "bind_output", field: "extra", binding: { kind: "literal", value: 1 } }))).toEqual(["unknown_input_field"]);
    expect(problems(apply({ op: "unbind_output", field: "extra" }))).toMatchInlineSnapshot(`
      [
        "0 unbind_output no_such_binding: unbind_output: the graph output has no binding for "extra" (bound: summary, kind).",
      ]
    `);
  });
});

describe("routes: set_case and set_otherwise", () => {
  it("replaces the case edge for a value, or adds it", () => {
    const result = apply({ op: "add_block", block: "count", input: { kind: "literal", value: { n: 1 } } }, { op: "set_case", from: "classify", field: "kind", equals: "other", to: "count" });
    expect(result.def.edges.filter((e) => e.from === "classify").map((e) => e.to)).toEqual(["reply", "reply", "count"]);
    expect(result.ok).toBe(true);
    const typo = apply({ op: "set_case", from: "classify", field: "kind", equals: "bill", to: "reply" });
    expect(codes(typo)).toEqual(["unknown_route_case@classify"]);
  });

  it("sets, replaces and removes the otherwise edge", () => {
    const set = apply({ op: "disconnect", from: "classify", to: "reply", when: { kind: "case", field: "kind", equals: "other" } }, { op: "set_otherwise", from: "classify", to: "reply" });
    expect(set.ok).toBe(true);
    expect(set.def.edges.filter((e) => e.when?.kind === "otherwise")).toEqual([{ from: "classify", to: "reply", when: { kind: "otherwise" } }]);
    const removed = applyPatch(set.def, { ops: [{ op: "set_otherwise", from: "classify", to: null }] });
    expect(codes(removed)).toEqual(["non_exhaustive_route@classify"]);
    expect(problems(apply({ op: "set_otherwise", from: "classify", to: null }))).toMatchInlineSnapshot(`
      [
        "0 set_otherwise no_such_edge: set_otherwise: block "classify" has no otherwise edge to remove. Edges from classify: classify -> reply [kind = "billing"]; classify -> reply [kind = "tech"]; classify -> reply [kind = "other"].",
      ]
    `);
  });
});

describe("set_loop_bound", () => {
  const loop = apply({ op: "connect", from: "reply", to: "summarise" });

  it("a cycle without a bound fails the checker; bounding its edge fixes it", () => {
    expect(codes(loop)).toContain("unbounded_cycle@summarise");
    const bounded = applyPatch(loop.def, { ops: [{ op: "set_loop_bound", from: "reply", to: "summarise", max: 2 }] });
    expect(bounded.def.edges.at(-1)).toEqual({ from: "reply", to: "summarise", max: 2 });
    expect(codes(bounded)).not.toContain("unbounded_cycle@summarise");
  });

  it("sets and removes onExhausted, and removes the bound with max: null", () => {
    const withExit = applyPatch(loop.def, { ops: [{ op: "set_loop_bound", from: "reply", to: "summarise", max: 3, onExhausted: "classify" }] });
    expect(withExit.def.edges.at(-1)).toEqual({ from: "reply", to: "summarise", max: 3, onExhausted: "classify" });
    const kept = applyPatch(withExit.def, { ops: [{ op: "set_loop_bound", from: "reply", to: "summarise", max: 1 }] });
    expect(kept.def.edges.at(-1)).toEqual({ from: "reply", to: "summarise", max: 1, onExhausted: "classify" });
    const none = applyPatch(withExit.def, { ops: [{ op: "set_loop_bound", from: "reply", to: "summarise", max: null, onExhausted: null }] });
    expect(none.def.edges.at(-1)).toEqual({ from: "reply", to: "summarise" });
  });

  it("refuses when no edge or several edges match", () => {
    expect(problems(apply({ op: "set_loop_bound", from: "reply", to: "summarise", max: 2 }))).toMatchInlineSnapshot(`
      [
        "0 set_loop_bound no_such_edge: set_loop_bound: there is no edge reply -> summarise. Block "reply" has no outgoing edges.",
      ]
    `);
    expect(problems(apply({ op: "set_loop_bound", from: "classify", to: "reply", max: 2 }))).toMatchInlineSnapshot(`
      [
        "0 set_loop_bound ambiguous_edge: set_loop_bound: 3 edges go from classify to reply (classify -> reply [kind = "billing"]; classify -> reply [kind = "tech"]; classify -> reply [kind = "other"]). Say which with "when".",
      ]
    `);
    const one = apply({ op: "set_loop_bound", from: "classify", to: "reply", when: { kind: "case", field: "kind", equals: "tech" }, max: 2 });
    expect(one.problems).toEqual([]);
  });
});

describe("replace_block", () => {
  it("swaps in a compatible block, keeping its id, edges and bindings", () => {
    const result = apply({ op: "replace_block", id: "summarise", block: "shortSummary" });
    expect(result.ok).toBe(true);
    expect(node(result, "summarise")).toMatchObject({ kind: "code", block: "shortSummary", input: { kind: "output", node: "fetchDoc", path: [] } });
    expect(result.def.edges).toEqual(def.edges);
  });

  it("refuses a block that does not accept every input the old one accepted, unless given a new binding", () => {
    expect(problems(apply({ op: "replace_block", id: "summarise", block: "pickySummary" }))).toMatchInlineSnapshot(`
      [
        "0 replace_block incompatible_replacement: replace_block: "pickySummary" cannot replace block "summarise": Output of block "fetchDoc" (A) does not fit the input of block "summarise" (B): at language: A does not require property "language"; B does. For example {"text":"","bytes":0} is allowed by A but not by B. Bind a value of the right type or change one of the schemas.",
      ]
    `);
    const rebound = apply({
      op: "replace_block",
      id: "summarise",
      block: "pickySummary",
      input: { kind: "object", fields: { text: { kind: "output", node: "fetchDoc", path: ["text"] }, language: { kind: "literal", value: "en" } } },
    });
    expect(rebound.ok).toBe(true);
  });

  it("accepts a block that does not take every input the old one took, but takes what the old one is given", () => {
    // summarise's input admits {text, tone: null}; tonedSummary's does not. Its binding gives fetchDoc's {text, bytes}: that fits.
    const result = apply({ op: "replace_block", id: "summarise", block: "tonedSummary" });
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it("refuses a block whose output does not fit what readers read, or may leave it out", () => {
    expect(problems(apply({ op: "replace_block", id: "summarise", block: "scoreOnly" }))).toMatchInlineSnapshot(`
      [
        "0 replace_block incompatible_replacement: replace_block: "scoreOnly" cannot replace block "summarise": Output summary of block "summarise" (A) does not fit input field "text" of block "classify" (B): A allows any number; B requires type string. For example 0 is allowed by A but not by B. Bind a value of the right type or change one of the schemas.",
        "0 replace_block incompatible_replacement: replace_block: "scoreOnly" cannot replace block "summarise": Output summary of block "summarise" (A) does not fit input field "text" of block "reply" (B): A allows any number; B requires type string. For example 0 is allowed by A but not by B. Bind a value of the right type or change one of the schemas.",
        "0 replace_block incompatible_replacement: replace_block: "scoreOnly" cannot replace block "summarise": Output summary of block "summarise" (A) does not fit output field "summary" of graph "g" (B): A allows any number; B requires type string. For example 0 is allowed by A but not by B. Bind a value of the right type or change one of the schemas.",
      ]
    `);
    expect(problems(apply({ op: "replace_block", id: "summarise", block: "maybeSummary" }))).toMatchInlineSnapshot(`
      [
        "0 replace_block incompatible_replacement: replace_block: "maybeSummary" cannot replace block "summarise": Input field "text" of block "classify" is required, but output summary of block "summarise" may be absent. Make the field optional, make the source field required, or use firstOf(ref, default).",
        "0 replace_block incompatible_replacement: replace_block: "maybeSummary" cannot replace block "summarise": Input field "text" of block "reply" is required, but output summary of block "summarise" may be absent. Make the field optional, make the source field required, or use firstOf(ref, default).",
      ]
    `);
    expect(problems(apply({ op: "replace_block", id: "classify", block: "reply" }))).toMatchInlineSnapshot(`
      [
        "0 replace_block incompatible_replacement: replace_block: "reply" cannot replace block "classify": Block "classify" routes on "kind", but its output kind: there is no field "kind" (fields: reply). Route on a field of its output.",
        "0 replace_block incompatible_replacement: replace_block: "reply" cannot replace block "classify": A binding reads output kind of block "classify", which never exists: kind: there is no field "kind" (fields: reply). Fix the path.",
      ]
    `);
  });

  it("refuses a replacement without typed errors for a block that error edges leave", () => {
    expect(problems(apply({ op: "replace_block", id: "fetchDoc", block: "plainFetch" }))).toMatchInlineSnapshot(`
      [
        "0 replace_block incompatible_replacement: replace_block: "plainFetch" cannot replace block "fetchDoc": The error edge fetchDoc -> apology can never be taken: block "fetchDoc" declares no error schema, so it has no typed errors. Add an error schema to its contract or remove the edge.",
      ]
    `);
  });

  it("refuses unknown ids on either side", () => {
    expect(problems(apply({ op: "replace_block", id: "summarise", block: "llmSummary" }))).toMatchInlineSnapshot(`
      [
        "0 replace_block unknown_catalogue_block: replace_block names "llmSummary", which is not in the catalogue (catalogue: fetchDoc, summarise, classify, reply, count, shortSummary, pickySummary, tonedSummary, scoreOnly, maybeSummary, plainFetch). Use one of these ids.",
      ]
    `);
    expect(apply({ op: "replace_block", id: "summary", block: "shortSummary" }).problems.map((p) => p.code)).toEqual(["unknown_block"]);
  });
});

describe("set_contract and set_entry", () => {
  it("changes the graph's contract; the checker then holds the bindings to it", () => {
    const output = { type: "object", properties: { summary: { type: "string" }, kind: { type: "string" }, bytes: { type: "integer" } }, required: ["summary", "kind", "bytes"], additionalProperties: false };
    const result = apply({ op: "set_contract", output });
    expect(result.def.contract.output).toEqual(output);
    expect(codes(result)).toEqual(["unbound_output"]);
    const fixed = applyPatch(result.def, { ops: [{ op: "bind_output", field: "bytes", binding: { kind: "output", node: "fetchDoc", path: ["bytes"] } }] });
    expect(codes(fixed)).toEqual(["binding_may_not_run"]);
    const withError = apply({ op: "set_contract", error: { type: "object" } });
    expect(withError.def.contract.error).toEqual({ type: "object" });
    expect(applyPatch(withError.def, { ops: [{ op: "set_contract", error: null }] }).def.contract).toEqual(def.contract);
  });

  it("sets the entry, refusing unknown ids", () => {
    expect(apply({ op: "set_entry", entry: ["fetchDoc", "fetchDoc"] }).def.entry).toEqual(["fetchDoc"]);
    expect(problems(apply({ op: "set_entry", entry: ["fetchDoc", "start"] }))).toMatchInlineSnapshot(`
      [
        "0 set_entry unknown_block: set_entry names block "start", which is not in graph "g" (blocks: fetchDoc, summarise, classify, reply, apology). Use one of these ids, or add the block first.",
      ]
    `);
  });
});

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
