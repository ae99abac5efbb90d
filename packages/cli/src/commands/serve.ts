import { relative } from "node:path";
import { check } from "@blockwork/spec";
import { CliError, type Io } from "../io.js";
import { expandPaths, loadFile } from "../load.js";
import { DEFAULT_STORE } from "../options.js";
import { storeError } from "../stores.js";

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
    for (const g of loaded.graphs) {
      if (!g.graph) continue;
      // A graph with checker errors cannot run: say so and serve the others (a directory such as
      // examples/ holds deliberately broken graphs too).
      const errors = check(g.graph.def).filter((i) => i.severity === "error");
      if (errors.length) {
        io.err(`blockwork serve: not serving ${g.graph.def.id} from ${relative(io.cwd, file)}: ${errors.length} checker error${errors.length > 1 ? "s" : ""} (blockwork check ${relative(io.cwd, file)})\n`);
        continue;
      }
      served.push({ graph: g.graph, source: { module: file, ...(g.exportName ? { exportName: g.exportName } : {}) } });
    }
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
