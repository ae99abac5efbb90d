/**
 * `npm run fuzz:graphs -- --graphs 10000`: the long run of the differential fuzzer (issue 12).
 *
 * Generates graphs in batches (one fast-check seed per batch), runs every graph `check` accepts
 * under `--schedules` schedules, prints a progress line per batch, every failure (shrunk, as
 * builder code) and a final summary. Exits with 1 when any run misbehaved.
 *
 * Flags: --graphs N (default 1000), --schedules N (default 8), --seed N (default: the time),
 * --batch N (graphs per fast-check seed, default 100), --max-blocks N (default 8),
 * --no-loops, --no-subgraphs, --no-maps, --no-errors, --depth N, --max-failures N (default 5),
 * --only <problem kind> (only that kind fails: binding_failed, input_invalid, hang, pass_mixing, ...),
 * --replay (crash every run after a random number of journal entries and resume it),
 * --skip-overlapping-loops (leave out graphs with nested or overlapping loops),
 * --keep-going (count misbehaving runs without shrinking or stopping: how often a runtime fails),
 * --json <file> (the summary as JSON).
 */
import { writeFileSync } from "node:fs";
import fc from "fast-check";
import { emptyStats, FuzzFailure, graphProperty } from "../test/fuzz/fuzz.js";
import { type FuzzProblem, hasOverlappingLoops } from "../test/fuzz/harness.js";
import type { GraphBlock } from "@blockwork/spec";

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
function num(name: string, fallback: number): number {
  const v = flag(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} takes a whole number, got "${v}"`);
  return n;
}
const has = (name: string) => process.argv.includes(`--${name}`);

const graphs = num("graphs", 1_000);
const schedules = num("schedules", 8);
const batch = Math.max(1, num("batch", 100));
const seed = num("seed", Date.now() % 1_000_000_000);
const maxFailures = num("max-failures", 5);
const keepGoing = has("keep-going");
const replay = has("replay");
const skipOverlapping = has("skip-overlapping-loops");
const only = flag("only") as FuzzProblem["kind"] | undefined;
const graph = {
  maxBlocks: num("max-blocks", 8),
  depth: num("depth", 1),
  loops: !has("no-loops"),
  subgraphs: !has("no-subgraphs"),
  maps: !has("no-maps"),
  errors: !has("no-errors"),
};

const stats = emptyStats();
const failures: string[] = [];
let exploring = true;
const started = Date.now();
const out = (line: string) => process.stdout.write(`${line}\n`);
const summary = () =>
  `${stats.graphs} graphs generated, ${stats.accepted} accepted by check${stats.skipped ? ` (+${stats.skipped} skipped)` : ""}, ${stats.runs} runs executed (${stats.completed} completed${replay ? `, ${stats.resumed} crashed and resumed from ${stats.replayedEntries} journal entries` : ""}), ${stats.failures} failures${stats.failures ? ` ${JSON.stringify(stats.problems)}` : ""}`;

out(`fuzz:graphs: ${graphs} graphs, ${schedules} schedules each${replay ? ", each run crashed and resumed" : ""}, seed ${seed}, options ${JSON.stringify(graph)}`);
for (let b = 0; stats.graphs < graphs && failures.length < maxFailures; b++) {
  const numRuns = Math.min(batch, graphs - stats.graphs);
  exploring = true;
  // Counting stops at the first failure: what fast-check runs after it is shrinking.
  const property = graphProperty({ graph, schedules, stats, keepGoing, replay, ...(skipOverlapping ? { skip: (g: GraphBlock) => hasOverlappingLoops(g.def) } : {}), ...(only ? { only } : {}), counting: () => exploring, onFailure: () => (exploring = false) });
  const result = await fc.check(property, { seed: seed + b, numRuns });
  if (result.failed) {
    const error = result.errorInstance;
    const text = error instanceof FuzzFailure ? error.message : `${String(error)}\ncounterexample: ${fc.stringify(result.counterexample)}`;
    failures.push(text);
    out(`\nFAILURE ${failures.length} (batch seed ${seed + b}, shrunk in ${result.numShrinks} steps):\n${text}\n`);
  }
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  out(`[${secs}s] ${summary()}`);
}

out(`\nfuzz:graphs done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${summary()}.`);
out(`  outcomes: ${JSON.stringify(stats.outcomes)}; bound values checked against their bindings: ${stats.checkedValues}`);
out(`  rejected by check (graphs per code): ${JSON.stringify(stats.rejected)}`);
const jsonAt = flag("json");
if (jsonAt) writeFileSync(jsonAt, `${JSON.stringify({ seed, schedules, graph, ...stats, failures }, null, 2)}\n`);
process.exit(stats.failures > 0 ? 1 : 0);
