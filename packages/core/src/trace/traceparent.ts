import { isSpanContextValid, type SpanContext, TraceFlags } from "@opentelemetry/api";

// W3C Trace Context `traceparent` values (https://www.w3.org/TR/trace-context/#traceparent-header),
// version 00: how a run keeps its trace context in its record, so that a resume in another
// process continues the same trace. Written here rather than through the global propagator, which
// is a no-op until an SDK registers one.

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** `00-<trace id>-<span id>-<flags>` for a span context. */
export function formatTraceparent(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

/**
 * The span context a `traceparent` value names (as a remote parent), or undefined when the value
 * is not a valid version-00 traceparent (all-zero ids included): a damaged value starts a new
 * trace rather than failing the run.
 */
export function parseTraceparent(value: string | undefined): SpanContext | undefined {
  if (value === undefined) return undefined;
  const match = TRACEPARENT.exec(value.trim().toLowerCase());
  if (match === null) return undefined;
  const context: SpanContext = {
    traceId: match[1] as string,
    spanId: match[2] as string,
    traceFlags: Number.parseInt(match[3] as string, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return isSpanContextValid(context) ? context : undefined;
}
