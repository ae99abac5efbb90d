import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { graphVersion, run, SqliteStore } from "@blockwork/core";
import type { GraphDef } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import type { Io } from "../src/io.js";
import { main } from "../src/main.js";
import { root } from "./capture.js";
import { notesGraph as v1 } from "./fixtures/diff-v1.graph.js";
import { notesGraph as v2 } from "./fixtures/diff-v2.graph.js";

// These tests run the built CLI (packages/cli/bin/blockwork.js → dist/), as users and CI do.
const tmp = mkdtempSync(join(tmpdir(), "blockwork-diff-"));
const V1 = "packages/cli/test/fixtures/diff-v1.graph.ts";
const V2 = "packages/cli/test/fixtures/diff-v2.graph.ts";

function blockwork(...args: string[]): { code: number; out: string; err: string } {
  const result = spawnSync(process.execPath, [join(root, "packages/cli/bin/blockwork.js"), ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: "1" },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: result.status ?? -1, out: result.stdout, err: result.stderr };
}

function json(name: string, def: GraphDef): string {
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify(def, null, 2));
  return path;
}

// The same graphs as GraphDef files: quicker to load than modules, for the tests about exit codes.
const V1_JSON = json("v1.graph.json", v1.def);
const V2_JSON = json("v2.graph.json", v2.def);

/** v1 with a narrower input: breaking for callers. */
const narrower = (): GraphDef => {
  const def = structuredClone(v1.def) as unknown as { contract: { input: { properties: { topic: Record<string, unknown> } } } };
  def.contract.input.properties.topic["maxLength"] = 10;
  return def as unknown as GraphDef;
};

