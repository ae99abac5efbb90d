import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { afterAll } from "vitest";
import { type BlockworkServer, type ServeOptions, startServer } from "../src/index.js";

const servers: BlockworkServer[] = [];
const dirs: string[] = [];

/** A fresh directory, removed after the file. */
export function tempDir(prefix = "bw-server-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** A server on 127.0.0.1 and a free port, over a fresh SQLite file unless `store` is given; closed after the file. */
export async function serve(options: Partial<ServeOptions> & Pick<ServeOptions, "graphs">): Promise<BlockworkServer> {
  const server = await startServer({ port: 0, store: join(tempDir(), "runs.sqlite"), graceMs: 2_000, ...options });
  servers.push(server);
  return server;
}

/** The unmodified LangGraph SDK client, without retries (so that failures show at once). */
export function sdk(server: BlockworkServer, options: { apiKey?: string; fetch?: typeof fetch } = {}): Client {
  return new Client({ apiUrl: server.url, apiKey: options.apiKey ?? null, callerOptions: { maxRetries: 0, ...(options.fetch ? { fetch: options.fetch } : {}) } } as ConstructorParameters<typeof Client>[0]);
}

afterAll(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}, 60_000);
