import { check, createGraph, defineContract } from "@blockwork/spec";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { MemoryStore, run, type RunEvent } from "../../src/index.js";
import { carriedArrival, joinInLoop, nestedLoops, routeInLoop, type Seen } from "../fixtures/loop-graphs.js";

// Issue 12, part 1: the loop examples of the issue, as they must behave now.

describe("loops (issue 12 regressions)", () => {
  it("a join inside a loop waits for the slow branch of its own pass: no binding_failed", async () => {
    const seen: Seen[] = [];
    const graph = joinInLoop(seen);
    expect(check(graph.def).filter((i) => i.severity === "error")).toEqual([]);
    const events: RunEvent[] = [];
    const store = new MemoryStore();
    const handle = run(graph, {}, { store, onEvent: (e) => events.push(e) });
    await expect(handle.result).resolves.toEqual({ rounds: 3, pair: "A3/K3" });
    // b6 ran once per pass, with both inputs from that pass.
    const joins = seen.filter((s) => s.block === "b6").map((s) => s.input);
    expect(joins).toEqual([
      { a: "A1", k: "K1" },
      { a: "A2", k: "K2" },
      { a: "A3", k: "K3" },
    ]);
    // b5 of pass 1 was not cancelled: pass 2 waited for it.
    expect(seen.filter((s) => s.block === "b5").map((s) => s.input)).toEqual([{ round: 1 }, { round: 2 }, { round: 3 }]);
    const passes = events.filter((e): e is Extract<RunEvent, { type: "loop.pass" }> => e.type === "loop.pass");
    expect(passes.map((e) => [e.path, e.pass, e.from, e.replayed])).toEqual([
      ["b0", 2, "b4", false],
      ["b0", 3, "b4", false],
    ]);
    // The pass started only after the slow b5 of the ending pass had completed.
    const order = events.flatMap((e) => (e.type === "loop.pass" ? [`pass${e.pass}`] : e.type === "block.completed" && e.path === "b5" ? [`b5#${e.act}`] : []));
    expect(order).toEqual(["b5#1", "pass2", "b5#2", "pass3", "b5#3"]);
    expect(store.journal(handle.id).filter((e) => e.kind === "loop.pass").map((e) => e.act)).toEqual([2, 3]);
  });

  it("a join inside a loop never mixes passes, whatever the delays", async () => {
    for (const slowMs of [0, 1, 5, 20]) {
      const seen: Seen[] = [];
      await expect(run(joinInLoop(seen, { slowMs }), {}).result).resolves.toEqual({ rounds: 3, pair: "A3/K3" });
      for (const s of seen.filter((x) => x.block === "b6")) {
        const { a, k } = s.input as { a: string; k: string };
        expect(a.slice(1), `b6 saw ${a} and ${k}`).toBe(k.slice(1));
      }
      expect(seen.filter((x) => x.block === "b6")).toHaveLength(3);
    }
  });

  it("a read never sees an earlier pass: firstOf(B.v, C.v) after the route chose C returns C's value", async () => {
    const seen: Seen[] = [];
    const graph = routeInLoop(seen);
    expect(check(graph.def).filter((i) => i.severity === "error")).toEqual([]);
    await expect(run(graph, {}).result).resolves.toEqual({ v: "C2" });
    expect(seen.filter((s) => s.block === "D").map((s) => s.input)).toEqual([
      { v: "B1", round: 1 },
      { v: "C2", round: 2 },
    ]);
  });
});

