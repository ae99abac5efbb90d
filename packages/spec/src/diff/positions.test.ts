import { describe, expect, it } from "vitest";
import { check } from "../check/check.js";
import type { BindingDef, EdgeDef, GraphDef, JsonSchema, NodeDef } from "../def/graph-def.js";
import { GRAPH_DEF_FORMAT } from "../def/graph-def.js";
import { diffGraphs } from "./diff.js";
import { Structure } from "./structure.js";

// Small hand-written GraphDefs: every block outputs { text: string } unless told otherwise, and reads
// `text` from the block named in `reads` (or from the graph input).
const str: JsonSchema = { type: "string" };
const obj = (properties: Record<string, JsonSchema>): JsonSchema => ({ type: "object", properties, required: Object.keys(properties), additionalProperties: false });
const TEXT = obj({ text: str });

interface BlockSpec {
  readonly reads?: string;
  readonly path?: readonly string[];
  readonly input?: JsonSchema;
  readonly output?: JsonSchema;
  readonly join?: "all" | "any";
}

function block(id: string, spec: BlockSpec = {}): NodeDef {
  const source: BindingDef = spec.reads === undefined ? { kind: "input", path: ["text"] } : { kind: "output", node: spec.reads, path: spec.path ?? ["text"] };
  return {
    id,
    kind: "code",
    block: id,
    contract: { input: spec.input ?? { type: "object", properties: { text: str }, required: ["text"] }, output: spec.output ?? TEXT },
    input: { kind: "object", fields: { text: source } },
    ...(spec.join ? { join: spec.join } : {}),
  };
}

function graph(nodes: readonly NodeDef[], edges: readonly (readonly [string, string] | EdgeDef)[], extra: Partial<GraphDef> = {}): GraphDef {
  return {
    format: GRAPH_DEF_FORMAT,
    id: "g",
    contract: { input: { type: "object", properties: { text: str }, required: ["text"] }, output: TEXT },
    entry: [nodes[0]?.id as string],
    nodes,
    edges: edges.map((e): EdgeDef => ("from" in e ? e : { from: e[0], to: e[1] })),
    output: { kind: "object", fields: { text: { kind: "output", node: nodes[nodes.length - 1]?.id as string, path: ["text"] } } },
    ...extra,
  };
}

/** Position → safe?, for a diff. */
function verdicts(before: GraphDef, after: GraphDef): Record<string, boolean> {
  expect(check(before).filter((i) => i.severity === "error")).toEqual([]);
  expect(check(after).filter((i) => i.severity === "error")).toEqual([]);
  return Object.fromEntries(diffGraphs(before, after).positions.map((p) => [p.block, p.safe]));
}

function reasonsAt(before: GraphDef, after: GraphDef, block: string): readonly string[] {
  return diffGraphs(before, after).positions.find((p) => p.block === block)?.reasons ?? [];
}

