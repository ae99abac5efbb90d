/**
 * The server's cost: runs per second of a 10-block chain through the HTTP API (the unmodified
 * LangGraph SDK client, `runs.wait`, 50 clients at once) against `run()` in the same process on
 * the same kind of store (a SQLite file), measured in the same run; the latency one run adds over
 * HTTP (one client, p50); and how long after a block completes its `updates` event reaches an SSE
 * client (p50, p99). Client and server share this process (and the machine's cores).
 */
import { mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { run, SqliteStore } from "@blockwork/core";
import { startServer } from "@blockwork/server";
import { createGraph, defineContract, type GraphBlock } from "@blockwork/spec";
import { z } from "zod";
import { chainGraph } from "./graphs.js";
import { type Row, stats } from "./table.js";

const here = dirname(fileURLToPath(import.meta.url));
const CLIENTS = 50;
const BLOCKS = 10;

// The SDK as the server's tests pin it (packages/server's dev dependency).
type SdkClient = import("@langchain/langgraph-sdk").Client;
async function sdkClient(url: string): Promise<SdkClient> {
  const resolved = createRequire(join(here, "../packages/server/package.json")).resolve("@langchain/langgraph-sdk");
  const { Client } = (await import(pathToFileURL(resolved.replace(/index\.cjs$/, "index.js")).href)) as typeof import("@langchain/langgraph-sdk");
  return new Client({ apiUrl: url, apiKey: null, callerOptions: { maxRetries: 0 } } as ConstructorParameters<typeof Client>[0]);
}

function freshDir(name: string): string {
  const dir = join(here, ".tmp", "server", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Runs `total` runs with `lanes` of them in flight at once; returns runs per second. */
async function rate(total: number, lanes: number, one: (lane: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (next++ < total) await one(lane);
    }),
  );
  return total / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Runs `one` `count` times in a row: each one's latency in ms, and the CPU time (this process, user + system) of all of them in ms. */
async function latencies(count: number, one: () => Promise<unknown>): Promise<{ ms: number[]; cpuMs: number }> {
  const ms: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await one();
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1e3 };
}

/**
 * Lets the event loop turn between phases. Runs in process are microtasks and synchronous SQLite
 * writes only, so a phase of them keeps timers and socket events waiting; afterwards the server's
 * keep-alive timeout (5 s) and the client's (4 s) come due in no set order, and a request could go
 * out on a connection the server is closing ("fetch failed"). A pause lets those settle first.
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** A chain whose blocks stamp when they completed (this process's monotonic clock). */
function stampedChain(len: number): GraphBlock {
  const T = z.object({ n: z.number(), t: z.number() });
  // biome-ignore lint: a chain of any length is built in a loop.
  let g: any = createGraph({ id: `stamped-${len}`, input: T, output: T });
  for (let i = 0; i < len; i++) g = g.then(defineContract({ id: `s${i}`, input: T, output: T }).implement(async ({ n }) => ({ n: n + 1, t: performance.now() })));
  return g.output((_: unknown, r: Record<string, unknown>) => r[`s${len - 1}`]).build();
}

export async function serverRows(quick: boolean): Promise<Row[]> {
  const samples = quick ? 1 : 3;
  const total = quick ? 200 : 2_000;
  const single = quick ? 50 : 400;
  const graph = chainGraph(BLOCKS);
  const stamped = stampedChain(BLOCKS);

  const direct = new SqliteStore(join(freshDir("direct"), "runs.sqlite"));
  const server = await startServer({ graphs: [graph, stamped], store: join(freshDir("http"), "runs.sqlite"), port: 0, ui: false, mcp: false });
  try {
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => sdkClient(server.url)));
    const viaHttp = (lane: number) => (clients[lane] as SdkClient).runs.wait(null, graph.def.id, { input: { n: 0 } });
    const inProcess = () => run(graph, { n: 0 }, { store: direct }).result;
    // Warm both paths (JIT, SQLite caches, connections).
    await rate(100, CLIENTS, inProcess);
    await settle();
    await rate(100, CLIENTS, viaHttp);

    const directRates: number[] = [];
    const httpRates: number[] = [];
    const directLatency: number[] = [];
    const httpLatency: number[] = [];
    // CPU time per run, one at a time: what a run costs this process (client and server share it),
    // whatever the machine's other load does to latencies.
    const directCpu: number[] = [];
    const httpCpu: number[] = [];
    // Interleaved, so that a slow moment of the machine does not land on one side only.
    for (let s = 0; s < samples; s++) {
      directRates.push(await rate(total, CLIENTS, inProcess));
      await settle();
      httpRates.push(await rate(total, CLIENTS, viaHttp));
      const one = await latencies(single, inProcess);
      directLatency.push(...one.ms);
      directCpu.push(one.cpuMs / single);
      await settle();
      const over = await latencies(single, () => viaHttp(0));
      httpLatency.push(...over.ms);
      httpCpu.push(over.cpuMs / single);
    }

    // SSE: from a block's completion (its stamp) to its `updates` event at the client.
    const sse: number[] = [];
    const streamRuns = quick ? 10 : 60;
    for (let i = 0; i < streamRuns; i++) {
      for await (const chunk of (clients[0] as SdkClient).runs.stream(null, stamped.def.id, { input: { n: 0, t: 0 }, streamMode: "updates" })) {
        const received = performance.now();
        if (chunk.event !== "updates") continue;
        const update = Object.values(chunk.data as Record<string, { t?: number }>)[0];
        if (typeof update?.t === "number") sse.push(received - update.t);
      }
    }

    const d = stats(directRates);
    const h = stats(httpRates);
    const dl = stats(directLatency);
    const hl = stats(httpLatency);
    const perRunAt50 = 1_000 / h.median - 1_000 / d.median;
    const dc = stats(directCpu);
    const hc = stats(httpCpu);
    return [
      { name: `10-block chain: run() in process, ${CLIENTS} at once, SQLite`, unit: "runs/s", ...d, note: `${total} runs` },
      { name: `10-block chain: SDK runs.wait over HTTP, ${CLIENTS} clients, SQLite`, unit: "runs/s", ...h, baselineName: "run() in process", ratio: h.median / d.median, note: `${perRunAt50.toFixed(2)} ms more per run at ${CLIENTS} at once` },
      { name: "one run at a time: run() in process", unit: "ms/run", ...dl, note: `p50 of ${directLatency.length}` },
      { name: "one run at a time: SDK runs.wait over HTTP", unit: "ms/run", ...hl, baselineName: "run() in process", ratio: hl.median / dl.median, note: `overhead p50 ${(hl.median - dl.median).toFixed(2)} ms (target ≤ 1 ms)` },
      { name: "one run at a time: CPU per run, run() in process", unit: "ms/run", ...dc, note: `user + system of this process, ${samples} × ${single} runs` },
      {
        name: "one run at a time: CPU per run, SDK runs.wait over HTTP",
        unit: "ms/run",
        ...hc,
        baselineName: "run() in process",
        ratio: hc.median / dc.median,
        note: `client and server in this process: ${(hc.median - dc.median).toFixed(2)} ms more CPU per run`,
      },
      { name: "SSE: block completed → updates event at the client, p50", unit: "ms", median: percentile(sse, 50), min: Math.min(...sse), max: Math.max(...sse), note: `${sse.length} events` },
      { name: "SSE: block completed → updates event at the client, p99", unit: "ms", median: percentile(sse, 99), min: Math.min(...sse), max: Math.max(...sse), note: `${sse.length} events` },
    ];
  } finally {
    await server.close();
    direct.close();
  }
}