describe("loop pass rules", () => {
  it("an arrival from outside the loop still counts in a new pass: a join-any block of the region starts again with the pass", async () => {
    const seen: Seen[] = [];
    const graph = carriedArrival(seen);
    expect(check(graph.def).filter((i) => i.severity === "error")).toEqual([]);
    const events: RunEvent[] = [];
    await expect(run(graph, {}, { onEvent: (e) => events.push(e) }).result).resolves.toEqual({});
    expect(events.filter((e) => e.type === "loop.pass").length).toBe(1);
    // m ran once per pass (its arrival from "a" counts in pass 2, "a" itself ran once).
    expect(seen.filter((s) => s.block === "m")).toHaveLength(2);
    expect(seen.filter((s) => s.block === "a")).toHaveLength(1);
    expect(seen.filter((s) => s.block === "e").map((s) => s.act)).toEqual([1, 2]);
  });

  it("an outer loop's new pass wins over an inner loop's: the inner loop starts over with it", async () => {
    const seen: Seen[] = [];
    const graph = nestedLoops(seen);
    expect(check(graph.def).filter((i) => i.severity === "error")).toEqual([]);
    const events: RunEvent[] = [];
    await expect(run(graph, {}, { onEvent: (e) => events.push(e) }).result).resolves.toEqual({});
    // Only the outer loop started a new pass; the inner one's request (il, pass 1) was dropped.
    expect(events.flatMap((e) => (e.type === "loop.pass" ? [`${e.path}:${e.pass}:${e.from}`] : []))).toEqual(["o:2:ol"]);
    expect(seen.filter((s) => s.block === "i").map((s) => s.act)).toEqual([1, 2]);
    expect(seen.some((s) => s.block === "finish")).toBe(true);
  });
});

describe("loop passes and in-flight upgrades", () => {
  it("an upgrade in the middle of a pass follows the same rules: the pass ends on the new version, then the next starts", async () => {
    const seen: Seen[] = [];
    const store = new MemoryStore();
    const events: RunEvent[] = [];
    const handle = run(joinInLoop(seen, { slowMs: 40 }), {}, { store, onEvent: (e) => events.push(e) });
    // Upgrade while the slow block of pass 2 runs (the latch has asked for pass 3 by then).
    await until(() => seen.some((s) => s.block === "b5" && s.act === 2), 2);
    const after: Seen[] = [];
    await expect(handle.upgrade(joinInLoop(after, { slowMs: 1, version: "v2" }))).resolves.toMatchObject({ to: expect.any(String) });
    await expect(handle.result).resolves.toEqual({ rounds: 3, pair: "A3/K3" });
    const journal = store.journal(handle.id);
    expect(journal.filter((e) => e.kind === "loop.pass").map((e) => e.act)).toEqual([2, 3]);
    const pairs = journal.flatMap((e) => (e.kind === "block.completed" && e.path === "b6" ? [(e.output as { pair: string }).pair] : []));
    expect(pairs).toEqual(["A1/K1", "A2/K2", "A3/K3"]);
    // The pass that was running finished on the new version before pass 3 started there.
    expect(after.map((s) => `${s.block}#${s.act}`)).toEqual(expect.arrayContaining(["b0#3", "b5#3", "b6#3"]));
    expect(events.some((e) => e.type === "run.upgraded")).toBe(true);
    expect(events.some((e) => e.type === "loop.pass" && e.pass === 3 && !e.replayed)).toBe(true);
  });
});

describe("the graph's input (issue 12 regression)", () => {
  it("a block with an optional field the graph's input lacks passes check and runs; an unknown input key is refused", async () => {
    const block = defineContract({ id: "block", input: z.object({ text: z.string(), lang: z.string().optional() }), output: z.object({ text: z.string(), lang: z.string() }) }).implement(
      ({ text, lang }) => ({ text, lang: lang ?? "en" }),
    );
    const graph = createGraph({ id: "optional-field", input: z.object({ text: z.string() }), output: z.object({ text: z.string(), lang: z.string() }) })
      .then(block, (input) => input)
      .output((_, { block }) => block)
      .build();
    expect(check(graph.def)).toEqual([]);
    await expect(run(graph, { text: "hi" }).result).resolves.toEqual({ text: "hi", lang: "en" });
    // What makes the closed reading right: the runtime never lets another key through.
    expect(() => run(graph, { text: "hi", lang: 42 } as never)).toThrow(expect.objectContaining({ code: "input_invalid" }));
  });
});