describe("in-flight positions", () => {
  const chain = graph([block("a"), block("b", { reads: "a" }), block("c", { reads: "b" })], [["a", "b"], ["b", "c"]]);

  it("a block added before a position is skipped: safe while nothing from there on reads it", () => {
    const inserted = graph([block("a"), block("n", { reads: "a" }), block("b", { reads: "a" }), block("c", { reads: "b" })], [["a", "n"], ["n", "b"], ["b", "c"]]);
    expect(verdicts(chain, inserted)).toEqual({ a: true, b: true, c: true });
  });

  it("a block added before a position is unsafe there when a later block reads it", () => {
    const inserted = graph([block("a"), block("n", { reads: "a" }), block("b", { reads: "a" }), block("c", { reads: "n" })], [["a", "n"], ["n", "b"], ["b", "c"]]);
    expect(verdicts(chain, inserted)).toEqual({ a: true, b: false, c: false });
    expect(reasonsAt(chain, inserted, "b")).toEqual(['block "c" reads block "n", which the new graph runs before "b" but the run may not have run ("n" is new)']);
  });

  it("a skipped block with an edge into a later join would hang it", () => {
    const before = graph([block("a"), block("b", { reads: "a" }), block("d", { reads: "b" })], [["a", "b"], ["b", "d"]]);
    const after = graph([block("a"), block("n", { reads: "a" }), block("b", { reads: "a" }), block("d", { reads: "b" })], [["a", "n"], ["n", "b"], ["n", "d"], ["b", "d"]]);
    expect(verdicts(before, after)).toEqual({ a: true, b: false, d: true });
    expect(reasonsAt(before, after, "b")[0]).toMatch(/^Edge n -> d was added; the new graph runs "n" before this block, but a run here never did, so its edges never fire; and "d" may still start$/);
  });

  it("a removed block the run has passed is fine; a run in it cannot move", () => {
    const removed = graph([block("a"), block("c", { reads: "a" })], [["a", "c"]]);
    expect(verdicts(chain, removed)).toEqual({ a: true, b: false, c: true });
    expect(reasonsAt(chain, removed, "b")).toEqual(['block "b" is not in the new graph']);
  });

  it("a wider output is safe everywhere; a narrower one is unsafe where the old output may be read", () => {
    const integer = obj({ n: { type: "integer" } });
    const number = obj({ n: { type: "number" } });
    const reader = { reads: "b", path: ["n"], input: obj({ text: { type: "number" } }) };
    const g = (out: JsonSchema) => graph([block("a"), block("b", { reads: "a", output: out }), block("c", reader)], [["a", "b"], ["b", "c"]], { contract: { input: obj({ text: str }), output: obj({ text: str }) }, output: { kind: "object", fields: { text: { kind: "output", node: "a", path: ["text"] } } } });
    expect(verdicts(g(integer), g(number))).toEqual({ a: true, b: true, c: true });
    expect(verdicts(g(number), g(integer))).toEqual({ a: true, b: false, c: false });
    expect(reasonsAt(g(number), g(integer), "c")).toEqual([expect.stringMatching(/^block "b" may have completed with an output of its old schema, and block "c" reads n of it: .*integer/)]);
    expect(reasonsAt(g(number), g(integer), "b")).toEqual([expect.stringMatching(/^block "b" may be running under the old graph; its output may not satisfy the new output schema: /)]);
  });

  it("compares only what is read: a new output field nobody reads is no problem for outputs in the journal", () => {
    const g = (out: JsonSchema) => graph([block("a", { output: out }), block("b", { reads: "a" })], [["a", "b"]]);
    // Old outputs of "a" lack "extra", but "b" reads only "text".
    const diff = diffGraphs(g(TEXT), g(obj({ text: str, extra: str })));
    expect(diff.positions.map((p) => [p.block, p.safe])).toEqual([["a", false], ["b", true]]);
    expect(diff.changes.map((c) => [c.code, c.flow, c.unsafeAt])).toEqual([["block_output_changed", "compatible", ["a"]]]);
  });

  it("a lowered loop bound is unsafe inside the loop, not before or after it", () => {
    const kinds = obj({ text: str, verdict: { enum: ["ok", "again"] } });
    const loop = (max: number) =>
      graph(
        [block("a"), block("b", { reads: "a" }), block("r", { reads: "b", output: kinds }), block("z", { reads: "r" })],
        [["a", "b"], ["b", "r"], { from: "r", to: "b", when: { kind: "case", field: "verdict", equals: "again" }, max }, { from: "r", to: "z", when: { kind: "case", field: "verdict", equals: "ok" } }],
      );
    expect(verdicts(loop(3), loop(2))).toEqual({ a: true, b: false, r: false, z: true });
    expect(verdicts(loop(2), loop(3))).toEqual({ a: true, b: true, r: true, z: true });
  });

  it("a change inside a subgraph is unsafe at the positions inside it that it affects", () => {
    const inner = (out: JsonSchema) => graph([block("s1", { output: out }), block("s2", { reads: "s1" })], [["s1", "s2"]], { id: "inner" });
    const outer = (out: JsonSchema): GraphDef => {
      const sub = inner(out);
      const node: NodeDef = { id: "sub", kind: "graph", graph: sub, contract: sub.contract, input: { kind: "object", fields: { text: { kind: "output", node: "x", path: ["text"] } } } };
      return graph([block("x"), node, block("y", { reads: "sub" })], [["x", "sub"], ["sub", "y"]], { id: "outer" });
    };
    const narrower = obj({ text: { type: "string", minLength: 1 } });
    expect(verdicts(outer(TEXT), outer(narrower))).toEqual({ x: true, sub: true, "sub/s1": false, "sub/s2": false, y: true });
    const diff = diffGraphs(outer(TEXT), outer(narrower));
    expect(diff.changes.map((c) => `${c.code}@${c.path}`)).toEqual(["block_output_changed@sub/s1"]);
    expect(diff.changes[0]?.unsafeAt).toEqual(["sub/s1", "sub/s2"]);
  });

  it("positions inside a removed subgraph are unsafe, with the enclosing block's reason", () => {
    const sub = graph([block("s1")], [], { id: "inner" });
    const node: NodeDef = { id: "sub", kind: "graph", graph: sub, contract: sub.contract, input: { kind: "object", fields: { text: { kind: "input", path: ["text"] } } } };
    const before = graph([node, block("y", { reads: "sub" })], [["sub", "y"]]);
    const after = graph([block("y")], []);
    expect(diffGraphs(before, after).positions).toEqual([
      { block: "sub", safe: false, reasons: ['block "sub" is not in the new graph'] },
      { block: "sub/s1", safe: false, reasons: ['block "sub" is not in the new graph'] },
      { block: "y", safe: true, reasons: [] },
    ]);
  });

  it("counts a map's items as the map: a change inside its item graph is unsafe at the map", () => {
    const item = (out: JsonSchema) => graph([block("t1", { output: out })], [], { id: "item" });
    const g = (out: JsonSchema): GraphDef => {
      const itemGraph = item(out);
      const each: NodeDef = {
        id: "each",
        kind: "map",
        item: { id: "item", kind: "graph", graph: itemGraph, contract: itemGraph.contract },
        contract: { input: obj({ items: { type: "array", items: itemGraph.contract.input } }), output: obj({ results: { type: "array", items: itemGraph.contract.output } }) },
        input: { kind: "object", fields: { items: { kind: "literal", value: [] } } },
      };
      return graph([block("a"), each], [["a", "each"]], { output: { kind: "object", fields: { text: { kind: "output", node: "a", path: ["text"] } } } });
    };
    const diff = diffGraphs(g(TEXT), g(obj({ text: { type: "string", minLength: 1 } })));
    expect(diff.positions.map((p) => [p.block, p.safe])).toEqual([["a", true], ["each", false]]);
    expect(diff.positions[1]?.reasons).toEqual([expect.stringMatching(/^an item of map "each" may be at "each\/\*\/t1": block "each\/\*\/t1" may be running under the old graph/)]);
    expect(diff.changes.map((c) => `${c.code}@${c.path}:${c.inFlight}`)).toEqual(["block_output_changed@each/*/t1:breaking"]);
  });

  it("makes every position unsafe when the new graph does not pass the checker", () => {
    const broken = graph([block("a"), block("b", { reads: "nope" })], [["a", "b"]]);
    const positions = diffGraphs(graph([block("a"), block("b", { reads: "a" })], [["a", "b"]]), broken).positions;
    expect(positions.every((p) => !p.safe)).toBe(true);
    expect(positions[0]?.reasons[0]).toMatch(/^the new graph does not pass the checker \(\d+ errors?; first: unknown_block at /);
  });
});

describe("Structure.mayCompleteBefore", () => {
  const kinds = obj({ text: str, kind: { enum: ["x", "y"] } });
  const when = (from: string, to: string, equals: string, extra: Partial<EdgeDef> = {}): EdgeDef => ({ from, to, when: { kind: "case", field: "kind", equals }, ...extra });
  const may = (def: GraphDef, b: string, x: string) => {
    const s = new Structure(def);
    return s.mayCompleteBefore(s.vertex(b) as number, s.vertex(x) as number);
  };

  it("knows that the blocks after a merge come after either branch", () => {
    const def = graph([block("r", { output: kinds }), block("p"), block("q"), block("m")], [when("r", "p", "x"), when("r", "q", "y"), ["p", "m"], ["q", "m"]]);
    expect(may(def, "p", "m")).toBe(false); // m waits for p to finish or be ruled out
    expect(may(def, "p", "q")).toBe(true); // structurally q does not come after p
    expect(may(def, "m", "p")).toBe(true);
  });

  it("does not order a join-any block after a branch it does not wait for", () => {
    const def = graph([block("s"), block("p"), block("q"), block("m", { join: "any" })], [["s", "p"], ["s", "q"], ["p", "m"], ["q", "m"]]);
    expect(may(def, "p", "m")).toBe(true);
  });

  it("knows that a loop that runs one block at a time is over when the run leaves it", () => {
    const loop = [["s", "b"], ["b", "r"], when("r", "b", "y", { max: 3 }), when("r", "z", "x")] as const;
    const def = graph([block("s"), block("b"), block("r", { output: kinds }), block("z")], loop);
    expect(may(def, "b", "z")).toBe(false);
    expect(may(def, "b", "r")).toBe(true); // an earlier pass
    expect(may(def, "b", "b")).toBe(true);
  });

  it("assumes a side branch that leaves a loop may finish while the loop goes on", () => {
    const def = graph(
      [block("s"), block("b"), block("r", { output: kinds }), block("side"), block("z")],
      [["s", "b"], ["b", "r"], ["b", "side"], when("r", "b", "y", { max: 3 }), when("r", "z", "x")],
    );
    expect(may(def, "b", "side")).toBe(true);
    // Conservative: a loop that forks is not known to be over once the run has left it.
    expect(may(def, "b", "z")).toBe(true);
  });
});
