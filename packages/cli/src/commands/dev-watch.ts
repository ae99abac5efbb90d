import { type FSWatcher, watch } from "node:fs";
import { join, relative } from "node:path";
import { createInterface } from "node:readline";
import { DevSession } from "../dev-session.js";
import { CliError, type Io } from "../io.js";
import { readJson } from "./run.js";

export interface DevCommandOptions {
  readonly exportName?: string;
  /** JSON text or @file.json: re-run after every change. */
  readonly input?: string;
  readonly runs: number;
  readonly typecheck: boolean;
  /** Read REPL commands from this stream (default: the process's stdin). */
  readonly stdin?: NodeJS.ReadableStream;
}

const WATCHED = /\.(?:[cm]?[tj]sx?|json)$/;
const HELP = `commands:
  .run [json]                 run the graph (on the --input without json), print output and coverage
  .resume <runId> [block] [json]  resume a suspended run of this session
  .simulate [runs]            route coverage with generated outputs (every code block replaced)
  .check                      the checker's issues in full
  .block <id> <json>          run one block on an input
  .swap <id> <module>         replace a block's implementation by a module's default export (no restart)
  .verify                     re-verify every block
  .help, .exit`;

/**
 * `blockwork dev <graph>`: loads the graph, then on every save in its directory re-type-checks
 * (incrementally), re-checks, re-verifies the blocks that changed and re-runs `--input`, printing
 * what changed. Commands on stdin (a REPL) run, resume, simulate, check, run one block or swap an
 * implementation, against the loaded graph. Runs until `.exit` or Ctrl-C.
 */
export async function runDev(file: string, options: DevCommandOptions, io: Io): Promise<number> {
  const input = options.input === undefined ? undefined : await readJson(options.input, "--input", io);
  const session = new DevSession({
    file,
    cwd: io.cwd,
    ...(options.exportName ? { exportName: options.exportName } : {}),
    ...(input !== undefined ? { input } : {}),
    runs: options.runs,
    noTypecheck: !options.typecheck,
    print: (text) => io.out(text),
  });
  // A graph that does not load yet is watched all the same: the next save may fix it.
  await session.cycle("start");

  let queue: Promise<unknown> = Promise.resolve();
  const pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = (changed: string) => {
    pending.add(changed);
    clearTimeout(timer);
    // Editors write a file in several steps: one cycle per burst of changes.
    timer = setTimeout(() => {
      const files = [...pending];
      pending.clear();
      queue = queue.then(() => session.cycle(`changed ${files.map((f) => relative(io.cwd, f)).join(", ")}`, files)).catch((error: unknown) => io.err(`dev: ${error instanceof Error ? error.message : String(error)}\n`));
    }, 25);
  };
  let watcher: FSWatcher;
  try {
    watcher = watch(session.directory, { recursive: true }, (_event, name) => {
      if (name === null) return;
      const path = String(name);
      if (!WATCHED.test(path) || /(^|[\\/])(node_modules|\.blockwork|dist)[\\/]/.test(path)) return;
      schedule(join(session.directory, path));
    });
  } catch (error) {
    throw new CliError(`cannot watch ${relative(io.cwd, session.directory)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  io.out(`watching ${relative(io.cwd, session.directory) || "."} (type .help for commands)\n`);

  return new Promise<number>((resolveExit) => {
    const lines = createInterface({ input: options.stdin ?? process.stdin, terminal: false });
    const finish = (code: number) => {
      watcher.close();
      clearTimeout(timer);
      lines.close();
      resolveExit(code);
    };
    process.once("SIGINT", () => finish(0));
    lines.on("line", (line) => {
      queue = queue.then(() => command(line.trim(), session, io, () => finish(0))).catch((error: unknown) => io.out(`error: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`));
    });
  });
}

async function command(line: string, session: DevSession, io: Io, exit: () => void): Promise<void> {
  if (line === "") return;
  const [name = "", ...rest] = line.split(/\s+/);
  const arg = line.slice(name.length).trim();
  const json = (text: string | undefined) => (text === undefined || text === "" ? undefined : (JSON.parse(text) as unknown));
  switch (name) {
    case ".exit":
      exit();
      return;
    case ".help":
      io.out(`${HELP}\n`);
      return;
    case ".check":
      io.out(session.checkText());
      return;
    case ".verify":
      await session.cycle("verify", []);
      return;
    case ".simulate":
      io.out(await session.simulate(rest[0] ? Number(rest[0]) : 20));
      return;
    case ".run": {
      const result = await session.runInput(json(arg) ?? {});
      io.out(`${result.suspended ? `run ${result.runId} suspended at ${result.suspended.join(", ")}` : result.error ? `run ${result.runId} failed: ${result.error}` : `run ${result.runId}: ${JSON.stringify(result.output)}`}\n  ${result.coverage}\n`);
      return;
    }
    case ".resume": {
      const [runId, block, ...data] = rest;
      if (!runId) throw new Error(".resume needs a run id: .resume <runId> [block] [json]");
      const result = await session.resumeRun(runId, block, json(data.join(" ")));
      io.out(`${result.suspended ? `run ${result.runId} suspended at ${result.suspended.join(", ")}` : result.error ? `run ${result.runId} failed: ${result.error}` : `run ${result.runId}: ${JSON.stringify(result.output)}`}\n  ${result.coverage}\n`);
      return;
    }
    case ".block": {
      const [id] = rest;
      if (!id) throw new Error(".block needs a block id and a JSON input: .block <id> <json>");
      io.out(await session.runBlock(id, json(arg.slice(id.length).trim()) ?? {}));
      return;
    }
    case ".swap": {
      const [id, module] = rest;
      if (!id || !module) throw new Error(".swap needs a block id and a module: .swap <id> <module>");
      io.out(await session.swap(id, module));
      return;
    }
    default:
      io.out(`unknown command ${JSON.stringify(name)}\n${HELP}\n`);
  }
}
