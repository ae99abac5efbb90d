/**
 * The crash harness (issue 20): N runs of a 10-block chain on one SQLite file, executed by several
 * processes while the harness kills them with SIGKILL at random and replaces them, some of the
 * replacements with their disk "full" (a real file size limit, `ulimit -f`: every write they make
 * fails). Then every process is killed and `blockwork runs resume` recovers what is left. It
 * counts, from the store and from the blocks' own log of executions:
 *
 * - lost: runs that were created but are not in the store, or ended failed/cancelled;
 * - stuck: runs still unfinished after the recovery;
 * - wrong: runs completed with another output than the chain computes;
 * - doubled: block completions journaled twice for one activation (or a run completed twice);
 * - reexecuted: executions of a block that started after its completion was journaled;
 * - crashed: processes that died of something other than the harness's SIGKILL;
 * and, for context, how many executions were repeats (the block running when its process died
 * runs again: allowed).
 *
 * `npm run harness:crash` runs the long version; crash.test.ts a short one in `npm test`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PostgresStore, SqliteStore, submitRun } from "@blockwork/core";
import { Client } from "pg";
import { harnessGraph } from "./crash-graph.js";

/** Options of {@link crashHarness}. */
export interface CrashHarnessOptions {
  readonly runs: number;
  /** Processes executing at once. */
  readonly processes: number;
  /** SIGKILLs during the chaos. */
  readonly kills: number;
  /** Milliseconds between kills (random in [min, max]). */
  readonly killEvery: readonly [number, number];
  /** The share of replacement processes started with a full disk. */
  readonly diskFull: number;
  /** Milliseconds between two runs a process starts (so that runs start while processes die). */
  readonly startGapMs: number;
  /** The longest a block takes, in milliseconds (random in [0, blockMs]). */
  readonly blockMs: number;
  /** Where to put the store and logs (default: a new temporary directory). */
  readonly dir?: string;
  readonly log?: (line: string) => void;
}

/** What the harness counts (see the module comment). */
export interface CrashCounts {
  readonly runs: number;
  readonly created: number;
  readonly completed: number;
  readonly lost: number;
  readonly stuck: number;
  readonly wrong: number;
  readonly doubled: number;
  readonly reexecuted: number;
  readonly crashed: number;
  readonly kills: number;
  readonly diskFullProcesses: number;
  /** PostgreSQL: database cut-offs made. */
  readonly cutoffs: number;
  readonly executions: number;
  readonly repeats: number;
  readonly recovery: string;
  readonly ms: number;
}

const child = fileURLToPath(new URL("./crash-child.ts", import.meta.url));

interface Proc {
  readonly process: ChildProcess;
  readonly assigned: string[];
  readonly started: Set<string>;
  killed: boolean;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  err: string;
}

/**
 * Runs the harness on SQLite (executing processes; cut-offs: processes whose disk is full) or, with
 * `postgres`, on a PostgreSQL schema: runs submitted to worker processes that are SIGKILLed at
 * random, and the database cut off at random (every connection of the harness terminated with
 * `pg_terminate_backend`); then the workers are killed and a clean one finishes what is left.
 */
