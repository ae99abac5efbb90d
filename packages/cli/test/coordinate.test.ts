import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { check, parseGraphDefJson } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { cli, root } from "./capture.js";

const tmp = mkdtempSync(join(tmpdir(), "blockwork-coordinate-"));
const GRAPH = "examples/text-digest/digest.graph.ts";
const CATALOGUE = "examples/coordinator/catalogue.ts";
const SCRIPT = "examples/coordinator/session.json";
const GOAL = "Also report the mood of the text: add a field mood to the output.";

describe("blockwork coordinate", () => {
  it("runs the real binary with a script: progress per attempt, the change, the new GraphDef, and says the patches were scripted", async () => {
    const out = join(tmp, "digest.graph.json");
    const mermaid = join(tmp, "digest.mmd");
    const run = promisify(execFile);
    const { stdout, stderr } = await run(
      process.execPath,
      [join(root, "packages/cli/bin/blockwork.js"), "coordinate", GRAPH, "--goal", GOAL, "--catalogue", CATALOGUE, "--script", SCRIPT, "--out", out, "--mermaid", mermaid],
      { cwd: root, env: { ...process.env, NO_COLOR: "1", BLOCKWORK_MODEL: "" } },
    );
    expect(stderr).toContain("Model: none. The patches come from the script examples/coordinator/session.json, not from a model.");
    expect(stderr).toMatch(/^attempt 1\/4: rejected — 1 operation problem, 4 checker errors \(unreachable_block, unbound_input, unknown_input_field, binding_may_not_run\); context \d+ tokens, output \d+ tokens$/m);
    expect(stderr).toContain('ops[1] connect (unknown_block): connect normalse -> sentiment names block "normalse"');
    expect(stderr).toMatch(/^attempt 2\/4: rejected — 1 checker error \(binding_type_mismatch\); context \d+ tokens/m);
    expect(stderr).toMatch(/^attempt 3\/4: applied — no issues; context \d+ tokens/m);
    expect(stdout).toMatch(/^Graph "text-digest": version [0-9a-f]{16} → [0-9a-f]{16} \(patch 3, 4 operations; 3 model calls, \d+ tokens\)\.$/m);
    expect(stdout).toContain('+ block "sentiment" (sentiment): input {text: input.text}');
    expect(stdout).toContain("+ edge normalise -> sentiment");
    expect(stdout).toContain("~ graph output: {summary: compose.summary, keywords: compose.keywords, sentenceCount: compose.sentenceCount, mood: sentiment.mood}");
    expect(stdout).toContain(`Wrote ${out}.`);
    expect(stdout.trim().split("\n").at(-1)).toBe("The patches came from the script examples/coordinator/session.json, not from a model.");

    const written = parseGraphDefJson(readFileSync(out, "utf8"));
    expect(written.ok).toBe(true);
    if (written.ok) {
      expect(check(written.def)).toEqual([]);
      expect(written.def.nodes.map((n) => n.id)).toEqual(["normalise", "rankSentences", "compose", "sentiment"]);
    }
    expect(readFileSync(mermaid, "utf8")).toContain("class sentiment added");
    // The written GraphDef passes `blockwork check` too.
    const checked = await cli(["check", out]);
    expect(checked.code).toBe(0);
  });

  it("exits 1 with every attempt's issues when no patch passes within the attempts", async () => {
    const { code, out, err } = await cli(["coordinate", GRAPH, "--goal", GOAL, "--catalogue", CATALOGUE, "--script", SCRIPT, "--attempts", "2"]);
    expect(code).toBe(1);
    expect(err).toMatch(/attempt 1\/2: rejected/);
    expect(err).toMatch(/attempt 2\/2: rejected — 1 checker error \(binding_type_mismatch\)/);
    expect(err).toContain("error binding_type_mismatch");
    expect(out).toContain("No change: No patch passed the checker in 2 attempts; the graph is unchanged.");
    expect(out).toContain("The patches came from the script");
  });

  it("prints the result as JSON, and works on a .graph.json with only the blocks of a catalogue", async () => {
    const def = join(tmp, "plain.graph.json");
    const graph = await cli(["graph", GRAPH, "--format", "json"]);
    writeFileSync(def, graph.out);
    const { code, out } = await cli(["coordinate", def, "--goal", GOAL, "--catalogue", CATALOGUE, "--script", SCRIPT, "--format", "json"]);
    expect(code).toBe(0);
    const result = JSON.parse(out) as { status: string; scripted: string; attempts: { outcome: string; issues: { code: string }[] }[]; def: { nodes: unknown[] } };
    expect(result.status).toBe("applied");
    expect(result.scripted).toBe(SCRIPT);
    expect(result.attempts.map((a) => a.outcome)).toEqual(["rejected", "rejected", "applied"]);
    expect(result.def.nodes).toHaveLength(4);
  });

  it("takes a failure report instead of a goal", async () => {
    const script = join(tmp, "reroute.json");
    writeFileSync(script, JSON.stringify([{ json: { reason: "Count words instead.", ops: [{ op: "replace_block", id: "compose", block: "wordCount" }] } }]));
    const failure = JSON.stringify({ path: "compose", error: { code: "block_failed", message: "threw: boom" } });
    const { code, out, err } = await cli(["coordinate", GRAPH, "--failure", failure, "--catalogue", CATALOGUE, "--script", script, "--attempts", "1"]);
    expect(err).toContain('Coordinating graph "text-digest" (examples/text-digest/digest.graph.ts): failure at compose: threw: boom');
    expect(err).toMatch(/ops\[0\] replace_block \(incompatible_replacement\): replace_block: "wordCount" cannot replace block "compose": /);
    expect(code).toBe(1);
    expect(out).toContain("No change:");
  });

  it("explains what is missing: a model, a goal, a catalogue export, a readable script", async () => {
    const noModel = await cli(["coordinate", GRAPH, "--goal", GOAL]);
    expect(noModel.code).toBe(2);
    expect(noModel.err).toMatch(/coordinate needs a model\. No model is configured\. Set BLOCKWORK_MODEL=<provider>:<model>/);
    expect(noModel.err).toContain("Or pass --script <file.json>");
    expect((await cli(["coordinate", GRAPH])).err).toMatch(/needs a --goal "\.\.\." or a --failure report/);
    expect((await cli(["coordinate", GRAPH, "--goal", GOAL, "--catalogue", "examples/text-digest/digest.graph.ts", "--script", SCRIPT])).err).toMatch(
      /exports no catalogue\. Export one: export const catalogue = defineCatalogue/,
    );
    expect((await cli(["coordinate", GRAPH, "--goal", GOAL, "--script", "nope.json"])).err).toMatch(/Cannot read --script file nope\.json: no such file/);
    expect((await cli(["coordinate", GRAPH, "--goal", GOAL, "--failure", "{}"])).err).toMatch(/needs a --goal "\.\.\." or a --failure report \(one of them\)/);
  });
});
