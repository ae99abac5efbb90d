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

/**
 * A graph of code blocks from the edge list the fuzzer prints (`g: entry b0; b0 -> b1, b1 -k=c0->
 * b0 (max 2), ...`) and the bindings of its blocks (`{ b3: { f0: "b1.v" } }`, with `maybe(b1.v)`,
 * `firstOf(b1.v, b2.v, "default")` and `input.i0`): how shrunk counterexamples are written down.
 */
export function fromEdges(line: string, bindings: Readonly<Record<string, Readonly<Record<string, string>>>> = {}): FuzzGraph {
  const head = /^(\w+): entry ([\w, ]+);/.exec(line);
  if (!head) throw new Error(`not an edge list: ${line}`);
  const ids = new Set<string>();
  const edges: FuzzGraph["edges"][number][] = [];
  for (const m of line.slice(head[0].length).matchAll(/(\w+) (->|-k=(\w+)->|-otherwise->|-error->) (\w+)(?: \(max (\d+)(?:, then (\w+))?\))?/g)) {
    const [, from, arrow, equals, to, max, onExhausted] = m as unknown as [string, string, string, string | undefined, string, string | undefined, string | undefined];
    ids.add(from).add(to);
    const when = equals !== undefined ? { kind: "case" as const, equals } : arrow === "-otherwise->" ? { kind: "otherwise" as const } : arrow === "-error->" ? { kind: "error" as const } : undefined;
    edges.push({ from, to, ...(when ? { when } : {}), ...(max !== undefined ? { max: Number(max) } : {}), ...(onExhausted !== undefined ? { onExhausted } : {}) });
  }
  const entry = (head[2] as string).split(",").map((s) => s.trim());
  for (const e of entry) ids.add(e);
  const nodes = [...ids].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)) || a.localeCompare(b)).map((id) => {
    const out = edges.filter((e) => e.from === id);
    const cases = out.flatMap((e) => (e.when?.kind === "case" ? [e.when.equals] : e.when?.kind === "otherwise" ? ["cx"] : []));
    const inputs = Object.entries(bindings[id] ?? {}).map(([name, text]) => {
      const from = parseBinding(text);
      return str(name, from, from.kind === "ref" && from.maybe);
    });
    return code(id, inputs, { ...(cases.length ? { cases } : {}), error: out.some((e) => e.when?.kind === "error") });
  });
  return { id: head[1] as string, inputs: 1, nodes, entry, edges, output: [str("o0", { kind: "input", field: "i0" }, true)] };
}

function parseBinding(text: string): FuzzField["from"] {
  const t = text.trim();
  const first = /^firstOf\((.*)\)$/.exec(t);
  if (first) {
    const parts = (first[1] as string).split(",").map((p) => p.trim());
    const last = parts[parts.length - 1] as string;
    const fallback = /^"(.*)"$/.exec(last)?.[1];
    const of = (fallback !== undefined ? parts.slice(0, -1) : parts).map(parseBinding);
    return { kind: "first", of, ...(fallback !== undefined ? { fallback } : {}) };
  }
  const maybe = /^maybe\((?:b\.)?(\w+)\.(\w+)\)$/.exec(t);
  if (maybe) return { kind: "ref", node: maybe[1] as string, field: maybe[2] as "v", maybe: true };
  const input = /^input\.(\w+)$/.exec(t);
  if (input) return { kind: "input", field: input[1] as string };
  const ref = /^(?:b\.)?(\w+)\.(\w+)$/.exec(t);
  if (ref) return { kind: "ref", node: ref[1] as string, field: ref[2] as "v", maybe: false };
  throw new Error(`not a binding: ${text}`);
}

/**
 * Counterexamples the fuzzer found (and shrank) on the runtime before the loop semantics of
 * issue 12, each with a schedule that broke it there. All of them are accepted by `check`.
 */
