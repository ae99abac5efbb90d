import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { graphVersion, type RunRecord, SqliteStore } from "@blockwork/core";
import { describe, expect, it } from "vitest";
import { loadGraph } from "../src/commands/run.js";
import { cli, root } from "./capture.js";

// `blockwork runs resume` with many runs: one import per module, runs resumed together, a summary.
const tmp = mkdtempSync(join(tmpdir(), "blockwork-resume-many-"));
const io = { cwd: root, env: {}, isTTY: false, out: () => {}, err: () => {} };

describe("blockwork runs resume (every run)", () => {
  it("loads a graph module once per process, and again when the file changes", async () => {
    // Under the repository (test/artifacts is ignored by git), so that it resolves @blockwork/spec.
    const dir = join(root, "packages/cli/test/artifacts");
    mkdirSync(dir, { recursive: true });
    const module = join(dir, `slow-${process.pid}.graph.ts`);
    copyFileSync(join(root, "packages/cli/test/fixtures/slow.graph.ts"), module);
    const first = await loadGraph(module, undefined, io);
    expect((await loadGraph(module, undefined, io)).graph).toBe(first.graph);
    utimesSync(module, new Date(), new Date(Date.now() + 5_000));
    expect((await loadGraph(module, undefined, io)).graph).not.toBe(first.graph);
    rmSync(module);
  });

  it("resumes every crashed run, counts them, and reports those it cannot resume without stopping the others", async () => {
    const file = join(tmp, "many.sqlite");
    const module = join(root, "packages/cli/test/fixtures/slow.graph.ts");
    const { graph } = await loadGraph(module, undefined, io);
    const version = graphVersion(graph.def);
    const store = new SqliteStore(file);
    // Runs stopped after two of five blocks, as a killed process leaves them (no live owner).
    const make = (id: string, source?: RunRecord["source"]) => {
      store.createRun({ id, graphId: "slow", version, status: "running", input: { n: 0 }, ...(source ? { source } : {}), createdAt: Date.now(), updatedAt: Date.now() });
      store.append(id, { seq: 1, kind: "block.completed", path: "one", act: 1, attempt: 1, at: Date.now(), output: { n: 1 } });
      store.append(id, { seq: 2, kind: "block.completed", path: "two", act: 1, attempt: 1, at: Date.now(), output: { n: 2 } });
    };
    for (let i = 0; i < 40; i++) make(`run-${i}`, { module });
    make("no-source");
    make("gone", { module: join(tmp, "missing.graph.ts") });
    store.close();
    const resumed = await cli(["runs", "resume", "--store", file, "--concurrency", "8"]);
    expect(resumed.code).toBe(1);
    expect(resumed.err).toMatch(/^resumed 42\/42 · 40 completed · 2 failed · 0 suspended · 0 owned elsewhere · \d+ runs\/s$/m);
    expect(resumed.err).toMatch(/Resumed 42 runs in [\d.]+ s: 40 completed, 2 failed, 0 suspended .*, 0 skipped \(a live process owns them\), 0 ended meanwhile\./);
    expect(resumed.err).toMatch(/ {2}no-source: it does not say which module its graph came from/);
    expect(resumed.err).toMatch(/ {2}gone: Cannot read .*missing\.graph\.ts/);
    const after = new SqliteStore(file);
    const completed = after.listRuns({ status: "completed", limit: 100 });
    expect(completed).toHaveLength(40);
    for (const r of completed) {
      expect(r.output).toEqual({ n: 5 });
      expect(after.journal(r.id).map((e) => e.path)).toEqual(["one", "two", "three", "four", "five"]);
    }
    after.close();
  });
});

