import { formatZodIssues } from "@blockwork/spec";
import type { JsonValue } from "@blockwork/spec";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { type CallToolResult, CallToolRequestSchema, ListToolsRequestSchema, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { Hono } from "hono";
import type { z } from "zod";
import { ApiError, issuesOf } from "./errors.js";
import type { AssistantEntry } from "./graphs.js";
import { readText } from "./http.js";
import type { RunView, Service } from "./service.js";

/** The name of the MCP tool that resumes a suspended run (`{ thread_id, data, suspension? }`). */
export const RESUME_TOOL = "resume";

/** The newest version of each graph served: one tool each. */
function toolEntries(service: Service): AssistantEntry[] {
  const newest = new Map<string, AssistantEntry>();
  for (const entry of service.catalog.entries) newest.set(entry.graphId, entry);
  return [...newest.values()];
}

function isObjectSchema(schema: unknown): schema is { type: "object" } & Record<string, unknown> {
  return typeof schema === "object" && schema !== null && (schema as Record<string, unknown>)["type"] === "object";
}

function toolOf(entry: AssistantEntry): Tool {
  const contract = entry.def.contract;
  return {
    name: entry.graphId,
    title: entry.graphId,
    description: `${entry.def.description ?? `Runs the Blockwork graph "${entry.graphId}"`}. Its input and output are the graph's contract. A run that waits for a person returns how to resume it with the "${RESUME_TOOL}" tool.`,
    inputSchema: (isObjectSchema(contract.input) ? contract.input : { type: "object", properties: { input: contract.input }, required: ["input"] }) as Tool["inputSchema"],
    ...(isObjectSchema(contract.output) ? { outputSchema: contract.output as Tool["outputSchema"] } : {}),
    _meta: { "blockwork/version": entry.version },
  };
}

const RESUME: Tool = {
  name: RESUME_TOOL,
  title: "Resume a suspended run",
  description: "Resumes a Blockwork run that waits for a person (a suspended block), with data that satisfies the block's resume schema, and waits for the run to end or wait again.",
  inputSchema: {
    type: "object",
    properties: {
      thread_id: { type: "string", description: "The thread the suspended run is on (from the result that reported the suspension)." },
      suspension: { type: "string", description: "Which suspension, when the run waits at several (e.g. approve#1)." },
      data: { description: "The answer: it must satisfy the suspended block's resume schema." },
    },
    required: ["thread_id", "data"],
  },
};

type Progress = ((progress: number, message: string) => Promise<void>) & { readonly asked: boolean };

/**
 * The MCP server over the service: every graph served is a tool whose input and output schemas
 * are its contract, plus `resume`. Long runs report progress (one notification per block that
 * completes) when the client asks for it with a progress token.
 *
 * @example
 * const { service } = await createService({ graphs: [refundGraph], store: "memory" });
 * await createMcpServer(service).connect(new StdioServerTransport());
 */
export function createMcpServer(service: Service): Server {
  const server = new Server({ name: "blockwork", version: "0.1.0" }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [...toolEntries(service).map(toolOf), RESUME] }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const token = request.params._meta?.progressToken;
    const progress: Progress = Object.assign(
      async (value: number, message: string) => {
        if (token === undefined) return;
        await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: value, message } });
      },
      { asked: token !== undefined },
    );
    const name = request.params.name;
    const args = (request.params.arguments ?? {}) as Record<string, unknown>;
    try {
      if (name === RESUME_TOOL) return await callResume(service, args, progress, extra.signal);
      const entry = toolEntries(service).find((e) => e.graphId === name);
      if (entry === undefined) return errorResult(`no tool named ${JSON.stringify(name)}: the tools are ${[...toolEntries(service).map((e) => e.graphId), RESUME_TOOL].join(", ")}`);
      const input = isObjectSchema(entry.def.contract.input) ? args : args["input"];
      const parsed = (entry.graph.contract.input as z.ZodType).safeParse(input);
      if (!parsed.success) return errorResult(`the arguments do not satisfy the input schema of graph "${entry.graphId}": ${formatZodIssues(parsed.error)}`, { issues: issuesOf(parsed.error) });
      const view = await service.createRun(undefined, { assistant_id: entry.assistantId, input: input as Record<string, unknown> });
      return await finish(service, entry, view, progress, extra.signal);
    } catch (error) {
      if (error instanceof ApiError) return errorResult(error.message, error.details);
      throw error;
    }
  });
  return server;
}

async function callResume(service: Service, args: Record<string, unknown>, progress: Progress, signal: AbortSignal): Promise<CallToolResult> {
  const threadId = args["thread_id"];
  if (typeof threadId !== "string") return errorResult("thread_id must be the thread of the suspended run (a string)");
  if (!("data" in args)) return errorResult("data is required: the answer for the suspended block");
  const suspension = args["suspension"];
  const newest = (await service.db.listRuns(threadId))[0];
  if (newest === undefined) return errorResult(`thread ${threadId} has no runs`);
  const entry = service.catalog.find(newest.assistantId);
  if (entry === undefined) return errorResult(`thread ${threadId} runs a graph this server does not serve`);
  const resume = typeof suspension === "string" ? { [suspension]: args["data"] } : args["data"];
  const view = await service.createRun(threadId, { assistant_id: entry.assistantId, command: { resume } });
  return finish(service, entry, view, progress, signal);
}

