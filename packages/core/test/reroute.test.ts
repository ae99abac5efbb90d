import { createGraph, defineContract } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type EscalatedFailure, MemoryStore, type ReroutePolicy, type RunEvent, run } from "../src/index.js";

// A failure that reaches the top of a run, rerouted to a new version by a policy (RunOptions.reroute).

const N = z.object({ n: z.number() });

function graphs(trace: string[]) {
  const step = <const I extends string>(id: I, fn: (n: number) => number) =>
    defineContract({ id, input: N, output: N }).implement(({ n }) => {
      trace.push(id);
      return { n: fn(n) };
    });
  const broken = defineContract({ id: "lookup", input: N, output: N }).implement(() => {
    trace.push("lookup");
    throw new Error("the lookup service is down");
  });
  const cached = defineContract({ id: "cachedLookup", input: N, output: N }).implement(({ n }) => {
    trace.push("cachedLookup");
    return { n: n * 10 };
  });
  const build = (lookup: typeof broken | typeof cached) =>
    createGraph({ id: "pipeline", input: N, output: N })
      .then(step("prepare", (n) => n + 1))
      .then(lookup.as("lookup"), (_, { prepare }) => prepare, { retry: { attempts: 2, initialDelayMs: 0, jitter: 0 } })
      .then(step("finish", (n) => n + 1), (_, { lookup }) => lookup)
      .output((_, { finish }) => finish)
      .build();
  return { v1: build(broken), v2: build(cached) };
}

describe("rerouting a run whose failure reached the top", () => {
  it("moves the run to the proposed version at the failed block; finished blocks do not run again", async () => {
    const trace: string[] = [];
    const { v1, v2 } = graphs(trace);
    const asked: EscalatedFailure[] = [];
    const policy: ReroutePolicy = {
      propose: async (failure) => {
        asked.push(failure);
        return { graph: v2, summary: "lookup: use the cached lookup" };
      },
    };
    const store = new MemoryStore();
    const events: RunEvent[] = [];
    const h = run(v1, { n: 1 }, { store, reroute: policy, onEvent: (e) => events.push(e) });
    await expect(h.result).resolves.toEqual({ n: 21 });
    // prepare ran once; lookup failed twice (its retries), then the new version's lookup ran.
    expect(trace).toEqual(["prepare", "lookup", "lookup", "cachedLookup", "finish"]);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ runId: h.id, reroutes: 0, error: { code: "block_failed", path: "lookup" } });
    expect(asked[0]?.graph).toBe(v1);
    expect(events.find((e) => e.type === "run.rerouted")).toMatchObject({ summary: "lookup: use the cached lookup", error: { path: "lookup" } });
    const moved = store.journal(h.id).find((e) => e.kind === "run.upgraded");
    expect(moved?.kind === "run.upgraded" && moved.to).toBe(store.getRun(h.id)?.version);
    expect(store.journal(h.id).map((e) => `${e.kind} ${e.path}`)).toEqual([
      "block.completed prepare",
      "attempt.failed lookup",
      "run.upgraded ",
      "block.completed lookup",
      "block.completed finish",
    ]);
  });

  it("fails with the original error, saying why, when nothing is proposed, the policy throws, or the move is refused", async () => {
    const { v1 } = graphs([]);
    const none = run(v1, { n: 1 }, { reroute: { propose: async () => undefined } });
    await expect(none.result).rejects.toMatchObject({ code: "block_failed", path: "lookup", message: expect.stringMatching(/not rerouted: the reroute policy proposed no new version/) });

    const throws = run(v1, { n: 1 }, { reroute: { propose: async () => Promise.reject(new Error("no model configured")) } });
    await expect(throws.result).rejects.toMatchObject({ message: expect.stringMatching(/not rerouted: the reroute policy failed: no model configured/) });

    // A new version whose input the run's input does not satisfy is refused by the upgrade rules.
    const strict = createGraph({ id: "pipeline", input: z.object({ n: z.number(), region: z.string() }), output: N })
      .then(defineContract({ id: "prepare", input: N, output: N }).implement(({ n }) => ({ n })))
      .output((_, { prepare }) => prepare)
      .build();
    const refused = run(v1, { n: 1 }, { reroute: { propose: async () => ({ graph: strict, summary: "needs a region" }) } });
    await expect(refused.result).rejects.toMatchObject({ message: expect.stringMatching(/not rerouted: the proposed version cannot take the run over: cannot be moved to the new version:[\s\S]*region/) });
  });

  it("reroutes once by default: a new version that fails too is not rerouted again", async () => {
    const trace: string[] = [];
    const { v1 } = graphs(trace);
    const again = createGraph({ id: "pipeline", input: N, output: N })
      .then(defineContract({ id: "prepare", input: N, output: N }).implement(({ n }) => ({ n: n + 1 })))
      .then(defineContract({ id: "lookup2", input: N, output: N }).implement(() => {
        throw new Error("still down");
      }).as("lookup"), (_, { prepare }) => prepare, { retry: { attempts: 2, initialDelayMs: 0, jitter: 0 } })
      .then(defineContract({ id: "finish", input: N, output: N }).implement(({ n }) => ({ n })))
      .output((_, { finish }) => finish)
      .build();
    let calls = 0;
    const h = run(v1, { n: 1 }, { reroute: { propose: async () => (++calls, { graph: again, summary: "try lookup2" }) } });
    const error = (await h.result.catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/still down/);
    expect(calls).toBe(1);
  });

  it("waits for approval when the policy asks for it: approved, the run moves; rejected, it fails", async () => {
    const trace: string[] = [];
    const { v1, v2 } = graphs(trace);
    const policy: ReroutePolicy = { approval: "approve", propose: async () => ({ graph: v2, summary: "lookup: use the cached lookup" }) };
    const store = new MemoryStore();
    const h = run(v1, { n: 1 }, { store, reroute: policy });
    const settled = await h.settled();
    expect(settled).toMatchObject({ status: "suspended", suspensions: [{ id: "reroute#1", payload: { reroute: "lookup: use the cached lookup", failure: { code: "block_failed", path: "lookup" } } }] });
    expect(store.getRun(h.id)?.status).toBe("suspended");
    await expect(h.resume("reroute#1", { approved: "yes" })).rejects.toMatchObject({ code: "resume_invalid" });
    await h.resume("reroute#1", { approved: true });
    await expect(h.result).resolves.toEqual({ n: 21 });
    expect(store.getRun(h.id)?.status).toBe("completed");

    const rejected = run(graphs([]).v1, { n: 1 }, { reroute: policy });
    await rejected.settled();
    await rejected.resume("reroute", { approved: false });
    await expect(rejected.result).rejects.toMatchObject({ code: "block_failed", message: expect.stringMatching(/not rerouted: the proposed version was rejected/) });
  });
});
