// `--otlp <url>`: the spans of the runs this process executes go to an OTLP/HTTP collector
// (Jaeger, the OpenTelemetry Collector, ...; docs/observability.md). The SDK and the exporter are
// imported only when the option is given, so that the CLI starts as fast without it.
import type { TracerProvider } from "@opentelemetry/api";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { CliError, type Io } from "./io.js";

/** An OTLP export in progress: its tracer provider, and what ends it. */
export interface OtlpExport {
  readonly tracerProvider: TracerProvider;
  /** Where the spans go (`…/v1/traces`). */
  readonly endpoint: string;
  /** Sends what is left and says on stderr how the export went; never throws. */
  shutdown(): Promise<void>;
}

/**
 * The traces endpoint for a URL: a collector's base URL (`http://127.0.0.1:4318`) gets the
 * OTLP/HTTP traces path `/v1/traces`; a URL with a path is used as it is.
 */
export function otlpEndpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`--otlp needs an http:// or https:// URL of an OTLP/HTTP collector, got "${url}" (e.g. --otlp http://127.0.0.1:4318).`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new CliError(`--otlp needs an http:// or https:// URL (OTLP over HTTP), got "${url}"; OTLP over gRPC (port 4317) is not supported: use the collector's HTTP port (4318).`);
  }
  if (parsed.pathname === "/" || parsed.pathname === "") parsed.pathname = "/v1/traces";
  return parsed.toString();
}

/** `k1=v1,k2=v2` (OTEL_EXPORTER_OTLP_HEADERS) as headers; values may be percent-encoded. */
export function otlpHeaders(value: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (value ?? "").split(",")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return headers;
}

/** Starts an export to `url`: a tracer provider whose batch processor sends OTLP/HTTP (JSON). */
export async function startOtlp(url: string, io: Io): Promise<OtlpExport> {
  const endpoint = otlpEndpoint(url);
  const [{ BasicTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ]);
  const headers = otlpHeaders(io.env["OTEL_EXPORTER_OTLP_TRACES_HEADERS"] ?? io.env["OTEL_EXPORTER_OTLP_HEADERS"]);
  const exporter = new OTLPTraceExporter({ url: endpoint, headers });
  let sent = 0;
  const failures: string[] = [];
  // The SDK drops spans it cannot send without a word: this says so.
  const counting: SpanExporter = {
    export(spans: ReadableSpan[], done) {
      exporter.export(spans, (result) => {
        if (result.code === 0) sent += spans.length;
        else failures.push(`${spans.length} spans: ${result.error?.message ?? "the collector refused them"}`);
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
  const service = io.env["OTEL_SERVICE_NAME"] || "blockwork";
  const tracerProvider = new BasicTracerProvider({ resource: resourceFromAttributes({ "service.name": service }), spanProcessors: [new BatchSpanProcessor(counting)] });
  return {
    tracerProvider,
    endpoint,
    async shutdown() {
      try {
        await tracerProvider.shutdown();
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
      if (failures.length > 0) io.err(`warning: the spans could not all be exported to ${endpoint} (${failures.join("; ")}); is an OTLP/HTTP collector listening there?\n`);
      else io.err(`traces: ${sent} spans exported to ${endpoint} (service.name ${service})\n`);
    },
  };
}
