import { toMermaid, toXStateConfig } from "@blockwork/spec";
import type { Io } from "../io.js";
import { loadOneGraph } from "../load.js";

export interface GraphCommandOptions {
  readonly exportName?: string;
  readonly format: "mermaid" | "json" | "xstate";
  readonly direction: "TD" | "LR";
}

/** `blockwork graph <file>`: prints a graph as a Mermaid diagram, as its GraphDef, or as an XState machine config. */
export async function runGraph(file: string, options: GraphCommandOptions, io: Io): Promise<number> {
  const { def } = await loadOneGraph(file, io.cwd, { exportName: options.exportName });
  if (options.format === "xstate") io.out(`${JSON.stringify(toXStateConfig(def), null, 2)}\n`);
  else io.out(options.format === "json" ? `${JSON.stringify(def, null, 2)}\n` : `${toMermaid(def, { direction: options.direction })}\n`);
  return 0;
}
