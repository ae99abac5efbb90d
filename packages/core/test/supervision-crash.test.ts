import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type ErrorInfo, resume, SqliteStore } from "../src/index.js";
import { pipeline, script } from "./fixtures/supervised.js";

const dir = mkdtempSync(join(tmpdir(), "blockwork-supervision-"));

/**
 * Runs the supervised pipeline in a child process until its journal holds `restarts` restart
 * entries, then kills it with SIGKILL: the kill lands in the backoff of the last restart.
 */
async function killDuringBackoff(name: string, failures: number, delayMs: number, intensity: number, restarts: number) {
  const file = join(dir, `${name}.sqlite`);
  const log = join(dir, `${name}.log`);
  const child = spawn(process.execPath, ["--conditions=@blockwork/source", "--import", "tsx", fileURLToPath(new URL("./fixtures/supervise-child.ts", import.meta.url)), file, log, String(failures), String(delayMs), String(intensity)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const runId = await new Promise<string>((resolve, reject) => {
    child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once("exit", (code) => reject(new Error(`the child exited early with ${code}`)));
  });
  const restartsIn = () => {
    if (!existsSync(file)) return 0;
    const store = new SqliteStore(file);
    try {
      return store.journal(runId).filter((e) => e.kind === "block.restarted").length;
    } finally {
      store.close();
    }
  };
  for (let i = 0; i < 2_000 && restartsIn() < restarts; i++) await new Promise((r) => setTimeout(r, 10));
  child.kill("SIGKILL");
  await new Promise((resolve) => child.once("exit", resolve));
  const calls = () => readFileSync(log, "utf8").trim().split("\n").map((line) => line.split("@")[0]);
  return { runId, store: new SqliteStore(file), calls, log };
}

describe("supervision survives a crash (SIGKILL)", () => {
  it("killed during a restart's backoff, the resumed run waits what is left of it and goes on; finished blocks never run again", async () => {
    const { runId, store, calls } = await killDuringBackoff("backoff", 1, 1_500, 3, 1);
    expect(calls()).toEqual(["a#1", "b#1"]);
    const restart = store.journal(runId).find((e) => e.kind === "block.restarted");
    expect(restart).toMatchObject({ path: "b", act: 1, delayMs: 1_500, restarted: ["b"] });
    expect(store.getRun(runId)?.status).toBe("running");

    const s = script();
    const startedAt: number[] = [];
    const handle = await resume(runId, {
      store,
      graph: pipeline(s, { restart: { type: "permanent", intensity: 3, initialDelayMs: 1_500, factor: 1, jitter: 0 } }),
      onEvent: (e) => e.type === "block.started" && e.path === "b" && startedAt.push(e.at),
    });
    await expect(handle.result).resolves.toEqual({ n: 3 });
    // a completed before the kill: only b (its new activation) and c ran in this process.
    expect(s.trace).toEqual(["b#1", "c#1"]);
    expect(startedAt[0]).toBeGreaterThanOrEqual((restart?.at ?? 0) + 1_500);
    expect(store.journal(runId).map((e) => `${e.kind} ${e.path}#${e.act}`)).toEqual([
      "block.completed a#1",
      "block.restarted b#1",
      "block.completed b#2",
      "block.completed c#1",
    ]);
  });

  it("the restart history comes back from the journal: the intensity counts the restarts made before the crash", async () => {
    const { runId, store } = await killDuringBackoff("history", 2, 400, 2, 2);
    expect(store.journal(runId).filter((e) => e.kind === "block.restarted").map((e) => e.act)).toEqual([1, 2]);
    // After the crash, b fails once more: that is a third restart within the period, one too many.
    const s = script({ b: ["throw"] });
    const handle = await resume(runId, { store, graph: pipeline(s, { restart: { type: "permanent", intensity: 2, initialDelayMs: 400, factor: 1, jitter: 0 } }) });
    const error = (await handle.result.catch((e: unknown) => e)) as { info: ErrorInfo };
    expect(s.trace).toEqual(["b#1"]);
    expect(error.info.trail?.[0]).toMatchObject({ path: "b", reason: "intensity: 2 restarts within 60 s (the most allowed is 2)" });
    expect(error.info.trail?.[0]?.failures.map((f) => f.act)).toEqual([1, 2, 3]);
    expect(store.getRun(runId)?.status).toBe("failed");
  });
});
