import { check, createGraph, defineContract } from "@blockwork/spec";
import { z } from "zod";
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { run, type RunEvent } from "../src/index.js";
import { loop, mapGraph } from "./fixtures/graphs.js";
import { buildGraph, specArb } from "./fixtures/random-loops.js";
import { fanIn, nested, script } from "./fixtures/supervised.js";

// What docs/observability.md promises of every run's spans, tried on random loop graphs (routes,
// joins, bounded loops, random delays) and on fixtures with maps, subgraphs, retries, restarts,
// escalations and cancellation: one trace, every span ended and nested in a span of the run,
// inside its parent's time, with the run id, and exactly one block span per started attempt.

const ns = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

async function traced(start: (options: { tracing: { tracerProvider: BasicTracerProvider }; onEvent: (e: RunEvent) => void }) => { id: string; result: Promise<unknown> }, seen?: (spans: readonly ReadableSpan[]) => void): Promise<string[]> {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const events: RunEvent[] = [];
  const h = start({ tracing: { tracerProvider }, onEvent: (e) => events.push(e) });
  await h.result.catch(() => undefined);
  seen?.(exporter.getFinishedSpans());
  return problemsOf(exporter.getFinishedSpans(), events, h.id);
}

function problemsOf(spans: readonly ReadableSpan[], events: readonly RunEvent[], runId: string): string[] {
  const problems: string[] = [];
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const roots = spans.filter((s) => s.name.startsWith("run "));
  if (roots.length !== 1) problems.push(`${roots.length} run spans`);
  if (new Set(spans.map((s) => s.spanContext().traceId)).size !== 1) problems.push("more than one trace");
  for (const s of spans) {
    if (s.attributes["blockwork.run.id"] !== runId) problems.push(`${s.name} has no run id`);
    if (!s.ended) problems.push(`${s.name} not ended`);
    if (s.name.startsWith("run ")) continue;
    const parent = byId.get(s.parentSpanContext?.spanId ?? "");
    if (parent === undefined) {
      problems.push(`${s.name} has no parent among the run's spans`);
      continue;
    }
    // Within the parent's time (a microsecond of rounding allowed).
    if (ns(s.startTime) + 1_000n < ns(parent.startTime) || ns(s.endTime) > ns(parent.endTime) + 1_000n) problems.push(`${s.name} is outside ${parent.name}`);
  }
  const started = events.filter((e): e is Extract<RunEvent, { type: "block.started" }> => e.type === "block.started").map((e) => `${e.path}#${e.act}.${e.attempt}`).sort();
  const blocks = spans.filter((s) => s.name.startsWith("block ")).map((s) => `${s.attributes["blockwork.block.path"]}#${s.attributes["blockwork.block.activation"]}.${s.attributes["blockwork.block.attempt"]}`).sort();
  if (JSON.stringify(started) !== JSON.stringify(blocks)) problems.push(`block spans ${JSON.stringify(blocks)} for attempts ${JSON.stringify(started)}`);
  const ended = roots[0]?.attributes["blockwork.outcome"];
  const last = events.at(-1)?.type;
  const expected = last === "run.completed" ? "completed" : last === "run.failed" ? "failed" : last === "run.cancelled" ? "cancelled" : undefined;
  if (ended !== expected) problems.push(`run span outcome ${String(ended)} after ${String(last)}`);
  return problems;
}

const N = z.object({ n: z.number() });

/** a -> b -> c; version 2 adds d. b takes 60 ms, so that an upgrade lands while it runs. */
function counter(version: 1 | 2) {
  const step = <const I extends string>(id: I, wait = 0) =>
    defineContract({ id, input: N, output: N }).implement(async ({ n }) => {
      if (wait) await new Promise((r) => setTimeout(r, wait));
      return { n: n + 1 };
    });
  const g = createGraph({ id: "counter", input: N, output: N }).then(step("a")).then(step("b", 60)).then(step("c"));
  if (version === 1) return g.output((_, { c }) => c).build();
  return g.then(step("d")).output((_, { d }) => d).build();
}

describe("tracing: properties of every run's spans", () => {
  it("holds on random loop graphs", async () => {
    await fc.assert(
      fc.asyncProperty(specArb, async (spec) => {
        let graph: ReturnType<typeof buildGraph>;
        try {
          graph = buildGraph(spec);
        } catch {
          return; // the builder refused it
        }
        if (check(graph.def).some((i) => i.severity === "error")) return;
        expect(await traced((o) => run(graph, {}, o))).toEqual([]);
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it("holds on maps (failing items collected), subgraphs, retries, restarts, escalations and cancellation", async () => {
    const fast = { initialDelayMs: 0, jitter: 0 } as const;
    const restart = { type: "permanent", intensity: 2, periodMs: 60_000, ...fast } as const;
    const cases: [string, Parameters<typeof traced>[0]][] = [
      ["map", (o) => run(mapGraph({ concurrency: 2, collect: true, failOn: 2 }).graph, { items: [{ n: 1 }, { n: 2 }, { n: 3 }] }, o)],
      ["map failing", (o) => run(mapGraph({ concurrency: 3, failOn: 1 }).graph, { items: [{ n: 1 }, { n: 2 }] }, o)],
      ["loop", (o) => run(loop([], { max: 3, onExhausted: true, passAt: 9 }), {}, o)],
      ["nested restarts", (o) => run(nested(script({ b: ["throw", "throw"] }), { inner: restart, outer: restart }), { n: 0 }, o)],
      ["nested escalation", (o) => run(nested(script({ b: ["throw", "throw", "throw", "throw", "throw", "throw", "throw", "throw"] }), { inner: { ...restart, intensity: 1 } }), { n: 0 }, o)],
      ["fan-in rest_for_one", (o) => run(fanIn(script({ y: ["throw"] }), "rest_for_one", restart, { attempts: 2, ...fast }), { n: 0 }, o)],
      [
        "upgraded mid-run",
        (o) => {
          const h = run(counter(1), { n: 0 }, o);
          setTimeout(() => void h.upgrade(counter(2)), 20);
          return h;
        },
      ],
      [
        "cancelled",
        (o) => {
          const h = run(nested(script({ b: [{ wait: 10_000 }] })), { n: 0 }, o);
          setTimeout(() => h.cancel("enough"), 30);
          return h;
        },
      ],
    ];
    for (const [name, start] of cases) expect(await traced(start), name).toEqual([]);
    // The upgrade happened, and the run span says so.
    await traced(
      (o) => {
        const h = run(counter(1), { n: 0 }, o);
        setTimeout(() => void h.upgrade(counter(2)), 20);
        return h;
      },
      (spans) => {
        const root = spans.find((s) => s.name === "run counter");
        expect(root?.events.map((e) => e.name)).toContain("blockwork.run.upgraded");
        expect(root?.attributes["blockwork.graph.version"]).toBe(root?.events.find((e) => e.name === "blockwork.run.upgraded")?.attributes?.["blockwork.upgrade.to"]);
        expect(spans.filter((s) => s.name === "block d").map((s) => s.attributes["blockwork.outcome"])).toEqual(["completed"]);
      },
    );
  }, 60_000);
});