export async function crashHarness(options: CrashHarnessOptions & { readonly postgres?: PostgresHarnessOptions }): Promise<CrashCounts> {
  if (options.postgres !== undefined) return postgresHarness(options, options.postgres);
  const begin = Date.now();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "blockwork-crash-harness-"));
  const file = join(dir, "runs.sqlite");
  const log = join(dir, "executions.log");
  const say = options.log ?? (() => {});
  const env = { ...process.env, BLOCKWORK_HARNESS_LOG: log, BLOCKWORK_HARNESS_GAP: String(options.startGapMs), BLOCKWORK_HARNESS_BLOCK_MS: String(options.blockMs) };
  const created = new Set<string>();
  const procs: Proc[] = [];
  let crashed = 0;
  let diskFull = 0;
  const crashes: string[] = [];

  const spawnExec = (ids: string[], limited: boolean): Proc => {
    const args = ["--conditions=@blockwork/source", "--import", "tsx", child, "exec", file, ids.length ? ids.join(",") : "-"];
    let p: ChildProcess;
    if (limited) {
      // A full disk for this process: no file it writes may grow past what the store holds now.
      const size = Math.max(...[file, `${file}-wal`].map((f) => (existsSync(f) ? statSync(f).size : 0)));
      const kb = Math.ceil(size / 1024) + 8;
      p = spawn("bash", ["-c", `ulimit -f ${kb} && exec "${process.execPath}" ${args.map((a) => `"${a}"`).join(" ")}`], { env, stdio: ["ignore", "pipe", "pipe"] });
      diskFull++;
    } else {
      p = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    }
    const proc: Proc = { process: p, assigned: ids, started: new Set(), killed: false, err: "", exited: new Promise((resolve) => p.once("exit", (code, signal) => resolve({ code, signal }))) };
    let buffer = "";
    p.stdout?.on("data", (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith("started ")) {
          const id = line.slice(8);
          proc.started.add(id);
          created.add(id);
        }
      }
    });
    p.stderr?.on("data", (d: Buffer) => (proc.err += d.toString()));
    void proc.exited.then(({ code, signal }) => {
      if (!proc.killed && !(code === 0 && signal === null)) {
        crashed++;
        crashes.push(`pid ${p.pid} exited ${code ?? signal}: ${proc.err.slice(-2000)}`);
      }
    });
    procs.push(proc);
    return proc;
  };

  const ids = Array.from({ length: options.runs }, (_, i) => `harness-${i}`);
  const share = Math.ceil(ids.length / options.processes);
  for (let i = 0; i < options.processes; i++) spawnExec(ids.slice(i * share, (i + 1) * share), false);

  // The chaos starts once the processes execute (starting one takes a second or two).
  for (let i = 0; i < 1_200 && created.size < Math.min(options.runs, options.processes); i++) await new Promise((r) => setTimeout(r, 50));
  const random = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));
  let kills = 0;
  while (kills < options.kills) {
    await new Promise((r) => setTimeout(r, random(options.killEvery[0], options.killEvery[1])));
    const alive = procs.filter((p) => !p.killed && p.process.exitCode === null && p.process.signalCode === null);
    if (alive.length === 0) break;
    const victim = alive[random(0, alive.length - 1)] as Proc;
    victim.killed = true;
    // The process itself (under bash, exec keeps the pid).
    victim.process.kill("SIGKILL");
    kills++;
    await victim.exited;
    const left = victim.assigned.filter((id) => !victim.started.has(id));
    spawnExec(left, Math.random() < options.diskFull);
    say(`kill ${kills}/${options.kills}: pid ${victim.process.pid} (${victim.started.size} runs started by it, ${left.length} handed on); created so far ${created.size}`);
  }
  // The end of the chaos: every process dies, the way a machine does.
  for (const p of procs) {
    p.killed = true;
    p.process.kill("SIGKILL");
  }
  await Promise.all(procs.map((p) => p.exited));
  // Runs a killed process was about to start may exist without the harness having seen them.
  say(`chaos over: ${kills} kills, ${diskFull} disk-full processes; recovering with blockwork runs resume`);
  const recovery = await new Promise<string>((resolve) => {
    const p = spawn(process.execPath, ["--conditions=@blockwork/source", "--import", "tsx", child, "recover", file], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    p.once("exit", (code) => {
      if (code !== 0) {
        crashed++;
        crashes.push(`recovery exited ${code}: ${err.slice(-2000)}`);
      }
      resolve(out.trim());
    });
  });
  say(recovery);

  // Count.
  const store = new SqliteStore(file);
  let lost = 0;
  let stuck = 0;
  let wrong = 0;
  let doubled = 0;
  let completed = 0;
  const journaledAt = new Map<string, number>();
  const all = store.listRuns({ limit: 10_000_000 });
  for (const record of all) created.add(record.id);
  for (const id of created) {
    const record = store.getRun(id);
    if (record === undefined || record.status === "failed" || record.status === "cancelled") {
      lost++;
      continue;
    }
    if (record.status !== "completed") {
      stuck++;
      continue;
    }
    completed++;
    if ((record.output as { n?: number } | undefined)?.n !== 10) wrong++;
    const seen = new Set<string>();
    for (const e of store.journal(id)) {
      if (e.kind !== "block.completed") continue;
      const key = `${e.path}#${e.act}`;
      if (seen.has(key)) doubled++;
      seen.add(key);
      journaledAt.set(`${id} ${e.path}`, e.at);
    }
  }
  store.close();
  const { executions, repeats, reexecuted } = countExecutions(log, journaledAt);
  for (const c of crashes.slice(0, 3)) say(`crash: ${c}`);
  return {
    runs: options.runs,
    created: created.size,
    completed,
    lost,
    stuck,
    wrong,
    doubled,
    reexecuted,
    crashed,
    kills,
    diskFullProcesses: diskFull,
    cutoffs: 0,
    executions,
    repeats,
    recovery,
    ms: Date.now() - begin,
  };
}