describe("blockwork diff", () => {
  it("exits 0 and says so when nothing changed", () => {
    const same = blockwork("diff", V1, V1_JSON);
    expect(same.code).toBe(0);
    expect(same.out).toContain(`old: ${V1}#notesGraph (graph "notes", version ${graphVersion(v1.def)})`);
    expect(same.out).toMatch(/^Changes: 0$/m);
    expect(same.out).toMatch(/^Runs in flight: unchanged \(4 of 4 positions safe\)$/m);
    expect(same.out).toMatch(/^Result: unchanged$/m);
  });

  it("prints callers, changes and positions in flight, and exits 1 when something breaks", () => {
    const { code, out, err } = blockwork("diff", V1, V2);
    expect(err).toBe("");
    expect(code).toBe(1);
    expect(out).toMatch(/^Callers: unchanged$/m);
    expect(out).toContain("  compatible  description_changed  (graph)\n      The description of graph \"notes\" changed.");
    expect(out).toContain("  breaking    loop_bound_lowered  review\n      The bound of edge review -> draft was lowered (max 3 → 2).");
    expect(out).toContain("in flight: breaking at draft, review");
    expect(out).toMatch(/^Runs in flight: breaking \(2 of 4 positions safe\)$/m);
    expect(out).toMatch(/^ {2}safe {4}outline, publish$/m);
    expect(out).toMatch(/^ {2}unsafe {2}draft\n {6}- The bound of edge review -> draft was lowered \(max 3 → 2\); the run may already have taken the edge more often than that/m);
    expect(out).toMatch(/^Result: breaking \(in flight\)$/m);
    expect(out).not.toMatch(/\u001b\[/);
  });

  it("prints the diff as JSON with both sides' versions", () => {
    const { code, out } = blockwork("diff", V1, json("narrow.graph.json", narrower()), "--format", "json");
    expect(code).toBe(1);
    const report = JSON.parse(out) as Record<string, unknown>;
    expect(report).toMatchObject({
      format: "blockwork/diff@1",
      before: { source: V1, exportName: "notesGraph", version: graphVersion(v1.def), graph: "notes" },
      after: { version: graphVersion(narrower()), graph: "notes" },
      breaking: true,
      callers: "breaking",
      flow: "compatible",
      inFlight: "breaking",
      issues: [],
    });
    expect(Object.keys(report)).toEqual(["format", "before", "after", "breaking", "callers", "flow", "inFlight", "changes", "positions", "issues"]);
    expect(report["changes"]).toEqual([
      expect.objectContaining({ code: "graph_input_changed", path: "", callers: "breaking", flow: "compatible", inFlight: "breaking", unsafeAt: ["outline"] }),
    ]);
    expect(report["positions"]).toEqual([
      { block: "outline", safe: false, reasons: [expect.stringMatching(/^the run's input satisfies the old input schema, and block "outline" reads topic of it: .*maxLength 10/)] },
      { block: "draft", safe: true, reasons: [] },
      { block: "review", safe: true, reasons: [] },
      { block: "publish", safe: true, reasons: [] },
    ]);
  });

  it("chooses what fails the build with --fail-on", () => {
    // v1 → v2 breaks runs in flight only; v1 → narrower breaks callers (and runs at outline).
    expect(blockwork("diff", V1_JSON, V2_JSON, "--fail-on", "callers").code).toBe(0);
    expect(blockwork("diff", V1_JSON, V2_JSON, "--fail-on", "in-flight").code).toBe(1);
    expect(blockwork("diff", V1_JSON, V2_JSON, "--fail-on", "none").code).toBe(0);
    const narrow = json("narrow2.graph.json", narrower());
    expect(blockwork("diff", V1_JSON, narrow, "--fail-on", "callers").code).toBe(1);
    expect(blockwork("diff", narrow, V1_JSON, "--fail-on", "any").code).toBe(0);
  }, 60_000);

  it("picks an export with file#name, and asks for one when a module exports several", () => {
    // .mts: an ES module wherever it is (a .ts file outside a "type": "module" package is CommonJS).
    const both = join(tmp, "both.graph.mts");
    writeFileSync(both, `export { notesGraph } from "${root}${V1}";\nexport { notesGraph as notesV2 } from "${root}${V2}";\n`);
    const ambiguous = blockwork("diff", both, V2);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.err).toMatch(/both\.graph\.mts \(the old graph\) exports 2 graphs \(notesGraph, notesV2\); choose one with --export NAME, or .*both\.graph\.mts#NAME for this side only\./);
    const picked = blockwork("diff", `${both}#notesV2`, V2, "--format", "json");
    expect(picked.code).toBe(0);
    expect(JSON.parse(picked.out)).toMatchObject({ before: { exportName: "notesV2" }, changes: [] });
  }, 60_000);

  it("exits 2 with what failed, where, and how to fix it", () => {
    const missing = blockwork("diff", "nope.graph.ts", V2);
    expect(missing).toMatchObject({ code: 2, out: "" });
    expect(missing.err).toBe(
      'blockwork: cannot read the old graph "nope.graph.ts": there is no such file, and it is not a graph version (8 or more hex digits). Give a .graph.ts/.graph.json file (file.graph.ts#export picks an export), or a version kept in a store with --store <path|url>.\n',
    );
    const noStore = blockwork("diff", V1_JSON, "0123abcd", "--store", join(tmp, "absent.sqlite"));
    expect(noStore.code).toBe(2);
    expect(noStore.err).toMatch(/cannot read the new graph version 0123abcd: the store .*absent\.sqlite does not exist\. Give the store the runs were kept in with --store <path\|url>, or a graph file\./);
    const broken = blockwork("diff", V1_JSON, "examples/broken/missing_entry.json");
    expect(broken.code).toBe(1); // a GraphDef the checker rejects still loads: the diff says why nothing can move
    expect(broken.out).toMatch(/the new graph does not pass the checker/);
    const notGraph = blockwork("diff", V1_JSON, "packages/cli/test/fixtures/not-a-graph.json");
    expect(notGraph.code).toBe(2);
    expect(notGraph.err).toMatch(/^blockwork: cannot load the new graph from packages\/cli\/test\/fixtures\/not-a-graph\.json: /);
    const badOption = blockwork("diff", V1_JSON, V2_JSON, "--fail-on", "sometimes");
    expect(badOption.code).toBe(2);
    expect(badOption.err).toMatch(/argument 'sometimes' is invalid\. Allowed choices are any, callers, in-flight, none/);
  }, 60_000);

  it("reads graph versions from a SQLite store, by full version or a unique prefix", async () => {
    const file = join(tmp, "runs.sqlite");
    const store = new SqliteStore(file);
    try {
      await expect(run(v1, { topic: "diffs" }, { store }).result).resolves.toEqual({ markdown: "# Notes\n\nwhy diffs. how diffs" });
      store.saveGraph(graphVersion(v2.def), v2.def);
    } finally {
      store.close();
    }
    const old = graphVersion(v1.def);
    const neu = graphVersion(v2.def);
    const { code, out } = blockwork("diff", old.slice(0, 8), neu, "--store", file, "--format", "json");
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({
      before: { source: file, version: old, graph: "notes" },
      after: { source: file, version: neu, graph: "notes" },
      changes: [{ code: "description_changed" }, { code: "loop_bound_lowered", unsafeAt: ["draft", "review"] }],
    });
    // A stored version against a file, in text.
    const text = blockwork("diff", neu, V2, "--store", file);
    expect(text.code).toBe(0);
    expect(text.out).toContain(`old: ${file} (graph "notes", version ${neu})`);
    const unknown = blockwork("diff", "ffffffff", V2_JSON, "--store", file);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/no graph version ffffffff in .*runs\.sqlite \(the old graph\)\. A prefix is matched against the versions runs were pinned to/);
  }, 60_000);

  it("colours its output only on a terminal, and never with NO_COLOR", async () => {
    const capture = async (env: Record<string, string | undefined>, isTTY: boolean) => {
      let out = "";
      const io: Io = { cwd: root, env, isTTY, out: (t) => void (out += t), err: () => undefined };
      await main(["diff", V1, V2], io);
      return out;
    };
    expect(await capture({}, true)).toMatch(/\u001b\[31mbreaking/);
    expect(await capture({ NO_COLOR: "1" }, true)).not.toMatch(/\u001b\[/);
    expect(await capture({}, false)).not.toMatch(/\u001b\[/);
  });
});
