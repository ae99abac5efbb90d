/**
 * Inputs validated at the edges and analysis that never crashes (issue 20, parts 4 and 5): every
 * hostile document the issue lists is a diagnostic with exit code 1 or 2, naming the path, and one
 * bad file never hides the report for the others.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "./capture.js";

const dir = mkdtempSync(join(tmpdir(), "bw-edges-"));
const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return name;
};

const graph = (id: string, input: unknown, nodeInput?: unknown) =>
  JSON.stringify({
    format: "blockwork/graph@1", id, contract: { input, output: {} }, entry: ["a"],
    nodes: [{ id: "a", kind: "code", block: "a", contract: { input: { type: "object" }, output: {} }, ...(nodeInput === undefined ? {} : { input: nodeInput }) }],
    edges: [],
  });

function laughs(n: number, leaf: object): string {
  const defs: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) defs[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
  defs[`d${n}`] = leaf;
  return JSON.stringify({ $defs: defs, $ref: "#/$defs/d0" });
}

describe("edges: invalid JSON Schema is an error naming the path", () => {
  it.each([
    ['{"type":"bogus"}', "/type", '"type" must be one of'],
    ['{"type":5}', "/type", '"type" must be one of'],
    ['{"type":"string","minLength":"abc"}', "/minLength", '"minLength" must be integer'],
    ['{"properties":{"x":{"type":"strin"}}}', "/properties/x/type", '"type" must be one of'],
  ])("compat rejects %s", async (schema, path, message) => {
    const a = file(`a-${Math.random().toString(36).slice(2)}.json`, schema);
    const b = file("string.json", '{"type":"string"}');
    for (const args of [[a, b], [b, a]]) {
      const { code, err } = await cli(["compat", ...args], { cwd: dir });
      expect(code).toBe(2);
      expect(err).toContain(`at ${path}: invalid JSON Schema: ${message}`);
    }
  });

  it("compat --pairs reports an invalid schema on its line", async () => {
    const pairs = file("pairs.jsonl", '{"a":{"type":"bogus"},"b":{}}\n{"a":{"type":"integer"},"b":{"type":"number"}}\n');
    const { code, out } = await cli(["compat", "--pairs", pairs], { cwd: dir });
    expect(code).toBe(2);
    const lines = out.trim().split("\n").map((l) => JSON.parse(l) as { error?: string; verdict?: string });
    expect(lines[0]?.error).toMatch(/line 1: not a valid JSON Schema: at \/a\/type/);
    expect(lines[1]?.verdict).toBe("yes");
  });

  it("check rejects a GraphDef whose contract schema is invalid, with its position", async () => {
    const f = file("bogus.graph.json", graph("bogus", { type: "object", properties: { x: { minLength: "abc" } } }));
    const { code, out } = await cli(["check", f], { cwd: dir });
    expect(code).toBe(1);
    expect(out).toMatch(/bogus\.graph\.json:1:\d+ at contract\.input\.properties\.x\.minLength: invalid JSON Schema: "minLength" must be integer/);
  });

  it("a binding field named __proto__ is an error, not dropped; constructor is data", async () => {
    const f = file("proto.graph.json", graph("proto", {}, { kind: "object", fields: { constructor: { kind: "input", path: [] } } }).replace('"fields":{', '"fields":{"__proto__":{"kind":"input","path":[]},'));
    const { code, out } = await cli(["check", f, "--format", "json"], { cwd: dir });
    expect(code).toBe(1);
    const report = JSON.parse(out) as { loadProblems: { problems: { path: unknown[]; message: string }[] }[] };
    expect(report.loadProblems[0]?.problems[0]).toMatchObject({ path: ["nodes", 0, "input", "fields", "__proto__"], message: expect.stringContaining('"__proto__" cannot be used here') });
    const ok = file("ctor.graph.json", graph("ctor", {}, { kind: "object", fields: { constructor: { kind: "literal", value: 1 } } }));
    expect((await cli(["check", ok], { cwd: dir })).out).toContain('graph "ctor", 1 block, 0 errors');
  });
});

describe("edges: hostile shapes are diagnostics, and every file gets its report", () => {
  it("checks nine hostile files and a good one in one run: each reported, exit 1", async () => {
    let binding: unknown = { kind: "input", path: [] };
    for (let i = 0; i < 1000; i++) binding = { kind: "object", fields: { f: binding } };
    let nest: unknown = { type: "string" };
    for (let i = 0; i < 1000; i++) nest = { anyOf: [nest, { type: "null" }] };
    const files = [
      file("h1-bogus.graph.json", graph("bogus", { type: "bogus" })),
      file("h2-nest.graph.json", graph("nest", nest)),
      file("h3-bind.graph.json", graph("bind", {}, binding)),
      file("h4-literal.graph.json", graph("lit", {}, { kind: "literal", value: "X" }).replace('"X"', `${"[".repeat(2000)}${"]".repeat(2000)}`)),
      file("h5-100k.graph.json", graph("deep", "X").replace('"X"', `${'{"anyOf":['.repeat(100_000)}{}${"]}".repeat(100_000)}`)),
      file("h6-laughs.graph.json", graph("laughs", JSON.parse(laughs(40, { type: "string" })) as object)),
      file("h7-syntax.graph.json", '{"format": "blockwork/graph@1", '),
      file("h8-array.graph.json", `${"[".repeat(100_000)}${"]".repeat(100_000)}`),
      file("h9-typ5.graph.json", graph("typ5", { type: 5 })),
      file("ok.graph.json", graph("good", {})),
    ];
    const { code, out } = await cli(["check", ...files], { cwd: dir });
    expect(code).toBe(1);
    expect(out).toContain('ok   ok.graph.json: graph "good"');
    expect(out).toContain('ok   h6-laughs.graph.json: graph "laughs"');
    for (const f of files.filter((x) => !x.startsWith("ok") && !x.startsWith("h6"))) expect(out).toContain(`FAIL ${f}: cannot be loaded`);
    expect(out.match(/nests more than 256 levels deep/g)?.length).toBe(5);
    expect(out).toContain("Checked 2 graphs in 10 files: 0 errors, 0 warnings, 8 files that could not be loaded.");
  });

  it("compat and diff decide the billion-laughs chain instead of running out of memory", async () => {
    const a = file("laughs-s.json", laughs(40, { type: "string" }));
    const b = file("laughs-n.json", laughs(40, { type: "number" }));
    const no = await cli(["compat", a, b], { cwd: dir });
    expect(no.code).toBe(1);
    expect(no.out).toContain('counterexample: ""');
    expect((await cli(["compat", a, a], { cwd: dir })).code).toBe(0);
    const g1 = file("laughs1.graph.json", graph("laughs", JSON.parse(laughs(40, { type: "string" })) as object));
    const g2 = file("laughs2.graph.json", graph("laughs", JSON.parse(laughs(40, { type: "number" })) as object));
    const diff = await cli(["diff", g1, g2], { cwd: dir });
    expect([0, 1]).toContain(diff.code);
    expect(diff.err).not.toMatch(/internal error/);
  });

  it("compat gives a diagnostic for a 100,000-deep schema", async () => {
    const deep = file("deep.json", `${'{"anyOf":['.repeat(100_000)}{}${"]}".repeat(100_000)}`);
    const { code, err } = await cli(["compat", deep, "string.json"], { cwd: dir });
    expect(code).toBe(2);
    expect(err).toMatch(/at \/anyOf\/0\/anyOf\/0\/…\(\d+ more\)…\/anyOf\/0: .*nests more than 256 levels deep/);
  });
});
