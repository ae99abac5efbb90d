/**
 * The runtime's numbers, each against baselines measured in the same process run:
 *
 * - µs per block step on chains of 10 and 100 blocks (contracts validated), against the same chain
 *   as plain async functions with the same zod parses, and as a LangGraph StateGraph;
 * - µs per step with the durable SQLite store, against LangGraph with its SQLite checkpointer, and
 *   the bytes written per step on a graph whose state grows by 1 KB a step;
 * - a fan-out of 100 and a join, against Promise.all and LangGraph's Send;
 * - heap per in-flight run (10,000 and 1,000,000 runs of a 10-block graph, every block awaiting a
 *   timer), against the same number of plain async chains (child processes with --expose-gc).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MemoryStore, run, SqliteStore, type Store } from "@blockwork/core";
import type { GraphBlock } from "@blockwork/spec";
import Database from "better-sqlite3";
import { chainGraph, fanOutGraph, growingGraph, plainChain, plainFanOut } from "./graphs.js";
import { langgraphChain, langgraphFanOut, langgraphGrowing, SqliteSaver } from "./langgraph.js";
import { type Row, stats } from "./table.js";

const here = dirname(fileURLToPath(import.meta.url));
const tmp = join(here, ".tmp", "runtime");

/** Median/min/max of `samples` timings of `repeat` awaited calls, in µs per `per` units. */
async function measure(fn: () => Promise<unknown>, o: { samples: number; repeat: number; per: number; warmup: number }) {
  for (let i = 0; i < o.warmup; i++) await fn();
  const values: number[] = [];
  for (let s = 0; s < o.samples; s++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < o.repeat; i++) await fn();
    values.push(Number(process.hrtime.bigint() - start) / 1e3 / (o.repeat * o.per));
  }
  return stats(values);
}

function row(name: string, unit: string, s: { median: number; min: number; max: number }, baseline?: { name: string; median: number }, note?: string): Row {
  return {
    name,
    unit,
    ...s,
    ...(baseline ? { baselineName: baseline.name, ratio: s.median / baseline.median } : {}),
    ...(note ? { note } : {}),
  };
}

async function steps(quick: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  for (const len of [10, 100]) {
    const repeat = len === 10 ? (quick ? 200 : 2000) : quick ? 20 : 200;
    const o = { samples: quick ? 3 : 7, repeat, per: len, warmup: repeat };
    const graph = chainGraph(len);
    const plain = plainChain(len);
    const store = new MemoryStore();
    const base = await measure(() => plain({ n: 0 }), o);
    const ours = await measure(() => run(graph, { n: 0 }, { store }).result, o);
    const lg = langgraphChain(len);
    const lgRepeat = Math.max(2, Math.round(repeat / 100));
    const theirs = await measure(() => lg.invoke({ n: 0 }, { recursionLimit: 1_000 }), { ...o, repeat: lgRepeat, warmup: lgRepeat });
    rows.push(row(`chain of ${len}: plain async functions + zod`, "µs/step", base));
    rows.push(row(`chain of ${len}: blockwork (memory store)`, "µs/step", ours, { name: "plain + zod", median: base.median }));
    rows.push(row(`chain of ${len}: LangGraph StateGraph`, "µs/step", theirs, { name: "blockwork", median: ours.median }, `${(theirs.median / base.median).toFixed(0)}× plain`));
  }
  return rows;
}

/**
 * What supervision costs when nothing fails: the same chain with a restart policy on every block,
 * under the cheapest and the dearest strategy (rest_for_one records the order blocks start in).
 * Measured alternately with the unsupervised chain, so that drift hits both alike.
 */
export async function supervision(quick: boolean): Promise<Row[]> {
  const restart = { type: "permanent", intensity: 3, periodMs: 60_000 } as const;
  const graphs = {
    none: chainGraph(10),
    one_for_one: chainGraph(10, undefined, { restart, strategy: "one_for_one" }),
    rest_for_one: chainGraph(10, undefined, { restart, strategy: "rest_for_one" }),
  };
  const store = new MemoryStore();
  const o = { samples: 1, repeat: quick ? 200 : 2000, per: 10, warmup: quick ? 200 : 2000 };
  const samples: Record<keyof typeof graphs, number[]> = { none: [], one_for_one: [], rest_for_one: [] };
  for (let round = 0; round < (quick ? 3 : 9); round++) {
    for (const key of Object.keys(graphs) as (keyof typeof graphs)[]) {
      const graph = graphs[key];
      samples[key].push((await measure(() => run(graph, { n: 0 }, { store }).result, o)).median);
    }
  }
  const none = stats(samples.none);
  const baseline = { name: "no supervision", median: none.median };
  return [
    row("chain of 10, happy path: no restart policies", "µs/step", none),
    row("chain of 10, happy path: every block supervised, one_for_one", "µs/step", stats(samples.one_for_one), baseline, "permanent, intensity 3 in 60 s"),
    row("chain of 10, happy path: every block supervised, rest_for_one", "µs/step", stats(samples.rest_for_one), baseline, "records the start order"),
  ];
}

