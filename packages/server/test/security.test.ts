import { request } from "node:http";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ServeError, startServer } from "../src/index.js";
import { refund, shout } from "./fixtures/graphs.js";
import { sdk, serve } from "./helpers.js";

/** A raw HTTP request, so that Host and Origin can be anything. */
function raw(url: string, options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, method: options.method ?? "GET", path: options.path, headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

const TOKEN = "0123456789abcdef0123456789abcdef";

describe("security defaults", () => {
  it("binds 127.0.0.1 by default and refuses another address without a token", async () => {
    const server = await serve({ graphs: [shout], store: "memory" });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const previous = process.env["BLOCKWORK_TOKEN"];
    delete process.env["BLOCKWORK_TOKEN"];
    try {
      await expect(startServer({ graphs: [shout], store: "memory", host: "0.0.0.0", port: 0 })).rejects.toThrow(ServeError);
      await expect(startServer({ graphs: [shout], store: "memory", host: "0.0.0.0", port: 0 })).rejects.toThrow(/without a token/);
      await expect(startServer({ graphs: [shout], store: "memory", host: "0.0.0.0", port: 0, token: "short" })).rejects.toThrow(/at least 16/);
    } finally {
      if (previous !== undefined) process.env["BLOCKWORK_TOKEN"] = previous;
    }
  });

  it("with a token: every route but /ok needs it, as a bearer token or the SDK's apiKey", async () => {
    const server = await serve({ graphs: [shout], store: "memory", host: "0.0.0.0", token: TOKEN });
    const url = `http://127.0.0.1:${server.port}`;
    expect((await raw(url, { path: "/ok", headers: { host: `127.0.0.1:${server.port}` } })).status).toBe(200);
    const denied = await raw(url, { method: "POST", path: "/assistants/search", headers: { host: `127.0.0.1:${server.port}`, "content-type": "application/json" }, body: "{}" });
    expect(denied.status).toBe(401);
    expect(JSON.parse(denied.body)).toMatchObject({ error: "unauthorized" });
    const wrong = await raw(url, { method: "POST", path: "/assistants/search", headers: { host: `127.0.0.1:${server.port}`, authorization: `Bearer ${TOKEN.replace("0", "1")}` } });
    expect(wrong.status).toBe(401);
    const bearer = await raw(url, { method: "POST", path: "/assistants/search", headers: { host: `127.0.0.1:${server.port}`, authorization: `Bearer ${TOKEN}` } });
    expect(bearer.status).toBe(200);
    const client = sdk({ ...server, url }, { apiKey: TOKEN });
    expect((await client.assistants.search()).map((a) => a.graph_id)).toEqual(["shout"]);
    await expect(sdk({ ...server, url }).assistants.search()).rejects.toMatchObject({ status: 401 });
    // The viewer: /ui?token= sets an HttpOnly cookie that later requests carry.
    const login = await raw(url, { path: `/ui?token=${TOKEN}`, headers: { host: `127.0.0.1:${server.port}` } });
    expect(login.status).toBe(303);
    const cookie = String(login.headers["set-cookie"]).split(";")[0] as string;
    expect(String(login.headers["set-cookie"])).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await raw(url, { method: "POST", path: "/assistants/search", headers: { host: `127.0.0.1:${server.port}`, cookie } })).status).toBe(200);
  });

  it("checks Host (DNS rebinding) and Origin; CORS is off unless configured", async () => {
    const server = await serve({ graphs: [shout], store: "memory" });
    const host = `127.0.0.1:${server.port}`;
    const rebound = await raw(server.url, { path: "/assistants/shout", headers: { host: `evil.example:${server.port}` } });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ error: "host_not_allowed" });
    expect((await raw(server.url, { path: "/assistants/shout", headers: { host: `localhost:${server.port}` } })).status).toBe(200);
    const foreign = await raw(server.url, { path: "/assistants/shout", headers: { host, origin: "https://evil.example" } });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body)).toMatchObject({ error: "origin_not_allowed" });
    expect((await raw(server.url, { path: "/assistants/shout", headers: { host, origin: `http://${host}` } })).status).toBe(200);
    // Another port on loopback is another origin.
    expect((await raw(server.url, { path: "/assistants/shout", headers: { host, origin: "http://127.0.0.1:1" } })).status).toBe(403);
    const preflight = await raw(server.url, { method: "OPTIONS", path: "/assistants/search", headers: { host, origin: "https://app.example", "access-control-request-method": "POST" } });
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();

    const withCors = await serve({ graphs: [shout], store: "memory", cors: ["https://app.example"] });
    const corsHost = `127.0.0.1:${withCors.port}`;
    const allowed = await raw(withCors.url, { method: "OPTIONS", path: "/assistants/search", headers: { host: corsHost, origin: "https://app.example", "access-control-request-method": "POST" } });
    expect(allowed.headers["access-control-allow-origin"]).toBe("https://app.example");
    const get = await raw(withCors.url, { path: "/assistants/shout", headers: { host: corsHost, origin: "https://app.example" } });
    expect(get.status).toBe(200);
    expect(get.headers["access-control-allow-origin"]).toBe("https://app.example");
    expect((await raw(withCors.url, { path: "/assistants/shout", headers: { host: corsHost, origin: "https://other.example" } })).status).toBe(403);
  });

  it("answers bad requests with a 4xx JSON error: bad JSON, wrong content type, oversized, unknown routes and graphs", async () => {
    const server = await serve({ graphs: [shout], store: "memory", bodyLimit: 4096 });
    const host = `127.0.0.1:${server.port}`;
    const post = (path: string, body: string | Buffer, type = "application/json") => raw(server.url, { method: "POST", path, headers: { host, "content-type": type }, body });
    const cases = [
      [await post("/threads", "{not json"), 400, "invalid_json"],
      [await post("/threads", "{}", "text/plain"), 415, "unsupported_media_type"],
      [await post("/threads", JSON.stringify({ metadata: { big: "x".repeat(5000) } })), 413, "payload_too_large"],
      [await post("/runs/wait", JSON.stringify({ assistant_id: "nope", input: {} })), 404, "assistant_not_found"],
      [await post("/runs/wait", JSON.stringify({ input: {} })), 422, "invalid_request"],
      [await post("/threads", Buffer.from([0xff, 0xfe, 0x00])), 400, "invalid_json"],
      [await raw(server.url, { path: "/nowhere", headers: { host } }), 404, "not_found"],
    ] as const;
    for (const [response, status, error] of cases) {
      expect(response.status, response.body).toBe(status);
      expect(JSON.parse(response.body)).toMatchObject({ error, message: expect.any(String) });
    }
  });

  it("survives 1,000 fuzzed request bodies: only 2xx and 4xx answers, and it keeps serving", async () => {
    const server = await serve({ graphs: [shout, refund], store: "memory", bodyLimit: 64 * 1024 });
    const host = `127.0.0.1:${server.port}`;
    const thread = await sdk(server).threads.create();
    const routes = [
      "/threads",
      "/threads/search",
      "/threads/count",
      "/assistants/search",
      "/assistants/count",
      "/runs/wait",
      "/runs",
      `/threads/${thread.thread_id}/runs/wait`,
      `/threads/${thread.thread_id}/runs`,
      `/threads/${thread.thread_id}/history`,
      `/threads/${thread.thread_id}/runs/00000000-0000-4000-8000-000000000000/cancel`,
      "/threads/not-a-uuid/runs/wait",
    ];
    const json = fc.jsonValue({ maxDepth: 4 });
    const runLike = fc.record(
      {
        assistant_id: fc.oneof(fc.constantFrom("shout", "refund", "nope", ""), fc.string()),
        input: fc.oneof(json, fc.record({ text: fc.oneof(fc.string(), json) }), fc.record({ amount: fc.oneof(fc.double(), json) })),
        command: fc.oneof(json, fc.record({ resume: json })),
        stream_mode: fc.oneof(fc.constantFrom("values", "updates", "bogus"), json),
        metadata: json,
        limit: fc.oneof(fc.integer({ min: -5, max: 2000 }), json),
        offset: json,
        thread_id: fc.oneof(fc.uuid(), fc.string()),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      json.map((v) => JSON.stringify(v)),
      runLike.map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString("latin1")),
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), body, fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", ""), async (path, text, type) => {
        const headers: Record<string, string> = { host };
        if (type) headers["content-type"] = type;
        const response = await raw(server.url, { method: "POST", path, headers, body: text });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status >= 200 && response.status < 500, `${path} ${text.slice(0, 200)} → ${response.status} ${response.body.slice(0, 300)}`).toBe(true);
        if (response.status >= 400) expect(JSON.parse(response.body)).toMatchObject({ error: expect.any(String), message: expect.any(String) });
      }),
      { numRuns: 1_000 },
    );
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
    expect((await raw(server.url, { path: "/ok", headers: { host } })).status).toBe(200);
    expect((await sdk(server).runs.wait(null, "shout", { input: { text: "still up" } })) as { output: unknown }).toMatchObject({ output: { text: "STILL UP!" } });
  }, 120_000);
});
