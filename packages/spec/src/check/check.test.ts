import { describe, expect, it } from "vitest";
import { flowGraph, kinds, when } from "../../test/fixtures/defs.js";
import type { GraphDef } from "../def/graph-def.js";
import { check } from "./check.js";

const codes = (def: GraphDef) => check(def).map((i) => `${i.code}${i.block ? `@${i.block}` : ""}`);

describe("binding_may_not_run (dominance with joins, routes, loops and error edges)", () => {
  it("accepts a chain where each block reads its predecessors", () => {
    const def = flowGraph({ nodes: { a: {}, b: { reads: ["a"] }, c: { reads: ["a", "b"] } }, edges: [["a", "b"], ["b", "c"]] });
    expect(codes(def)).toEqual([]);
  });

  it("accepts reading both branches of a parallel fan-out at a join-all block", () => {
    const def = flowGraph({
      nodes: { a: {}, b: { reads: ["a"] }, c: { reads: ["a"] }, d: { reads: ["b", "c"] } },
      edges: [["a", "b"], ["a", "c"], ["b", "d"], ["c", "d"]],
    });
    expect(codes(def)).toEqual([]);
  });

  it("rejects reading one branch at a join-any block, which may start after the other branch alone", () => {
    const def = flowGraph({
      nodes: { a: {}, b: {}, c: {}, d: { reads: ["b"], join: "any" } },
      edges: [["a", "b"], ["a", "c"], ["b", "d"], ["c", "d"]],
    });
    expect(codes(def)).toEqual(["binding_may_not_run@d"]);
  });

  it("rejects reading one side of a route after the branches merge", () => {
    const def = flowGraph({
      nodes: { a: { output: kinds("x", "y") }, b: {}, c: {}, d: { reads: ["b"] } },
      edges: [when("a", "b", "x"), when("a", "c", "y"), ["b", "d"], ["c", "d"]],
    });
    expect(codes(def)).toEqual(["binding_may_not_run@d"]);
  });

  it("accepts firstOf over every side of a route", () => {
    const def = flowGraph({
      nodes: { a: { output: kinds("x", "y") }, b: {}, c: {}, d: { reads: [{ first: ["b", "c"] }, "a"] } },
      edges: [when("a", "b", "x"), when("a", "c", "y"), ["b", "d"], ["c", "d"]],
    });
    expect(codes(def)).toEqual([]);
  });

  it("rejects firstOf when some path runs none of the alternatives", () => {
    const def = flowGraph({
      nodes: { a: { output: kinds("x", "y", "z") }, b: {}, c: {}, e: {}, d: { reads: [{ first: ["b", "c"] }] } },
      edges: [when("a", "b", "x"), when("a", "c", "y"), when("a", "e", "z"), ["b", "d"], ["c", "d"], ["e", "d"]],
    });
    expect(codes(def)).toEqual(["binding_may_not_run@d"]);
  });

  it("at a join-all block, counts only the branches that certainly run", () => {
    // a fans out to b (always) and r; r routes to c or e. d waits for b and for c when c runs.
    const nodes = { a: {}, b: {}, r: { output: kinds("x", "y") }, c: {}, e: {} };
    const edges = [["a", "b"], ["a", "r"], when("r", "c", "x"), when("r", "e", "y"), ["b", "d"], ["c", "d"], ["e", "d"]] as const;
    expect(codes(flowGraph({ nodes: { ...nodes, d: { reads: ["b", "r", "a"] } }, edges }))).toEqual([]);
    expect(codes(flowGraph({ nodes: { ...nodes, d: { reads: ["c"] } }, edges }))).toEqual(["binding_may_not_run@d"]);
  });

  it("requires maybe() to read the far side of a loop", () => {
    const loop = [["draft", "review"], when("review", "draft", "revise", { max: 3 }), when("review", "done", "ok")] as const;
    const base = { review: { reads: ["draft"], output: kinds("revise", "ok") }, done: { reads: ["draft", "review"] } };
    expect(codes(flowGraph({ nodes: { draft: { reads: ["review"] }, ...base }, edges: loop }))).toEqual(["binding_may_not_run@draft"]);
    expect(codes(flowGraph({ nodes: { draft: { reads: [{ maybe: "review" }] }, ...base }, edges: loop }))).toEqual([]);
  });

  it("does not count a block that failed (error edge) as completed", () => {
    const def = flowGraph({
      nodes: { a: {}, fetch: { reads: ["a"], error: true }, fallback: { reads: ["a", "fetch"] } },
      edges: [["a", "fetch"], { from: "fetch", to: "fallback", when: { kind: "error" } }],
    });
    expect(codes(def)).toEqual(["binding_may_not_run@fallback"]);
  });

  it("counts the source of an exhausted bound as completed", () => {
    const def = flowGraph({
      nodes: { draft: { reads: [{ maybe: "review" }] }, review: { output: kinds("revise", "ok") }, publish: { reads: ["review", "draft"] } },
      edges: [["draft", "review"], when("review", "draft", "revise", { max: 2, onExhausted: "publish" }), when("review", "publish", "ok")],
    });
    expect(codes(def)).toEqual([]);
  });

  it("an entry block starts at once, even when it also has incoming edges", () => {
    // a -> b -> c with entry [a, c]: c starts when the graph starts, before b has run.
    const edges = [["a", "b"], ["b", "c"]] as const;
    const entry = ["a", "c"];
    expect(codes(flowGraph({ nodes: { a: {}, b: { reads: ["a"] }, c: { reads: ["b"] } }, edges, entry }))).toEqual(["binding_may_not_run@c"]);
    expect(codes(flowGraph({ nodes: { a: {}, b: {}, c: { reads: [{ first: ["a", "b"] }] } }, edges, entry }))).toEqual(["binding_may_not_run@c"]);
    expect(codes(flowGraph({ nodes: { a: {}, b: { reads: ["a"] }, c: { reads: [{ maybe: "b" }] }, d: { reads: ["c"] } }, edges: [...edges, ["c", "d"]], entry }))).toEqual([]);
    // The run ends when nothing more can start: by then a and b have run, though c did not wait for them.
    const output = { kind: "output", node: "b", path: [] } as const;
    expect(codes(flowGraph({ nodes: { a: {}, b: { reads: ["a"] }, c: {} }, edges, entry, output }))).toEqual([]);
  });

  it("a cycle entered at two blocks: a block that one way in skips has not certainly run", () => {
    // a routes x -> b, y -> d; b -> c -> d; d -> c (max 1, onExhausted e). With y, c starts from d without b.
    const nodes = { a: { output: kinds("x", "y") }, b: {}, d: {}, e: { reads: ["a", "d"] } };
    const edges = [when("a", "b", "x"), when("a", "d", "y"), ["b", "c"], ["c", "d"], { from: "d", to: "c", max: 1, onExhausted: "e" }] as const;
    expect(codes(flowGraph({ nodes: { ...nodes, c: { reads: ["b"] } }, edges }))).toEqual(["binding_may_not_run@c"]);
    expect(codes(flowGraph({ nodes: { ...nodes, c: { reads: [{ first: ["b"] }] } }, edges }))).toEqual(["binding_may_not_run@c"]);
    // What precedes both ways in has run; d runs before c on the way in through d only.
    expect(codes(flowGraph({ nodes: { ...nodes, c: { reads: ["a", { maybe: "d" }] } }, edges }))).toEqual([]);
    expect(codes(flowGraph({ nodes: { ...nodes, c: { reads: ["d"] } }, edges }))).toEqual(["binding_may_not_run@c"]);
  });

  it("a firstOf over a block no path reaches: unreachable_block, no exception", () => {
    const def = flowGraph({ nodes: { a: {}, lost: {}, b: { reads: [{ first: ["lost", "a"] }] } }, edges: [["a", "b"]] });
    expect(codes(def)).toEqual(["unreachable_block@lost"]);
    const none = flowGraph({ nodes: { a: {}, lost: {}, b: { reads: [{ first: ["lost"] }] } }, edges: [["a", "b"]] });
    expect(codes(none).sort()).toEqual(["binding_may_not_run@b", "unreachable_block@lost"]);
  });

  it("a join-all block does not wait for an exhausted bound: it may start through its other edges first", () => {
    // a -> h -> r, r loops back to h (max 1, then j), and a -> j: j starts as soon as a is done.
    const nodes = { a: {}, h: {}, r: { output: kinds("again", "ok") }, x: {} };
    const edges = [["a", "h"], ["h", "r"], when("r", "h", "again", { max: 1, onExhausted: "j" }), when("r", "x", "ok"), ["a", "j"]] as const;
    expect(codes(flowGraph({ nodes: { ...nodes, j: { reads: ["r"] } }, edges }))).toEqual(["binding_may_not_run@j"]);
    expect(codes(flowGraph({ nodes: { ...nodes, j: { reads: ["a", { maybe: "r" }] } }, edges }))).toEqual([]);
  });

  it("a block that waits for a block only an exhausted bound leads to may never start; the run ends without it", () => {
    // l loops on itself once, then jumps to s; p waits for x and s. When l says ok, s never runs, p waits forever.
    const spec = {
      nodes: { a: {}, x: {}, l: { output: kinds("again", "ok") }, s: {}, y: {}, p: {} },
      edges: [["a", "x"], ["a", "l"], when("l", "l", "again", { max: 1, onExhausted: "s" }), when("l", "y", "ok"), ["s", "p"], ["x", "p"]] as const,
    };
    const reads = (node: string) => codes(flowGraph({ ...spec, output: { kind: "output", node, path: [] } }));
    expect(reads("p")).toEqual(["binding_may_not_run"]);
    expect(reads("x")).toEqual([]);
  });

  it("checks the graph output at the end of the run", () => {
    const def = flowGraph({
      nodes: { a: { output: kinds("x", "y") }, b: {}, c: {} },
      edges: [when("a", "b", "x"), when("a", "c", "y")],
      output: { kind: "output", node: "b", path: [] },
    });
    expect(check(def).map((i) => i.code)).toEqual(["binding_may_not_run"]);
    const ok = { ...def, output: { kind: "first", of: [{ kind: "output", node: "b", path: [] }, { kind: "output", node: "c", path: [] }] } } as GraphDef;
    expect(codes(ok)).toEqual([]);
  });
});