export const foundBeforeLoopFix: readonly { readonly name: string; readonly graph: FuzzGraph; readonly schedule: { seed: number; choices: number[] } }[] = [
  {
    // b0 loops on itself while b1 runs; b0's second pass re-fires b0 -> b2, b2 again, and the
    // join-all b3 starts on b2's arrival without waiting for b1: binding_failed.
    name: "a re-fired edge starts a join-all block before its other branch (binding_failed)",
    graph: fromEdges("refired: entry b0; b0 -> b1, b0 -> b2, b0 -> b0 (max 1, then b1), b1 -> b3, b2 -> b3, b3 -> b4", { b3: { f0: "b1.v" } }),
    schedule: { seed: 804727085, choices: [0, 3] },
  },
  {
    // The same with firstOf(b4.v) (no default): the checker proves b4 runs first, the join starts
    // without it, and the input has no value: input_invalid on a bound input.
    name: "a join-all block started early reads firstOf of a block that has not run (input_invalid)",
    graph: fromEdges("refiredFirst: entry b0; b0 -> b1, b1 -> b2, b1 -> b1 (max 1, then b2), b2 -> b3, b3 -> b4, b3 -> b5, b4 -> b5, b4 -> b6, b6 -> b2 (max 1)", {
      b5: { f0: "firstOf(b4.v)" },
    }),
    schedule: { seed: 1900975938, choices: [] },
  },
  {
    // b1 (an entry of the loop's region) still runs when b0 loops: its second activation reads
    // its own first-pass output through maybe(b1.v), a stale read.
    name: "a block of the loop still running when the loop comes back (stale read of the last pass)",
    graph: fromEdges("overlap: entry b0; b0 -> b1, b0 -> b0 (max 1, then b1)", { b1: { f0: "maybe(b1.v)" } }),
    schedule: { seed: 999862974, choices: [] },
  },
  {
    // Without data at all: b2 runs twice in the second pass (it started in the first pass's
    // overlap, then again after b1's second run).
    name: "a block runs twice in one pass",
    graph: fromEdges("twice: entry b0; b0 -> b1, b0 -> b3, b1 -> b2, b3 -> b4, b3 -> b0 (max 1, then b4)"),
    schedule: { seed: 4, choices: [] },
  },
  {
    // b1 loops on itself and b2 loops back to b1: the first re-entry queues b1, the second
    // re-enters it while it is still queued, so b1 is queued twice under one activation, starts
    // twice, one completion is dropped, and the run never ends: a hang.
    name: "a loop entry re-entered while it is queued starts twice and the run hangs",
    graph: fromEdges("selfAndOuter: entry b0; b0 -> b1, b1 -> b2, b1 -> b1 (max 1, then b2), b2 -> b3, b2 -> b1 (max 1, then b3)"),
    schedule: { seed: 10, choices: [] },
  },
];

/**
 * Counterexamples the fuzzer found (and shrank) on the loop semantics of branch i12-loops (commit
 * 6c15270, merged with this branch), with a schedule that broke them there.
 */
