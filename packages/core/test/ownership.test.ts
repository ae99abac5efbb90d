import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { pgStore, PG_URL, schemaName } from "../../../test/pg.js";
import { resume, SqliteStore } from "../src/index.js";
import { ownerGraph } from "./fixtures/owner-graph.js";

// One owner per run on SQLite, with real processes: a live owner is refused, a dead one (SIGKILL)
// is taken over, and processes racing for one run execute each of its blocks at most once.
const dir = mkdtempSync(join(tmpdir(), "blockwork-owner-"));
const child = fileURLToPath(new URL("./fixtures/owner-child.ts", import.meta.url));
let n = 0;
const fresh = () => ({ file: join(dir, `owner-${n}.sqlite`), log: join(dir, `owner-${n++}.log`) });

interface Child {
  readonly process: ChildProcess;
  readonly out: () => string;
  readonly err: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[]): Child {
  const p = spawn(process.execPath, ["--import", "tsx", child, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  p.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  p.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => p.once("exit", (code, signal) => resolve({ code, signal })));
  return { process: p, out: () => out, err: () => err, exited };
}

async function until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const lines = (log: string) => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : []);
const outcome = (c: Child) => {
  const line = c.out().split("\n").find((l) => l.startsWith("outcome "));
  if (line === undefined) return undefined;
  const [, what, ...rest] = line.split(" ");
  return { what: what as string, detail: JSON.parse(rest.join(" ")) as { code?: string; message?: string; n?: number } };
};

/** Starts a run in a child and kills it with SIGKILL once `entries` of its blocks are journaled. */
async function crashedRun(file: string, log: string, entries: number): Promise<{ id: string; pid: number }> {
  const c = start(["run", file, log, "100"]);
  await until("the run id", () => /^[0-9a-f-]{36}$/m.test(c.out()));
  const id = (/^([0-9a-f-]{36})$/m.exec(c.out()) as RegExpExecArray)[1] as string;
  const store = new SqliteStore(file);
  try {
    await until(`${entries} journal entries`, () => store.journal(id).length >= entries);
  } finally {
    store.close();
  }
  c.process.kill("SIGKILL");
  await c.exited;
  return { id, pid: c.process.pid as number };
}

describe("one owner per run (SQLite, real processes)", () => {
  it("refuses to resume a run a live process executes, naming it, and takes it over once that process is killed", async () => {
    const { file, log } = fresh();
    const owner = start(["run", file, log, "400"]);
    await until("the run id", () => /^[0-9a-f-]{36}$/m.test(owner.out()));
    const id = (/^([0-9a-f-]{36})$/m.exec(owner.out()) as RegExpExecArray)[1] as string;
    const store = new SqliteStore(file);
    await until("a journal entry", () => store.journal(id).length >= 1);
    const graph = ownerGraph(log, 0);
    await expect(resume(id, { store, graph })).rejects.toMatchObject({ code: "run_owned", message: expect.stringContaining(`process ${owner.process.pid} on host`) });
    expect(store.runOwner(id)).toMatchObject({ pid: owner.process.pid, live: true });

    owner.process.kill("SIGKILL");
    await owner.exited;
    expect(store.runOwner(id)).toMatchObject({ pid: owner.process.pid, live: false });
    const before = store.journal(id).length;
    const handle = await resume(id, { store, graph });
    expect(store.runOwner(id)).toMatchObject({ pid: process.pid, live: true });
    await expect(handle.result).resolves.toEqual({ n: 10 });
    expect(store.runOwner(id)).toBeUndefined();
    // Blocks journaled by the killed owner never ran again here.
    const mine = lines(log).filter((l) => l.endsWith(` ${process.pid}`));
    expect(mine.length).toBeLessThanOrEqual(10 - before);
    store.close();
  }, 120_000);

  it("processes racing to resume and upgrade one orphaned run: one executes it, each block at most once, none crashes", async () => {
    for (let trial = 0; trial < 2; trial++) {
      const { file, log } = fresh();
      const crashed = await crashedRun(file, log, 3);
      const racers = [start(["resume", file, log, "20", crashed.id]), start(["resume", file, log, "20", crashed.id]), start(["upgrade", file, log, "20", crashed.id]), start(["resume", file, log, "20", crashed.id])];
      const exits = await Promise.all(racers.map((r) => r.exited));
      for (const [i, exit] of exits.entries()) expect(exit, `racer ${i}: ${racers[i]?.err()}`).toEqual({ code: 0, signal: null });
      const outcomes = racers.map(outcome);
      for (const [i, o] of outcomes.entries()) {
        expect(o, `racer ${i} printed ${racers[i]?.out()} ${racers[i]?.err()}`).toBeDefined();
        if (o?.what === "refused") expect(["run_owned", "journal_mismatch", "upgrade_refused", "graph_not_found"]).toContain(o.detail.code);
        else expect(o?.what).toBe("completed");
      }
      // The run completes exactly once, on one version or the other.
      const completed = outcomes.filter((o) => o?.what === "completed");
      expect(completed).toHaveLength(1);
      expect([10, 11]).toContain(completed[0]?.detail.n);
      // Each block executed at most once by the processes that resumed it (the crashed one may
      // have started the block it was killed in).
      const resumed = lines(log).filter((l) => !l.endsWith(` ${crashed.pid}`)).map((l) => l.split(" ")[0]);
      expect(new Set(resumed).size).toBe(resumed.length);
      const store = new SqliteStore(file);
      expect(store.getRun(crashed.id)?.status).toBe("completed");
      const paths = store.journal(crashed.id).filter((e) => e.kind === "block.completed").map((e) => e.path);
      expect(new Set(paths).size).toBe(paths.length);
      expect(store.runOwner(crashed.id)).toBeUndefined();
      store.close();
    }
  }, 240_000);

  it("PostgreSQL (run() in one process): a live owner is refused and named, a killed one taken over", async () => {
    const schema = schemaName("owner");
    const store = pgStore("owner", { schema });
    await store.connect();
    const { log } = fresh();
    const url = `${PG_URL}?schema=${schema}`;
    const owner = start(["run", url, log, "400"]);
    await until("the run id", () => /^[0-9a-f-]{36}$/m.test(owner.out()));
    const id = (/^([0-9a-f-]{36})$/m.exec(owner.out()) as RegExpExecArray)[1] as string;
    await until("a journal entry", () => lines(log).length >= 2);
    const graph = ownerGraph(log, 0);
    await expect(resume(id, { store, graph })).rejects.toMatchObject({ code: "run_owned", message: expect.stringContaining(`process ${owner.process.pid} on host`) });
    await expect(store.runOwner(id)).resolves.toMatchObject({ pid: owner.process.pid, live: true });
    owner.process.kill("SIGKILL");
    await owner.exited;
    await expect(store.runOwner(id)).resolves.toMatchObject({ live: false });
    const handle = await resume(id, { store, graph });
    await expect(handle.result).resolves.toEqual({ n: 10 });
    await expect(store.runOwner(id)).resolves.toBeUndefined();
    const paths = (await store.journal(id)).filter((e) => e.kind === "block.completed").map((e) => e.path);
    expect(new Set(paths).size).toBe(10);
  }, 120_000);
});
