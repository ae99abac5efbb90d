import { createGraph, defineContract, firstOf, mapOf, maybe } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isRunError, MemoryStore, run, type RunEvent } from "../src/index.js";
import { fanOut, loop, mapGraph, N, routed } from "./fixtures/graphs.js";

function chain(trace: string[], len: number) {
  const blocks = Array.from({ length: len }, (_, i) =>
    defineContract({ id: `s${i}`, input: N, output: N }).implement(({ n }) => {
      trace.push(`s${i}`);
      return { n: n + 1 };
    }),
  );
  // biome-ignore lint: a chain of dynamic length is built step by step.
  let g: any = createGraph({ id: "chain", input: N, output: N });
  for (const b of blocks) g = g.then(b);
  return g.output((_: unknown, r: Record<string, unknown>) => r[`s${len - 1}`]).build();
}

async function collect(events: AsyncIterable<RunEvent>): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe("run", () => {
  it("runs a chain, journals each block once, and reports events in order", async () => {
    const trace: string[] = [];
    const store = new MemoryStore();
    const handle = run(chain(trace, 3), { n: 1 }, { store });
    const events = collect(handle.events);
    await expect(handle.result).resolves.toEqual({ n: 4 });
    expect(trace).toEqual(["s0", "s1", "s2"]);
    expect((await events).map((e) => e.type + ("path" in e ? `:${e.path}` : ""))).toEqual([
      "run.started",
      "block.started:s0",
      "block.completed:s0",
      "edge.taken",
      "block.started:s1",
      "block.completed:s1",
      "edge.taken",
      "block.started:s2",
      "block.completed:s2",
      "run.completed",
    ]);
    expect(store.journal(handle.id).map((e) => [e.seq, e.kind, e.path, e.act])).toEqual([
      [1, "block.completed", "s0", 1],
      [2, "block.completed", "s1", 1],
      [3, "block.completed", "s2", 1],
    ]);
    expect(store.getRun(handle.id)).toMatchObject({ status: "completed", output: { n: 4 }, version: expect.stringMatching(/^[0-9a-f]{16}$/) });
  });

  it("rejects input that breaks the graph's contract, unknown fields included, before running", () => {
    const graph = chain([], 1);
    expect(() => run(graph, { n: "1" } as never)).toThrow(/input_invalid|does not satisfy the contract of graph "chain": n: Invalid input/);
    expect(() => run(graph, { n: 1, extra: true } as never)).toThrow(/Unrecognized key: "extra"/);
  });

  it("fails a block whose output has a field its contract does not declare", async () => {
    const leaky = defineContract({ id: "leaky", input: N, output: z.object({ n: z.number(), nested: z.object({ a: z.number() }) }) }).implement(
      () => ({ n: 1, nested: { a: 1, secret: "x" } }) as never,
    );
    const graph = createGraph({ id: "g", input: N, output: N })
      .then(leaky)
      .output((_, { leaky }) => ({ n: leaky.n }))
      .build();
    const error = await run(graph, { n: 1 }).result.catch((e: unknown) => e);
    expect(isRunError(error)).toBe(true);
    expect(error).toMatchObject({ code: "output_invalid", path: "leaky" });
    expect((error as Error).message).toMatch(/block leaky returned an output that breaks its contract: nested: Unrecognized key: "secret"/);
  });

  it("routes on a discriminant and does not wait at a join for the branch not taken", async () => {
    const trace: string[] = [];
    await expect(run(routed(trace), { n: 3 }).result).resolves.toEqual({ label: "SMALL 3" });
    await expect(run(routed(trace), { n: 30 }).result).resolves.toEqual({ label: "BIG 30" });
    expect(trace).toEqual(["classify", "small", "done", "classify", "big", "done"]);
  });

  it("runs parallel branches concurrently and joins them", async () => {
    const trace: string[] = [];
    await expect(run(fanOut(trace, 20), { n: 0 }).result).resolves.toEqual({ n: 11 });
    expect(trace.slice(0, 2).sort()).toEqual(["a:start", "b:start"]);
    expect(trace.at(-1)).toBe("sum");
  });

  it("starts a join-any block at the first branch that arrives", async () => {
    const trace: string[] = [];
    const branch = <const I extends string>(id: I, delayMs: number) =>
      defineContract({ id, input: N, output: N }).implement(async ({ n }) => {
        await new Promise((r) => setTimeout(r, delayMs));
        trace.push(id);
        return { n: n + delayMs };
      });
    const first = defineContract({ id: "first", input: z.object({ n: z.number() }), output: N }).implement(({ n }) => {
      trace.push("first");
      return { n };
    });
    const graph = createGraph({ id: "race", input: N, output: N })
      .add(branch("slow", 60), (input) => input)
      .add(branch("fast", 5), (input) => input)
      .add(first, (_, { slow, fast }) => ({ n: firstOf(maybe(fast.n), maybe(slow.n), -1) }), { join: "any" })
      .start("slow", "fast")
      .edge("slow", "first")
      .edge("fast", "first")
      .output((_, { first }) => first)
      .build();
    await expect(run(graph, { n: 0 }).result).resolves.toEqual({ n: 5 });
    // "first" ran once, as soon as "fast" arrived; the run still waited for "slow" to finish.
    expect(trace).toEqual(["fast", "first", "slow"]);
  });

  it("loops back within the bound, with a new activation each time", async () => {
    const trace: string[] = [];
    const store = new MemoryStore();
    const handle = run(loop(trace, { max: 5, onExhausted: false, passAt: 3 }), {}, { store });
    await expect(handle.result).resolves.toEqual({ rounds: 3 });
    expect(trace).toEqual(["draft", "review", "draft", "review", "draft", "review", "publish"]);
    // Each new pass is journaled (loop.pass, act = the pass number) before its blocks run.
    expect(store.journal(handle.id).map((e) => `${e.kind === "loop.pass" ? `pass(from ${e.from}) ` : ""}${e.path}#${e.act}`)).toEqual([
      "draft#1",
      "review#1",
      "pass(from review) draft#2",
      "draft#2",
      "review#2",
      "pass(from review) draft#3",
      "draft#3",
      "review#3",
      "publish#1",
    ]);
  });

  it("takes onExhausted when the bound is used up, and fails without it", async () => {
    const trace: string[] = [];
    await expect(run(loop(trace, { max: 2, onExhausted: true, passAt: 99 }), {}).result).resolves.toEqual({ rounds: 3 });
    expect(trace).toEqual(["draft", "review", "draft", "review", "draft", "review", "publish"]);
    const error = await run(loop([], { max: 2, onExhausted: false, passAt: 99 }), {}).result.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "loop_bound_exceeded", path: "review" });
    expect((error as Error).message).toMatch(/the edge review -> draft was taken 2 times \(its max\) and names no onExhausted block/);
  });

  it("routes a typed failure along an error edge, and fails the run when no edge handles it", async () => {
    const fetchDoc = defineContract({ id: "fetchDoc", input: N, output: N, error: z.object({ reason: z.enum(["gone", "slow"]) }) }).implement(({ n }, ctx) =>
      n < 0 ? ctx.fail({ reason: "gone" }) : { n },
    );
    const fallback = defineContract({ id: "fallback", input: z.object({}), output: N }).implement(() => ({ n: -1 }));
    const handled = createGraph({ id: "g", input: N, output: N })
      .then(fetchDoc)
      .add(fallback)
      .onError("fetchDoc", "fallback")
      .output((_, { fetchDoc, fallback }) => ({ n: firstOf(fetchDoc.n, fallback.n) }))
      .build();
    const store = new MemoryStore();
    const h = run(handled, { n: -5 }, { store });
    await expect(h.result).resolves.toEqual({ n: -1 });
    expect(store.journal(h.id).map((e) => [e.kind, e.path])).toEqual([
      ["block.failed", "fetchDoc"],
      ["block.completed", "fallback"],
    ]);
    const unhandled = createGraph({ id: "g2", input: N, output: N }).then(fetchDoc).output((_, { fetchDoc }) => fetchDoc).build();
    const error = await run(unhandled, { n: -5 }).result.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "typed_failure", path: "fetchDoc", info: { error: { reason: "gone" } } });
  });

  it("retries thrown errors with backoff, journals each failed attempt, and gives up after the budget", async () => {
    let calls = 0;
    const flaky = defineContract({ id: "flaky", input: N, output: N }).implement(({ n }) => {
      calls++;
      if (calls < 3) throw new Error(`boom ${calls}`);
      return { n };
    });
    const graph = createGraph({ id: "g", input: N, output: N })
      .then(flaky, (input) => input, { retry: { attempts: 3, initialDelayMs: 5, jitter: 0 } })
      .output((_, { flaky }) => flaky)
      .build();
    const store = new MemoryStore();
    const events: RunEvent[] = [];
    const h = run(graph, { n: 7 }, { store, onEvent: (e) => events.push(e) });
    await expect(h.result).resolves.toEqual({ n: 7 });
    expect(store.journal(h.id).map((e) => [e.kind, e.attempt, e.kind === "attempt.failed" ? e.delayMs : undefined])).toEqual([
      ["attempt.failed", 1, 5],
      ["attempt.failed", 2, 10],
      ["block.completed", 3, undefined],
    ]);
    expect(events.filter((e) => e.type === "block.retried").map((e) => (e as { attempt: number }).attempt)).toEqual([2, 3]);

    const always = defineContract({ id: "always", input: N, output: N }).implement(() => {
      throw new Error("down");
    });
    const failing = createGraph({ id: "g3", input: N, output: N })
      .then(always, (input) => input, { retry: { attempts: 2, initialDelayMs: 1 } })
      .output((_, { always }) => always)
      .build();
    const error = await run(failing, { n: 1 }).result.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "block_failed", path: "always" });
    expect((error as Error).message).toMatch(/threw: down \(after 2 attempts\)/);
  });

  it("times out an attempt, aborting its signal", async () => {
    let aborted = false;
    const slow = defineContract({ id: "slow", input: N, output: N, budget: { timeoutMs: 20 } }).implement(
      ({ n }, ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener("abort", () => (aborted = true));
          setTimeout(() => resolve({ n }), 1_000);
        }),
    );
    const graph = createGraph({ id: "g", input: N, output: N }).then(slow).output((_, { slow }) => slow).build();
    const error = await run(graph, { n: 1 }).result.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "block_timeout", path: "slow" });
    expect(aborted).toBe(true);
  });

  it("cancels through an AbortSignal: running blocks are aborted and the result rejects", async () => {
    const seen: string[] = [];
    const wait = defineContract({ id: "wait", input: N, output: N }).implement(
      (_, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener("abort", () => {
            seen.push("aborted");
            reject(new Error("stopped"));
          });
        }),
    );
    const graph = createGraph({ id: "g", input: N, output: N }).then(wait).output((_, { wait }) => wait).build();
    const controller = new AbortController();
    const store = new MemoryStore();
    const h = run(graph, { n: 1 }, { signal: controller.signal, store });
    setTimeout(() => controller.abort("user pressed stop"), 10);
    await expect(h.result).rejects.toMatchObject({ code: "run_cancelled", message: expect.stringContaining("user pressed stop") });
    expect(seen).toEqual(["aborted"]);
    expect(store.getRun(h.id)?.status).toBe("cancelled");
  });

  it("maps over a list with a concurrency cap, in item order", async () => {
    const { graph, stats } = mapGraph({ concurrency: 3 });
    const items = Array.from({ length: 10 }, (_, i) => ({ n: i }));
    const store = new MemoryStore();
    const h = run(graph, { items }, { store });
    await expect(h.result).resolves.toEqual({ out: { results: items.map(({ n }) => ({ n: n * n })) } });
    expect(stats.maxActive).toBe(3);
    expect(store.journal(h.id).map((e) => e.path).sort()).toEqual(items.map((_, i) => `each/${i}`).sort());
  });

  it("fails a map at the first failed item, or collects failures when asked", async () => {
    const items = [1, 2, 3, 4].map((n) => ({ n }));
    const failing = mapGraph({ concurrency: 2, failOn: 2 });
    await expect(run(failing.graph, { items }).result).rejects.toMatchObject({ code: "typed_failure", path: "each/1" });
    const collecting = mapGraph({ concurrency: 2, failOn: 2, collect: true });
    const out = await run(collecting.graph, { items }).result;
    expect(out).toEqual({
      out: {
        failed: 1,
        results: [
          { ok: true, value: { n: 1 } },
          { ok: false, error: { code: "typed_failure", message: 'failed with {"reason":"unlucky"}', error: { reason: "unlucky" } } },
          { ok: true, value: { n: 9 } },
          { ok: true, value: { n: 16 } },
        ],
      },
    });
  });

  it("refuses to run a graph with checker errors", () => {
    const a = defineContract({ id: "a", input: N, output: N }).implement(({ n }) => ({ n }));
    const broken = createGraph({ id: "broken", input: N, output: N })
      .then(a)
      .add(a.as("lost"), (input) => input)
      .output((_, { a }) => a)
      .build();
    expect(() => run(broken, { n: 1 })).toThrow(/graph "broken" has 1 checker error; fix them \(blockwork check\) before running it:[\s\S]*unreachable_block/);
  });
});

