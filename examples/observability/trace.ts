/**
 * The support-triage graph run with OpenTelemetry tracing (docs/observability.md):
 *
 *   npx tsx examples/observability/trace.ts                      # prints the span tree
 *   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 npx tsx examples/observability/trace.ts
 *
 * The SDK belongs to the application, not to Blockwork: this registers a tracer provider (with
 * an OTLP/HTTP exporter when OTEL_EXPORTER_OTLP_ENDPOINT is set) and runs the graph as usual;
 * `@blockwork/core` makes its spans through `@opentelemetry/api`.
 */
import { fileURLToPath } from "node:url";
import { MemoryStore, run } from "@blockwork/core";
import { trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { triageGraph } from "../support-triage/triage.graph.js";

const ticket = { customer: "acme", subject: "Refund for a double charge", body: "Our invoice shows the same payment twice. Please refund it ASAP." };

/** Runs the triage graph once with a registered provider; returns the run's spans as an indented tree. */
export async function traceTriage(options: { otlp?: string } = {}): Promise<string[]> {
  const memory = new InMemorySpanExporter();
  const processors = [new SimpleSpanProcessor(memory), ...(options.otlp ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.otlp.replace(/\/$/, "")}/v1/traces` }))] : [])];
  const provider = new BasicTracerProvider({ spanProcessors: processors });
  trace.setGlobalTracerProvider(provider);
  try {
    await run(triageGraph, ticket, { store: new MemoryStore() }).result;
    return tree(memory.getFinishedSpans());
  } finally {
    await provider.shutdown();
    trace.disable();
  }
}

function tree(spans: readonly ReadableSpan[]): string[] {
  const lines: string[] = [];
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of spans.filter((s) => (parent === undefined ? !ids.has(s.parentSpanContext?.spanId ?? "") : s.parentSpanContext?.spanId === parent))) {
      const ms = (span.duration[0] * 1e3 + span.duration[1] / 1e6).toFixed(2);
      lines.push(`${"  ".repeat(depth)}${span.name}  ${ms} ms  ${String(span.attributes["blockwork.outcome"] ?? "")}`.trimEnd());
      walk(span.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const otlp = process.env["OTEL_EXPORTER_OTLP_ENDPOINT"];
  const lines = await traceTriage(otlp ? { otlp } : {});
  process.stdout.write(`${lines.join("\n")}\n${otlp ? `(also exported to ${otlp}/v1/traces)\n` : ""}`);
}
