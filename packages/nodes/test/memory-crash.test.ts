import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { foldBatches, type MemoryItem, resume, run, SqliteStore } from "@blockwork/core";
import { describe, expect, it } from "vitest";
import { memoryCrashGraph } from "./fixtures/memory-crash-graph.js";

const dir = mkdtempSync(join(tmpdir(), "blockwork-memory-crash-"));
const SCOPE = "thread:notes:ada";
// Times differ between two runs; everything else of an item must be equal.
const comparable = (items: Iterable<MemoryItem>) => [...items].map(({ createdAt: _c, lastAt: _l, sinceAt: _s, ...rest }) => rest).sort((a, b) => a.id.localeCompare(b.id));

describe("memory of an agent block killed with SIGKILL mid-compaction", () => {
  it("is after resume exactly what a run without the crash leaves (no batch lost, none applied twice)", async () => {
    const runId = "0b7d5c1e-0000-4000-8000-00000000c0de";
    // The reference: the same run, same id, never killed.
    const refStore = new SqliteStore(join(dir, "reference.sqlite"));
    await run(memoryCrashGraph(join(dir, "ref.log"), { slowAt: 0, delayMs: 0 }), { user: "ada" }, { store: refStore, runId }).result;
    const reference = refStore.memory.load(SCOPE);

    const file = join(dir, "killed.sqlite");
    const log = join(dir, "calls.log");
    const child = spawn(process.execPath, ["--conditions=@blockwork/source", "--import", "tsx", fileURLToPath(new URL("./fixtures/memory-crash-child.ts", import.meta.url)), file, log, runId], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<string>((resolve, reject) => {
      child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once("exit", (code) => reject(new Error(`the child exited early with ${code}`)));
    });
    const calls = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
    for (let i = 0; i < 6_000 && !calls().includes("compact 2"); i++) await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    expect(calls()).toEqual(["compact 1", "compact 2"]);

    const store = new SqliteStore(file);
    const before = store.memory.batches(SCOPE);
    // Killed inside the second compaction: the batch that overflowed was not written.
    expect(before.some((b) => b.ops.some((op) => op.op === "put" && op.item.kind === "summary"))).toBe(true);
    expect(before.filter((b) => b.ops.some((op) => op.op === "put" && op.item.kind === "summary"))).toHaveLength(1);

    const resumed = await resume(runId, { store, graph: memoryCrashGraph(log, { slowAt: 0, delayMs: 0 }) });
    expect(await resumed.result).toEqual({ ok: true });
    const after = store.memory.load(SCOPE);
    expect(comparable(after.items.values())).toEqual(comparable(reference.items.values()));
    expect(after.seq).toBe(reference.seq);
    const batches = store.memory.batches(SCOPE);
    expect(new Set(batches.map((b) => b.key)).size).toBe(batches.length);
    expect(batches.map((b) => b.key)).toEqual(refStore.memory.batches(SCOPE).map((b) => b.key));
    expect(comparable(foldBatches(batches).items.values())).toEqual(comparable(after.items.values()));
    // The pinned fact survived two compactions, inside the summary that carries it.
    const summary = [...after.items.values()].find((i) => i.kind === "summary" && i.tier === "core");
    expect(summary?.text).toContain("the user is called Ada");
    store.close();
    refStore.close();
  }, 120_000);
});