/** Follows the run, reporting progress, and turns its end into a tool result. */
async function finish(service: Service, entry: AssistantEntry, view: RunView, progress: Progress, signal: AbortSignal): Promise<CallToolResult> {
  let completed = 0;
  const total = entry.def.nodes.length;
  await progress(0, `run started on thread ${view.row.threadId}`);
  for await (const event of service.stream(view.row, new Set(["updates"]), undefined, signal)) {
    if (event.event !== "updates") continue;
    const [path] = Object.keys(event.data as object);
    if (path === "__interrupt__") continue;
    completed++;
    await progress(completed, `${path} completed (${completed} block${completed === 1 ? "" : "s"} of about ${total})`);
  }
  // The SDK's client handles notifications a microtask later than responses: progress that
  // reaches it in the same read as the result is dropped. A short pause before the result lets
  // it take in the last notifications first (it does not make a slow client safe; nothing can).
  if (progress.asked && completed > 0) await new Promise((resolve) => setTimeout(resolve, 15));
  const done = await service.view((await service.db.getRun(view.row.runId)) ?? view.row);
  const record = done.record;
  if (record?.status === "completed") {
    const output = record.output as JsonValue;
    const structured = isObjectSchema(entry.def.contract.output) ? { structuredContent: output as Record<string, unknown> } : {};
    return { content: [{ type: "text", text: JSON.stringify(output) }], ...structured };
  }
  if (record?.status === "suspended") {
    const interrupts = (service.resultJson(done) as { __interrupt__?: { id: string; value: JsonValue }[] }).__interrupt__ ?? [];
    const waiting = interrupts.map((i) => `- ${i.id}: ${JSON.stringify(i.value)}`).join("\n");
    const example = interrupts.length > 1 ? `{"thread_id": "${done.row.threadId}", "suspension": "${interrupts[0]?.id}", "data": <answer>}` : `{"thread_id": "${done.row.threadId}", "data": <answer>}`;
    // Not the graph's output, so not a success result: a tool with an output schema must return
    // structured content that satisfies it, and a suspended run has none yet.
    return {
      isError: true,
      content: [{ type: "text", text: `The run is suspended: it waits for a person at\n${waiting}\nResume it with the "${RESUME_TOOL}" tool and arguments ${example}; the answer must satisfy the block's resume schema.` }],
      _meta: { "blockwork/suspended": { thread_id: done.row.threadId, run_id: record.id, suspensions: interrupts as unknown as JsonValue } },
    };
  }
  const error = record?.error;
  return errorResult(`the run ${record?.status === "cancelled" ? "was cancelled" : "failed"}: ${error ? `${error.code}: ${error.message}` : "no error was recorded"}`, { thread_id: done.row.threadId, run_id: done.row.bwRunId });
}

function errorResult(message: string, details: Record<string, unknown> = {}): CallToolResult {
  return { isError: true, content: [{ type: "text", text: message }], ...(Object.keys(details).length ? { _meta: { "blockwork/error": details as Record<string, JsonValue> } } : {}) };
}

/**
 * Serves MCP over stdio (for `blockwork mcp`): messages on stdin/stdout, nothing else may write to stdout.
 *
 * @example
 * const { service } = await createService({ graphs: [refundGraph] });
 * const mcp = await serveMcpStdio(service);
 */
export async function serveMcpStdio(service: Service): Promise<{ close(): Promise<void> }> {
  const server = createMcpServer(service);
  const transport = new StdioServerTransport();
  await server.connect(transport);
  return { close: () => server.close() };
}

/** Mounts MCP's streamable HTTP transport at `/mcp` (stateless: one server per request), behind the app's Host/Origin and token checks. */
export function mountMcp(app: Hono, service: Service, bodyLimit = 1024 * 1024): void {
  app.all("/mcp", async (c) => {
    let parsedBody: unknown;
    if (c.req.method === "POST") {
      const text = await readText(c, bodyLimit);
      try {
        parsedBody = JSON.parse(text);
      } catch {
        return c.json({ jsonrpc: "2.0", error: { code: -32700, message: "Parse error: the body is not valid JSON" }, id: null }, 400);
      }
    }
    const server = createMcpServer(service);
    const transport = new WebStandardStreamableHTTPServerTransport({});
    await server.connect(transport);
    const response = await transport.handleRequest(c.req.raw, parsedBody === undefined ? {} : { parsedBody });
    // Stateless: the server goes when the response is done (an SSE response closes the transport when it ends).
    if (!response.headers.get("content-type")?.includes("text/event-stream")) void server.close();
    return response;
  });
}