export const foundOnLoopBranch: readonly { readonly name: string; readonly graph: FuzzGraph; readonly schedule: { seed: number; choices: number[]; cut?: number }; readonly replay?: boolean }[] = [
  {
    // Both self-loops take their back edge in pass 1 and wait for it to end; then both re-enter:
    // b0's new pass resets b1's region, but b1's own re-entry starts b1 anyway, before b0 ran.
    name: "two nested loops re-entering at the same end of a pass: the inner one starts after the outer reset it (binding_failed)",
    graph: fromEdges("nested: entry b0; b0 -> b1, b0 -> b0 (max 1, then b1), b1 -> b2, b1 -> b1 (max 1, then b2)", { b1: { f0: "b0.v" } }),
    schedule: { seed: 3, choices: [] },
  },
  {
    // foundBeforeLoopFix's refiredFirst: b1's self-loop and b6 -> b2 both wait for the end of the
    // pass, then both re-enter; b5 = firstOf(b4.v) starts without b4: input_invalid again.
    name: "the same with b1's self-loop around b6 -> b2 (input_invalid)",
    graph: fromEdges("refiredFirst: entry b0; b0 -> b1, b1 -> b2, b1 -> b1 (max 1, then b2), b2 -> b3, b3 -> b4, b3 -> b5, b4 -> b5, b4 -> b6, b6 -> b2 (max 1)", {
      b5: { f0: "firstOf(b4.v)" },
    }),
    schedule: { seed: 500911963, choices: [] },
  },
  {
    // The first graph of this list crashed after its two loop.pass entries: replaying the outer leaves the
    // inner one without a waiting block.
    name: "two nested loops re-entering together, crashed and resumed (journal_mismatch on the second loop.pass entry)",
    graph: fromEdges("nestedResume: entry b0; b0 -> b1, b0 -> b0 (max 1, then b1), b1 -> b2, b1 -> b1 (max 1, then b2)"),
    schedule: { seed: 1480265603, choices: [], cut: 32 },
    replay: true,
  },
  {
    // b2 (an entry block of the graph, in b1's loop) runs before the loop's entry b1 ever ran, and
    // loops back to b1 while b3 (b2 -> b3) is queued; the new pass starts b1, then b3 still runs
    // with b2's output from before the reset. Fixed: an entry asked to start (here by b0 -> b1)
    // after its loop was asked for a new pass waits and starts that pass; one asked before (as
    // under this schedule, where b0 finishes first) runs in the ending pass, and the oracle counts
    // it so (docs/runtime.md, "Loops"; loops.test.ts holds a schedule for the other case).
    name: "a back edge taken while a successor in the loop is queued: the successor runs in the new pass with the old pass's value",
    graph: fromEdges("earlyEntry: entry b0, b2; b0 -> b1, b1 -> b2, b2 -> b3, b2 -> b1 (max 1, then b3), b3 -> b4", { b3: { f0: "b2.v" } }),
    schedule: { seed: 352279561, choices: [] },
  },
  {
    // b0's bound runs out and its onExhausted jump starts b1 (the entry of another loop) while
    // b1's region is still running its pass: b3 then reads b2's output from before the jump.
    // Fixed: a jump to the entry of a loop that already ran in this pass asks that loop for a new
    // pass, as a back edge does (docs/runtime.md, "Loops").
    name: "an onExhausted jump into the entry of a loop that is still running a pass",
    graph: fromEdges("jumpIntoLoop: entry b0, b1; b0 -> b1, b0 -> b0 (max 1, then b1), b1 -> b2, b1 -> b1 (max 1, then b2), b2 -> b3", { b3: { f0: "b2.v" } }),
    schedule: { seed: 2147467231, choices: [] },
  },
  {
    // Found after the two fixes above (npm run fuzz:graphs -- --graphs 3000 --seed 20261204 --replay):
    // b0's jump runs b1 again, which re-fires b1 -> b2 -> b3 -> b4: the re-fired edge started b4 (the
    // entry of its own self-loop, already run in this pass) as a plain new activation, without a
    // pass, and b5 then read b4's output of the pass before. Fixed: a re-fired edge into a loop
    // entry that already ran asks its loop for a new pass, as a jump does.
    name: "a re-fired edge into a loop entry that already ran: the entry starts again without a new pass (stale maybe read)",
    graph: fromEdges("refiredEntry: entry b0, b1; b0 -> b1, b0 -> b0 (max 1, then b1), b1 -> b2, b2 -> b3, b3 -> b4, b3 -> b5, b4 -> b4 (max 1, then b5)", { b5: { f0: "maybe(b4.v)" } }),
    schedule: { seed: 1335013973, choices: [0, 0] },
  },
  {
    // Found with the first form of the hold rule above (the entry held when the queue reached it):
    // b0 and b2 finish synchronously, b2's back edge comes before the queue reaches b1, so b1 was
    // held; replaying, the outcomes come one at a time, b1 started before b2's back edge, and the
    // journal's loop.pass entry found no block waiting for it. Fixed: the hold is decided when the
    // entry is asked to start, in the order of the journal's outcomes.
    name: "a loop entry held or not depending on when the queue reached it: the resumed run decided otherwise (journal_mismatch)",
    graph: fromEdges("holdReplay: entry b0, b2; b0 -> b1, b0 -> b0 (max 1, then b1), b1 -> b2, b2 -> b3, b2 -> b1 (max 1, then b3)"),
    schedule: { seed: 165613256, choices: [], cut: 49 },
    replay: true,
  },
  {
    // npm run fuzz:graphs -- --graphs 3000 --seed 20261204 --replay (batch seed 20261222), shrunk.
    // b2's new pass resets its region {b2, b3, b5, b6, b7}; b4 (outside it) is run again by b2's
    // onExhausted jump, and its edge b4 -> b5 fires a second time. That edge lies outside the
    // region, so it was not reset: Scope.resolveEdge takes it as a re-firing (previous state not
    // OPEN) and starts the join-all b5 at once, while b3 -> b5 is still open in this pass: b5
    // cannot read b3.v (binding_failed). Fixed (packages/core/src/run/scope.ts, resolveEdge, the
    // `previous !== OPEN` branch): when the target is IDLE and join-all, call
    // `this.resolveJoin(target, pending)` instead of enqueueing it, so that it waits for its other
    // ways in of this pass, as on a first firing.
    name: "a re-fired edge from outside a loop's region into a join-all block the new pass reset starts it without its other branch (binding_failed)",
    graph: fromEdges("refiredJoin: entry b0; b0 -> b1, b1 -> b2, b1 -> b4, b2 -> b3, b2 -> b2 (max 1, then b4), b3 -> b5, b3 -> b3 (max 1, then b4), b4 -> b5, b5 -> b6, b6 -> b7", {
      b5: { f0: "b3.v" },
    }),
    schedule: { seed: 0, choices: [] },
  },
  {
    // npm run fuzz:graphs -- --graphs 10000 --seed 20261205 --replay --keep-going (with the fix
    // above applied) counted 1 failure; its batch (seed 20261278) shrinks to this hang of the
    // resumed run. Live, b4#3's back edge (its own self-loop) and b7#3's back edge (to b3, whose
    // region holds b4) both come before the queue drains (blocks answer synchronously), so b4's
    // request is still pending when b3's pass starts and is voided. Replaying, the outcomes come
    // one at a time: after b4#3's the queue is empty, b4's pass settles and waits for its loop.pass
    // entry (state 1); b3's loop.pass entry then starts b3's pass, which voids b4's request, but the
    // wait for b4's entry stays, and when replay ends it writes a pass of b4 that the live run never
    // had (b4#5 instead of b4#4): the resumed run diverges (a hang here; pass mixing and
    // binding_failed before shrinking). Fixed (scope.ts, settlePasses): in the replay branch, make the
    // `replay` and `goLive` callbacks do nothing when `this.nextPass?.get(l) !== request` (the
    // request was voided by an outer pass meanwhile); a voided state-1 request then leaves no trace.
    name: "an inner loop's pass settles during replay before an outer pass voids it: the resumed run writes a pass the live run never had",
    graph: ((): FuzzGraph => {
      const g = fromEdges("voidedInReplay: entry b0, b3; b0 -> b1, b1 -> b2, b2 -> b3, b2 -> b5, b3 -> b4, b3 -> b6, b3 -> b7, b4 -error-> b5, b4 -> b4 (max 2, then b5), b7 -> b3 (max 3, then b4)");
      const items: FuzzField = { name: "items", list: true, optional: false, from: { kind: "input", field: "items" } };
      return { ...g, nodes: g.nodes.map((n) => (n.id === "b6" ? { ...n, kind: "map" as const, inputs: [items] } : n)) };
    })(),
    schedule: { seed: 22, choices: [], cut: 22 },
    replay: true,
  },
];

