import { relative } from "node:path";
import { type Command, Option } from "commander";
import { CliError, type Io } from "../io.js";
import { expandPaths, loadFile } from "../load.js";
import { DEFAULT_STORE, STORE_HELP, storeError } from "../stores.js";

export interface ServeCommandOptions {
  readonly store?: string;
  readonly host: string;
  readonly port: number;
  readonly token?: string;
  readonly allowedHost: string[];
  readonly cors: string[];
  readonly bodyLimit: number;
  readonly workers: number;
  readonly ui: boolean;
  readonly mcp: boolean;
}

/** Every built graph exported by the modules under `paths`, with where it came from (workers load it from there). */
async function loadServed(paths: readonly string[], io: Io) {
  const files = await expandPaths(paths, io.cwd);
  const served: { graph: NonNullable<Awaited<ReturnType<typeof loadFile>>["graphs"][number]["graph"]>; source: { module: string; exportName?: string } }[] = [];
  for (const file of files) {
    if (file.endsWith(".json")) continue;
    const loaded = await loadFile(file, io.cwd);
    for (const problem of loaded.problems) {
      const details = problem.problems.map((p) => p.message).join("; ");
      throw new CliError(`cannot serve ${relative(io.cwd, file)}${problem.exportName ? ` (${problem.exportName})` : ""}: ${details}`);
    }
    for (const g of loaded.graphs) if (g.graph) served.push({ graph: g.graph, source: { module: file, ...(g.exportName ? { exportName: g.exportName } : {}) } });
  }
  if (served.length === 0) throw new CliError(`no built graph found in ${paths.join(", ")}: export createGraph(...).build() from a TypeScript or JavaScript module.`);
  return served;
}

/** Resolves on SIGINT or SIGTERM. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const done = (signal: string) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolve(signal);
    };
    const onInt = () => done("SIGINT");
    const onTerm = () => done("SIGTERM");
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
  });
}

/** `blockwork serve <paths...>`: the HTTP API, the viewer and MCP over HTTP, until SIGINT or SIGTERM. */
export async function runServe(paths: readonly string[], options: ServeCommandOptions, io: Io): Promise<number> {
  const graphs = await loadServed(paths, io);
  const { startServer, ServeError } = await import("@blockwork/server");
  let server;
  try {
    server = await startServer({
      graphs,
      store: options.store ?? DEFAULT_STORE,
      host: options.host,
      port: options.port,
      ...(options.token ? { token: options.token } : io.env["BLOCKWORK_TOKEN"] ? { token: io.env["BLOCKWORK_TOKEN"] } : {}),
      allowedHosts: options.allowedHost,
      cors: options.cors,
      bodyLimit: options.bodyLimit,
      workers: options.workers,
      ui: options.ui,
      mcp: options.mcp,
    });
  } catch (error) {
    if (error instanceof ServeError) throw new CliError(error.message);
    throw storeError(error) ?? error;
  }
  const names = server.service.catalog.entries.map((e) => e.graphId).join(", ");
  io.err(`blockwork serve: ${server.url} (graphs: ${names})\n`);
  if (options.ui) io.err(`  viewer: ${server.url}/ui\n`);
  if (options.mcp) io.err(`  MCP:    ${server.url}/mcp (streamable HTTP)\n`);
  if (server.recovered.length) io.err(`  resumed ${server.recovered.length} run(s) that were running when the last server stopped\n`);
  io.err("SIGTERM or Ctrl-C stops it.\n");
  const signal = await untilSignal();
  io.err(`blockwork serve: ${signal}: stopping (runs in flight get up to 10 s to settle; the next server resumes the rest)\n`);
  await server.close();
  return 0;
}

/** `blockwork mcp <paths...>`: an MCP server on stdin/stdout, until stdin closes. */
export async function runMcp(paths: readonly string[], options: { store?: string }, io: Io): Promise<number> {
  const graphs = await loadServed(paths, io);
  const { createService, serveMcpStdio } = await import("@blockwork/server");
  let service;
  try {
    service = await createService({ graphs, store: options.store ?? DEFAULT_STORE });
  } catch (error) {
    throw storeError(error) ?? error;
  }
  const mcp = await serveMcpStdio(service.service);
  io.err(`blockwork mcp: serving ${graphs.length} graph(s) as MCP tools on stdio\n`);
  await new Promise<void>((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await mcp.close();
  await service.close();
  return 0;
}

/** Registers `blockwork serve` and `blockwork mcp`. */
export function registerServeCommands(program: Command, io: Io, setCode: (code: number) => void): void {
  const collect = (value: string, previous: string[]) => [...previous, value];
  program
    .command("serve")
    .description("Serve graphs over HTTP: the LangGraph SDK-compatible API, the run viewer (/ui) and MCP (/mcp).")
    .argument("<paths...>", "modules exporting graphs, or directories (searched for *.graph.ts, ...)")
    .option("-s, --store <path|memory|url>", `where runs live: ${STORE_HELP}; on PostgreSQL runs execute on workers and servers can share the database`)
    .option("--host <address>", "the address to bind; anything but loopback needs --token", "127.0.0.1")
    .option("-p, --port <n>", "the port (0: any free one)", (v) => portNumber(v), 2024)
    .option("--token <token>", "the bearer token clients must send (default: BLOCKWORK_TOKEN)")
    .option("--allowed-host <name>", "a host name requests may address besides loopback (behind a proxy); repeatable", collect, [])
    .option("--cors <origin>", "an origin allowed to call the API from a browser; repeatable (default: none)", collect, [])
    .option("--body-limit <bytes>", "the largest request body", (v) => positive(v, "--body-limit"), 1024 * 1024)
    .option("--workers <n>", "on PostgreSQL: blocks this server runs at once as a worker (0: leave it to blockwork worker)", (v) => nonNegative(v, "--workers"), 4)
    .option("--no-ui", "do not serve the viewer")
    .option("--no-mcp", "do not serve MCP over HTTP")
    .addHelpText(
      "after",
      `
Binds 127.0.0.1 by default. Requests must name this host (DNS-rebinding protection) and browsers may
call it only from its own origin unless --cors allows another. See docs/serving.md.

Examples:
  blockwork serve examples --store .blockwork/runs.sqlite
  BLOCKWORK_TOKEN=$(openssl rand -hex 32) blockwork serve app.graph.ts --host 0.0.0.0 --store postgres://db.internal/app`,
    )
    .action(async (paths: string[], opts: ServeCommandOptions) => {
      setCode(await runServe(paths, opts, io));
    });
  program
    .command("mcp")
    .description("Serve graphs as MCP tools over stdio (for an MCP client's config).")
    .argument("<paths...>", "modules exporting graphs, or directories")
    .addOption(new Option("-s, --store <path|memory|url>", STORE_HELP))
    .addHelpText(
      "after",
      `
Every graph is a tool whose input and output schemas are its contract; "resume" answers a run that
waits for a person. Logs go to stderr. See docs/serving.md.

Example client config:
  { "mcpServers": { "blockwork": { "command": "npx", "args": ["blockwork", "mcp", "examples", "--store", ".blockwork/mcp.sqlite"] } } }`,
    )
    .action(async (paths: string[], opts: { store?: string }) => {
      setCode(await runMcp(paths, opts, io));
    });
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new CliError(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(value)}.`);
  return n;
}

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} must be a whole number of at least 1, got ${JSON.stringify(value)}.`);
  return n;
}

function nonNegative(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${name} must be a whole number of at least 0, got ${JSON.stringify(value)}.`);
  return n;
}