/** The PostgreSQL variant's own options. */
export interface PostgresHarnessOptions {
  /** The server (default $BLOCKWORK_TEST_PG or postgres://postgres@127.0.0.1:5432/test). */
  readonly url?: string;
  /** Database cut-offs (every connection of the harness's workers terminated) during the chaos. */
  readonly cutoffs: number;
  /** How long the clean worker may take to finish what is left (default 120 s). */
  readonly recoveryMs?: number;
}

async function postgresHarness(options: CrashHarnessOptions, pgOptions: PostgresHarnessOptions): Promise<CrashCounts> {
  const begin = Date.now();
  const say = options.log ?? (() => {});
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "blockwork-crash-harness-pg-"));
  const log = join(dir, "executions.log");
  const base = pgOptions.url ?? process.env["BLOCKWORK_TEST_PG"] ?? "postgres://postgres@127.0.0.1:5432/test";
  const schema = `harness_${process.pid}_${Date.now() % 1_000_000}`;
  const app = `bw_${schema}`;
  const url = `${base}${base.includes("?") ? "&" : "?"}schema=${schema}&application_name=${app}`;
  const env = { ...process.env, BLOCKWORK_HARNESS_LOG: log, BLOCKWORK_HARNESS_BLOCK_MS: String(options.blockMs) };
  const admin = new Client({ connectionString: base });
  await admin.connect();
  const store = new PostgresStore(base, { schema });
  const ids: string[] = [];
  for (let i = 0; i < options.runs; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, options.runs - i) }, () => submitRun(store, harnessGraph, { n: 0 })));
    ids.push(...batch);
  }
  say(`${ids.length} runs submitted to schema ${schema}`);
  let crashed = 0;
  const crashes: string[] = [];
  const workers: { process: ChildProcess; killed: boolean; exited: Promise<unknown> }[] = [];
  const spawnWorker = () => {
    const p = spawn(process.execPath, ["--conditions=@blockwork/source", "--import", "tsx", child, "worker", url], { env, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    p.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    const w = { process: p, killed: false, exited: new Promise((resolve) => p.once("exit", resolve)) };
    p.once("exit", (code, signal) => {
      if (!w.killed) {
        crashed++;
        crashes.push(`worker ${p.pid} exited ${code ?? signal}: ${err.slice(-2000)}`);
      }
    });
    workers.push(w);
    return w;
  };
  for (let i = 0; i < options.processes; i++) spawnWorker();
  const random = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));
  const cutOff = async () => {
    const { rows } = await admin.query("SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1", [app]);
    return rows.length;
  };
  let kills = 0;
  let cutoffs = 0;
  const events = [...Array.from({ length: options.kills }, () => "kill"), ...Array.from({ length: pgOptions.cutoffs }, () => "cut")].sort(() => Math.random() - 0.5);
  for (const event of events) {
    await new Promise((r) => setTimeout(r, random(options.killEvery[0], options.killEvery[1])));
    if (event === "cut") {
      const n = await cutOff();
      cutoffs++;
      say(`cut-off ${cutoffs}/${pgOptions.cutoffs}: ${n} connections terminated`);
      continue;
    }
    const alive = workers.filter((w) => !w.killed);
    const victim = alive[random(0, alive.length - 1)];
    if (victim === undefined) continue;
    victim.killed = true;
    victim.process.kill("SIGKILL");
    await victim.exited;
    kills++;
    spawnWorker();
    say(`kill ${kills}/${options.kills}: worker ${victim.process.pid}`);
  }
  for (const w of workers) {
    w.killed = true;
    w.process.kill("SIGKILL");
  }
  await Promise.all(workers.map((w) => w.exited));
  say("chaos over: a clean worker finishes what is left");
  const clean = spawnWorker();
  const t = store.tables;
  const deadline = Date.now() + (pgOptions.recoveryMs ?? 120_000);
  let open = Number.POSITIVE_INFINITY;
  while (Date.now() < deadline) {
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM ${t.runs} WHERE status NOT IN ('completed', 'failed', 'cancelled')`);
    open = (rows[0] as { n: number }).n;
    if (open === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  clean.killed = true;
  clean.process.kill("SIGKILL");
  await clean.exited;
  say(`recovery: ${open} runs unfinished`);

  let lost = 0;
  let stuck = 0;
  let wrong = 0;
  let doubled = 0;
  let completed = 0;
  const journaledAt = new Map<string, number>();
  for (const id of ids) {
    const record = await store.getRun(id);
    if (record === undefined || record.status === "failed" || record.status === "cancelled") {
      lost++;
      continue;
    }
    if (record.status !== "completed") {
      stuck++;
      continue;
    }
    completed++;
    if ((record.output as { n?: number } | undefined)?.n !== 10) wrong++;
    const seen = new Set<string>();
    for (const e of await store.journal(id)) {
      if (e.kind !== "block.completed") continue;
      const key = `${e.path}#${e.act}`;
      if (seen.has(key)) doubled++;
      seen.add(key);
      journaledAt.set(`${id} ${e.path}`, e.at);
    }
  }
  const { executions, repeats, reexecuted } = countExecutions(log, journaledAt);
  for (const c of crashes.slice(0, 3)) say(`crash: ${c}`);
  await admin.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
  await admin.end();
  await store.close();
  return { runs: options.runs, created: ids.length, completed, lost, stuck, wrong, doubled, reexecuted, crashed, kills, diskFullProcesses: 0, cutoffs, executions, repeats, recovery: `${open} unfinished after recovery`, ms: Date.now() - begin };
}

