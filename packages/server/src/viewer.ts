import { existsSync, readFileSync } from "node:fs";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { JournalEntry, RunRecord, RunStatus } from "@blockwork/core";
import { changeOf, diffGraphs, formatDiff, type GraphDef, type JsonValue, type MermaidStatus, toMermaid } from "@blockwork/spec";
import type { Context, Hono } from "hono";
import type { z } from "zod";
import { ApiError, issuesOf } from "./errors.js";
import { blockAt, resumeSchemaAt } from "./graphs.js";
import { readText } from "./http.js";
import { blockInputs } from "./inputs.js";
import { ResumeSchema } from "./schemas.js";
import type { Service } from "./service.js";
import { openSuspensions } from "./state.js";

/** Where `npm run build:ui` writes the viewer (served from the package, built from a clean checkout by `npm run build`). */
const ASSETS = fileURLToPath(new URL("../dist/ui/", import.meta.url));

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".map": "application/json" };

const STATUSES: readonly RunStatus[] = ["running", "suspended", "completed", "failed", "cancelled"];

/** Each block's state in a run, from its journal: what the drawing colours. */
function blockStatus(entries: readonly JournalEntry[]): Record<string, MermaidStatus> {
  const status: Record<string, MermaidStatus> = {};
  for (const entry of entries) {
    if (entry.kind === "run.upgraded" || entry.kind === "loop.pass") continue;
    status[entry.path] =
      entry.kind === "block.completed"
        ? "completed"
        : entry.kind === "block.suspended"
          ? "suspended"
          : entry.kind === "block.resumed"
            ? "running"
            : entry.kind === "attempt.failed" || entry.kind === "block.restarted"
              ? "retried"
              : "failed";
  }
  for (const [, s] of openSuspensions(entries)) status[s.path] = "suspended";
  return status;
}

async function graphOf(service: Service, version: string): Promise<GraphDef | undefined> {
  return service.catalog.byGraphVersion(version)?.def ?? (await service.runner.store.getGraph(version));
}

async function runDetail(service: Service, record: RunRecord) {
  const store = service.runner.store;
  const journal = await store.journal(record.id);
  const def = await graphOf(service, record.version);
  const reports = await service.db.reports(record.id);
  const threads = await service.db.runsOf(record.id);
  const open = openSuspensions(journal);
  const suspensions = [...open].map(([id, s]) => ({ id, path: s.path, payload: s.payload, at: s.at, resumeSchema: def ? (resumeSchemaAt(def, s.path) ?? null) : null }));
  const status = blockStatus(journal);
  return {
    record,
    journal,
    reports: reports.map((r) => ({ afterSeq: r.afterSeq, n: r.n, event: r.event })),
    inputs: def ? blockInputs(def, record.input, journal) : {},
    suspensions,
    served: service.catalog.byGraphVersion(record.version) !== undefined,
    threadId: threads[0]?.threadId ?? null,
    graph: def ? { id: def.id, mermaid: toMermaid(def, { status }), mermaidCollapsed: toMermaid(def, { status, expandSubgraphs: false }) } : null,
  };
}

/**
 * The run viewer at `/ui`: a page (built by `npm run build:ui`) and the JSON and SSE routes it
 * reads, behind the same Host/Origin and token checks as the API.
 */