describe("an otherwise edge from a block without case edges", () => {
  it("is always taken, as the checker's otherwise_without_cases warning says", async () => {
    const T = z.object({ text: z.string() });
    const a = defineContract({ id: "a", input: T, output: T }).implement(({ text }) => ({ text: `${text}!` }));
    const b = defineContract({ id: "b", input: T, output: T }).implement(({ text }) => ({ text: `${text}?` }));
    // biome-ignore lint: route with no cases is what the builder's types forbid; a GraphDef can hold it.
    const builder: any = createGraph({ id: "otherwise-only", input: T, output: T })
      .add(a, (input) => input)
      .add(b, (_, { a }) => a)
      .start("a");
    const graph = builder.route("a", "text", {}, "b").output((_: unknown, r: { b: unknown }) => r.b).build();
    await expect(run(graph, { text: "hi" }).result).resolves.toEqual({ text: "hi!?" });
  });
});

describe("abort listeners", () => {
  it("an attempt with a time budget stops listening to its owner's signal when it ends", async () => {
    const slow = defineContract({ id: "slow", input: N, output: N, budget: { timeoutMs: 5_000 } }).implement(async ({ n }, ctx) => {
      ctx.signal.throwIfAborted();
      await new Promise((r) => setTimeout(r, 1));
      return { n };
    });
    const graph = createGraph({ id: "many", input: z.object({ items: z.array(N) }), output: z.object({ out: z.unknown() }) })
      .then(mapOf(slow, { id: "each", concurrency: 4 }), (input) => ({ items: input.items }))
      .output((_, { each }) => ({ out: each }))
      .build();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    try {
      // Four attempts at a time: the map's signal never has more than four listeners from them
      // (Node warns above ten); before, it kept one per item.
      await run(graph, { items: Array.from({ length: 200 }, (_, n) => ({ n })) }).result;
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((w) => w.includes("MaxListenersExceeded"))).toEqual([]);
  });
});
