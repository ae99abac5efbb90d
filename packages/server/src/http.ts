import type { JsonSchema, JsonValue } from "@blockwork/spec";
import { type Context, Hono } from "hono";
import { cors } from "hono/cors";
import type { z } from "zod";
import { ApiError, issuesOf } from "./errors.js";
import { type AssistantEntry, assistantGraph } from "./graphs.js";
import {
  AssistantCountSchema,
  AssistantSearchSchema,
  HistorySchema,
  IdSchema,
  RunCreateSchema,
  ThreadCountSchema,
  ThreadCreateSchema,
  ThreadPatchSchema,
  ThreadSearchSchema,
} from "./schemas.js";
import { hostAndOrigin, requestHeader, type SecurityOptions, tokenAuth } from "./security.js";
import type { RunView, Service } from "./service.js";
import { iso, parseEventId, type StreamEvent } from "./state.js";

/** Options of the HTTP app. */
export interface AppOptions extends SecurityOptions {
  /** The address the server is bound to (a Host header naming it is allowed). */
  readonly bound: string;
  /** The largest request body accepted, in bytes (default 1 MiB); larger ones get 413. */
  readonly bodyLimit?: number | undefined;
  /** Seconds between SSE heartbeat comments (default 15). */
  readonly heartbeatMs?: number | undefined;
}

