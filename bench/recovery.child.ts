// Child of recovery.bench.ts. `crash <file> <runs>`: starts the runs (they stop at block 5, see
// recovery-chain.graph.ts), waits until each has journaled its first five blocks, and exits without
// closing anything: a process that died, its runs still marked running and owned by a dead pid.
// `resume <file>`: `blockwork runs resume` on the file, in this process; prints its time and peak memory.
// `fresh <file> <runs>`: the same runs started and finished with run(), 32 at a time (the baseline).
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run, SqliteStore } from "@blockwork/core";
import { main } from "@blockwork/cli";

const [mode, file, count] = process.argv.slice(2) as [string, string, string | undefined];
const module = fileURLToPath(new URL("./recovery-chain.graph.ts", import.meta.url));
const runs = Number(count ?? 0);

if (mode === "crash") {
  const { recoveryChain } = await import("./recovery-chain.graph.js");
  const store = new SqliteStore(file);
  let journaled = 0;
  const source = { module, exportName: "recoveryChain" };
  for (let i = 0; i < runs; i++) {
    run(recoveryChain, { n: 0 }, { store, source, onEvent: (e) => e.type === "block.completed" && journaled++ });
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
  }
  while (journaled < runs * 5) await new Promise((r) => setTimeout(r, 20));
  process.stdout.write("crashed\n");
  process.exit(0);
} else if (mode === "resume") {
  let err = "";
  const start = process.hrtime.bigint();
  const code = await main(["runs", "resume", "--store", file, "--quiet"], { cwd: join(module, ".."), env: {}, isTTY: false, out: () => {}, err: (t) => (err += t) });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(`${JSON.stringify({ code, ms, maxRssMb: process.resourceUsage().maxRSS / 1024, summary: err.trim().split("\n")[0] })}\n`);
} else if (mode === "fresh") {
  const { recoveryChain } = await import("./recovery-chain.graph.js");
  const store = new SqliteStore(file);
  const start = process.hrtime.bigint();
  let next = 0;
  const lane = async () => {
    while (next++ < runs) await run(recoveryChain, { n: 0 }, { store }).result;
  };
  await Promise.all(Array.from({ length: 32 }, lane));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  store.close();
  process.stdout.write(`${JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}
