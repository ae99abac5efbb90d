import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { resume, type RunEvent, SqliteStore } from "@blockwork/core";
import { describe, expect, it } from "vitest";
import { rlmCrashGraph } from "./fixtures/rlm-crash-graph.js";

const dir = mkdtempSync(join(tmpdir(), "blockwork-rlm-crash-"));

describe("an rlm block killed mid-cell", () => {
  it("resumes from its journal: finished cells and sub-calls are replayed, not run again, and the sandbox's variables come back", async () => {
    const file = join(dir, "killed.sqlite");
    const log = join(dir, "calls.log");
    const child = spawn(process.execPath, ["--conditions=@blockwork/source", "--import", "tsx", fileURLToPath(new URL("./fixtures/rlm-crash-child.ts", import.meta.url)), file, log], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const runId = await new Promise<string>((resolve, reject) => {
      child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once("exit", (code) => reject(new Error(`the child exited early with ${code}`)));
    });
    // Wait until the child is inside cell 3's slow sub-call, then kill it without warning.
    const calls = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
    for (let i = 0; i < 3_000 && !calls().includes("sub slow"); i++) await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    expect(calls()).toEqual(["turn 1", "turn 2", "sub fast-1", "turn 3", "sub fast-2", "sub slow"]);

    const store = new SqliteStore(file);
    const steps = store.journal(runId).flatMap((e) => (e.kind === "step.completed" ? [e.step] : [e.kind]));
    // Cell 3 was in progress: its first sub-call finished, its second did not, nor the cell.
    expect(steps).toEqual(["t1", "c1", "t2", "c2.q1", "c2", "t3", "c3.q1"]);
    expect(store.getRun(runId)?.status).toBe("running");

    const events: RunEvent[] = [];
    const resumed = await resume(runId, { store, graph: rlmCrashGraph(log, 1), onEvent: (e) => events.push(e) });
    const output = await resumed.result;
    expect(output).toEqual({ answer: "fast-1 says ok / fast-2 says ok / slow says ok / 2", evidence: [expect.any(Number)] });
    // After the kill the model was asked only what the journal did not hold: the slow sub-call and turn 4.
    expect(calls().slice(6)).toEqual(["sub slow", "turn 4"]);
    // The replayed steps are marked as such in the events.
    const replayed = events.flatMap((e) => (e.type === "block.step" && e.replayed ? [e.step] : []));
    expect(replayed).toEqual(["c1", "c2.q1", "c2", "c3.q1"]);
    const journal = store.journal(runId);
    expect(journal.flatMap((e) => (e.kind === "step.completed" ? [e.step] : [e.kind]))).toEqual([...steps, "c3.q2", "c3", "t4", "c4", "block.completed"]);
    expect(store.getRun(runId)).toMatchObject({ status: "completed" });
    store.close();
  });
});
