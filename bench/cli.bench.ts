/**
 * How long the `blockwork` command takes to answer, as whole processes (what a user waits for):
 * `--help`, `--version`, `completion bash`, and `check` of one TypeScript and one JSON graph file, against a baseline
 * measured in the same run: `node -e 0`, the cost of starting Node at all. Targets (issue 18):
 * `--help` under 0.3 s and a one-file `check` under 1 s. The CLI runs from its build (dist/).
 */
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stats, type Row } from "./table.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "packages/cli/bin/blockwork.js");

/** Wall-clock milliseconds of `node <args>` (exit codes 0 and 1 both count as answers). */
function timeProcess(args: readonly string[], runs: number): number[] {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const start = process.hrtime.bigint();
    try {
      execFileSync(process.execPath, args, { cwd: root, stdio: "ignore" });
    } catch (error) {
      if ((error as { status?: number }).status !== 1) throw error;
    }
    // The first run warms the file system cache and is not counted.
    if (i > 0) times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times;
}

/** The CLI's start-up rows. */
export function cliRows(quick: boolean): Row[] {
  const runs = quick ? 2 : 9;
  const base = stats(timeProcess(["-e", "0"], runs));
  const row = (name: string, args: readonly string[], target: number): Row => {
    const measured = stats(timeProcess([bin, ...args], runs));
    return { name, unit: "ms", ...measured, baselineName: "node -e 0", ratio: measured.median / base.median, note: `target < ${target} ms` };
  };
  return [
    row("blockwork --help", ["--help"], 300),
    row("blockwork --version", ["--version"], 300),
    // Sourced from ~/.bashrc (source <(blockwork completion bash)): every new shell waits for it.
    row("blockwork completion bash", ["completion", "bash"], 300),
    row("blockwork check <one .graph.ts>", ["check", "examples/text-digest/digest.graph.ts"], 1000),
    row("blockwork check <one .graph.json>", ["check", "examples/broken/duplicate_id.json"], 1000),
    { name: "  baseline node -e 0", unit: "ms", ...base },
  ];
}
