import { relative } from "node:path";
import { formatVerifyReport, verifyGraph } from "@blockwork/nodes";
import { CliError, type Io } from "../io.js";
import { loadGraph } from "./run.js";

export interface VerifyCommandOptions {
  readonly exportName?: string;
  /** Only these blocks (ids or paths). */
  readonly blocks?: readonly string[];
  readonly runs: number;
  readonly seed: number;
  readonly format: "text" | "json";
}

/**
 * `blockwork verify <graph> [--block id]`: property-tests the graph's code blocks against their
 * contracts, declared properties and examples (see `verifyGraph`); prints each failure's shrunk
 * counterexample. Exit 1 when a block fails or is not implemented.
 */
export async function runVerify(file: string, options: VerifyCommandOptions, io: Io): Promise<number> {
  const { graph, module } = await loadGraph(file, options.exportName, io);
  if (io.isTTY && options.format === "text") io.err(`verifying graph "${graph.def.id}" (${options.runs} inputs per block, seed ${options.seed})...\n`);
  let report;
  try {
    report = await verifyGraph(graph, { runs: options.runs, seed: options.seed, ...(options.blocks?.length ? { blocks: options.blocks } : {}) });
  } catch (error) {
    // An unknown --block is the user's mistake: one clear line, not an internal error.
    if (error instanceof Error && error.message.startsWith("verify:")) throw new CliError(error.message.slice("verify: ".length));
    throw error;
  }
  if (options.format === "json") io.out(`${JSON.stringify(report, null, 2)}\n`);
  else io.out(`Verified ${relative(io.cwd, module)} (graph "${graph.def.id}", seed ${options.seed}):\n${formatVerifyReport(report)}`);
  return report.ok ? 0 : 1;
}
