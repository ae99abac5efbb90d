/**
 * `blockwork dev` feedback time (issue 17): how long after a save of one block's implementation a
 * 50-block graph's dev loop has re-type-checked, re-checked, re-verified the changed block and
 * re-run the input, measured from the write to the report line, as a user waits for it (real
 * file watching, the CLI as a child process, from its build). Baseline in the same run: the dev
 * session's cold start (load, full type check, check, verify of every block, one run).
 * Target: under 1 s. `node --import tsx bench/dev.bench.ts [--quick]` prints the rows alone.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { printTable, stats, type Row } from "./table.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "packages/cli/bin/blockwork.js");
const BLOCKS = 50;

/** Writes a chain of 50 declared blocks (each adds its step to n), each with its own implementation module. */
export function writeGraph(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const decls: string[] = [];
  for (let i = 0; i < BLOCKS; i++) {
    decls.push(`export const b${i} = declareBlock({
  id: "b${i}",
  purpose: "Adds ${i % 7} to n.",
  input: N,
  output: N,
  examples: [{ input: { n: 1 }, output: { n: ${1 + (i % 7)} } }],
  properties: { "adds ${i % 7}": ({ input, output }) => output.n === input.n + ${i % 7} },
  implementation: new URL("./b${i}.impl.ts", import.meta.url),
});`);
    writeFileSync(join(dir, `b${i}.contract.ts`), "export type Input = { n: number };\nexport type Output = { n: number };\nexport interface Context { readonly signal: { readonly aborted: boolean } }\nexport type Run = (input: Input, ctx: Context) => Output | Promise<Output>;\n");
    writeFileSync(join(dir, `b${i}.impl.ts`), implementation(i, 0));
  }
  const chain = Array.from({ length: BLOCKS }, (_, i) => `  .then(b${i})`).join("\n");
  writeFileSync(
    join(dir, "chain.graph.ts"),
    `import { createGraph, declareBlock } from "@blockwork/spec";\nimport { z } from "zod";\n\nconst N = z.object({ n: z.number().int() });\n\n${decls.join("\n\n")}\n\nexport const chain = createGraph({ id: "chain", input: N, output: N })\n${chain}\n  .output((_, { b${BLOCKS - 1} }) => b${BLOCKS - 1})\n  .build();\n`,
  );
}

/** Two equivalent versions of block i's code (a save that changes the file, not the behaviour). */
function implementation(i: number, version: number): string {
  return `import type { Input, Output } from "./b${i}.contract.js";\n\n// version ${version}\nexport default function run(input: Input): Output {\n  return { n: input.n + ${i % 7} };\n}\n`;
}

/** Resolves when the child's output (from `from`) matches. */
function waitFor(state: { out: string }, pattern: RegExp, from: number, timeoutMs = 180_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (pattern.test(state.out.slice(from))) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`dev bench: timed out waiting for ${pattern}; output:\n${state.out.slice(-2000)}`));
      else setTimeout(tick, 2);
    };
    tick();
  });
}

/** The dev loop's rows: feedback after a save, against the cold start of the same session. */
export async function devRows(quick: boolean): Promise<Row[]> {
  const dir = join(root, "bench/.tmp/dev50");
  writeGraph(dir);
  const saves = quick ? 3 : 12;
  const state = { out: "" };
  const started = process.hrtime.bigint();
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [bin, "dev", join(dir, "chain.graph.ts"), "--input", '{"n": 0}'], { cwd: root, env: { ...process.env, NO_COLOR: "1" } });
  child.stdout.on("data", (d: Buffer) => (state.out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (state.out += d.toString()));
  try {
    await waitFor(state, /watching /, 0);
    const cold = Number(process.hrtime.bigint() - started) / 1e6;
    const wall: number[] = [];
    const typed: number[] = [];
    const graphTyped: number[] = [];
    const internal: number[] = [];
    for (let s = 1; s <= saves; s++) {
      const i = (s * 17) % BLOCKS;
      const from = state.out.length;
      const t = process.hrtime.bigint();
      writeFileSync(join(dir, `b${i}.impl.ts`), implementation(i, s));
      await waitFor(state, new RegExp(`changed .*b${i}\\.impl\\.ts: feedback in [\\d.]+ ms[\\s\\S]*output: unchanged`), from);
      wall.push(Number(process.hrtime.bigint() - t) / 1e6);
      await waitFor(state, /output: unchanged\n {2}typecheck: /, from);
      typed.push(Number(process.hrtime.bigint() - t) / 1e6);
      const reported = /feedback in ([\d.]+) ms/.exec(state.out.slice(from));
      if (reported) internal.push(Number(reported[1]));
    }
    // A save of the graph module itself: the graph is imported again (its 50 declarations too).
    const graphSaves: number[] = [];
    const graphFile = join(dir, "chain.graph.ts");
    const text = readFileSync(graphFile, "utf8");
    for (let s = 1; s <= Math.max(2, Math.floor(saves / 3)); s++) {
      const from = state.out.length;
      const t = process.hrtime.bigint();
      writeFileSync(graphFile, `${text}// save ${s}\n`);
      await waitFor(state, /changed .*chain\.graph\.ts: feedback in [\d.]+ ms[\s\S]*output: unchanged/, from);
      graphSaves.push(Number(process.hrtime.bigint() - t) / 1e6);
      await waitFor(state, /output: unchanged\n {2}typecheck: /, from);
      graphTyped.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const save = stats(wall);
    const inside = stats(internal);
    const graphSave = stats(graphSaves);
    return [
      { name: `dev: save of one block → feedback (${BLOCKS}-block graph)`, unit: "ms", ...save, baselineName: "dev cold start", ratio: save.median / cold, note: "target < 1000 ms; write → report (check, verify, run)" },
      { name: "  of which the dev cycle itself", unit: "ms", ...inside, baselineName: "dev cold start", ratio: inside.median / cold, note: "as dev reports it" },
      { name: "  and its type check done", unit: "ms", ...stats(typed), baselineName: "dev cold start", ratio: stats(typed).median / cold, note: "write → typecheck line" },
      { name: `dev: save of the graph module → feedback (${BLOCKS} blocks)`, unit: "ms", ...graphSave, baselineName: "dev cold start", ratio: graphSave.median / cold, note: "target < 1000 ms; reimports the graph" },
      { name: "  and its type check done", unit: "ms", ...stats(graphTyped), baselineName: "dev cold start", ratio: stats(graphTyped).median / cold, note: "write → typecheck line" },
      { name: "  baseline dev cold start (load, full typecheck, verify all)", unit: "ms", median: cold, min: cold, max: cold },
    ];
  } finally {
    child.kill("SIGKILL");
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await devRows(process.argv.includes("--quick"));
  process.stdout.write(`${printTable("blockwork dev: feedback after a save (lower is better)", rows)}\n`);
}
