import { relative, resolve } from "node:path";
import { toMermaid } from "@blockwork/spec";
import { CliError, type Io } from "../io.js";
import { loadFile } from "../load.js";

export interface GraphCommandOptions {
  readonly exportName?: string;
  readonly format: "mermaid" | "json";
  readonly direction: "TD" | "LR";
}

/** `blockwork graph <file>`: prints a graph as a Mermaid diagram or as its GraphDef. */
export async function runGraph(file: string, options: GraphCommandOptions, io: Io): Promise<number> {
  const full = resolve(io.cwd, file);
  const loaded = await loadFile(full, io.cwd);
  const shown = relative(io.cwd, full) || file;
  const candidates = options.exportName === undefined ? loaded.graphs : loaded.graphs.filter((g) => g.exportName === options.exportName);
  if (candidates.length === 0) {
    const problem = loaded.problems.find((p) => options.exportName === undefined || p.exportName === options.exportName);
    if (problem) throw new CliError(`Cannot load a graph from ${shown}${problem.exportName ? ` (${problem.exportName})` : ""}: ${problem.problems.map((p) => `${p.path.length ? `${p.path.join(".")}: ` : ""}${p.message}`).join("; ")}`);
    const names = loaded.graphs.map((g) => g.exportName).filter(Boolean);
    throw new CliError(`${shown} has no graph export named ${JSON.stringify(options.exportName)}${names.length ? ` (graph exports: ${names.join(", ")})` : ""}.`);
  }
  if (candidates.length > 1) {
    throw new CliError(`${shown} exports ${candidates.length} graphs (${candidates.map((g) => g.exportName).join(", ")}); choose one with --export NAME.`);
  }
  const def = (candidates[0] as { def: Parameters<typeof toMermaid>[0] }).def;
  io.out(options.format === "json" ? `${JSON.stringify(def, null, 2)}\n` : `${toMermaid(def, { direction: options.direction })}\n`);
  return 0;
}
