import { createGraph, defineContract } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { type DirectedGraphNode, toDirectedGraph } from "xstate/graph";
import { z } from "zod";
import { blockLifecycle, type BlockChange, type RunEvent, type RunHandle, run, trackBlocks } from "../src/index.js";
import { twoApprovals } from "./fixtures/hitl.js";
import { fanIn, pipeline, script } from "./fixtures/supervised.js";

// Model-based test of the block lifecycle: every transition of the XState machine (read from the
// machine with xstate/graph's toDirectedGraph) must be taken by some real run below, and no run may
// ever emit an event the machine does not allow in the block's state.

/** Every transition of the machine, as `state --event--> target`. */
function transitionsOf(node: DirectedGraphNode): string[] {
  const own = node.edges.map((e) => `${e.source.key} --${e.label.text}--> ${e.target.key}`);
  return [...own, ...node.children.flatMap(transitionsOf)];
}

const N = z.object({ n: z.number() });
const fast = { initialDelayMs: 0, jitter: 0 } as const;

/** b loops back to itself through `again` once (completed -> started), and a typed failure of b is routed to `fix`, which loops back to b (failed -> started). */
function loops(trace: string[]) {
  let calls = 0;
  const b = defineContract({ id: "b", input: N, output: z.object({ n: z.number(), again: z.boolean() }), error: z.object({ why: z.string() }) }).implement(({ n }, ctx) => {
    calls++;
    trace.push(`b#${calls}`);
    if (calls === 1) return ctx.fail({ why: "first" });
    return { n: n + 1, again: calls === 2 };
  });
  const fix = defineContract({ id: "fix", input: z.object({}), output: z.object({}) }).implement(() => ({}));
  const done = defineContract({ id: "done", input: N, output: N }).implement((x) => x);
  return createGraph({ id: "loops", input: N, output: N })
    .add(b, (input) => input)
    .add(fix)
    .add(done, (_, { b }) => ({ n: b.n }))
    .start("b")
    .route("b", "again", { true: { to: "b", max: 2 }, false: "done" })
    .onError("b", "fix")
    .edge("fix", "b", { max: 1 })
    .output((_, { done }) => done)
    .build();
}

type Scenario = (onEvent: (e: RunEvent) => void) => Promise<unknown>;

const settle = (h: RunHandle) => h.result.catch(() => undefined);

const scenarios: Record<string, Scenario> = {
  "a pipeline that completes": (onEvent) => settle(run(pipeline(script()), { n: 0 }, { onEvent })),
  "a retry": (onEvent) => settle(run(pipeline(script({ b: ["throw"] }), { retry: { attempts: 2, ...fast } }), { n: 0 }, { onEvent })),
  "a restart of the failed block": (onEvent) => settle(run(pipeline(script({ b: ["throw"] }), { restart: { type: "permanent", ...fast } }), { n: 0 }, { onEvent })),
  "an escalation": (onEvent) => settle(run(pipeline(script({ b: ["throw"] }), { restart: { type: "permanent", intensity: 0, ...fast } }), { n: 0 }, { onEvent })),
  // y fails while x has completed and z runs: one_for_all takes both along.
  "one_for_all with a completed and a running sibling": (onEvent) =>
    settle(run(fanIn(script({ y: [{ wait: 10, then: "throw" }], z: [{ wait: 40 }] }), "one_for_all", { type: "permanent", ...fast }), { n: 0 }, { onEvent })),
  // z waits for a retry when y fails.
  "one_for_all with a sibling waiting for a retry": (onEvent) =>
    settle(
      run(fanIn(script({ y: [{ wait: 20, then: "typed" }], z: ["throw"] }), "one_for_all", { type: "permanent", ...fast }, { attempts: 2, initialDelayMs: 200, jitter: 0 }), { n: 0 }, { onEvent }),
    ),
  // y fails fast and waits 100 ms to restart; x, started before it, fails meanwhile and takes it along.
  "rest_for_one taking along a block in its backoff": (onEvent) =>
    settle(run(fanIn(script({ x: [{ wait: 30, then: "throw" }], y: ["throw"] }), "rest_for_one", { type: "permanent", initialDelayMs: 100, jitter: 0 }), { n: 0 }, { onEvent })),
  "a suspension that is resumed": async (onEvent) => {
    const h = run(twoApprovals(), { topic: "t" }, { onEvent });
    await h.settled();
    await h.resume("legal", { approved: true });
    await h.resume("brand", { approved: true });
    await settle(h);
  },
  "a restart taking a suspended block along": async (onEvent) => {
    let fail = 1;
    const h = run(twoApprovals([], { strategy: "one_for_all", restart: { type: "permanent", ...fast }, failing: () => fail-- > 0 }), { topic: "t" }, { onEvent });
    await h.settled();
    h.cancel("done");
    await settle(h);
  },
  "loops back into a completed block and into a block whose typed failure was routed": (onEvent) => settle(run(loops([]), { n: 0 }, { onEvent })),
};

describe("block lifecycle model", () => {
  const expected = transitionsOf(toDirectedGraph(blockLifecycle)).sort();
  const taken = new Map<string, string[]>();

  it("has the transitions the docs draw", () => {
    expect(expected.length).toBeGreaterThan(15);
  });

  it.each(Object.entries(scenarios))("%s: every event is allowed in the block's state", async (name, scenario) => {
    const tracker = trackBlocks();
    const changes: BlockChange[] = [];
    await scenario((e) => changes.push(...tracker.apply(e)));
    expect(tracker.violations).toEqual([]);
    for (const c of changes) {
      const key = `${c.from} --${c.event}--> ${c.state}`;
      taken.set(key, [...(taken.get(key) ?? []), name]);
    }
  });

  it("the runs above take every transition of the machine", () => {
    expect([...taken.keys()].sort()).toEqual(expected);
  });
});
