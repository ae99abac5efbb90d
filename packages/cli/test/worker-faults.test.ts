import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { submitRun } from "@blockwork/core";
import { describe, expect, it } from "vitest";
import { PG_URL, pgClient, pgStore, requirePostgres } from "../../../test/pg.js";
import { root } from "./capture.js";
import { effectsGraph } from "./fixtures/effects.graph.js";

// The fault test: 4 `blockwork worker` processes run 1,000 runs of a 10-block chain while
// randomly chosen workers are killed with SIGKILL and replaced. Every run must complete with the
// right output; the journal must never hold a completion twice; the side effects, keyed by
// idempotency key, must each exist once, and a block may have run twice only when the process that
// ran it first was killed.
const RUNS = 1_000;
const WORKERS = 4;
const CONCURRENCY = 4;
// Long enough that a worker stalled by a loaded machine keeps its leases (a stall longer than the
// lease looks like a death, and its blocks would run twice); short enough that a killed worker's
// blocks are taken over within the test's time.
const LEASE_MS = 8_000;
const module = join(root, "packages/cli/test/fixtures/effects.graph.ts");

/** A seeded generator, so a failure can be replayed with the same kill schedule. */
function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31), x / 2 ** 31);
}

describe("workers on PostgreSQL, under SIGKILL", () => {
  it("complete every run exactly once while workers are killed and restarted", { timeout: 300_000 }, async () => {
    await requirePostgres();
    const began = Date.now();
    const store = pgStore("faults", { maxConnections: 4 });
    await store.connect();
    const db = await pgClient();
    const effects = `"${store.schema}".effects`;
    await db.query(`CREATE TABLE ${effects} (key text PRIMARY KEY, attempts integer NOT NULL, pids integer[] NOT NULL)`);

    const logs: string[] = [];
    const killed = new Set<number>();
    const alive = new Set<ChildProcess>();
    /** Workers that have said they started (and handle SIGTERM from then on). */
    const ready = new Set<ChildProcess>();
    const spawnWorker = () => {
      const child = spawn(
        process.execPath,
        [join(root, "packages/cli/bin/blockwork.js"), "worker", "--store", `${PG_URL}?schema=${store.schema}`, "--concurrency", String(CONCURRENCY), "--lease-ms", String(LEASE_MS)],
        { cwd: root, env: { ...process.env, BLOCKWORK_EFFECTS_PG: PG_URL, BLOCKWORK_EFFECTS_TABLE: effects, BLOCKWORK_EFFECTS_DELAY: "6" }, stdio: ["ignore", "ignore", "pipe"] },
      );
      child.stderr?.on("data", (chunk: Buffer) => {
        logs.push(`[${child.pid}] ${chunk.toString()}`);
        if (chunk.toString().includes(" started: ")) ready.add(child);
      });
      alive.add(child);
      child.once("exit", () => alive.delete(child));
      return child;
    };
    for (let i = 0; i < WORKERS; i++) spawnWorker();

    // Submit while the workers start: nothing runs in this process.
    const ids: string[] = new Array(RUNS);
    const source = { module, exportName: "effectsGraph" };
    for (let i = 0; i < RUNS; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, RUNS - i) }, (_, j) => submitRun(store, effectsGraph, { n: i + j }, { source }).then((id) => (ids[i + j] = id))));
    }

    // Kill a random worker (and start a new one) each time another twelfth of the runs has ended,
    // plus or minus a few: tied to progress rather than time, so that a fast machine sees as many
    // kills as a slow one.
    const next = random(42);
    const endedCount = async () => Number((await db.query(`SELECT count(*) AS n FROM "${store.schema}".runs WHERE status <> 'running'`)).rows[0].n);
    const deadline = Date.now() + 240_000;
    let killAt = 40;
    for (let ended = await endedCount(); ended < RUNS; ended = await endedCount()) {
      if (Date.now() > deadline) throw new Error(`only ${ended} of ${RUNS} runs ended in 240 s; worker logs:\n${logs.slice(-40).join("")}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (ended < killAt) continue;
      killAt = ended + Math.round(RUNS / 12 - 20 + next() * 40);
      const victims = [...alive];
      const victim = victims[Math.floor(next() * victims.length)];
      if (victim?.pid === undefined) continue;
      killed.add(victim.pid);
      victim.kill("SIGKILL");
      await new Promise((resolve) => victim.once("exit", resolve));
      spawnWorker();
    }

    // Graceful shutdown of the survivors: SIGTERM, exit 0 (once each has started: a worker still
    // loading has no handler yet, and dies of the signal as any process does).
    for (let i = 0; [...alive].some((child) => !ready.has(child)); i++) {
      if (i > 1_000) throw new Error(`a worker never started; logs:\n${logs.slice(-20).join("")}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const exits = await Promise.all(
      [...alive].map((child) => new Promise<string>((resolve) => (child.once("exit", (code, signal) => resolve(`${child.pid}: ${code ?? signal}`)), child.kill("SIGTERM")))),
    );
    expect(exits.filter((exit) => !exit.endsWith(": 0")), logs.slice(-30).join("")).toEqual([]);

    const s = `"${store.schema}"`;
    const runs = (await db.query(`SELECT id, status, input, output FROM ${s}.runs`)).rows as { id: string; status: string; input: { n: number }; output: { n: number } | null }[];
    const lost = RUNS - runs.filter((r) => r.status === "completed").length;
    const wrong = runs.filter((r) => r.output?.n !== r.input.n + 55);
    const twice = (await db.query(`SELECT run_id, path, act, count(*) FROM ${s}.journal WHERE kind = 'block.completed' GROUP BY run_id, path, act HAVING count(*) > 1`)).rows;
    const completions = Number((await db.query(`SELECT count(*) AS n FROM ${s}.journal WHERE kind = 'block.completed'`)).rows[0].n);
    const leftTasks = Number((await db.query(`SELECT count(*) AS n FROM ${s}.tasks`)).rows[0].n);
    const rows = (await db.query(`SELECT key, attempts, pids FROM ${effects}`)).rows as { key: string; attempts: number; pids: number[] }[];
    const expectedKeys = new Set(ids.flatMap((id) => Array.from({ length: 10 }, (_, i) => `${id}:step${i}#1`)));
    const ranTwice = rows.reduce((sum, r) => sum + r.attempts - 1, 0);
    // Every attempt but the last of a key was made by a process that was then killed.
    const unexplained = rows.filter((r) => r.pids.slice(0, -1).some((pid) => !killed.has(pid)));
    const seconds = ((Date.now() - began) / 1000).toFixed(1);
    process.stdout.write(
      `\nworker fault test: ${RUNS} runs × 10 blocks, ${WORKERS} workers × ${CONCURRENCY}, ${killed.size} SIGKILLs; ` +
        `blocks run twice (deduped by key): ${ranTwice}; completions recorded twice: ${twice.length}; runs lost: ${lost}; wall time ${seconds} s\n`,
    );

    expect(runs).toHaveLength(RUNS);
    expect(lost).toBe(0);
    expect(wrong).toEqual([]);
    expect(twice).toEqual([]);
    expect(completions).toBe(RUNS * 10);
    expect(leftTasks).toBe(0);
    expect(rows).toHaveLength(RUNS * 10);
    expect(rows.every((r) => expectedKeys.has(r.key))).toBe(true);
    expect(unexplained).toEqual([]);
    expect(killed.size).toBeGreaterThanOrEqual(8);
  });
});
