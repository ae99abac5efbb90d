import { mkdtempSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { otlpEndpoint, otlpHeaders } from "../src/otlp.js";
import { cli } from "./capture.js";

// `blockwork run --otlp <url>` against a real HTTP server on 127.0.0.1 standing in for an OTLP/HTTP
// collector: what arrives is the exporter's real payload (OTLP JSON), checked field by field.

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

async function collector(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

type AnyValue = { stringValue?: string; intValue?: number | string; boolValue?: boolean; arrayValue?: { values: AnyValue[] } };
type KeyValue = { key: string; value: AnyValue };
type OtlpSpan = { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes: KeyValue[]; status?: { code?: number }; startTimeUnixNano: string; endTimeUnixNano: string };
type Payload = { resourceSpans: { resource: { attributes: KeyValue[] }; scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[] };

const attr = (attributes: readonly KeyValue[], key: string) => {
  const value = attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue !== undefined ? Number(value.intValue) : value?.boolValue);
};

describe("blockwork run --otlp", () => {
  it("exports the run's spans to an OTLP/HTTP collector as OTLP JSON, with service.name and headers", async () => {
    const c = await collector();
    try {
      const ran = await cli(["run", "examples/support-triage/triage.graph.ts", "--input", "@examples/support-triage/ticket.json", "--store", "memory", "--otlp", c.url], {
        env: { OTEL_SERVICE_NAME: "triage-service", OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20t0ken,x-tenant=acme" },
      });
      expect(ran.code).toBe(0);
      const runId = /run ([0-9a-f-]{36}) started/.exec(ran.err)?.[1] as string;
      expect(ran.err).toMatch(new RegExp(`traces: \\d+ spans exported to ${c.url}/v1/traces \\(service.name triage-service\\)`));
      expect(c.received.length).toBeGreaterThan(0);
      for (const r of c.received) {
        expect([r.method, r.url]).toEqual(["POST", "/v1/traces"]);
        expect(r.headers["content-type"]).toMatch(/^application\/json/);
        expect(r.headers.authorization).toBe("Bearer t0ken");
        expect(r.headers["x-tenant"]).toBe("acme");
      }
      const payloads = c.received.map((r) => JSON.parse(r.body) as Payload);
      const resources = payloads.flatMap((p) => p.resourceSpans);
      for (const r of resources) expect(attr(r.resource.attributes, "service.name")).toBe("triage-service");
      const scopes = resources.flatMap((r) => r.scopeSpans);
      expect(new Set(scopes.map((s) => s.scope.name))).toEqual(new Set(["@blockwork/core"]));
      const spans = scopes.flatMap((s) => s.spans);
      const root = spans.find((s) => s.name === "run support-triage") as OtlpSpan;
      expect(root).toBeDefined();
      expect(attr(root.attributes, "blockwork.run.id")).toBe(runId);
      expect(attr(root.attributes, "blockwork.graph.id")).toBe("support-triage");
      expect(attr(root.attributes, "blockwork.outcome")).toBe("completed");
      expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
      const blocks = spans.filter((s) => s.name.startsWith("block "));
      expect(blocks.map((b) => b.name).sort()).toEqual(["block billingReply", "block classify"]);
      for (const b of blocks) {
        expect(b.traceId).toBe(root.traceId);
        expect(b.parentSpanId).toBe(root.spanId);
        expect(attr(b.attributes, "blockwork.block.attempt")).toBe(1);
        expect(BigInt(b.startTimeUnixNano) >= BigInt(root.startTimeUnixNano) && BigInt(b.endTimeUnixNano) <= BigInt(root.endTimeUnixNano)).toBe(true);
      }
    } finally {
      await c.close();
    }
  });

  it("continues the run's trace when blockwork resume --otlp resumes it from its SQLite file", async () => {
    const c = await collector();
    const store = join(mkdtempSync(join(tmpdir(), "blockwork-otlp-")), "refunds.sqlite");
    try {
      const ran = await cli(["run", "examples/refund-approval/refund.graph.ts", "--input", "@examples/refund-approval/request.json", "--store", store, "--otlp", c.url]);
      expect(ran.code).toBe(3);
      const id = /run ([0-9a-f-]{36}) is suspended/.exec(ran.err)?.[1] as string;
      const before = c.received.length;
      const spansOf = (from: number, to: number) => c.received.slice(from, to).flatMap((r) => (JSON.parse(r.body) as Payload).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
      const first = spansOf(0, before).find((s) => s.name === "run refund-approval") as OtlpSpan;
      expect(attr(first.attributes, "blockwork.outcome")).toBe("suspended");
      const resumed = await cli(["resume", id, "--block", "approve", "--data", '{"approved": true, "reason": "fine"}', "--store", store, "--otlp", c.url]);
      expect(resumed.code).toBe(0);
      const second = spansOf(before, c.received.length);
      const root = second.find((s) => s.name === "run refund-approval") as OtlpSpan;
      expect([root.traceId, root.parentSpanId]).toEqual([first.traceId, first.spanId]);
      expect(attr(root.attributes, "blockwork.run.resumed")).toBe(true);
      expect(attr(root.attributes, "blockwork.outcome")).toBe("completed");
      for (const s of second) expect(s.traceId).toBe(first.traceId);
      expect(second.some((s) => s.name === "block approve" && attr(s.attributes, "blockwork.outcome") === "completed")).toBe(true);
    } finally {
      await c.close();
    }
  });

  it("still runs, and warns, when no collector listens at the URL", async () => {
    const c = await collector();
    await c.close();
    const ran = await cli(["run", "examples/support-triage/triage.graph.ts", "--input", "@examples/support-triage/ticket.json", "--store", "memory", "--otlp", c.url]);
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.out)).toMatchObject({ queue: "billing" });
    expect(ran.err).toMatch(new RegExp(`warning: the spans could not all be exported to ${c.url}/v1/traces .*is an OTLP/HTTP collector listening there\\?`));
  });

  it("explains a URL it cannot use, and keeps a URL with a path as it is", async () => {
    const bad = await cli(["run", "examples/support-triage/triage.graph.ts", "--store", "memory", "--otlp", "localhost:4317"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--otlp needs an http:\/\/ or https:\/\/ URL/);
    expect(otlpEndpoint("http://127.0.0.1:4318")).toBe("http://127.0.0.1:4318/v1/traces");
    expect(otlpEndpoint("https://otel.example.com/custom/traces")).toBe("https://otel.example.com/custom/traces");
    expect(otlpHeaders("a=1, b = two%20words,broken,=x")).toEqual({ a: "1", b: "two words" });
  });
});
