import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { afterAll, describe, expect, it } from "vitest";
import { fileGate } from "./fixtures/file-gate.graph.js";
import { refund, shout, ten } from "./fixtures/graphs.js";
import { serve, tempDir } from "./helpers.js";

// The real @modelcontextprotocol/sdk Client, over stdio (`blockwork mcp`, a child process) and
// over streamable HTTP (`/mcp` on the server).

const root = fileURLToPath(new URL("../../..", import.meta.url));
const clients: Client[] = [];
afterAll(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => undefined);
});

async function connect(transport: Transport): Promise<Client> {
  const client = new Client({ name: "blockwork-test", version: "1.0.0" });
  await client.connect(transport);
  clients.push(client);
  return client;
}

type ToolResult = { isError?: boolean; content: { type: string; text?: string }[]; structuredContent?: unknown; _meta?: Record<string, unknown> };

function behavesAsTools(name: string, open: () => Promise<Client>) {
  describe(name, () => {
    let client: Client;

    it("lists every graph as a tool whose schemas are its contract, and resume", async () => {
      client = await open();
      const { tools } = await client.listTools();
      const byName = new Map(tools.map((t) => [t.name, t]));
      expect([...byName.keys()].sort()).toEqual(["broken", "file-gate", "gated", "refund", "resume", "shout", "ten"].filter((n) => byName.has(n)).sort());
      expect(byName.get("shout")?.inputSchema).toEqual(shout.def.contract.input);
      expect(byName.get("shout")?.outputSchema).toEqual(shout.def.contract.output);
      expect(byName.get("refund")?.inputSchema).toEqual(refund.def.contract.input);
      expect(byName.get("resume")?.inputSchema).toMatchObject({ required: ["thread_id", "data"] });
    }, 90_000);

    it("calls a graph, with a progress notification per block", async () => {
      const progress: { progress: number; message?: string | undefined }[] = [];
      const result = (await client.callTool({ name: "ten", arguments: { n: 0 } }, undefined, { onprogress: (p) => progress.push(p) })) as ToolResult;
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ n: 10 });
      expect(JSON.parse(result.content[0]?.text as string)).toEqual({ n: 10 });
      // One per block, in order. (The SDK's client may drop the last ones when they reach it in the
      // same read as the result; the server pauses briefly to avoid that, which a loaded machine can defeat.)
      expect(progress.map((p) => p.progress)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].slice(0, progress.length));
      expect(progress.length).toBeGreaterThan(1);
    });

    it("reports progress while the run goes on: the run finishes only after the client saw its first block", async () => {
      const file = `${tempDir()}/go`;
      const seen: string[] = [];
      const result = (await client.callTool({ name: "file-gate", arguments: { file } }, undefined, {
        onprogress: (p) => {
          seen.push(p.message ?? "");
          if (p.progress === 1) writeFileSync(file, "go");
        },
      })) as ToolResult;
      expect(result.isError).toBeFalsy();
      expect(seen[1]).toMatch(/^first completed/);
    });

    it("answers bad arguments with isError and the contract's issues", async () => {
      const result = (await client.callTool({ name: "shout", arguments: { text: 42 } })) as ToolResult;
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toMatch(/input schema of graph "shout".*text/);
      const unknown = (await client.callTool({ name: "nope", arguments: {} })) as ToolResult;
      expect(unknown.isError).toBe(true);
    });

    it("returns a suspended run as a result that says how to resume it; resume finishes it", async () => {
      const suspended = (await client.callTool({ name: "refund", arguments: { amount: 50 } })) as ToolResult;
      expect(suspended.isError).toBe(true);
      expect(suspended.content[0]?.text).toMatch(/suspended.*approve#1.*"resume" tool/s);
      const meta = suspended._meta?.["blockwork/suspended"] as { thread_id: string };
      const wrong = (await client.callTool({ name: "resume", arguments: { thread_id: meta.thread_id, data: { approved: "maybe" } } })) as ToolResult;
      expect(wrong.isError).toBe(true);
      expect(wrong.content[0]?.text).toMatch(/resume schema of block approve/);
      const done = (await client.callTool({ name: "resume", arguments: { thread_id: meta.thread_id, data: { approved: true, reason: "fine" } } })) as ToolResult;
      expect(done.isError).toBeFalsy();
      expect(JSON.parse(done.content[0]?.text as string)).toEqual({ refunded: 50 });
    });
  });
}

behavesAsTools("MCP over stdio (blockwork mcp)", () =>
  connect(
    new StdioClientTransport({
      command: process.execPath,
      args: ["--conditions=@blockwork/source", "--import", "tsx", "packages/cli/src/dev.ts", "mcp", "packages/server/test/fixtures/graphs.ts", "packages/server/test/fixtures/file-gate.graph.ts", "--store", `${tempDir()}/mcp.sqlite`],
      cwd: root,
      env: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)),
      stderr: "pipe",
    }),
  ),
);

behavesAsTools("MCP over streamable HTTP (/mcp)", async () => {
  const server = await serve({ graphs: [shout, refund, ten, fileGate] });
  return connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
});

describe("MCP over HTTP: Host and Origin", () => {
  it("rejects a foreign Origin and a rebound Host", async () => {
    const server = await serve({ graphs: [shout] });
    const foreign = new Client({ name: "evil", version: "1.0.0" });
    await expect(foreign.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { Origin: "https://evil.example" } } }))).rejects.toThrow(/403|origin/i);
    const response = await fetch(`${server.url}/mcp`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", origin: "https://evil.example" }, body: "{}" });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: "origin_not_allowed" });
  });
});
