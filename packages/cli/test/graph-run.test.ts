import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, SqliteStore } from "@blockwork/core";
import { createGraph, defineContract, toMermaid } from "@blockwork/spec";
import { z } from "zod";
import { runTrace } from "../src/run-trace.js";
import { describe, expect, it } from "vitest";
import { releaseNotesGraph } from "../../../examples/release-notes/release-notes.graph.js";
import { refundGraph } from "../../../examples/refund-approval/refund.graph.js";
import { cli, root } from "./capture.js";

// `blockwork graph <file> --run <id>`: the Mermaid diagram with the path a real run took.

const dir = mkdtempSync(join(tmpdir(), "bw-graph-run-"));

describe("blockwork graph --run", () => {
  it("shows pass counts on blocks and taken edges (the review loop twice, the subgraph inside), drawn thick", async () => {
    const file = join(dir, "runs.sqlite");
    const store = new SqliteStore(file);
    const input = JSON.parse(readFileSync(join(root, "examples/release-notes/input.json"), "utf8"));
    const handle = run(releaseNotesGraph, input, { store });
    await handle.result;
    store.close();
    const { code, out } = await cli(["graph", "examples/release-notes/release-notes.graph.ts", "--run", handle.id, "--store", file]);
    expect(code).toBe(0);
    expect(out).toContain('draftNotes["draftNotes ×2"]');
    expect(out).toContain('review["review ×2"]');
    expect(out).toContain('publish["publish ×1"]');
    expect(out).toContain('normalise["normalise ×1"]');
    expect(out).toContain('review -- "verdict = #quot;revise#quot; (max 3) ×1" --> draftNotes');
    expect(out).toContain('review -- "verdict = #quot;approve#quot; ×1" --> publish');
    expect(out).toContain('draftNotes -- "×2" --> review');
    expect(out).toContain('digest_normalise -- "×1" --> digest_rankSentences');
    // The exhausted link was not taken: no count on it.
    expect(out).toContain('review -. "exhausted review→draftNotes" .-> publish');
    expect(out).toMatch(/\n {2}linkStyle [\d,]+ stroke:#1d4ed8,stroke-width:3px/);
    expect(out).toMatch(/class .*review.* ran/);
  });

  it("counts only the route the run took", async () => {
    const file = join(dir, "refund.sqlite");
    const store = new SqliteStore(file);
    const request = JSON.parse(readFileSync(join(root, "examples/refund-approval/request.json"), "utf8"));
    const handle = run(refundGraph, { ...request, amount: 30 }, { store });
    await handle.result;
    store.close();
    const { out } = await cli(["graph", "examples/refund-approval/refund.graph.ts", "--run", handle.id, "--store", file]);
    expect(out).toContain('assess -- "route = #quot;auto#quot; ×1" --> autoApprove');
    expect(out).toContain('assess -- "route = #quot;human#quot;" --> approve');
    expect(out).not.toContain("approve ×");
    expect(out).not.toContain("✗ failed");
  });

  it("says what to do for an unknown run, and refuses --run with another format", async () => {
    const file = join(dir, "empty.sqlite");
    new SqliteStore(file).close();
    const missing = await cli(["graph", "examples/refund-approval/refund.graph.ts", "--run", "nope", "--store", file]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no run nope in .*blockwork runs/);
    const json = await cli(["graph", "examples/refund-approval/refund.graph.ts", "--run", "nope", "--format", "json", "--store", file]);
    expect(json.err).toMatch(/--run draws the run on the Mermaid diagram/);
  });

  it("marks the block a failed run failed at", async () => {
    const n = z.object({ n: z.number() });
    const ok = defineContract({ id: "ok", input: n, output: n }).implement(({ n }) => ({ n }));
    const broken = defineContract({ id: "broken", input: n, output: n }).implement(() => {
      throw new Error("disk full");
    });
    const graph = createGraph({ id: "breaks", input: n, output: n })
      .then(ok, (input) => input)
      .then(broken, (_, r) => r.ok)
      .output((_, r) => r.broken)
      .build();
    const store = new SqliteStore(join(dir, "fails.sqlite"));
    const handle = run(graph, { n: 1 }, { store });
    await expect(handle.result).rejects.toMatchObject({ code: "block_failed", path: "broken" });
    const record = await store.getRun(handle.id);
    const drawn = toMermaid(graph.def, { run: runTrace(graph.def, store.journal(handle.id), record?.error?.path) });
    store.close();
    expect(drawn).toContain('broken["broken ✗ failed"]');
    expect(drawn).toContain('ok["ok ×1"]');
    expect(drawn).toMatch(/class broken runFailed/);
  });
});