describe("flow rules", () => {
  it("unreachable_block and no_path_to_end", () => {
    const def = flowGraph({
      nodes: { a: {}, lost: {}, b: { reads: ["a"] }, c: {} },
      edges: [["a", "b"], { from: "b", to: "c", max: 2 }, { from: "c", to: "b", max: 2 }],
    });
    expect(codes(def).sort()).toEqual(["no_path_to_end@a", "no_path_to_end@b", "no_path_to_end@c", "unreachable_block@lost"]);
  });

  it("unbounded_cycle, but not when one edge of the cycle is bounded", () => {
    const cyc = (max?: number) =>
      flowGraph({
        nodes: { a: { output: kinds("again", "stop") }, b: {}, end: {} },
        edges: [["a", "b"], { from: "b", to: "a", ...(max ? { max } : {}) }, when("a", "end", "stop")],
      });
    const found = check(cyc()).filter((i) => i.code === "unbounded_cycle");
    expect(found.map((i) => i.message)).toEqual([expect.stringContaining('"a" -> "b" -> "a"')]);
    expect(codes(cyc(5)).filter((c) => c.startsWith("unbounded_cycle"))).toEqual([]);
  });

  it("a self-loop needs a bound", () => {
    const def = flowGraph({ nodes: { a: { reads: [{ maybe: "a" }], output: kinds("again", "stop") }, b: {} }, edges: [when("a", "a", "again"), when("a", "b", "stop")] });
    expect(codes(def)).toEqual(["unbounded_cycle@a"]);
  });

  it("duplicate_id, unknown_block and missing_entry", () => {
    const def = flowGraph({ nodes: { a: {}, b: {} }, edges: [["a", "nope"]], entry: [] });
    const dup = { ...def, nodes: [...def.nodes, def.nodes[0]] } as GraphDef;
    expect(codes(dup)).toEqual(expect.arrayContaining(["duplicate_id@a", "unknown_block@nope", "missing_entry"]));
  });

  it("handles a 20,000-block chain without deep recursion", () => {
    const nodes: Record<string, { reads?: string[] }> = {};
    const edges: [string, string][] = [];
    for (let i = 0; i < 20_000; i++) {
      nodes[`b${i}`] = i ? { reads: [`b${i - 1}`] } : {};
      if (i) edges.push([`b${i - 1}`, `b${i}`]);
    }
    expect(codes(flowGraph({ nodes, edges }))).toEqual([]);
  });
});
