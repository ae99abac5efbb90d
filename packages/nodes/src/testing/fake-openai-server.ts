import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the fake server answers one chat-completions request with. */
export interface FakeReply {
  /** The assistant message's content (default ""). */
  readonly content?: string | null;
  readonly toolCalls?: readonly { readonly name: string; readonly arguments: string }[];
  /** `stop` (default), `length`, `tool_calls`, `content_filter`. */
  readonly finishReason?: string;
  /** Sets `message.refusal`, as OpenAI does for refusals under structured outputs. */
  readonly refusal?: string;
  readonly usage?: { readonly prompt_tokens: number; readonly completion_tokens: number };
  /** An HTTP error status instead of an answer (with `body` as the error text). */
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** A raw response body (malformed responses). */
  readonly body?: string;
  /** Wait this long before answering. */
  readonly delayMs?: number;
}

/** A chat-completions request as the fake server received it. */
export interface FakeRequest {
  readonly model: string;
  readonly messages: readonly { role: string; content: unknown }[];
  readonly response_format?: unknown;
  readonly tools?: unknown;
  readonly [key: string]: unknown;
}

/** A local OpenAI-compatible HTTP server (see {@link startFakeOpenAIServer}) with scripted answers: its URL, what it received, and how to close it. */
export interface FakeOpenAIServer {
  /** The base URL to give a client, ending in `/v1`. */
  readonly url: string;
  readonly requests: readonly FakeRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that speaks OpenAI's chat-completions API and answers from
 * `reply`: for testing adapters and agent blocks against malformed JSON, refusals, truncation,
 * 429 with Retry-After, 5xx and slow responses, without a model.
 *
 * @example
 * const server = await startFakeOpenAIServer((req, n) => (n === 1 ? { status: 429, headers: { "retry-after": "1" } } : { content: '{"ok":true}' }));
 * const model = openAICompatible({ baseURL: server.url, model: "fake" });
 */
export async function startFakeOpenAIServer(reply: (request: FakeRequest, n: number) => FakeReply | Promise<FakeReply>): Promise<FakeOpenAIServer> {
  const requests: FakeRequest[] = [];
  const server = createServer((req, res) => {
    void handle(req, res);
  });
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST" || !/\/chat\/completions$/.test(req.url ?? "")) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
      return;
    }
    let text = "";
    for await (const chunk of req) text += chunk;
    const request = JSON.parse(text) as FakeRequest;
    requests.push(request);
    const answer = await reply(request, requests.length);
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    if (res.destroyed) return;
    const headers = { "content-type": "application/json", ...answer.headers };
    if (answer.status !== undefined && answer.status >= 400) {
      res.writeHead(answer.status, headers).end(answer.body ?? JSON.stringify({ error: { message: `fake error ${answer.status}`, type: "fake" } }));
      return;
    }
    if (answer.body !== undefined) {
      res.writeHead(answer.status ?? 200, headers).end(answer.body);
      return;
    }
    const message = {
      role: "assistant",
      content: answer.content === undefined ? "" : answer.content,
      ...(answer.refusal ? { refusal: answer.refusal } : {}),
      ...(answer.toolCalls?.length
        ? { tool_calls: answer.toolCalls.map((c, i) => ({ id: `call_${requests.length}_${i}`, type: "function", function: { name: c.name, arguments: c.arguments } })) }
        : {}),
    };
    res.writeHead(200, headers).end(
      JSON.stringify({
        id: `chatcmpl-${requests.length}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: request.model,
        choices: [{ index: 0, message, finish_reason: answer.finishReason ?? (answer.toolCalls?.length ? "tool_calls" : "stop") }],
        usage: answer.usage ?? { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      }),
    );
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
