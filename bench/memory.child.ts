// Run in a child process by the benchmark (needs --expose-gc): starts N runs of a 10-block graph at
// once, each block awaiting a timer, and reports the heap per in-flight run once all are waiting.
import { MemoryStore, run } from "@blockwork/core";
import { chainGraph, plainChain } from "./graphs.js";

const [kind, count, delayArg] = process.argv.slice(2) as ["blockwork" | "plain", string, string];
const n = Number(count);
const delayMs = Number(delayArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

const sleepStep = async ({ n }: { n: number }) => {
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  return { n: n + 1 };
};
const graph = chainGraph(10, sleepStep);
const plain = plainChain(10, sleepStep);
const store = new MemoryStore();

// Warm up the code paths (and the graph's compiled plan) before the baseline heap is taken.
await (kind === "blockwork" ? run(graph, { n: 0 }, { store }).result : plain({ n: 0 }));
gc();
const before = process.memoryUsage().heapUsed;
const started = Date.now();
const results: Promise<unknown>[] = new Array(n);
for (let i = 0; i < n; i++) results[i] = kind === "blockwork" ? run(graph, { n: 0 }, { store }).result : plain({ n: 0 });
// Let every run start and reach its first timer.
await new Promise((resolve) => setImmediate(resolve));
gc();
const inFlight = process.memoryUsage().heapUsed;
const startMs = Date.now() - started;
const outputs = await Promise.all(results);
const ok = outputs.every((o) => (o as { n: number }).n === 10);
process.stdout.write(`${JSON.stringify({ kind, n, kbPerRun: (inFlight - before) / n / 1024, startMs, totalMs: Date.now() - started, ok })}\n`);
