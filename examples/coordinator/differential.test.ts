import { run } from "@blockwork/core";
import { simulate } from "@blockwork/nodes";
import {
  applyPatch,
  catalogueOf,
  check,
  createGraph,
  defineCatalogue,
  defineContract,
  type GraphBlock,
  type GraphDef,
  graphFromDef,
  mergeCatalogues,
  parsePatch,
} from "@blockwork/spec";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { releaseNotesGraph } from "../release-notes/release-notes.graph.js";
import { supportAgentGraph } from "../support-agent/support.graph.js";
import { triageGraph } from "../support-triage/triage.graph.js";
import { digestGraph } from "../text-digest/digest.graph.js";
import { detectLanguage, sentiment, wordCount } from "./catalogue.js";
import { patchArbitrary } from "./patch-arbitrary.js";

/**
 * The differential check between the static checker and the runtime: random patch sequences on
 * the example graphs, with a catalogue; whenever the checker accepts the patched graph (no errors,
 * and no `compat_unknown`: a graph the checker could not decide is not accepted), `simulate` runs
 * it (every code block replaced by outputs generated from its contract) without a contract failure.
 *
 * Three checker bugs this test found (and that are fixed) are kept below as regression tests.
 */

const CONTRACT_FAILURES = new Set(["input_invalid", "output_invalid", "error_invalid", "binding_failed", "graph_invalid", "missing_implementation"]);
const extras = defineCatalogue([sentiment, wordCount, detectLanguage]);

const GRAPHS: readonly [string, GraphBlock, number][] = [
  ["text-digest", digestGraph, 11],
  ["support-triage", triageGraph, 12],
  ["release-notes", releaseNotesGraph, 13],
  ["support-agent", supportAgentGraph, 14],
];

describe("checker vs runtime on randomly patched example graphs", () => {
  it.each(GRAPHS)("%s: a patched graph the checker accepts runs in simulation without contract failures", async (_, graph, seed) => {
    const catalogue = mergeCatalogues(catalogueOf(graph), extras);
    const stats = { accepted: 0, simulated: 0 };
    await fc.assert(
      fc.asyncProperty(patchArbitrary(graph.def, catalogue), fc.integer({ min: 1, max: 1_000_000 }), async (patch, runSeed) => {
        expect(parsePatch(patch).ok).toBe(true);
        const result = applyPatch(graph.def, patch, catalogue);
        if (result.issues.some((i) => i.severity === "error" || i.code === "compat_unknown")) return;
        stats.accepted++;
        if (JSON.stringify(result.def) === JSON.stringify(graph.def)) return;
        stats.simulated++;
        const patched = graphFromDef(result.def, [catalogue, graph], { reuse: graph });
        const report = await simulate(patched, { all: true, runs: 3, seed: runSeed });
        expect(report.failures.filter((f) => CONTRACT_FAILURES.has(f.code))).toEqual([]);
      }),
      { numRuns: 400, seed },
    );
    // Not vacuous: a good share of the random patches change the graph and pass the checker.
    expect(stats.simulated).toBeGreaterThanOrEqual(15);
  });
});

describe("checker bugs found by the differential test (regression tests)", () => {
  const N = z.object({ n: z.number() });
  const Kind = z.object({ kind: z.enum(["x", "y"]) });
  const a = defineContract({ id: "a", input: z.object({}), output: N }).implement(() => ({ n: 1 }));
  const routed = defineContract({ id: "a", input: Kind, output: Kind.extend({ n: z.number() }) }).implement(({ kind }) => ({ kind, n: 1 }));
  const b = defineContract({ id: "b", input: N, output: N }).implement(({ n }) => ({ n: n + 1 }));
  const c = defineContract({ id: "c", input: N, output: N }).implement(({ n }) => ({ n: n * 10 }));
  const d = defineContract({ id: "d", input: z.object({}), output: N }).implement(() => ({ n: 0 }));
  const e = defineContract({ id: "e", input: z.object({}), output: N }).implement(() => ({ n: 7 }));

  it("an entry block with an incoming edge starts at once, so its read of a block on that edge is reported", async () => {
    // a -> b -> c, entry [a, c], c reads b. At run time c starts at once, before b: binding_failed
    // (the checker used to treat c as waiting for b -> c).
    const graph = createGraph({ id: "entry-with-in-edge", input: z.object({}), output: N })
      .add(a, () => ({}))
      .add(b, (_, { a }) => ({ n: a.n }))
      .add(c, (_, { b }) => ({ n: b.n }))
      .edge("a", "b")
      .edge("b", "c")
      .start("a", "c")
      .output((_, { c }) => ({ n: c.n }))
      .build();
    const issues = check(graph.def);
    // run() refuses a graph with checker errors (graph_invalid), synchronously.
    const ran = await Promise.resolve()
      .then(() => run(graph, {}).result)
      .then(
        () => "ok",
        (error: { code: string }) => error.code,
      );
    expect(issues.map((i) => `${i.code}@${i.block}`)).toEqual(["binding_may_not_run@c"]);
    // Sound: the checker reports an issue, or the run succeeds.
    expect(issues.length > 0 || ran === "ok").toBe(true);
  });

  it("a cycle entered at two blocks: the read of a block that one way in skips is reported", async () => {
    // a routes x -> b, y -> d; b -> c -> d; d -> c (max 1, onExhausted e); c reads b. With y, c runs
    // without b (the checker used to assume that the back edge d -> c is only taken after c ran).
    const graph = createGraph({ id: "two-entry-loop", input: Kind, output: N })
      .add(routed, (input) => ({ kind: input.kind }))
      .add(b, (_, { a }) => ({ n: a.n }))
      .add(c, (_, { b }) => ({ n: b.n }))
      .add(d, () => ({}))
      .add(e, () => ({}))
      .start("a")
      .route("a", "kind", { x: "b", y: "d" })
      .edge("b", "c")
      .edge("c", "d")
      .edge("d", "c", { max: 1, onExhausted: "e" })
      .output((_, { e }) => ({ n: e.n }))
      .build();
    const issues = check(graph.def);
    // run() refuses a graph with checker errors (graph_invalid), synchronously.
    const ran = await Promise.resolve()
      .then(() => run(graph, { kind: "y" }).result)
      .then(
        () => "ok",
        (error: { code: string }) => error.code,
      );
    expect(issues.map((i) => `${i.code}@${i.block}`)).toEqual(["binding_may_not_run@c"]);
    expect(issues.length > 0 || ran === "ok").toBe(true);
  });

  it("check() reports, and does not throw on, a firstOf that reads a block no path reaches", () => {
    const contract = { input: { type: "object" }, output: { type: "object", properties: { n: { type: "number" } }, required: ["n"], additionalProperties: false } };
    const def: GraphDef = {
      format: "blockwork/graph@1",
      id: "first-unreachable",
      contract,
      entry: ["a"],
      nodes: [
        { id: "a", kind: "code", block: "a", contract, input: { kind: "literal", value: {} } },
        { id: "c", kind: "code", block: "c", contract, input: { kind: "literal", value: {} } },
      ],
      edges: [],
      output: { kind: "object", fields: { n: { kind: "first", of: [{ kind: "output", node: "c", path: ["n"] }, { kind: "output", node: "a", path: ["n"] }] } } },
    };
    // unreachable_block for c, and no exception ("pure: no exceptions for bad graphs"); it used to
    // throw a TypeError in Flow.someCompleted.
    expect(check(def).map((i) => `${i.code}@${i.block}`)).toEqual(["unreachable_block@c"]);
  });
});