/**
 * Failures a long fuzz run found after the fixes above (`npm run fuzz:graphs -- --graphs 10000
 * --seed 777001 --replay --max-failures 3`; docs/design/fuzz-open-finds.md), not fixed yet:
 * pinned as `it.fails` in graphs.fuzz.test.ts. When one is fixed, move it to `foundOnLoopBranch`.
 */
export const openLoopFinds: readonly { readonly name: string; readonly graph: FuzzGraph; readonly schedule: { seed: number; choices: number[]; cut?: number }; readonly replay?: boolean }[] = [
  {
    // Batch seed 777030, shrunk. Live, the run completes; crashed after 2 journal entries (b0#1,
    // b1#1) and resumed, b3#1 completes last and nothing follows: the resumed run hangs.
    name: "a run crashed after its loop's first pass, resumed, hangs (b3#1 completes last and nothing follows)",
    graph: fromEdges("resumeHang: entry b0; b0 -> b1, b0 -> b2, b1 -> b3, b1 -> b1 (max 1, then b2), b2 -> b3, b3 -> b4"),
    schedule: { seed: 6, choices: [], cut: 2 },
    replay: true,
  },
  {
    // Batch seed 777014, shrunk. Two loops entered at two blocks; after the crash and resume the
    // graph output reads b1's value of pass 3 of loop b1 where the oracle expects pass 2 (the
    // runtime or the oracle's count of passes for reads at the end: to decide).
    name: "the graph output of a resumed run with two loops entered at two blocks reads a later pass than the oracle expects",
    graph: ((): FuzzGraph => {
      const g = fromEdges("twoEntries: entry b0, b2; b0 -> b1, b1 -> b2, b2 -> b3, b2 -> b1 (max 1, then b3), b3 -> b4, b3 -> b0 (max 1, then b4)");
      return { ...g, output: [str("o0", parseBinding("b1.v"), true)] };
    })(),
    schedule: { seed: 109247523, choices: [], cut: 47 },
    replay: true,
  },
];
