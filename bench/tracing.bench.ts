/**
 * What OpenTelemetry tracing costs a run (docs/observability.md): µs per block step on a chain of
 * 10 blocks (memory store), measured in alternating rounds in one process:
 *
 * - `tracing: false`: the run never looks at OpenTelemetry (the baseline: the runtime as it was
 *   before tracing, but for one branch);
 * - the default with no tracer provider registered (the API's no-op provider): the promise is no
 *   cost, within 5% of the baseline;
 * - tracing on: a real SDK provider with a batch processor and an exporter that drops the spans
 *   (what making 11 spans per run costs, without any I/O).
 *
 * `node --import tsx bench/tracing.bench.ts [--quick]` runs it alone (after `npm run build`).
 */
import { pathToFileURL } from "node:url";
import { MemoryStore, run } from "@blockwork/core";
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { chainGraph } from "./graphs.js";
import { printTable, type Row, stats } from "./table.js";

/** µs per step of `repeat` awaited runs of a 10-block chain. */
async function sample(fn: () => Promise<unknown>, repeat: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < repeat; i++) await fn();
  return Number(process.hrtime.bigint() - start) / 1e3 / (repeat * 10);
}

export async function tracingRows(quick: boolean): Promise<Row[]> {
  const graph = chainGraph(10);
  const store = new MemoryStore();
  let exported = 0;
  const discard: SpanExporter = {
    export(spans: ReadableSpan[], done) {
      exported += spans.length;
      done({ code: 0 });
    },
    shutdown: () => Promise.resolve(),
  };
  const processor = new BatchSpanProcessor(discard, { maxQueueSize: 100_000, maxExportBatchSize: 2_048, scheduledDelayMillis: 50 });
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [processor] });
  const variants = {
    off: () => run(graph, { n: 0 }, { store, tracing: false }).result,
    none: () => run(graph, { n: 0 }, { store }).result,
    on: () => run(graph, { n: 0 }, { store, tracing: { tracerProvider } }).result,
  };
  // Many short rounds: on a loaded machine, drift then hits each variant alike.
  const repeat = quick ? 200 : 1_000;
  const rounds = quick ? 5 : 31;
  const samples: Record<keyof typeof variants, number[]> = { off: [], none: [], on: [] };
  for (const fn of Object.values(variants)) await sample(fn, repeat);
  for (let round = 0; round < rounds; round++) {
    // Alternate the order too, so that neither variant always runs after the other.
    const order = (round % 2 === 0 ? ["off", "none", "on"] : ["on", "none", "off"]) as (keyof typeof variants)[];
    for (const key of order) samples[key].push(await sample(variants[key], repeat));
  }
  await processor.forceFlush();
  await tracerProvider.shutdown();
  // Each round's ratio to the baseline of the same round: steadier than a ratio of medians when the
  // machine's load drifts.
  const paired = (key: "none" | "on") => stats(samples[key].map((v, i) => v / (samples.off[i] as number))).median;
  const off = stats(samples.off);
  const baseline = { baselineName: "tracing: false", ratio: 0 };
  const none = stats(samples.none);
  const on = stats(samples.on);
  const spansPerRun = exported / ((rounds + 1) * repeat);
  return [
    { name: "chain of 10: tracing: false (never looks at OpenTelemetry)", unit: "µs/step", ...off },
    { name: "chain of 10: tracing off (no tracer provider registered, the default)", unit: "µs/step", ...none, ...baseline, ratio: paired("none"), note: `${((paired("none") - 1) * 100).toFixed(1)}% (target ≤ 5%; median of per-round ratios)` },
    { name: "chain of 10: tracing on (SDK provider, batch processor, spans dropped)", unit: "µs/step", ...on, ...baseline, ratio: paired("on"), note: `${spansPerRun.toFixed(0)} spans per run` },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await tracingRows(process.argv.includes("--quick"));
  process.stdout.write(`${printTable("OpenTelemetry tracing (lower is better; ratio = median of per-round ratios to tracing: false)", rows)}\n`);
}
