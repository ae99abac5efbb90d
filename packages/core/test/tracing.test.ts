import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AsyncLocalStorage } from "node:async_hooks";
import { type Context, type ContextManager, context, ROOT_CONTEXT, SpanStatusCode, trace } from "@opentelemetry/api";
import { AlwaysOffSampler, BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { createGraph, defineContract, mapOf } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { MemoryStore, resume, run, SqliteStore, type TracingOptions } from "../src/index.js";
import { parseTraceparent } from "../src/trace/traceparent.js";
import { reviewGraph } from "./fixtures/hitl.js";
import { crashGraph } from "./fixtures/crash-graph.js";
import { nested, pipeline, script } from "./fixtures/supervised.js";

const N = z.object({ n: z.number() });
const fast = { initialDelayMs: 0, jitter: 0 } as const;
const dir = mkdtempSync(join(tmpdir(), "blockwork-tracing-"));

function tracing(): { options: TracingOptions; spans: () => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { options: { tracerProvider }, spans: () => exporter.getFinishedSpans() };
}

const named = (spans: readonly ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const one = (spans: readonly ReadableSpan[], name: string): ReadableSpan => {
  const found = named(spans, name);
  expect(found.map((s) => s.name), `exactly one span named ${name}`).toEqual([name]);
  return found[0] as ReadableSpan;
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

/** The span tree as `name` lines indented by depth, children in start order. */
function tree(spans: readonly ReadableSpan[]): string[] {
  const ids = new Set(spans.map(idOf));
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    const children = spans.filter((s) => (parent === undefined ? !ids.has(parentOf(s) ?? "") : parentOf(s) === parent));
    children.sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
    for (const child of children) {
      lines.push(`${"  ".repeat(depth)}${child.name}`);
      walk(idOf(child), depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}

describe("tracing", () => {
  it("makes a run span and a span per block attempt, with run id, graph id and version, path, attempt and outcome", async () => {
    const t = tracing();
    const h = run(pipeline(script()), { n: 0 }, { tracing: t.options });
    await h.result;
    const spans = t.spans();
    expect(tree(spans)).toEqual(["run pipeline", "  block a", "  block b", "  block c"]);
    const root = one(spans, "run pipeline");
    expect(root.attributes).toMatchObject({ "blockwork.run.id": h.id, "blockwork.graph.id": "pipeline", "blockwork.graph.version": expect.stringMatching(/^[0-9a-f]{16}$/), "blockwork.outcome": "completed", "blockwork.run.resumed": false });
    expect(root.status.code).toBe(SpanStatusCode.UNSET);
    expect(one(spans, "block b").attributes).toEqual({
      "blockwork.run.id": h.id,
      "blockwork.block.path": "b",
      "blockwork.block.id": "b",
      "blockwork.block.activation": 1,
      "blockwork.block.attempt": 1,
      "blockwork.outcome": "completed",
    });
    // Every span is in one trace, and each block lies inside the run span.
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    const ns = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
    for (const s of spans.filter((x) => x !== root)) expect(ns(s.startTime) >= ns(root.startTime) && ns(s.endTime) <= ns(root.endTime), s.name).toBe(true);
  });

  it("nests subgraph blocks in the subgraph's span and graph items of a map in an item span", async () => {
    const t = tracing();
    const sq = defineContract({ id: "sq", input: N, output: N }).implement(async ({ n }) => ({ n: n * n }));
    const item = createGraph({ id: "item", input: N, output: N }).then(sq).output((_, { sq }) => sq).build();
    const graph = createGraph({ id: "outer", input: z.object({ items: z.array(N) }), output: z.object({ results: z.array(N) }) })
      .then(mapOf(item, { id: "each", concurrency: 2 }), (input) => ({ items: input.items }))
      .output((_, { each }) => each)
      .build();
    await run(graph, { items: [{ n: 1 }, { n: 2 }, { n: 3 }] }, { tracing: t.options }).result;
    const spans = t.spans();
    expect(tree(spans)).toEqual(["run outer", "  block each", "    item each/*", "      block each/*/sq", "    item each/*", "      block each/*/sq", "    item each/*", "      block each/*/sq"]);
    const items = named(spans, "item each/*").map((s) => s.attributes["blockwork.map.item"]).sort();
    expect(items).toEqual([0, 1, 2]);
    const sqSpans = named(spans, "block each/*/sq").map((s) => s.attributes["blockwork.block.path"]).sort();
    expect(sqSpans).toEqual(["each/0/sq", "each/1/sq", "each/2/sq"]);
    for (const s of named(spans, "item each/*")) expect(s.attributes["blockwork.outcome"]).toBe("completed");

    const t2 = tracing();
    await run(nested(script()), { n: 0 }, { tracing: t2.options }).result;
    expect(tree(t2.spans())).toEqual(["run outer", "  block before", "  block inner", "    block inner/a", "    block inner/b", "    block inner/c", "  block after"]);
  });

  it("gives every attempt its own span, and restarts and escalations spans of their own, with error codes", async () => {
    const t = tracing();
    // b throws twice: its first attempt is retried, the second fails for good; the supervisor
    // restarts it once (intensity 1), then the third call succeeds.
    const s = script({ b: ["throw", "throw"] });
    await run(pipeline(s, { restart: { type: "permanent", intensity: 1, periodMs: 60_000, ...fast }, retry: { attempts: 2, ...fast } }), { n: 0 }, { tracing: t.options }).result;
    const spans = t.spans();
    const attempts = named(spans, "block b").sort((x, y) => x.startTime[0] - y.startTime[0] || x.startTime[1] - y.startTime[1]);
    expect(attempts.map((a) => [a.attributes["blockwork.block.activation"], a.attributes["blockwork.block.attempt"], a.attributes["blockwork.outcome"], a.attributes["blockwork.error.code"] ?? null])).toEqual([
      [1, 1, "retried", "block_failed"],
      [1, 2, "failed", "block_failed"],
      [2, 1, "completed", null],
    ]);
    expect(attempts[0]?.status).toMatchObject({ code: SpanStatusCode.ERROR, message: expect.stringContaining("b failed on call 1") });
    expect(attempts[0]?.events.map((e) => e.name)).toEqual(["exception"]);
    const restart = one(spans, "restart b");
    expect(restart.attributes).toMatchObject({ "blockwork.block.path": "b", "blockwork.restart.number": 1, "blockwork.error.code": "block_failed", "blockwork.restart.blocks": ["b"] });
    expect(parentOf(restart)).toBe(idOf(one(spans, "run pipeline")));

    const t2 = tracing();
    const failing = script({ b: ["throw", "throw", "throw"] });
    const h = run(pipeline(failing, { restart: { type: "permanent", intensity: 1, periodMs: 60_000, ...fast } }), { n: 0 }, { tracing: t2.options });
    await expect(h.result).rejects.toMatchObject({ code: "block_failed" });
    const failed = t2.spans();
    const escalation = one(failed, "escalate b");
    expect(escalation.status.code).toBe(SpanStatusCode.ERROR);
    expect(escalation.attributes).toMatchObject({ "blockwork.block.path": "b", "blockwork.error.code": "block_failed", "blockwork.escalation.reason": expect.any(String) });
    const root = one(failed, "run pipeline");
    expect(root.attributes).toMatchObject({ "blockwork.outcome": "failed", "blockwork.error.code": "block_failed" });
    expect(root.status.code).toBe(SpanStatusCode.ERROR);
    expect(named(failed, "block c")).toEqual([]);
  });

  it("joins the trace of the context it is given (a request's span)", async () => {
    const t = tracing();
    const outer = (t.options.tracerProvider as BasicTracerProvider).getTracer("test").startSpan("request");
    // (Without a context manager registered, context.active() is always the root context: an
    // SDK's register() installs one, and then the active span is the default parent.)
    const h = run(pipeline(script()), { n: 0 }, { tracing: { ...t.options, context: trace.setSpan(ROOT_CONTEXT, outer) } });
    await h.result;
    outer.end();
    const spans = t.spans();
    expect(parentOf(one(spans, "run pipeline"))).toBe(outer.spanContext().spanId);
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([outer.spanContext().traceId]));
  });

  it("makes nothing and keeps nothing when tracing is off, the provider is a no-op or the sampler drops the run", async () => {
    const store = new MemoryStore();
    const off = run(pipeline(script()), { n: 0 }, { store, tracing: false });
    await off.result;
    // No provider registered: the global one is the API's no-op.
    const none = run(pipeline(script()), { n: 0 }, { store });
    await none.result;
    const exporter = new InMemorySpanExporter();
    const sampled = new BasicTracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const dropped = run(pipeline(script()), { n: 0 }, { store, tracing: { tracerProvider: sampled } });
    await dropped.result;
    expect(exporter.getFinishedSpans()).toEqual([]);
    for (const h of [off, none, dropped]) expect(store.getRun(h.id)?.trace).toBeUndefined();
  });

  it("ends the run span at a suspension and continues the trace when the run goes on in this process", async () => {
    const t = tracing();
    const h = run(reviewGraph(), { topic: "tea" }, { tracing: t.options });
    expect(await h.settled()).toMatchObject({ status: "suspended" });
    const first = one(t.spans(), "run review");
    expect(first.attributes).toMatchObject({ "blockwork.outcome": "suspended", "blockwork.run.suspensions": ["approve#1"], "blockwork.run.segment": 1 });
    await h.resume("approve", { approved: true });
    await h.result;
    const segments = named(t.spans(), "run review");
    expect(segments).toHaveLength(2);
    const second = segments.find((s) => s !== first) as ReadableSpan;
    expect(second.attributes).toMatchObject({ "blockwork.outcome": "completed", "blockwork.run.segment": 2, "blockwork.run.resumed": true });
    expect(parentOf(second)).toBe(idOf(first));
    expect(second.spanContext().traceId).toBe(first.spanContext().traceId);
    expect(named(t.spans(), "block approve").map((s) => s.attributes["blockwork.outcome"]).sort()).toEqual(["completed", "suspended"]);
  });

  it("keeps the trace context in the run's record: a resume from a new SQLite store instance continues the trace", async () => {
    const file = join(dir, "resumed.sqlite");
    const first = tracing();
    const calls: string[] = [];
    let hang = true;
    const step = <const I extends string>(id: I) =>
      defineContract({ id, input: N, output: N }).implement(({ n }) => {
        calls.push(id);
        if (id === "c" && hang) return new Promise<never>(() => {});
        return { n: n + 1 };
      });
    const graph = () => createGraph({ id: "chain", input: N, output: N }).then(step("a")).then(step("b")).then(step("c")).output((_, { c }) => c).build();
    const store = new SqliteStore(file);
    const h = run(graph(), { n: 0 }, { store, tracing: first.options });
    for (let i = 0; i < 500 && store.journal(h.id).length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    // "Crash": the process gives the run up without ending it; its run span is never ended.
    store.close();
    const traceparent = new SqliteStore(file).getRun(h.id)?.trace;
    const stored = parseTraceparent(traceparent);
    expect(stored).toBeDefined();
    expect(named(first.spans(), "run chain")).toEqual([]);
    const firstTrace = first.spans()[0]?.spanContext().traceId;
    expect(firstTrace).toBe(stored?.traceId);

    hang = false;
    const second = tracing();
    const again = new SqliteStore(file);
    const resumed = await resume(h.id, { store: again, graph: graph(), tracing: second.options });
    await expect(resumed.result).resolves.toEqual({ n: 3 });
    const spans = second.spans();
    // Replayed blocks made no spans; the run span is a child of the first run span, in its trace.
    expect(tree(spans)).toEqual(["run chain", "  block c"]);
    const root = one(spans, "run chain");
    expect(root.spanContext().traceId).toBe(stored?.traceId);
    expect(parentOf(root)).toBe(stored?.spanId);
    expect(root.attributes).toMatchObject({ "blockwork.run.resumed": true, "blockwork.run.replayed": 2, "blockwork.outcome": "completed" });
    // The record still names the first run span: every later resume joins the same trace.
    expect(again.getRun(h.id)?.trace).toBe(traceparent);
    again.close();
  });

  it("continues the trace of a process killed with SIGKILL when another process resumes the run", async () => {
    const file = join(dir, "killed.sqlite");
    const log = join(dir, "killed.log");
    const exported = join(dir, "killed-spans.jsonl");
    const child = spawn(process.execPath, ["--conditions=@blockwork/source", "--import", "tsx", fileURLToPath(new URL("./fixtures/trace-child.ts", import.meta.url)), file, log, exported], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const runId = await new Promise<string>((resolve, reject) => {
      child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once("exit", (code) => reject(new Error(`the child exited early with ${code}`)));
    });
    for (let i = 0; i < 1_000 && (!existsSync(log) || readFileSync(log, "utf8").split("\n").length < 5); i++) await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    type Exported = { name: string; traceId: string; spanId: string; parent?: string };
    const before = readFileSync(exported, "utf8").trim().split("\n").map((line) => JSON.parse(line) as Exported);
    // The killed process ended (and exported) the block spans it finished, never its run span.
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.every((s) => s.name.startsWith("block step"))).toBe(true);
    const store = new SqliteStore(file);
    const stored = parseTraceparent(store.getRun(runId)?.trace);
    expect(stored).toBeDefined();
    for (const s of before) expect([s.traceId, s.parent]).toEqual([stored?.traceId, stored?.spanId]);

    const journaled = store.journal(runId).length;
    expect(before.length).toBeLessThanOrEqual(journaled);
    const t = tracing();
    const resumed = await resume(runId, { store, graph: crashGraph(log, 1), tracing: t.options });
    await expect(resumed.result).resolves.toEqual({ n: 10 });
    const after = t.spans();
    const root = one(after, "run crash-chain");
    expect([root.spanContext().traceId, parentOf(root)]).toEqual([stored?.traceId, stored?.spanId]);
    // The blocks the killed process finished are not run again, and make no spans here.
    const ranHere = after.filter((s) => s.name.startsWith("block ")).map((s) => s.attributes["blockwork.block.path"]);
    const finishedThere = new Set(store.journal(runId).slice(0, journaled).map((e) => e.path));
    expect(ranHere.length).toBe(10 - journaled);
    for (const path of ranHere) expect(finishedThere.has(path as string)).toBe(false);
    for (const s of after) expect(s.spanContext().traceId).toBe(stored?.traceId);
    store.close();
  });

  it("runs a block's code with its attempt span active, so that spans the code makes are its children", async () => {
    // A context manager on AsyncLocalStorage, as the Node SDK's register() installs.
    const storage = new AsyncLocalStorage<Context>();
    const manager: ContextManager = {
      active: () => storage.getStore() ?? ROOT_CONTEXT,
      with: (ctx, fn, thisArg, ...args) => storage.run(ctx, () => fn.call(thisArg, ...args)),
      bind: (_ctx, target) => target,
      enable: () => manager,
      disable: () => manager,
    };
    context.setGlobalContextManager(manager);
    try {
      const t = tracing();
      const tracer = (t.options.tracerProvider as BasicTracerProvider).getTracer("app");
      const fetchLike = defineContract({ id: "fetch", input: N, output: N }).implement(async ({ n }) => {
        await new Promise((r) => setTimeout(r, 5));
        // After an await, as an instrumented client would: the attempt's span is still the active one.
        tracer.startSpan("GET /thing").end();
        return { n: n + 1 };
      });
      const graph = createGraph({ id: "calls", input: N, output: N }).then(fetchLike).output((_, { fetch }) => fetch).build();
      await run(graph, { n: 1 }, { tracing: t.options }).result;
      expect(tree(t.spans())).toEqual(["run calls", "  block fetch", "    GET /thing"]);
    } finally {
      context.disable();
    }
  });

  it("nests a resumed run's blocks in their subgraph's span, made when they need it (replayed blocks make none)", async () => {
    const file = join(dir, "nested-resume.sqlite");
    let hang = true;
    const step = <const I extends string>(id: I) =>
      defineContract({ id, input: N, output: N }).implement(({ n }) => (id === "y" && hang ? new Promise<never>(() => {}) : { n: n + 1 }));
    const graph = () => {
      const inner = createGraph({ id: "inner", input: N, output: N }).then(step("x")).then(step("y")).output((_, { y }) => y).build();
      return createGraph({ id: "outer", input: N, output: N }).then(step("before")).then(inner).then(step("after")).output((_, { after }) => after).build();
    };
    const store = new SqliteStore(file);
    const first = tracing();
    const h = run(graph(), { n: 0 }, { store, tracing: first.options });
    for (let i = 0; i < 500 && store.journal(h.id).length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    store.close();
    hang = false;
    const again = new SqliteStore(file);
    const t = tracing();
    await expect((await resume(h.id, { store: again, graph: graph(), tracing: t.options })).result).resolves.toEqual({ n: 4 });
    expect(tree(t.spans())).toEqual(["run outer", "  block inner", "    block inner/y", "  block after"]);
    again.close();
  });
});