/** Reads a JSON body: at most `limit` bytes, `application/json`, valid for `schema`; an empty body is `{}`. */
async function readBody<S extends z.ZodType>(c: Context, schema: S, limit: number): Promise<z.infer<S>> {
  const text = await readText(c, limit);
  let value: unknown = {};
  if (text.trim() !== "") {
    const type = requestHeader(c, "content-type") ?? "";
    if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) throw new ApiError(415, "unsupported_media_type", `the body must be JSON with Content-Type: application/json (got ${JSON.stringify(type || "none")})`);
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ApiError(400, "invalid_json", `the body is not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiError(422, "invalid_request", "the request body does not match the API's schema", { issues: issuesOf(parsed.error) });
  return parsed.data;
}

export async function readText(c: Context, limit: number): Promise<string> {
  const length = Number(requestHeader(c, "content-length") ?? "NaN");
  if (Number.isFinite(length) && length > limit) throw tooLarge(limit);
  // With a Content-Length (which Node's HTTP parser holds the body to), read it at once: the
  // adapter then reads the socket directly. Touching `raw.body` would make it wrap the request
  // in a web stream first, several times slower.
  if (Number.isFinite(length)) return length === 0 ? "" : decode(new Uint8Array(await c.req.arrayBuffer()));
  if (requestHeader(c, "transfer-encoding") === undefined) return "";
  const body = c.req.raw.body;
  if (body === null) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return decode(Buffer.concat(chunks));
}

/** One decoder for every body (a decode without `stream` starts afresh). */
const utf8 = new TextDecoder("utf-8", { fatal: true });

function decode(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ApiError(400, "invalid_json", "the body is not valid UTF-8");
  }
}

const tooLarge = (limit: number) => new ApiError(413, "payload_too_large", `the body is larger than the server's limit of ${limit} bytes (--body-limit)`);

function param(c: Context, name: string): string {
  const value = c.req.param(name) ?? "";
  if (!IdSchema.safeParse(value).success) throw new ApiError(422, "invalid_id", `${name} must be a UUID, got ${JSON.stringify(value.slice(0, 80))}`);
  return value;
}

/** A Server-Sent Events response fed by an async generator, with heartbeats; stops the generator when the client goes away. */
function sse(events: (signal: AbortSignal) => AsyncGenerator<StreamEvent>, headers: Record<string, string>, heartbeatMs: number): Response {
  const abort = new AbortController();
  const encoder = new TextEncoder();
  let iterator: AsyncGenerator<StreamEvent> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    clearInterval(heartbeat);
    abort.abort();
    void iterator?.return(undefined).catch(() => undefined);
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      iterator = events(abort.signal);
      heartbeat = setInterval(() => {
        try {
          controller.enqueue(encoder.encode(": heartbeat\n\n"));
        } catch {
          stop();
        }
      }, heartbeatMs);
    },
    async pull(controller) {
      try {
        const next = await (iterator as AsyncGenerator<StreamEvent>).next();
        if (next.done) {
          clearInterval(heartbeat);
          controller.close();
          return;
        }
        const e = next.value;
        controller.enqueue(encoder.encode(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\nid: ${e.id}\n\n`));
      } catch (error) {
        // The stream has started: the failure becomes an error event, then the stream ends.
        const message = error instanceof Error ? error.message : String(error);
        const code = error instanceof ApiError ? error.code : "stream_failed";
        clearInterval(heartbeat);
        controller.enqueue(encoder.encode(`event: error\ndata: ${JSON.stringify({ error: code, message })}\n\n`));
        controller.close();
      }
    },
    cancel() {
      stop();
    },
  });
  return new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", Connection: "keep-alive", "X-Accel-Buffering": "no", ...headers } });
}

function modesOf(view: RunView, query: string[] | undefined): Set<string> {
  const asked = query?.flatMap((q) => q.split(",")).filter(Boolean);
  if (asked?.length) return new Set(asked);
  const stored = view.row.kwargs["stream_mode"];
  return new Set(Array.isArray(stored) ? (stored as string[]) : ["values"]);
}

export function assistantJson(entry: AssistantEntry) {
  const at = iso(entry.createdAt);
  return {
    assistant_id: entry.assistantId,
    graph_id: entry.graphId,
    config: {},
    context: {},
    created_at: at,
    updated_at: at,
    metadata: { created_by: "system", blockwork_version: entry.version, ...(entry.source ? { module: entry.source.module } : {}) },
    version: entry.number,
    name: entry.graphId,
    description: entry.def.description ?? null,
  };
}

/** The state a run's `values` have, as a JSON Schema (see `RunValues`). */
function stateSchema(entry: AssistantEntry): JsonSchema {
  const blocks: Record<string, JsonSchema> = {};
  for (const node of entry.def.nodes) blocks[node.id] = node.contract.output;
  return {
    type: "object",
    properties: { input: entry.def.contract.input, blocks: { type: "object", properties: blocks, additionalProperties: true }, output: entry.def.contract.output },
    required: ["input", "blocks"],
  };
}

export function schemasJson(entry: AssistantEntry) {
  const contract = entry.def.contract;
  return {
    graph_id: entry.graphId,
    input_schema: contract.input,
    output_schema: contract.output,
    state_schema: stateSchema(entry),
    config_schema: { type: "object", properties: {} },
    context_schema: null,
    ...(contract.error !== undefined ? { error_schema: contract.error } : {}),
    ...(contract.resume !== undefined ? { resume_schema: contract.resume } : {}),
  };
}

function matches(actual: unknown, wanted: Record<string, unknown> | undefined): boolean {
  if (wanted === undefined) return true;
  const object = (actual ?? {}) as Record<string, unknown>;
  return Object.entries(wanted).every(([key, value]) => JSON.stringify(object[key]) === JSON.stringify(value));
}

function page<T>(items: T[], offset: number, limit: number): T[] {
  return items.slice(offset, offset + limit);
}

/**
 * The LangGraph-compatible HTTP API over a `Service`: assistants, threads, runs (with SSE), and
 * the security middleware. `extra` mounts more routes (the viewer, MCP) behind the same checks.
 */
export function createApp(service: Service, options: AppOptions, extra?: (app: Hono) => void): Hono {
  const limit = options.bodyLimit ?? 1024 * 1024;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof ApiError) return c.json(error.body(), error.status as 400);
    const message = error instanceof Error ? error.message : String(error);
    return c.json({ error: "internal_error", message: `the server failed: ${message}` }, 500);
  });
  app.notFound((c) => c.json({ error: "not_found", message: `no route ${c.req.method} ${c.req.path}` }, 404));

  app.use(hostAndOrigin(options));
  if (options.corsOrigins?.length) {
    app.use(cors({ origin: [...options.corsOrigins], allowHeaders: ["Content-Type", "Authorization", "X-Api-Key", "Last-Event-ID"], exposeHeaders: ["Content-Location", "Location", "X-Pagination-Next"], credentials: true }));
  }
  app.use(tokenAuth(options.token));

  app.get("/ok", (c) => c.json({ ok: true }));
  app.get("/info", (c) => c.json({ version: "0.1.0", server: "blockwork", flags: { assistants: true, crons: false, langsmith: false } }));

  // --- assistants ----------------------------------------------------------------------------
  app.post("/assistants/search", async (c) => {
    const q = await readBody(c, AssistantSearchSchema, limit);
    let found = service.catalog.entries.filter((e) => (q.graph_id === undefined || e.graphId === q.graph_id) && (q.name === undefined || e.graphId.includes(q.name)) && matches(assistantJson(e).metadata, q.metadata));
    if (q.sort_by) {
      const key = q.sort_by;
      found = [...found].sort((a, b) => String(assistantJson(a)[key]).localeCompare(String(assistantJson(b)[key])) * (q.sort_order === "desc" ? -1 : 1));
    }
    const items = page(found, q.offset, q.limit);
    if (q.offset + q.limit < found.length) c.header("X-Pagination-Next", String(q.offset + q.limit));
    return c.json(items.map(assistantJson));
  });
  app.post("/assistants/count", async (c) => {
    const q = await readBody(c, AssistantCountSchema, limit);
    return c.json(service.catalog.entries.filter((e) => (q.graph_id === undefined || e.graphId === q.graph_id) && (q.name === undefined || e.graphId.includes(q.name)) && matches(assistantJson(e).metadata, q.metadata)).length);
  });
  app.get("/assistants/:id", (c) => c.json(assistantJson(service.assistant(c.req.param("id")))));
  app.get("/assistants/:id/graph", (c) => {
    const xray = c.req.query("xray");
    const depth = xray === undefined || xray === "false" ? 0 : xray === "true" ? Number.POSITIVE_INFINITY : Number(xray);
    if (Number.isNaN(depth)) throw new ApiError(422, "invalid_request", `xray must be true, false or a depth, got ${JSON.stringify(xray)}`);
    return c.json(assistantGraph(service.assistant(c.req.param("id")).def, depth));
  });
  app.get("/assistants/:id/schemas", (c) => c.json(schemasJson(service.assistant(c.req.param("id")))));
  app.get("/assistants/:id/subgraphs", (c) => {
    const entry = service.assistant(c.req.param("id"));
    const out: Record<string, unknown> = {};
    for (const node of entry.def.nodes) if (node.kind === "graph") out[node.id] = { graph_id: node.graph.id, input_schema: node.graph.contract.input, output_schema: node.graph.contract.output };
    return c.json(out);
  });
  for (const method of ["post", "patch", "delete"] as const) {
    const refuse = (c: Context) => c.json({ error: "read_only", message: "assistants are the graphs this server was started with; serve another graph with blockwork serve <module>" }, 405);
    if (method === "post") app.post("/assistants", refuse);
    else app[method]("/assistants/:id", refuse);
  }

  // --- threads -------------------------------------------------------------------------------
  app.post("/threads", async (c) => {
    const body = await readBody(c, ThreadCreateSchema, limit);
    if (body.supersteps?.length) throw new ApiError(422, "unsupported", "supersteps are not supported: a thread's state comes from its runs' journals");
    const thread = await service.createThread({ thread_id: body.thread_id, metadata: body.metadata as Record<string, JsonValue> | undefined, if_exists: body.if_exists });
    return c.json(await service.threadJson(thread));
  });
  const searchThreads = async (q: { metadata?: Record<string, unknown> | undefined; ids?: string[] | undefined; values?: Record<string, unknown> | undefined; status?: string | undefined }) => {
    const threads = await service.db.listThreads();
    const out: Awaited<ReturnType<Service["threadJson"]>>[] = [];
    for (const thread of threads) {
      if (q.ids && !q.ids.includes(thread.threadId)) continue;
      if (!matches(thread.metadata, q.metadata)) continue;
      const json = await service.threadJson(thread);
      if (q.status && json.status !== q.status) continue;
      if (!matches(json.values, q.values)) continue;
      out.push(json);
    }
    return out;
  };
  app.post("/threads/search", async (c) => {
    const q = await readBody(c, ThreadSearchSchema, limit);
    let found = await searchThreads(q);
    if (q.sort_by) {
      const key = q.sort_by;
      found = [...found].sort((a, b) => String(a[key]).localeCompare(String(b[key])) * (q.sort_order === "asc" ? 1 : -1));
    }
    return c.json(page(found, q.offset, q.limit));
  });
  app.post("/threads/count", async (c) => c.json((await searchThreads(await readBody(c, ThreadCountSchema, limit))).length));
  app.get("/threads/:thread_id", async (c) => c.json(await service.threadJson(await service.thread(param(c, "thread_id")))));
  app.patch("/threads/:thread_id", async (c) => {
    const id = param(c, "thread_id");
    const body = await readBody(c, ThreadPatchSchema, limit);
    return c.json(await service.threadJson(await service.patchThread(id, (body.metadata ?? {}) as Record<string, JsonValue>)));
  });
  app.delete("/threads/:thread_id", async (c) => {
    await service.deleteThread(param(c, "thread_id"));
    return c.body(null, 204);
  });
  app.get("/threads/:thread_id/state", async (c) => c.json(await service.threadState(param(c, "thread_id"))));
  app.get("/threads/:thread_id/state/:checkpoint_id", async (c) => c.json(await service.threadState(param(c, "thread_id"), c.req.param("checkpoint_id"))));
  app.post("/threads/:thread_id/state", (c) =>
    c.json({ error: "unsupported", message: "a thread's state is its runs' journals and cannot be written directly; resume a suspended block with command.resume" }, 422),
  );
  app.post("/threads/:thread_id/history", async (c) => {
    const id = param(c, "thread_id");
    const q = await readBody(c, HistorySchema, limit);
    return c.json(await service.history(id, { limit: q.limit, before: typeof q.before === "string" ? q.before : undefined }));
  });

  // --- runs ----------------------------------------------------------------------------------
  const location = (view: Pick<RunView, "row">, threadless: boolean) => (threadless ? `/runs/${view.row.runId}` : `/threads/${view.row.threadId}/runs/${view.row.runId}`);
  const streamRun = (c: Context, view: RunView, threadless: boolean, lastEventId?: string) => {
    const modes = modesOf(view, c.req.queries("stream_mode"));
    const at = location(view, threadless);
    return sse((signal) => service.stream(view.row, modes, parseEventId(lastEventId), signal), { "Content-Location": at, Location: `${at}/stream` }, heartbeatMs);
  };
  const create = async (c: Context, threadless: boolean) => {
    const body = await readBody(c, RunCreateSchema, limit);
    return service.createRun(threadless ? undefined : param(c, "thread_id"), body);
  };

  app.post("/threads/:thread_id/runs", async (c) => {
    const view = await create(c, false);
    c.header("Content-Location", location(view, false));
    return c.json(service.runJson(view));
  });
  app.post("/runs", async (c) => {
    const view = await create(c, true);
    c.header("Content-Location", location(view, true));
    return c.json(service.runJson(view));
  });
  app.post("/threads/:thread_id/runs/stream", async (c) => streamRun(c, await create(c, false), false));
  app.post("/runs/stream", async (c) => streamRun(c, await create(c, true), true));
  const wait = async (c: Context, threadless: boolean) => {
    const body = await readBody(c, RunCreateSchema, limit);
    const row = await service.startRun(threadless ? undefined : param(c, "thread_id"), body);
    c.header("Content-Location", location({ row }, threadless));
    return c.json(service.resultJson(await service.waitFor(row, c.req.raw.signal)));
  };
  app.post("/threads/:thread_id/runs/wait", (c) => wait(c, false));
  app.post("/runs/wait", (c) => wait(c, true));
  app.get("/threads/:thread_id/runs", async (c) => {
    const id = param(c, "thread_id");
    await service.thread(id);
    const limitQ = Number(c.req.query("limit") ?? 10);
    const offset = Number(c.req.query("offset") ?? 0);
    const status = c.req.query("status");
    if (!Number.isInteger(limitQ) || limitQ < 1 || !Number.isInteger(offset) || offset < 0) throw new ApiError(422, "invalid_request", "limit must be a positive integer and offset a non-negative one");
    const views = await Promise.all((await service.db.listRuns(id)).map((row) => service.view(row)));
    return c.json(page(views.filter((v) => status === undefined || v.status === status), offset, limitQ).map((v) => service.runJson(v)));
  });
  app.get("/threads/:thread_id/runs/:run_id", async (c) => c.json(service.runJson(await service.view(await service.run(param(c, "thread_id"), param(c, "run_id"))))));
  app.delete("/threads/:thread_id/runs/:run_id", async (c) => {
    await service.deleteRun(await service.run(param(c, "thread_id"), param(c, "run_id")));
    return c.body(null, 204);
  });
  app.get("/threads/:thread_id/runs/:run_id/join", async (c) => {
    const row = await service.run(param(c, "thread_id"), param(c, "run_id"));
    return c.json(service.resultJson(await service.waitFor(row, c.req.raw.signal)));
  });
  app.get("/threads/:thread_id/runs/:run_id/stream", async (c) => {
    const row = await service.run(param(c, "thread_id"), param(c, "run_id"));
    return streamRun(c, await service.view(row), false, c.req.header("last-event-id"));
  });
  app.get("/runs/:run_id/stream", async (c) => {
    const row = await service.run(undefined, param(c, "run_id"));
    return streamRun(c, await service.view(row), true, c.req.header("last-event-id"));
  });
  app.post("/threads/:thread_id/runs/:run_id/cancel", async (c) => {
    const row = await service.run(param(c, "thread_id"), param(c, "run_id"));
    const action = c.req.query("action") ?? "interrupt";
    if (action !== "interrupt" && action !== "rollback") throw new ApiError(422, "invalid_request", `action must be interrupt or rollback, got ${JSON.stringify(action)}`);
    if (action === "rollback") throw new ApiError(422, "unsupported", "rollback is not supported: journaled blocks are facts and are kept; use action=interrupt");
    const wait = c.req.query("wait") === "1" || c.req.query("wait") === "true";
    await service.cancel(row, wait);
    return c.body(null, wait ? 204 : 202);
  });

  extra?.(app);
  return app;
}
