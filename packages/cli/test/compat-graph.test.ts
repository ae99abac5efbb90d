import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { cli, root } from "./capture.js";

const tmp = mkdtempSync(join(tmpdir(), "blockwork-cli-"));
const file = (name: string, value: unknown) => {
  const path = join(tmp, name);
  writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
  return path;
};

describe("blockwork compat", () => {
  const int = file("int.json", { type: "integer" });
  const num = file("num.json", { type: "number" });
  const aPlus = file("a-plus.json", { type: "string", pattern: "^a+$" });
  const aStar = file("a-star.json", { type: "string", pattern: "^a*$" });

  it("answers yes, no (with a counterexample) and unknown, with exit codes 0, 1 and 3", async () => {
    const yes = await cli(["compat", int, num]);
    expect(yes).toMatchObject({ code: 0, out: expect.stringMatching(/^yes: every value valid for/) });
    const no = await cli(["compat", num, int]);
    expect(no.code).toBe(1);
    expect(no.out).toMatch(/^no: /);
    expect(no.out).toMatch(/counterexample: /);
    // Regular-expression containment is not decided: honest "unknown", not a guess.
    const unknown = await cli(["compat", aPlus, aStar]);
    expect(unknown.code).toBe(3);
    expect(unknown.out).toMatch(/^unknown: /);
    const json = await cli(["compat", int, num, "--format", "json"]);
    expect(JSON.parse(json.out)).toEqual({ verdict: "yes" });
  });

  it("reads pairs as JSON lines and prints one verdict per line, in order", async () => {
    const pairs = file(
      "pairs.jsonl",
      [
        JSON.stringify({ a: { type: "integer" }, b: { type: "number" } }),
        JSON.stringify({ a: { type: "number" }, b: { type: "integer" } }),
        "not json",
        JSON.stringify({ a: { exclusiveMinimum: true, minimum: 0, type: "number" }, b: { type: "number", minimum: 0 } }),
      ].join("\n"),
    );
    const { code, out, err } = await cli(["compat", "--pairs", pairs, "--draft", "draft-04"]);
    const lines = out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l["verdict"] ?? "error")).toEqual(["yes", "no", "error", "yes"]);
    expect(lines[2]?.["error"]).toMatch(/^line 3: invalid JSON/);
    expect(code).toBe(2);
    expect(err).toMatch(/1 line of .* is not/);
  });

  it("explains bad input", async () => {
    expect((await cli(["compat", int])).err).toMatch(/compat needs two schema files/);
    expect((await cli(["compat", int, file("bad.json", "{")])).err).toMatch(/bad\.json is not valid JSON/);
    expect((await cli(["compat", int, file("arr.json", [1])])).err).toMatch(/is not a JSON Schema/);
  });
});

describe("blockwork graph", () => {
  it("draws a graph as Mermaid", async () => {
    const { code, out } = await cli(["graph", "examples/support-triage/triage.graph.ts"]);
    expect(code).toBe(0);
    expect(out).toMatch(/^flowchart TD\n/);
    expect(out).toContain('classify -- "kind = #quot;billing#quot;" --> billingReply');
  });

  it("prints the GraphDef as JSON, and asks which export when there are several", async () => {
    const { out } = await cli(["graph", "examples/text-digest/digest.graph.ts", "--format", "json"]);
    expect(JSON.parse(out)).toMatchObject({ format: "blockwork/graph@1", id: "text-digest" });
    const several = file("two.graph.ts", `export { digestGraph } from "${root}examples/text-digest/digest.graph.ts";\nexport { triageGraph } from "${root}examples/support-triage/triage.graph.ts";\n`);
    const ambiguous = await cli(["graph", several]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.err).toMatch(/exports 2 graphs \(digestGraph, triageGraph\); choose one with --export NAME/);
    expect((await cli(["graph", several, "--export", "triageGraph"])).code).toBe(0);
    expect((await cli(["graph", several, "--export", "nope"])).err).toMatch(/has no graph export named "nope" \(graph exports: digestGraph, triageGraph\)/);
  });
});

describe("the blockwork binary", () => {
  it("runs as a real process (built by npm ci / npm test)", async () => {
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [join(root, "packages/cli/bin/blockwork.js"), "check", "examples/text-digest"], { cwd: root });
    expect(stdout).toMatch(/Checked 1 graph in 1 file: 0 errors, 0 warnings\./);
    const failed = await run(process.execPath, [join(root, "packages/cli/bin/blockwork.js"), "check", "examples/broken/missing_entry.json"], { cwd: root }).catch(
      (error: { code: number; stdout: string }) => error,
    );
    expect(failed).toMatchObject({ code: 1, stdout: expect.stringContaining("missing_entry") });
    const help = await run(process.execPath, [join(root, "packages/cli/bin/blockwork.js"), "--help"], { cwd: root });
    expect(help.stdout).toMatch(/check \[options\] <paths\.\.\.>/);
  });
});
