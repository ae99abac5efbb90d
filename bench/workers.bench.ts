/**
 * Scale-out on PostgreSQL: blocks per second when 1, 2 and 4 worker processes (`startWorker`)
 * share a local PostgreSQL store and run 10-block chains submitted with `submitRun`:
 *
 * - blocks that only compute, against the same chains run in one process with `run()` on the
 *   SQLite store, measured in the same run (every block durable in both: a PostgreSQL commit per
 *   block against a SQLite WAL write per block);
 * - blocks that wait 20 ms (an API call, a model), against one worker process: what more workers
 *   buy when blocks wait rather than compute.
 *
 * Needs PostgreSQL (BLOCKWORK_BENCH_PG, default postgres://postgres@127.0.0.1:5432/test).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PostgresStore, run, SqliteStore, submitRun } from "@blockwork/core";
import { chainGraph } from "./graphs.js";
import { type Row, stats } from "./table.js";

const here = dirname(fileURLToPath(import.meta.url));
const PG_URL = process.env["BLOCKWORK_BENCH_PG"] ?? "postgres://postgres@127.0.0.1:5432/test";
const CONCURRENCY = 8;
const BLOCKS = 10;

/** Blocks per second of `runs` chains run in this process on a fresh SQLite file. */
async function sqliteRate(runs: number): Promise<number> {
  const dir = join(here, ".tmp", "workers");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const store = new SqliteStore(join(dir, "runs.sqlite"));
  const graph = chainGraph(BLOCKS);
  await Promise.all(Array.from({ length: 20 }, () => run(graph, { n: 0 }, { store }).result));
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: runs }, () => run(graph, { n: 0 }, { store }).result));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  store.close();
  return (runs * BLOCKS) / seconds;
}

function spawnWorker(schema: string, waitMs: number): Promise<ChildProcess> {
  const args = ["--import", "tsx", join(here, "workers.child.ts"), PG_URL, schema, String(CONCURRENCY), String(waitMs)];
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`a benchmark worker exited early (code ${code})`)));
    child.stdout?.once("data", () => resolve(child));
  });
}

/** Blocks per second of `runs` chains submitted up front and run by `workers` processes. */
async function postgresRate(workers: number, runs: number, waitMs: number): Promise<number> {
  const schema = `bench_workers_${process.pid}_${workers}_${Date.now() % 100_000}`;
  const store = new PostgresStore(PG_URL, { schema });
  const graph = chainGraph(BLOCKS);
  try {
    for (let i = 0; i < runs; i += 50) await Promise.all(Array.from({ length: Math.min(50, runs - i) }, () => submitRun(store, graph, { n: 0 })));
    const children = await Promise.all(Array.from({ length: workers }, () => spawnWorker(schema, waitMs)));
    const start = process.hrtime.bigint();
    for (const child of children) child.stdin?.write("go\n");
    const done = `SELECT count(*)::int AS n FROM "${schema}".runs WHERE status = 'completed'`;
    while ((await store.query<{ n: number }>(done))[0]?.n !== runs) await new Promise((resolve) => setTimeout(resolve, 20));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    await Promise.all(children.map((child) => new Promise((resolve) => (child.removeAllListeners("exit"), child.once("exit", resolve), child.kill("SIGTERM")))));
    return (runs * BLOCKS) / seconds;
  } finally {
    await store.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await store.close();
  }
}

export async function workerRows(quick: boolean): Promise<Row[]> {
  const samples = quick ? 1 : 3;
  const cpu = { runs: quick ? 100 : 1_000, sqlite: [] as number[], pg: new Map<number, number[]>([[1, []], [2, []], [4, []]]) };
  const io = { runs: quick ? 100 : 240, pg: new Map<number, number[]>([[1, []], [2, []], [4, []]]) };
  // Interleaved, so that a slow moment of the machine does not land on one configuration only.
  for (let s = 0; s < samples; s++) {
    cpu.sqlite.push(await sqliteRate(cpu.runs));
    for (const [workers, rates] of cpu.pg) rates.push(await postgresRate(workers, cpu.runs, 0));
    for (const [workers, rates] of io.pg) rates.push(await postgresRate(workers, io.runs, IO_WAIT_MS));
  }
  const base = stats(cpu.sqlite);
  const rows: Row[] = [{ name: "10-block chains: run() in one process, SQLite store", unit: "blocks/s", ...base }];
  for (const [workers, rates] of cpu.pg) {
    const s = stats(rates);
    rows.push({ name: `10-block chains: ${processes(workers)}, PostgreSQL`, unit: "blocks/s", ...s, baselineName: "SQLite in-process", ratio: s.median / base.median, note: `${cpu.runs} runs` });
  }
  const one = stats(io.pg.get(1) ?? []);
  for (const [workers, rates] of io.pg) {
    const s = stats(rates);
    const name = `chains of blocks waiting ${IO_WAIT_MS} ms: ${processes(workers)}`;
    rows.push({ name, unit: "blocks/s", ...s, ...(workers > 1 ? { baselineName: "1 worker process", ratio: s.median / one.median } : {}), note: `${io.runs} runs` });
  }
  return rows;
}

const IO_WAIT_MS = 20;
const processes = (n: number) => `${n} worker process${n > 1 ? "es" : ""} × ${CONCURRENCY}`;