/** Executions in the blocks' log: how many, how many repeats, how many after their block was journaled. */
function countExecutions(log: string, journaledAt: ReadonlyMap<string, number>): { executions: number; repeats: number; reexecuted: number } {
  let executions = 0;
  let reexecuted = 0;
  let repeats = 0;
  const executed = new Set<string>();
  for (const line of existsSync(log) ? readFileSync(log, "utf8").split("\n") : []) {
    if (!line) continue;
    const [run, path, , at] = line.split(" ") as [string, string, string, string];
    executions++;
    const key = `${run} ${path}`;
    if (executed.has(key)) repeats++;
    executed.add(key);
    const journaled = journaledAt.get(key);
    if (journaled !== undefined && Number(at) > journaled) reexecuted++;
  }
  return { executions, repeats, reexecuted };
}

// `npm run harness:crash [-- --runs N --processes P --kills K] [-- --postgres --cutoffs C]`: the long version.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string, fallback: number) => {
    const at = process.argv.indexOf(`--${name}`);
    return at >= 0 ? Number(process.argv[at + 1]) : fallback;
  };
  const counts = await crashHarness({
    runs: arg("runs", 2_000),
    processes: arg("processes", 4),
    kills: arg("kills", 40),
    killEvery: [arg("min-ms", 300), arg("max-ms", 1_200)],
    startGapMs: arg("gap-ms", 40),
    blockMs: arg("block-ms", 20),
    diskFull: arg("disk-full", 0.25),
    ...(process.argv.includes("--postgres") ? { postgres: { cutoffs: arg("cutoffs", 10) } } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(counts, null, 2)}\n`);
  const clean = counts.lost + counts.stuck + counts.wrong + counts.doubled + counts.reexecuted + counts.crashed === 0;
  process.exitCode = clean ? 0 : 1;
}
