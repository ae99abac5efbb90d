import { createGraph, defineContract, toXStateConfig } from "@blockwork/spec";
import { createActor, createMachine } from "xstate";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { graphMachine } from "../src/xstate-paths.js";
import { cli } from "./capture.js";

// The XState export: a machine config that xstate's createMachine accepts, driven by real actors,
// and route-coverage paths from xstate's own graph utilities (xstate/graph in xstate 5.33.3).

const examples = [
  ["examples/text-digest/digest.graph.ts", "text-digest"],
  ["examples/support-triage/triage.graph.ts", "support-triage"],
  ["examples/release-notes/release-notes.graph.ts", "release-notes"],
  ["examples/refund-approval/refund.graph.ts", "refund-approval"],
] as const;

describe("blockwork graph --format xstate", () => {
  it.each(examples)("%s: prints a config createMachine accepts, with one state per block and a final state", async (file, id) => {
    const { code, out } = await cli(["graph", file, "--format", "xstate"]);
    expect(code).toBe(0);
    const config = JSON.parse(out) as { id: string; initial: string; states: Record<string, { type?: string }> };
    expect(config.id).toBe(id);
    const machine = createMachine(config as never);
    expect(machine.root.type).toBe("compound");
    expect(config.states["done"]?.type).toBe("final");
    const actor = createActor(machine).start();
    expect(actor.getSnapshot().value).toBe(config.initial);
    actor.stop();
  });

  it("makes routes guarded transitions and runs a route and a bounded loop to the end as the runtime would", async () => {
    const { out } = await cli(["graph", "examples/release-notes/release-notes.graph.ts", "--format", "xstate"]);
    const def = JSON.parse((await cli(["graph", "examples/release-notes/release-notes.graph.ts", "--format", "json"])).out);
    const config = JSON.parse(out);
    expect(config.states.review.on["review.done"]).toEqual([
      { target: "#release-notes/publish", guard: { type: "case", params: { field: "verdict", equals: "approve" } } },
      { target: "#release-notes/draftNotes", guard: { type: "case", params: { field: "verdict", equals: "revise", edge: "review->draftNotes", max: 3 } }, actions: [{ type: "countPass", params: { edge: "review->draftNotes" } }] },
      { target: "#release-notes/publish", guard: { type: "case", params: { field: "verdict", equals: "revise" } } },
    ]);
    // The subgraph is nested: its blocks are states of the `digest` state, its end continues the graph.
    expect(Object.keys(config.states.digest.states)).toEqual(["normalise", "rankSentences", "compose", "done"]);
    const actor = createActor(graphMachine(def)).start();
    for (const type of ["groupCommits.done", "normalise.done", "rankSentences.done", "compose.done"]) actor.send({ type });
    expect(actor.getSnapshot().value).toBe("draftNotes");
    // Four revisions: three loop back (the bound), the fourth takes onExhausted to publish.
    for (let i = 0; i < 4; i++) {
      actor.send({ type: "draftNotes.done" });
      actor.send({ type: "review.done", output: { verdict: "revise" } });
    }
    expect(actor.getSnapshot().value).toBe("publish");
    expect(actor.getSnapshot().context).toEqual({ passes: { "review->draftNotes": 3 } });
    actor.send({ type: "publish.done" });
    expect(actor.getSnapshot().status).toBe("done");
  });

  it("draws a fan-out as a parallel state with one region per branch, joined where they meet", () => {
    const n = z.object({ n: z.number() });
    const block = <const $Id extends string>(id: $Id) => defineContract({ id, input: n, output: n }).implement(({ n }) => ({ n }));
    const graph = createGraph({ id: "fan", input: n, output: n })
      .add(block("start"), (input) => input)
      .add(block("left"), (_, r) => r.start)
      .add(block("right"), (_, r) => r.start)
      .add(block("join"), (_, r) => ({ n: r.left.n }))
      .start("start")
      .edge("start", "left")
      .edge("start", "right")
      .edge("left", "join")
      .edge("right", "join")
      .output((_, r) => r.join)
      .build();
    const config = toXStateConfig(graph.def);
    expect(config.states?.["start__fork"]).toMatchObject({ type: "parallel", states: { left: { initial: "left" }, right: { initial: "right" } }, onDone: [{ target: "join" }] });
    const actor = createActor(createMachine(config as never)).start();
    actor.send({ type: "start.done" });
    expect(actor.getSnapshot().value).toEqual({ start__fork: { left: "left", right: "right" } });
    actor.send({ type: "left.done" });
    expect(actor.getSnapshot().value).toEqual({ start__fork: { left: "end", right: "right" } });
    actor.send({ type: "right.done" });
    expect(actor.getSnapshot().value).toBe("join");
  });

  it("refuses a graph with several entry blocks, with a clear error", () => {
    const n = z.object({ n: z.number() });
    const a = defineContract({ id: "a", input: n, output: n }).implement(({ n }) => ({ n }));
    const graph = createGraph({ id: "two", input: n, output: n }).add(a, (input) => input).output((_, r) => r.a).build();
    expect(() => toXStateConfig({ ...graph.def, entry: ["a", "a"] })).toThrow(/cannot export two as XState: it has 2 entry blocks/);
  });
});

describe("blockwork simulate --paths", () => {
  it("gives route-coverage paths from xstate's graph utilities: every route, the loop and its onExhausted fallback", async () => {
    const { code, out } = await cli(["simulate", "examples/release-notes/release-notes.graph.ts", "--paths", "--format", "json"]);
    expect(code).toBe(0);
    const { paths } = JSON.parse(out) as { paths: { steps: string[] }[] };
    const all = paths.map((p) => p.steps.join(" "));
    expect(all.some((p) => p.includes("review.done(verdict=approve) publish.done"))).toBe(true);
    expect(all.some((p) => p.includes("review.done(verdict=revise) draftNotes.done"))).toBe(true);
    // The exhausted bound: four revisions in one path, the last going to publish.
    expect(all.some((p) => (p.match(/verdict=revise/g) ?? []).length === 4)).toBe(true);
    for (const p of paths) expect(p.steps.at(-1)).toBe("publish.done");
    expect(paths).toHaveLength(3);
  });

  it("prints one path per branch of support-triage", async () => {
    const { code, out } = await cli(["simulate", "examples/support-triage/triage.graph.ts", "--paths"]);
    expect(code).toBe(0);
    expect(out).toMatch(/^support-triage: 4 paths cover all 8 transitions\n/);
    expect(out).toContain("1. classify.done(kind=billing) -> billingReply.done");
  });
});