export function mountViewer(app: Hono, service: Service, bodyLimit = 1024 * 1024): void {
  const asset = (c: Context, name: string) => {
    const file = normalize(join(ASSETS, name));
    if (!file.startsWith(ASSETS.endsWith(sep) ? ASSETS : ASSETS + sep) || !existsSync(file)) {
      if (name === "index.html") return c.json({ error: "viewer_not_built", message: "the viewer is not built: run npm run build (or npm run build:ui -w @blockwork/server)" }, 503);
      return c.json({ error: "not_found", message: `no viewer asset ${name}` }, 404);
    }
    return c.body(readFileSync(file), 200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream", "Cache-Control": name === "index.html" ? "no-cache" : "max-age=300", "X-Content-Type-Options": "nosniff" });
  };
  app.get("/ui", (c) => asset(c, "index.html"));
  app.get("/ui/", (c) => asset(c, "index.html"));
  app.get("/ui/assets/:name", (c) => asset(c, `assets/${c.req.param("name")}`));

  app.get("/ui/api/graphs", async (c) => {
    const runs = await service.runner.store.listRuns({ limit: 500 });
    return c.json(
      service.catalog.entries.map((e) => ({
        assistantId: e.assistantId,
        graphId: e.graphId,
        version: e.version,
        number: e.number,
        description: e.def.description ?? null,
        mermaid: toMermaid(e.def),
        mermaidCollapsed: toMermaid(e.def, { expandSubgraphs: false }),
        resumable: e.def.contract.input,
        // Versions of this graph that runs used: what a diff can compare.
        versions: [...new Set([e.version, ...runs.filter((r) => r.graphId === e.graphId).map((r) => r.version)])],
      })),
    );
  });

  app.get("/ui/api/runs", async (c) => {
    const status = c.req.query("status");
    if (status !== undefined && status !== "" && !STATUSES.includes(status as RunStatus)) throw new ApiError(422, "invalid_request", `status must be one of ${STATUSES.join(", ")}`);
    const limit = Math.min(500, Math.max(1, Number(c.req.query("limit") ?? 100) || 100));
    const runs = await service.runner.store.listRuns({ ...(status ? { status: status as RunStatus } : {}), limit });
    return c.json(runs.map((r) => ({ id: r.id, graphId: r.graphId, version: r.version, status: r.status, createdAt: r.createdAt, updatedAt: r.updatedAt, error: r.error ?? null })));
  });

  app.get("/ui/api/runs/:id", async (c) => {
    const record = await service.runner.store.getRun(c.req.param("id"));
    if (record === undefined) throw new ApiError(404, "run_not_found", `run ${c.req.param("id")} is not in the store`);
    return c.json(await runDetail(service, record));
  });

  // A run's live timeline: one `entry` event per journal entry (id = its seq), `report` events for
  // model and tool calls, `status` when the run's status changes; it ends when the run ends.
  app.get("/ui/api/runs/:id/events", async (c) => {
    const id = c.req.param("id");
    if ((await service.runner.store.getRun(id)) === undefined) throw new ApiError(404, "run_not_found", `run ${id} is not in the store`);
    const from = Number(c.req.header("last-event-id") ?? c.req.query("after") ?? 0);
    const encoder = new TextEncoder();
    let stop: (() => void) | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        let last = Number.isFinite(from) ? from : 0;
        let reports = 0;
        let status: string | undefined;
        let timer: ReturnType<typeof setTimeout> | undefined;
        let closed = false;
        const send = (event: string, data: unknown, eventId?: number) => controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n${eventId !== undefined ? `id: ${eventId}\n` : ""}\n`));
        const tick = async () => {
          if (closed) return;
          try {
            const record = await service.runner.store.getRun(id);
            const journal = await service.runner.store.journal(id);
            for (const entry of journal) {
              if (entry.seq <= last) continue;
              send("entry", entry, entry.seq);
              last = entry.seq;
            }
            for (const report of await service.db.reports(id)) {
              if (report.n <= reports) continue;
              send("report", { afterSeq: report.afterSeq, n: report.n, event: report.event });
              reports = report.n;
            }
            if (record && record.status !== status) {
              status = record.status;
              send("status", { status, output: record.output ?? null, error: record.error ?? null, status_blocks: blockStatus(journal) });
            }
            if (record && (record.status === "completed" || record.status === "failed" || record.status === "cancelled")) {
              close();
              controller.close();
              return;
            }
            controller.enqueue(encoder.encode(": tick\n\n"));
          } catch {
            close();
            controller.close();
            return;
          }
          timer = setTimeout(() => void tick(), service.runner.pollMs || 1_000);
        };
        const off = service.runner.watch(id, () => {
          clearTimeout(timer);
          timer = setTimeout(() => void tick(), 10);
        });
        const close = () => {
          closed = true;
          clearTimeout(timer);
          off();
        };
        stop = close;
        void tick();
      },
      cancel() {
        stop?.();
      },
    });
    return new Response(body, { headers: { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" } });
  });

  app.post("/ui/api/runs/:id/resume", async (c) => {
    const id = c.req.param("id");
    const text = await readText(c, bodyLimit);
    let value: unknown;
    try {
      value = JSON.parse(text || "{}");
    } catch {
      throw new ApiError(400, "invalid_json", "the body is not valid JSON");
    }
    const body = ResumeSchema.safeParse(value);
    if (!body.success) throw new ApiError(422, "invalid_request", "give { block, data }", { issues: issuesOf(body.error) });
    const record = await service.runner.store.getRun(id);
    if (record === undefined) throw new ApiError(404, "run_not_found", `run ${id} is not in the store`);
    const entry = service.catalog.byGraphVersion(record.version);
    if (entry === undefined) throw new ApiError(409, "version_not_served", `run ${id} is pinned to version ${record.version}, which this server does not serve`);
    const thread = (await service.db.runsOf(id)).at(-1)?.threadId;
    if (thread !== undefined) {
      // Through the thread, as the SDK's Command({ resume }) does: one history for both.
      const view = await service.createRun(thread, { assistant_id: entry.assistantId, command: { resume: { [body.data.block]: body.data.data } } });
      return c.json({ ok: true, threadId: thread, runId: view.row.runId }, 202);
    }
    // A run started elsewhere (blockwork run): resumed directly, after the same check.
    const path = body.data.block.includes("#") ? body.data.block.slice(0, body.data.block.lastIndexOf("#")) : body.data.block;
    const parsed = (blockAt(entry.graph, path)?.contract.resume as z.ZodType | undefined)?.safeParse(body.data.data);
    if (parsed && !parsed.success) throw new ApiError(422, "resume_invalid", `the data does not satisfy the resume schema of block ${path}`, { issues: issuesOf(parsed.error) });
    try {
      await service.runner.resume(entry, id, body.data.block, body.data.data);
    } catch (error) {
      throw new ApiError(409, "not_resumed", error instanceof Error ? error.message : String(error));
    }
    return c.json({ ok: true, threadId: null }, 202);
  });

  app.get("/ui/api/diff", async (c) => {
    const from = c.req.query("from") ?? "";
    const to = c.req.query("to") ?? "";
    const before = await graphOf(service, from);
    const after = await graphOf(service, to);
    if (before === undefined || after === undefined) throw new ApiError(404, "version_not_found", `no graph version ${before === undefined ? from : to} here (served, or used by a run in the store)`);
    const diff = diffGraphs(before, after);
    return c.json({ text: formatDiff(diff), breaking: diff.breaking, callers: diff.callers, flow: diff.flow, inFlight: diff.inFlight, mermaid: toMermaid(after, { highlight: changeOf(before, after) }), changes: diff.changes.length as JsonValue });
  });
}
