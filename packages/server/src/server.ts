import type { AddressInfo } from "node:net";
import { resolve as resolvePath } from "node:path";
import { isPostgresUrl, MemoryStore, PostgresStore, SqliteStore, type Store } from "@blockwork/core";
import { check, formatIssues, type GraphBlock } from "@blockwork/spec";
import { createAdaptorServer } from "@hono/node-server";
import type { Hono } from "hono";
import { PostgresServerDb, type ServerDb, SqliteServerDb } from "./db.js";
import { Catalog, type ServedGraph } from "./graphs.js";
import { createApp } from "./http.js";
import { mountMcp } from "./mcp.js";
import { LocalRunner, type Runner, WorkerRunner } from "./runner.js";
import { isLoopback } from "./security.js";
import { Service } from "./service.js";
import { mountViewer } from "./viewer.js";

// biome-ignore lint: any graph block.
type AnyGraph = GraphBlock<any>;

/** Options of {@link startServer} and {@link createService}. */
export interface ServeOptions {
  /** The graphs to serve: each is an assistant (one per graph version) and an MCP tool. */
  readonly graphs: readonly (ServedGraph | AnyGraph)[];
  /**
   * Where runs live: a `Store`, `"memory"`, a SQLite file path, or a `postgres://` URL (runs then
   * execute on workers sharing the database, and any number of servers can share it too).
   * Default: `.blockwork/runs.sqlite`.
   */
  readonly store?: Store | string;
  /** Default `127.0.0.1`. Any other address needs `token`. */
  readonly host?: string;
  /** Default 2024; 0 picks a free port. */
  readonly port?: number;
  /** The bearer token clients must send; default `BLOCKWORK_TOKEN` from the environment. */
  readonly token?: string;
  /** Host names, besides loopback and the bound address, that requests may address (behind a proxy). */
  readonly allowedHosts?: readonly string[];
  /** Origins allowed to call the API from a browser on another origin (CORS). Default: none. */
  readonly cors?: readonly string[];
  /** The largest request body, in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /** With PostgreSQL: blocks this server runs at once as a worker itself (default 4; 0 to leave it to `blockwork worker`). */
  readonly workers?: number;
  /** With PostgreSQL: how often followers re-read a run's progress (default 100 ms). */
  readonly pollMs?: number;
  /** Serve the run viewer at `/ui` (default true). */
  readonly ui?: boolean;
  /** Serve MCP (streamable HTTP) at `/mcp` (default true). */
  readonly mcp?: boolean;
  /** When closing, how long runs in flight here may go on to settle (default 10 s); the next server resumes the rest. */
  readonly graceMs?: number;
  /** SSE heartbeat interval (default 15 s). */
  readonly heartbeatMs?: number;
}

/** A running server. */
export interface BlockworkServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly service: Service;
  readonly app: Hono;
  /** Runs resumed at start: they were running when the last server on this store stopped. */
  readonly recovered: readonly string[];
  /** Stops accepting connections, ends open streams, and closes the store. */
  close(): Promise<void>;
}

/**
 * Why a server cannot start (a bad option): the message says how to fix it.
 *
 * @example
 * try { await startServer({ graphs, host: "0.0.0.0" }); } catch (e) { if (e instanceof ServeError) console.error(e.message); }
 */
export class ServeError extends Error {
  override readonly name = "ServeError";
}

function servedOf(graphs: ServeOptions["graphs"]): ServedGraph[] {
  return graphs.map((g) => ("graph" in g && (g as ServedGraph).graph?.kind === "graph" ? (g as ServedGraph) : { graph: g as AnyGraph }));
}

function openStore(store: ServeOptions["store"]): { store: Store; owned: boolean } {
  if (store === undefined) return { store: new SqliteStore(resolvePath(".blockwork/runs.sqlite")), owned: true };
  if (typeof store !== "string") return { store, owned: false };
  if (store === "memory") return { store: new MemoryStore(), owned: true };
  if (isPostgresUrl(store)) return { store: new PostgresStore(store), owned: true };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(store)) throw new ServeError(`unsupported store ${store}: use memory, a SQLite file path or postgres://user:password@host:5432/database`);
  return { store: new SqliteStore(resolvePath(store)), owned: true };
}