/** A promise the test resolves by hand: which block finishes when is the test's choice, not a timer's. */
/** Waits (polling) until `ok` holds: the run advances on its own; the test watches its log. */
async function until(ok: () => boolean, everyMs = 1): Promise<void> {
  while (!ok()) await new Promise((r) => setTimeout(r, everyMs));
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** A block that records its start (and the `v` it read) and, if the test gave it a gate for this activation, waits for it. */
async function stepBody(id: string, v: string | undefined, act: string, log: string[], gates: Map<string, Promise<void>>) {
  log.push(`start ${id}#${act}${v !== undefined ? ` v=${v}` : ""}`);
  await gates.get(`${id}#${act}`);
  log.push(`done ${id}#${act}`);
  return { v: `${id}#${act}` };
}
const actOf = (ctx: { idempotencyKey: string }) => ctx.idempotencyKey.slice(ctx.idempotencyKey.lastIndexOf("#") + 1);
function step<const I extends string>(id: I, log: string[], gates: Map<string, Promise<void>>) {
  return defineContract({ id, input: z.object({}), output: z.object({ v: z.string() }) }).implement((_, ctx) => stepBody(id, undefined, actOf(ctx), log, gates));
}
function reader<const I extends string>(id: I, log: string[], gates: Map<string, Promise<void>>) {
  return defineContract({ id, input: z.object({ v: z.string() }), output: z.object({ v: z.string() }) }).implement((value, ctx) => stepBody(id, value.v, actOf(ctx), log, gates));
}

describe("loop passes: where a pass begins (issue 12, the fuzzer's finds on the loop branch)", () => {
  it("a back edge taken before the loop's entry ever ran: the entry, reached meanwhile, waits for the pass to settle and starts the new pass (no stale read)", async () => {
    // entry b0, b2; b0 -> b1, b1 -> b2, b2 -> b3, b2 -> b1 (max 1, then b3), b3 -> b4; b3 reads b2.v.
    const log: string[] = [];
    const b0 = gate();
    const b3 = gate();
    const gates = new Map([
      ["b0#1", b0.promise],
      ["b3#1", b3.promise],
    ]);
    const graph = createGraph({ id: "early-entry", input: z.object({}), output: z.object({ v: z.string() }) })
      .add(step("b0", log, gates))
      .add(step("b1", log, gates))
      .add(step("b2", log, gates))
      .add(reader("b3", log, gates), (_, { b2 }) => ({ v: b2.v }))
      .add(step("b4", log, gates))
      .start("b0", "b2")
      .edge("b0", "b1")
      .edge("b1", "b2")
      .edge("b2", "b3")
      .edge("b2", "b1", { max: 1, onExhausted: "b3" })
      .edge("b3", "b4")
      .output((_, { b3 }) => ({ v: b3.v }))
      .build();
    expect(check(graph.def).filter((i) => i.severity === "error")).toEqual([]);
    const events: RunEvent[] = [];
    const store = new MemoryStore();
    const handle = run(graph, {}, { store, onEvent: (e) => events.push(e) });
    // b2 has finished and taken its back edge before b1 ever ran; b3 (pass 1) runs.
    await until(() => log.some((l) => l.startsWith("start b3#1")));
    // Now b0 finishes: b0 -> b1 reaches the loop's entry while the pass b2's back edge ended still runs.
    b0.open();
    await until(() => log.includes("done b0#1"));
    await new Promise((r) => setTimeout(r, 20));
    expect(log.some((l) => l.startsWith("start b1"))).toBe(false);
    b3.open();
    await expect(handle.result).resolves.toEqual({ v: "b3#2" });
    // b1's first run is pass 2's entry; every read of b2.v is from the reader's own pass.
    expect(log.filter((l) => l.startsWith("start b3"))).toEqual(["start b3#1 v=b2#1", "start b3#2 v=b2#2"]);
    expect(log.indexOf("done b4#1")).toBeLessThan(log.findIndex((l) => l.startsWith("start b1")));
    expect(events.flatMap((e) => (e.type === "loop.pass" ? [`${e.path}:${e.pass}:${e.from}`] : []))).toEqual(["b1:2:b2"]);
    expect(store.journal(handle.id).filter((e) => e.kind === "loop.pass").map((e) => `${e.path}#${e.act}`)).toEqual(["b1#2"]);
  });

  it("an onExhausted jump into the entry of a loop that is still running a pass asks that loop for a new pass: the pass settles first, then the entry starts it", async () => {
    // entry b0, b1; b0 -> b1, b0 -> b0 (max 1, then b1), b1 -> b2, b1 -> b1 (max 1, then b2), b2 -> b3; b3 reads b2.v.
    const log: string[] = [];
    const b0 = gate();
    const b2 = gate();
    const gates = new Map([
      ["b0#2", b0.promise],
      ["b2#2", b2.promise],
    ]);
    const graph = createGraph({ id: "jump-into-loop", input: z.object({}), output: z.object({ v: z.string() }) })
      .add(step("b0", log, gates))
      .add(step("b1", log, gates))
      .add(step("b2", log, gates))
      .add(reader("b3", log, gates), (_, { b2 }) => ({ v: b2.v }))
      .start("b0", "b1")
      .edge("b0", "b1")
      .edge("b0", "b0", { max: 1, onExhausted: "b1" })
      .edge("b1", "b2")
      .edge("b1", "b1", { max: 1, onExhausted: "b2" })
      .edge("b2", "b3")
      .output((_, { b3 }) => ({ v: b3.v }))
      .build();
    expect(check(graph.def).filter((i) => i.severity === "error")).toEqual([]);
    const events: RunEvent[] = [];
    const store = new MemoryStore();
    const handle = run(graph, {}, { store, onEvent: (e) => events.push(e) });
    // In b0's pass 2, b0's bound is used up: it jumps to b1 (which ran in this pass) while b2#2 still runs.
    await until(() => log.includes("start b2#2"));
    b0.open();
    await until(() => log.includes("done b0#2"));
    await new Promise((r) => setTimeout(r, 20));
    expect(log.filter((l) => l.startsWith("start b1"))).toEqual(["start b1#1", "start b1#2"]);
    b2.open();
    await expect(handle.result).resolves.toEqual({ v: "b3#3" });
    // The jump's pass began after b3 of the running pass read its own pass's b2.
    expect(log.filter((l) => l.startsWith("start b3"))).toEqual(["start b3#1 v=b2#1", "start b3#2 v=b2#2", "start b3#3 v=b2#3"]);
    expect(log.indexOf("done b3#2")).toBeLessThan(log.indexOf("start b1#3"));
    // The jump is journaled as a pass of b1's loop, asked for by b0.
    expect(events.flatMap((e) => (e.type === "loop.pass" ? [`${e.path}:${e.pass}:${e.from}`] : []))).toEqual(["b0:2:b0", "b1:2:b0"]);
    expect(store.journal(handle.id).filter((e) => e.kind === "loop.pass").map((e) => `${e.path}#${e.act}`)).toEqual(["b0#2", "b1#2"]);
  });

  it("a jump to a loop's entry while the entry is still running does nothing: no extra pass, no second run", async () => {
    // The graph above; b0's bound runs out (its pass 2) while b1#2 runs.
    const log: string[] = [];
    const b1 = gate();
    const gates = new Map([["b1#2", b1.promise]]);
    const graph = createGraph({ id: "jump-into-running-entry", input: z.object({}), output: z.object({ v: z.string() }) })
      .add(step("b0", log, gates))
      .add(step("b1", log, gates))
      .add(step("b2", log, gates))
      .add(reader("b3", log, gates), (_, { b2 }) => ({ v: b2.v }))
      .start("b0", "b1")
      .edge("b0", "b1")
      .edge("b0", "b0", { max: 1, onExhausted: "b1" })
      .edge("b1", "b2")
      .edge("b1", "b1", { max: 1, onExhausted: "b2" })
      .edge("b2", "b3")
      .output((_, { b3 }) => ({ v: b3.v }))
      .build();
    const events: RunEvent[] = [];
    const handle = run(graph, {}, { onEvent: (e) => events.push(e) });
    await until(() => log.includes("done b0#2"));
    expect(log.includes("done b1#2")).toBe(false);
    b1.open();
    await expect(handle.result).resolves.toEqual({ v: "b3#2" });
    expect(log.filter((l) => l.startsWith("start b1"))).toEqual(["start b1#1", "start b1#2"]);
    expect(events.flatMap((e) => (e.type === "loop.pass" ? [`${e.path}:${e.pass}:${e.from}`] : []))).toEqual(["b0:2:b0"]);
  });
});
