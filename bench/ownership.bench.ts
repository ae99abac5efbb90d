/**
 * What run ownership costs on SQLite (issue 20): fresh runs of a 10-block chain with `run()` on a
 * SQLite file, the store as it is (each run claimed with an owner row in the transaction that
 * creates it, every append and the outcome checked against it, the row dropped at the end) against
 * the same store object with `claimRun` hidden (the run created, appended and finished without
 * an owner: what the runtime does for stores that have no ownership). Interleaved samples, each
 * on a fresh file, so that file growth and a slow moment of the machine fall on both.
 */
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { run, SqliteStore, type Store } from "@blockwork/core";
import { chainGraph } from "./graphs.js";
import { type Row, stats } from "./table.js";

const here = dirname(fileURLToPath(import.meta.url));
const tmp = join(here, ".tmp", "ownership");
const BLOCKS = 10;

/** µs per run of `runs` sequential fresh runs on a new SQLite file; `owned` false hides `claimRun`. */
async function sample(runs: number, owned: boolean, n: number): Promise<number> {
  const file = join(tmp, `${owned ? "owned" : "plain"}-${n}.sqlite`);
  rmSync(file, { force: true });
  const sqlite = new SqliteStore(file);
  // The same object without claimRun: its appends and finish take the path of an unowned run.
  const store: Store = owned ? sqlite : (Object.create(sqlite, { claimRun: { value: undefined } }) as Store);
  const graph = chainGraph(BLOCKS);
  for (let i = 0; i < 20; i++) await run(graph, { n: 0 }, { store }).result;
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) await run(graph, { n: 0 }, { store }).result;
  const us = Number(process.hrtime.bigint() - start) / 1e3 / runs;
  sqlite.close();
  rmSync(file, { force: true });
  rmSync(`${file}-wal`, { force: true });
  rmSync(`${file}-shm`, { force: true });
  return us;
}

export async function ownershipRows(quick: boolean): Promise<Row[]> {
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const samples = quick ? 3 : 9;
  const runs = quick ? 200 : 1_000;
  const owned: number[] = [];
  const plain: number[] = [];
  for (let s = 0; s < samples; s++) {
    plain.push(await sample(runs, false, s));
    owned.push(await sample(runs, true, s));
  }
  const base = stats(plain);
  const withOwner = stats(owned);
  return [
    { name: `fresh ${BLOCKS}-block runs on SQLite, no owner (claimRun hidden)`, unit: "µs/run", ...base, note: `${runs} runs × ${samples}` },
    {
      name: `fresh ${BLOCKS}-block runs on SQLite, with run ownership`,
      unit: "µs/run",
      ...withOwner,
      baselineName: "no owner",
      ratio: withOwner.median / base.median,
      note: `${runs} runs × ${samples}`,
    },
  ];
}