/**
 * The service (threads, runs, streams) over a store, without HTTP: what the server and the MCP
 * server share. Close it with `close()`.
 *
 * @example
 * const { service, close } = await createService({ graphs: [refundGraph], store: ".blockwork/runs.sqlite" });
 * await serveMcpStdio(service);
 */
export async function createService(options: Pick<ServeOptions, "graphs" | "store" | "workers" | "pollMs" | "graceMs">): Promise<{ service: Service; recovered: string[]; close: () => Promise<void> }> {
  const served = servedOf(options.graphs);
  if (served.length === 0) throw new ServeError("no graphs to serve: give at least one module that exports a built graph");
  for (const { graph } of served) {
    const errors = check(graph.def).filter((i) => i.severity === "error");
    if (errors.length) throw new ServeError(`graph "${graph.def.id}" has checker errors, so it cannot be served:\n${formatIssues(errors)}`);
  }
  const catalog = new Catalog(served);
  const { store, owned } = openStore(options.store);
  let db: ServerDb;
  let runner: Runner;
  let recovered: string[] = [];
  if (store instanceof PostgresStore) {
    db = new PostgresServerDb(store);
    const workers = new WorkerRunner(store, catalog, { concurrency: options.workers ?? 4, ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}) });
    await workers.open();
    runner = workers;
  } else {
    db = new SqliteServerDb(store instanceof SqliteStore ? store.connection : ":memory:");
    const local = new LocalRunner(store, db, catalog);
    recovered = await local.recover();
    runner = local;
  }
  const service = new Service(catalog, db, runner);
  return {
    service,
    recovered,
    close: async () => {
      await runner.close(options.graceMs);
      await db.close();
      if (owned) await store.close();
    },
  };
}

/**
 * Starts the Blockwork server: the LangGraph-compatible API (the unmodified
 * `@langchain/langgraph-sdk` Client drives it), the run viewer at `/ui`, and MCP at `/mcp`.
 * Binds 127.0.0.1 by default; any other address requires a token.
 *
 * @example
 * const server = await startServer({ graphs: [triageGraph], store: ".blockwork/runs.sqlite", port: 0 });
 * const client = new Client({ apiUrl: server.url });
 * await client.runs.wait(null, "support-triage", { input: { subject: "Refund", body: "..." } });
 * await server.close();
 */
export async function startServer(options: ServeOptions): Promise<BlockworkServer> {
  const host = options.host ?? "127.0.0.1";
  const token = options.token ?? (process.env["BLOCKWORK_TOKEN"] || undefined);
  if (!isLoopback(host) && token === undefined) {
    throw new ServeError(`refusing to listen on ${host} without a token: anyone who can reach it could run your graphs. Set BLOCKWORK_TOKEN (or --token), or bind 127.0.0.1.`);
  }
  if (token !== undefined && token.length < 16) throw new ServeError("the token must be at least 16 characters long (for example: openssl rand -hex 32)");
  const { service, recovered, close: closeService } = await createService(options);
  const bound = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const app = createApp(service, { bound, token, allowedHosts: options.allowedHosts, corsOrigins: options.cors, bodyLimit: options.bodyLimit, heartbeatMs: options.heartbeatMs }, (app) => {
    if (options.ui !== false) mountViewer(app, service);
    if (options.mcp !== false) mountMcp(app, service);
  });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "EADDRINUSE" ? new ServeError(`port ${options.port} on ${host} is in use: choose another with --port (0 picks a free one)`) : error);
    });
    server.listen(options.port ?? 2024, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${bound}:${port}`,
    port,
    service,
    app,
    recovered,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        await closeService();
      })()),
  };
}
