import type { Io } from "../io.js";
import { loadOneGraph } from "../load.js";
import { coveragePaths } from "../xstate-paths.js";

/** Options of `blockwork simulate <file> --paths`. */
export interface PathsCommandOptions {
  readonly exportName?: string;
  readonly format: "text" | "json";
}

/**
 * `blockwork simulate <file> --paths`: route-coverage paths of a graph, computed by xstate's graph
 * utilities over the graph's XState machine: a few paths from start to end that together take
 * every route, loop edge and onExhausted fallback.
 */
export async function runPaths(file: string, options: PathsCommandOptions, io: Io): Promise<number> {
  const { def } = await loadOneGraph(file, io.cwd, { exportName: options.exportName });
  const { paths, transitions } = coveragePaths(def);
  if (options.format === "json") {
    io.out(`${JSON.stringify({ graph: def.id, transitions, paths }, null, 2)}\n`);
    return 0;
  }
  io.out(`${def.id}: ${paths.length} path${paths.length === 1 ? "" : "s"} cover all ${transitions} transitions\n`);
  paths.forEach((p, i) => io.out(`  ${i + 1}. ${p.steps.join(" -> ")}\n`));
  return 0;
}
