import { relative } from "node:path";
import { simulate, type SimulationReport } from "@blockwork/nodes";
import type { Io } from "../io.js";
import { loadGraph } from "./run.js";

export interface SimulateCommandOptions {
  readonly exportName?: string;
  readonly runs: number;
  readonly seed: number;
  readonly all: boolean;
  readonly format: "text" | "json";
}

/**
 * `blockwork simulate <module>`: runs the graph with agent blocks (or every code block) replaced by
 * generated outputs that satisfy their contracts, and reports route coverage and runtime failures.
 * Exit 1 when a run failed; blocks or edges never reached are reported, not failures.
 */
export async function runSimulate(file: string, options: SimulateCommandOptions, io: Io): Promise<number> {
  const { graph, module } = await loadGraph(file, options.exportName, io);
  if (io.isTTY && options.format === "text") io.err(`simulating ${options.runs} runs of graph "${graph.def.id}" (seed ${options.seed})...\n`);
  const report = await simulate(graph, { runs: options.runs, seed: options.seed, all: options.all });
  if (options.format === "json") io.out(`${JSON.stringify(report, null, 2)}\n`);
  else io.out(describe(report, relative(io.cwd, module), options));
  return report.failures.length > 0 ? 1 : 0;
}

function describe(r: SimulationReport, file: string, o: SimulateCommandOptions): string {
  const lines = [
    `Simulated ${r.runs} runs of ${file} (seed ${o.seed}): ${r.completed} completed, ${r.failures.length} failed.`,
    `Replaced by generated outputs: ${r.replaced.length ? r.replaced.join(", ") : o.all ? "no code blocks" : "no agent blocks (use --all to replace every code block)"}.`,
    `Blocks reached: ${r.blocks.total - r.blocks.neverReached.length}/${r.blocks.total}${r.blocks.neverReached.length ? `; never reached: ${r.blocks.neverReached.join(", ")}` : ""}.`,
    `Edges taken: ${r.edges.total - r.edges.neverTaken.length}/${r.edges.total}${r.edges.neverTaken.length ? "; never taken:" : "."}`,
    ...r.edges.neverTaken.map((e) => `  ${e}`),
    r.loopsAtBound.length ? `Loops that hit their bound: ${r.loopsAtBound.join("; ")}.` : "No loop hit its bound.",
  ];
  if (r.failures.length) {
    // The same failure in many runs is one finding: grouped, with the runs it happened in.
    const groups = new Map<string, number[]>();
    for (const f of r.failures) {
      const key = `${f.code}${f.path ? ` at ${f.path}` : ""}: ${f.message}`;
      groups.set(key, [...(groups.get(key) ?? []), f.run]);
    }
    lines.push("Failures:");
    for (const [what, runs] of groups) lines.push(`  ${runs.length} run${runs.length === 1 ? "" : "s"} (${runs.slice(0, 8).join(", ")}${runs.length > 8 ? ", ..." : ""}): ${what}`);
  }
  return `${lines.join("\n")}\n`;
}
