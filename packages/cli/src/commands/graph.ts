import { toMermaid, toXStateConfig } from "@blockwork/spec";
import { CliError, type Io } from "../io.js";
import { loadOneGraph } from "../load.js";

export interface GraphCommandOptions {
  readonly exportName?: string;
  readonly format: "mermaid" | "json" | "xstate";
  readonly direction: "TD" | "LR";
  /** Draw the path this run took (Mermaid only). */
  readonly run?: string;
  /** Where the run is: a SQLite file or postgres://... (default: .blockwork/runs.sqlite). */
  readonly store?: string;
}

/** `blockwork graph <file>`: prints a graph as a Mermaid diagram, as its GraphDef, or as an XState machine config. */
export async function runGraph(file: string, options: GraphCommandOptions, io: Io): Promise<number> {
  const { def } = await loadOneGraph(file, io.cwd, { exportName: options.exportName });
  if (options.run !== undefined) {
    if (options.format !== "mermaid") throw new CliError(`--run draws the run on the Mermaid diagram; it does not go with --format ${options.format}.`);
    const { openStore } = await import("../stores.js");
    const { runTrace } = await import("../run-trace.js");
    const store = openStore(options.store, io.cwd, { read: true });
    try {
      const record = await store.getRun(options.run);
      if (record === undefined) throw new CliError(`no run ${options.run} in ${options.store ?? "the default store (.blockwork/runs.sqlite)"}: list runs with \`blockwork runs\`, or pass --store.`);
      if (record.graphId !== def.id) throw new CliError(`run ${options.run} ran graph "${record.graphId}", not "${def.id}" (${file}): pick the file (or --export) of its graph.`);
      const run = runTrace(def, await store.journal(options.run), record.error?.path);
      io.out(`${toMermaid(def, { direction: options.direction, run })}\n`);
      return 0;
    } finally {
      await store.close();
    }
  }
  if (options.format === "xstate") io.out(`${JSON.stringify(toXStateConfig(def), null, 2)}\n`);
  else io.out(options.format === "json" ? `${JSON.stringify(def, null, 2)}\n` : `${toMermaid(def, { direction: options.direction })}\n`);
  return 0;
}
