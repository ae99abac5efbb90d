/**
 * Hand-written FuzzGraphs: the loop examples of issue 12, in the fuzzer's own form, so that they
 * run under the same harness (stamps, schedules) as the generated ones.
 */
import type { FuzzField, FuzzGraph, FuzzNode } from "./graph-arbitrary.js";

const str = (name: string, from: FuzzField["from"], optional = false): FuzzField => ({ name, list: false, optional, from });
const code = (id: string, inputs: FuzzField[] = [], extra: Partial<FuzzNode> = {}): FuzzNode => ({ id, kind: "code", join: "all", inputs, error: false, retry: false, ...extra });

/**
 * A join inside a loop: `b0 → b4, b0 → b5, b0 → b6, b5 → b6`; `b6` waits for all and reads `b5.v`;
 * `b4` routes `c0 → b0 (max 2) | c1 → b7`. Before the loop semantics of issue 12, a schedule in
 * which `b4` loops back while `b5` still runs fails with `binding_failed` or mixes passes at `b6`.
 */
export const joinInLoop: FuzzGraph = {
  id: "joinInLoop",
  inputs: 1,
  nodes: [
    code("b0", [str("f0", { kind: "input", field: "i0" })]),
    code("b4", [str("f0", { kind: "ref", node: "b0", field: "v", maybe: false })], { cases: ["c0", "c1"] }),
    code("b5", [str("f0", { kind: "ref", node: "b0", field: "v", maybe: false })]),
    code("b6", [str("a", { kind: "ref", node: "b5", field: "v", maybe: false }), str("k", { kind: "ref", node: "b0", field: "v", maybe: false })]),
    code("b7"),
  ],
  entry: ["b0"],
  edges: [
    { from: "b0", to: "b4" },
    { from: "b0", to: "b5" },
    { from: "b0", to: "b6" },
    { from: "b5", to: "b6" },
    { from: "b4", to: "b0", when: { kind: "case", equals: "c0" }, max: 2 },
    { from: "b4", to: "b7", when: { kind: "case", equals: "c1" } },
  ],
  output: [str("o0", { kind: "first", of: [{ kind: "ref", node: "b6", field: "v", maybe: false }], fallback: "none" }, true)],
};

/**
 * A stale read across passes: in a loop, `r` routes to `x` or `y`, both lead to `latch`, which
 * loops back to `r` (at most twice) or leaves to `after`; `after` reads `firstOf(x.v, y.v)`. After
 * a pass that chose `y`, the value must be `y`'s, never `x`'s from an earlier pass.
 */
export const staleFirstOf: FuzzGraph = {
  id: "staleFirstOf",
  inputs: 1,
  nodes: [
    code("r", [str("f0", { kind: "input", field: "i0" })], { cases: ["c0", "c1"] }),
    code("x"),
    code("y"),
    code("latch", [], { cases: ["c0", "c1"] }),
    code("after", [str("f0", { kind: "first", of: [{ kind: "ref", node: "x", field: "v", maybe: false }, { kind: "ref", node: "y", field: "v", maybe: false }] })]),
  ],
  entry: ["r"],
  edges: [
    { from: "r", to: "x", when: { kind: "case", equals: "c0" } },
    { from: "r", to: "y", when: { kind: "case", equals: "c1" } },
    { from: "x", to: "latch" },
    { from: "y", to: "latch" },
    { from: "latch", to: "r", when: { kind: "case", equals: "c0" }, max: 2 },
    { from: "latch", to: "after", when: { kind: "case", equals: "c1" } },
  ],
  output: [str("o0", { kind: "ref", node: "after", field: "v", maybe: true }, true)],
};
