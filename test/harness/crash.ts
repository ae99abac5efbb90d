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
import { SqliteStore } from "@blockwork/core";

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

export async function crashHarness(options: CrashHarnessOptions): Promise<CrashCounts> {
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
  let executions = 0;
  let reexecuted = 0;
  const executed = new Set<string>();
  let repeats = 0;
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
    executions,
    repeats,
    recovery,
    ms: Date.now() - begin,
  };
}

// `npm run harness:crash [-- --runs N --processes P --kills K]`: the long version.
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
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(counts, null, 2)}\n`);
  const clean = counts.lost + counts.stuck + counts.wrong + counts.doubled + counts.reexecuted + counts.crashed === 0;
  process.exitCode = clean ? 0 : 1;
}
