/**
 * Recovery at scale: `blockwork runs resume` (every run) on a SQLite file holding thousands of
 * runs of a 10-block chain whose process died after each had journaled five blocks — the owner
 * rows name a dead process, so every run is taken over. Measured in a fresh process: runs resumed
 * per second and the process's peak memory (RSS), against the same number of runs started and
 * finished with run() in one process (the baseline, same run), and the 500 MB budget.
 * Issue 20 asks for ≥ 500 runs/s and ≤ 500 MB for 20,000 runs; quick mode resumes 200 (its rate is dominated by loading the module).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Row } from "./table.js";

const here = dirname(fileURLToPath(import.meta.url));
const BUDGET_MB = 500;

function child(args: string[], env: Record<string, string> = {}): string {
  const result = spawnSync(process.execPath, ["--import", "tsx", join(here, "recovery.child.ts"), ...args], { env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`recovery.child.ts ${args[0]} failed (${result.status}): ${result.stderr}`);
  return result.stdout.trim().split("\n").at(-1) as string;
}

export function recoveryRows(quick: boolean): Row[] {
  const runs = quick ? 200 : 20_000;
  const dir = join(here, ".tmp", "recovery");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const crashed = join(dir, "crashed.sqlite");
  child(["crash", crashed, String(runs)], { BLOCKWORK_BENCH_HANG_AT: "5" });
  const resumed = JSON.parse(child(["resume", crashed])) as { code: number; ms: number; maxRssMb: number; summary: string };
  if (resumed.code !== 0 || !resumed.summary.includes(`${runs} completed`)) throw new Error(`runs resume did not complete every run: ${resumed.summary}`);
  const fresh = JSON.parse(child(["fresh", join(dir, "fresh.sqlite"), String(runs)])) as { ms: number; maxRssMb: number };
  const rate = (runs * 1000) / resumed.ms;
  const freshRate = (runs * 1000) / fresh.ms;
  const point = (v: number) => ({ median: v, min: v, max: v });
  return [
    {
      name: `runs resume: ${runs.toLocaleString("en")} crashed runs of a 10-block chain`,
      unit: "runs/s",
      ...point(rate),
      baselineName: "the same runs fresh, run()",
      ratio: rate / freshRate,
      note: `5 blocks replayed + 5 run per run; whole command incl. module load; target ≥ 500 runs/s`,
    },
    {
      name: "  its peak memory (RSS of the process)",
      unit: "MB",
      ...point(resumed.maxRssMb),
      baselineName: `budget ${BUDGET_MB} MB`,
      ratio: resumed.maxRssMb / BUDGET_MB,
      note: `fresh run() of the same runs: ${Math.round(fresh.maxRssMb)} MB`,
    },
  ];
}
