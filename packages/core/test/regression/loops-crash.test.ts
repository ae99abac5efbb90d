import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryStore, newRunRecord, resume, SqliteStore, type JournalEntry } from "../../src/index.js";
import { joinInLoop, routeInLoop, type Seen } from "../fixtures/loop-graphs.js";

const dir = mkdtempSync(join(tmpdir(), "bw-loops-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("loop passes survive a crash", () => {
  it("SIGKILL in the middle of pass 2: the resumed run finishes the pass, then starts pass 3, and runs no completed block again", async () => {
    const file = join(dir, "killed.sqlite");
    const log = join(dir, "effects.log");
    const child = spawn(process.execPath, ["--conditions=@blockwork/source", "--import", "tsx", fileURLToPath(new URL("../fixtures/loop-crash-child.ts", import.meta.url)), file, log], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const runId = await new Promise<string>((resolve, reject) => {
      child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once("exit", (code) => reject(new Error(`the child exited early with ${code}`)));
    });
    // Kill it once the slow block of pass 2 has started (its pass-1 run completed, pass 2 was journaled).
    const lines = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
    for (let i = 0; i < 3_000 && !lines().includes(`${runId}:b5#2`); i++) await new Promise((r) => setTimeout(r, 5));
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    expect(lines()).toContain(`${runId}:b5#2`);

    const store = new SqliteStore(file);
    const before = store.journal(runId);
    expect(before.filter((e) => e.kind === "loop.pass").map((e) => e.act)).toContain(2);
    expect(before.some((e) => e.kind === "block.completed" && e.path === "b6")).toBe(true);
    expect(store.getRun(runId)?.status).toBe("running");

    const seen: Seen[] = [];
    const resumed = await resume(runId, { store, graph: joinInLoop(seen, { slowMs: 1, log }) });
    await expect(resumed.result).resolves.toEqual({ rounds: 3, pair: "A3/K3" });
    // Blocks completed before the kill never ran again; every join saw one pass.
    const effects = lines();
    for (const e of before) if (e.kind === "block.completed") expect(effects.filter((k) => k === `${runId}:${e.path}#${e.act}`), `${e.path}#${e.act}`).toHaveLength(1);
    const journal = store.journal(runId);
    const b6 = journal.filter((e): e is Extract<JournalEntry, { kind: "block.completed" }> => e.kind === "block.completed" && e.path === "b6").map((e) => (e.output as { pair: string }).pair);
    expect(b6).toEqual(["A1/K1", "A2/K2", "A3/K3"]);
    expect(journal.filter((e) => e.kind === "loop.pass").map((e) => e.act)).toEqual([2, 3]);
    store.close();
  }, 60_000);
});

describe("journals written before loop passes were journaled", () => {
  const entry = (seq: number, path: string, act: number, output: unknown): JournalEntry => ({ seq, kind: "block.completed", path, act, attempt: 1, at: Date.now(), output: output as never });

  it("resume across a loop re-entry is refused with journal_mismatch that says why", async () => {
    const graph = routeInLoop([]);
    const store = new MemoryStore();
    const record = newRunRecord(graph, {});
    store.createRun(record);
    // What the earlier runtime wrote: pass 2 started at once, with no loop.pass entry.
    const old = [entry(1, "A", 1, { round: 1, side: "B" }), entry(2, "B", 1, { v: "B1" }), entry(3, "D", 1, { v: "B1", round: 1, again: true }), entry(4, "A", 2, { round: 2, side: "C" })];
    for (const e of old) store.append(record.id, e);
    const handle = await resume(record.id, { store, graph });
    const error = await handle.result.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "journal_mismatch" });
    expect((error as Error).message).toMatch(/journal entry 4 .*the loop at A starts pass 2 here, but the journal has no loop.pass entry/);
  });

  it("a journal that ends after the pass settled but before its loop.pass entry: the pass starts when replay ends", async () => {
    const seen: Seen[] = [];
    const graph = routeInLoop(seen);
    const store = new MemoryStore();
    const record = newRunRecord(graph, {});
    store.createRun(record);
    for (const e of [entry(1, "A", 1, { round: 1, side: "B" }), entry(2, "B", 1, { v: "B1" }), entry(3, "D", 1, { v: "B1", round: 1, again: true })]) store.append(record.id, e);
    const handle = await resume(record.id, { store, graph });
    await expect(handle.result).resolves.toEqual({ v: "C2" });
    expect(store.journal(record.id).map((e) => `${e.kind === "loop.pass" ? "pass " : ""}${e.path}#${e.act}`)).toEqual(["A#1", "B#1", "D#1", "pass A#2", "A#2", "C#2", "D#2", "done#1"]);
    // (C was ruled out in pass 1, so it runs as activation 2; blocks count activations, loops count passes.)
    expect(seen.map((s) => `${s.block}${s.act}`)).toEqual(["A2", "C2", "D2"]);
  });

  it("resume of an old journal that never re-entered a loop works", async () => {
    const seen: Seen[] = [];
    const graph = routeInLoop(seen);
    const store = new MemoryStore();
    const record = newRunRecord(graph, {});
    store.createRun(record);
    for (const e of [entry(1, "A", 1, { round: 1, side: "B" }), entry(2, "B", 1, { v: "B1" })]) store.append(record.id, e);
    const handle = await resume(record.id, { store, graph });
    await expect(handle.result).resolves.toEqual({ v: "C2" });
    expect(seen.map((s) => `${s.block}${s.act}`)).toEqual(["D1", "A2", "C2", "D2"]);
  });
});
