// Started by workers.bench.ts: one worker process on a PostgreSQL schema, running 10-block chains
// whose blocks wait `waitMs` (0: CPU only). Connects, prints "ready", starts claiming when "go"
// arrives on stdin, and stops on SIGTERM.
import { PostgresStore, startWorker } from "@blockwork/core";
import { chainGraph } from "./graphs.js";

const [url, schema, concurrency, waitMs] = process.argv.slice(2) as [string, string, string, string];
const store = new PostgresStore(url, { schema, maxConnections: Number(concurrency) + 2 });
await store.connect();
const wait = Number(waitMs);
const graph = chainGraph(10, async ({ n }) => (wait > 0 && (await new Promise((resolve) => setTimeout(resolve, wait))), { n: n + 1 }));
process.stdout.write("ready\n");
process.stdin.once("data", async () => {
  const worker = await startWorker({ store, graphs: [graph], concurrency: Number(concurrency), handleSignals: true });
  await worker.stopped;
  await store.close();
  process.exit(0);
});
