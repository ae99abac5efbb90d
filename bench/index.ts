/**
 * `npm run bench`: every benchmark, one table. `-- --quick` for a short smoke run (CI);
 * `-- --json <file>` also writes the rows as [{name, unit, median, min, max, baselineName, ratio}].
 * Packages are imported from their builds (dist/), as users run them.
 */
import { writeFileSync } from "node:fs";
import { agentRows } from "./agents.bench.js";
import { checkRows } from "./check.bench.js";
import { cliRows } from "./cli.bench.js";
import { runtimeRows } from "./runtime.bench.js";
import { serverRows } from "./server.bench.js";
import { rlmRows } from "./rlm.bench.js";
import { recoveryRows } from "./recovery.bench.js";
import { routeMatchRows } from "./route-match.bench.js";
import { memoryRows } from "./memory.bench.js";
import { tracingRows } from "./tracing.bench.js";
import { ownershipRows } from "./ownership.bench.js";
import { printTable } from "./table.js";
import { workerRows } from "./workers.bench.js";
import { devRows } from "./dev.bench.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const jsonAt = args.indexOf("--json");
if (jsonAt >= 0 && !args[jsonAt + 1]) throw new Error("--json needs a file name: npm run bench -- --json results.json");

const runtime = await runtimeRows(quick);
process.stdout.write(`${printTable("blockwork runtime (lower is better; ratio = median / baseline median)", runtime)}\n\n`);
const agents = await agentRows(quick);
process.stdout.write(`${printTable("agent blocks", agents)}\n\n`);
// Scale-out: worker processes on a local PostgreSQL against one process on SQLite.
const workers = await workerRows(quick);
process.stdout.write(`${printTable("workers on PostgreSQL (higher is better; ratio = median / SQLite in-process median)", workers)}\n\n`);
// Run ownership on SQLite: fresh runs with and without an owner row.
const ownership = await ownershipRows(quick);
process.stdout.write(`${printTable("run ownership on SQLite (lower is better; ratio = median / no-owner median)", ownership)}\n\n`);
// The server: the LangGraph SDK client over HTTP against run() in the same process.
const server = await serverRows(quick);
process.stdout.write(`${printTable("blockwork serve: HTTP API and SSE (ratio = median / in-process median)", server)}\n\n`);
const rlm = await rlmRows(quick);
process.stdout.write(`${printTable("rlm blocks and blobs (ratio = median / baseline median; for context, max / budget)", rlm)}\n\n`);
// Recovery at scale: blockwork runs resume on thousands of crashed runs.
const recovery = recoveryRows(quick);
process.stdout.write(`${printTable("recovery: blockwork runs resume after a crash (ratio = median / baseline)", recovery)}\n\n`);
const routes = await routeMatchRows(quick);
process.stdout.write(`${printTable("pattern routes against discriminant routes (ratio = median / baseline median)", routes)}\n\n`);
const memory = await memoryRows(quick);
process.stdout.write(`${printTable("agent memory (ratio = median / baseline median; for context, max / budget)", memory)}\n\n`);
const tracing = await tracingRows(quick);
process.stdout.write(`${printTable("OpenTelemetry tracing (lower is better; ratio = median of per-round ratios to tracing: false)", tracing)}\n\n`);
const checker = checkRows(quick);
process.stdout.write(`${printTable("blockwork check: static checking cost", checker)}\n\n`);
const cli = cliRows(quick);
process.stdout.write(`${printTable("the blockwork command: start-up, whole processes (lower is better)", cli)}\n`);
const dev = await devRows(quick);
process.stdout.write(`\n${printTable("blockwork dev: feedback after a save (lower is better; ratio = median / cold start)", dev)}\n`);
if (jsonAt >= 0) writeFileSync(args[jsonAt + 1] as string, `${JSON.stringify([...runtime, ...agents, ...workers, ...ownership, ...server, ...rlm, ...recovery, ...routes, ...memory, ...tracing, ...checker, ...cli, ...dev], null, 2)}\n`);