async function durable(quick: boolean): Promise<Row[]> {
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const graph = chainGraph(10);
  const repeat = quick ? 50 : 300;
  const o = { samples: quick ? 3 : 5, repeat, per: 10, warmup: 20 };
  const memory = new MemoryStore();
  const inMemory = await measure(() => run(graph, { n: 0 }, { store: memory }).result, o);
  const sqlite = new SqliteStore(join(tmp, "blockwork.sqlite"));
  const ours = await measure(() => run(graph, { n: 0 }, { store: sqlite }).result, o);
  const saver = SqliteSaver.fromConnString(join(tmp, "langgraph.sqlite"));
  const lg = langgraphChain(10, saver);
  let thread = 0;
  const lgRepeat = quick ? 3 : 20;
  const theirs = await measure(() => lg.invoke({ n: 0 }, { configurable: { thread_id: `t${thread++}` } }), { ...o, repeat: lgRepeat, warmup: 3 });
  return [
    row("chain of 10 on SQLite: blockwork", "µs/step", ours, { name: "blockwork in memory", median: inMemory.median }, "WAL, synchronous=NORMAL; each completion committed before the next block"),
    row("chain of 10 on SQLite: LangGraph + SqliteSaver", "µs/step", theirs, { name: "blockwork on SQLite", median: ours.median }),
    ...(await journalBytes(sqlite)),
  ];
}

/** Bytes written per step when each step adds ~1 KB: the journal holds what changed, a checkpoint the whole state. */
async function journalBytes(sqlite: SqliteStore): Promise<Row[]> {
  const steps = 10;
  const handle = run(growingGraph(steps), { n: 0 }, { store: sqlite });
  await handle.result;
  const ours = sqlite.journalBytes(handle.id) / steps;
  const file = join(tmp, "langgraph-growing.sqlite");
  const saver = SqliteSaver.fromConnString(file);
  await langgraphGrowing(steps, saver).invoke({ n: 0, texts: [] }, { configurable: { thread_id: "growing" } });
  const db = new Database(file, { readonly: true });
  const total = (sql: string) => (db.prepare(sql).pluck().get() as number | null) ?? 0;
  const theirs =
    (total("SELECT SUM(LENGTH(checkpoint) + LENGTH(metadata)) FROM checkpoints") + total("SELECT SUM(LENGTH(value)) FROM writes")) / steps;
  db.close();
  const point = (v: number) => ({ median: v, min: v, max: v });
  return [
    row("journal per step, state growing 1 KB/step: blockwork", "bytes", point(ours)),
    row("checkpoints per step, same graph: LangGraph SqliteSaver", "bytes", point(theirs), { name: "blockwork journal", median: ours }),
  ];
}

async function fanOut(quick: boolean): Promise<Row[]> {
  const items = Array.from({ length: 100 }, (_, i) => ({ n: i }));
  const o = { samples: quick ? 3 : 7, repeat: quick ? 20 : 200, per: 1, warmup: 20 };
  const plain = plainFanOut();
  const graph: GraphBlock = fanOutGraph(100);
  const store = new MemoryStore();
  const base = await measure(() => plain({ items }), o);
  const ours = await measure(() => run(graph, { items }, { store }).result, o);
  const lg = langgraphFanOut();
  const theirs = await measure(() => lg.invoke({ items, results: [] }), { ...o, repeat: quick ? 3 : 10, warmup: 3 });
  return [
    row("fan-out of 100 + join: Promise.all + zod", "µs", base),
    row("fan-out of 100 + join: blockwork (map, concurrency 100)", "µs", ours, { name: "Promise.all", median: base.median }),
    row("fan-out of 100 + join: LangGraph Send", "µs", theirs, { name: "blockwork", median: ours.median }, `${(theirs.median / base.median).toFixed(0)}× Promise.all`),
  ];
}

function memory(quick: boolean): Row[] {
  const child = (kind: string, n: number, delayMs: number) => {
    const out = execFileSync(process.execPath, ["--expose-gc", "--max-old-space-size=16000", "--import", "tsx", join(here, "memory.child.ts"), kind, String(n), String(delayMs)], {
      encoding: "utf8",
      maxBuffer: 1 << 20,
    });
    const result = JSON.parse(out.trim().split("\n").pop() as string) as { kbPerRun: number; ok: boolean; totalMs: number; startMs: number };
    if (!result.ok) throw new Error(`${kind} x ${n}: some runs did not complete with the right output`);
    return result;
  };
  const rows: Row[] = [];
  for (const [n, delay] of quick ? [[10_000, 200]] : [[10_000, 300], [1_000_000, 5_000]]) {
    const base = child("plain", n as number, delay as number);
    const ours = child("blockwork", n as number, delay as number);
    const point = (v: number) => ({ median: v, min: v, max: v });
    const label = (n as number).toLocaleString("en");
    rows.push(row(`heap per in-flight run, ${label} at once: plain async chain`, "KB", point(base.kbPerRun)));
    rows.push(
      row(`heap per in-flight run, ${label} at once: blockwork`, "KB", point(ours.kbPerRun), { name: "plain async chain", median: base.kbPerRun }, `all ${label} completed; ${(ours.totalMs / 1000).toFixed(0)} s in all`),
    );
  }
  return rows;
}

/** Every runtime row, in table order. `quick`: fewer repetitions, no million-run measurement. */
export async function runtimeRows(quick: boolean): Promise<Row[]> {
  return [...(await steps(quick)), ...(await supervision(quick)), ...(await durable(quick)), ...(await fanOut(quick)), ...memory(quick)];
}

export type { Store };
