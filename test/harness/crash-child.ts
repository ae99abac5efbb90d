// A process of the crash harness (crash.ts starts, kills and replaces them). Modes:
//   exec <file> <ids>   starts the runs named in <ids> (comma-separated; `-` for none), printing
//                       `started <id>` once each is created, then resumes orphaned runs (no live
//                       owner) it finds, until it is killed or every run in the file has ended.
//   recover <file>      `blockwork runs resume` on the file: the recovery after the chaos.
//   worker <url>        a PostgreSQL worker (startWorker) for the harness's graph, until killed.
// Under a file size limit (a "disk full" process), SIGXFSZ is ignored so that writes fail instead
// of killing the process: its runs fail with store_failed and are resumed by the others.
import { fileURLToPath } from "node:url";
import { isRunError, PostgresStore, resume, run, SqliteStore, startWorker } from "@blockwork/core";
import { main } from "@blockwork/cli";
import { harnessGraph } from "./crash-graph.js";

process.on("SIGXFSZ", () => {});
const [mode, file, ids] = process.argv.slice(2) as [string, string, string | undefined];
const module = fileURLToPath(new URL("./crash-graph.ts", import.meta.url));

if (mode === "recover") {
  let err = "";
  const code = await main(["runs", "resume", "--store", file, "--quiet"], { cwd: process.cwd(), env: {}, isTTY: false, out: () => {}, err: (t) => (err += t) });
  process.stdout.write(`recovered ${code} ${JSON.stringify(err.trim())}\n`);
  process.exit(0);
}

if (mode === "worker") {
  const pg = new PostgresStore(file, { maxConnections: 10 });
  // Short leases, so that the tasks of a killed worker come back quickly.
  const worker = await startWorker({ store: pg, graphs: [harnessGraph], concurrency: 8, leaseMs: 2_000, handleSignals: true });
  process.stdout.write("ready\n");
  await worker.stopped;
  await pg.close();
  process.exit(0);
}

const store = new SqliteStore(file, { heartbeatMs: 250 });
const source = { module, exportName: "harnessGraph" };
const inFlight = new Set<string>();
const track = (id: string, result: Promise<unknown>) => {
  inFlight.add(id);
  result.then(
    () => inFlight.delete(id),
    () => inFlight.delete(id),
  );
};
for (const id of ids === undefined || ids === "-" ? [] : ids.split(",")) {
  const handle = run(harnessGraph, { n: 0 }, { store, runId: id, source, onEvent: (e) => e.type === "run.started" && process.stdout.write(`started ${id}\n`) });
  track(id, handle.result);
  await new Promise((r) => setTimeout(r, Number(process.env["BLOCKWORK_HARNESS_GAP"] ?? 2)));
}

// Take over what dead processes left, until nothing is left.
for (;;) {
  await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 200)));
  let running;
  try {
    running = store.listRuns({ status: "running", limit: 1_000_000 });
  } catch {
    continue; // the disk is "full" for this process: reads still work, but try again
  }
  if (running.length === 0 && inFlight.size === 0) break;
  for (const record of running) {
    if (inFlight.has(record.id) || inFlight.size >= 64) continue;
    let owner;
    try {
      owner = store.runOwner(record.id);
    } catch {
      continue; // busy (another process recovers the WAL after a kill): next round
    }
    if (owner?.live) continue;
    try {
      const handle = await resume(record.id, { store, graph: harnessGraph });
      track(record.id, handle.result);
    } catch (error) {
      // Another process was quicker (run_owned), or finished it (already ended): fine.
      if (!isRunError(error)) throw error;
    }
  }
}
store.close();
process.stdout.write("done\n");
