import { describe, expect, it } from "vitest";
import { cli } from "./capture.js";

describe("blockwork check", () => {
  it("passes the example graphs and skips examples/broken (not *.graph.* files)", async () => {
    const { code, out } = await cli(["check", "examples"]);
    expect(code).toBe(0);
    expect(out).toMatch(/ok {3}examples\/text-digest\/digest\.graph\.ts \(digestGraph\): graph "text-digest", 3 blocks, 0 errors, 0 warnings/);
    expect(out).toMatch(/support-triage/);
    expect(out).toMatch(/release-notes/);
    expect(out).not.toMatch(/broken/);
    expect(out).toMatch(/Checked 10 graphs in 9 files: 0 errors, 0 warnings\./);
  });

  it("reports a declared block without an implementation as not_implemented, a warning with --allow-missing", async () => {
    const failed = await cli(["check", "packages/cli/test/fixtures/lego/declared.graph.ts"]);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain("error not_implemented");
    expect(failed.out).toContain('Block "shout" is declared (Upper-cases a text.) but not implemented');
    const allowed = await cli(["check", "packages/cli/test/fixtures/lego/declared.graph.ts", "--allow-missing"]);
    expect(allowed.code).toBe(0);
    expect(allowed.out).toContain("warning not_implemented");
  });

  it("fails with exit code 1 and explains a broken graph", async () => {
    const { code, out } = await cli(["check", "examples/broken/binding_may_not_run.ts"]);
    expect(code).toBe(1);
    expect(out).toContain("error binding_may_not_run");
    expect(out).toContain('reads the output of block "billing", which does not certainly complete before it');
  });

  it("loads .json GraphDefs and globs", async () => {
    const { code, out } = await cli(["check", "examples/broken/unknown_*.json"]);
    expect(code).toBe(1);
    expect(out).toContain("unknown_block");
    expect(out).toContain("unknown_route_case");
  });

  it("treats warnings as failures only with --strict", async () => {
    expect((await cli(["check", "examples/broken/compat_unknown.ts"])).code).toBe(0);
    expect((await cli(["check", "examples/broken/compat_unknown.ts", "--strict"])).code).toBe(1);
  });

  it("prints JSON", async () => {
    const { code, out } = await cli(["check", "examples/broken/duplicate_id.json", "--format", "json"]);
    expect(code).toBe(1);
    const report = JSON.parse(out) as { graphs: { issues: { code: string }[] }[]; summary: { errors: number } };
    expect(report.graphs[0]?.issues.map((i) => i.code)).toContain("duplicate_id");
    expect(report.summary.errors).toBeGreaterThan(0);
  });

  it("prints SARIF 2.1.0 with regions in JSON files and approximate lines in modules", async () => {
    const json = await cli(["check", "examples/broken/duplicate_id.json", "examples/broken/unreachable_block.ts", "--format", "sarif"]);
    const sarif = JSON.parse(json.out) as {
      version: string;
      runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }[] }[] }[];
    };
    expect(sarif.version).toBe("2.1.0");
    const run = sarif.runs[0];
    expect(run?.tool.driver.rules.map((r) => r.id)).toContain("binding_may_not_run");
    const dup = run?.results.find((r) => r.ruleId === "duplicate_id");
    expect(dup?.locations[0]?.physicalLocation).toMatchObject({ artifactLocation: { uri: "examples/broken/duplicate_id.json" }, region: { startLine: expect.any(Number) } });
    const unreachable = run?.results.find((r) => r.ruleId === "unreachable_block");
    expect(unreachable?.locations[0]?.physicalLocation.region?.startLine).toBe(7); // .add(echo.as("audit"), ...)
  });

  it("points at the offending binding: file:line:column in the text output, and the same region in SARIF", async () => {
    const files = ["examples/broken/unknown_input_field.ts", "examples/broken/binding_may_not_run.ts", "examples/broken/binding_type_mismatch.json"];
    const text = await cli(["check", ...files]);
    // .then(summarise, (input) => ({ text: input.text, maxWord: 5 })): the typo'd field, not the contract.
    expect(text.out).toContain("fields: text, maxWords). Fix the name or remove the binding.\n    at examples/broken/unknown_input_field.ts:14:52\n");
    // .add(echo.as("reply"), (_, { billing }) => ({ text: billing.text })): the binding that reads "billing".
    expect(text.out).toContain("    at examples/broken/binding_may_not_run.ts:10:49\n");
    expect(text.out).toMatch(/ {4}at examples\/broken\/binding_type_mismatch\.json:\d+:\d+\n/);
    const sarif = JSON.parse((await cli(["check", ...files, "--format", "sarif"])).out) as { runs: { results: { ruleId: string; locations: { physicalLocation: { region?: unknown } }[] }[] }[] };
    const region = (rule: string) => sarif.runs[0]?.results.find((r) => r.ruleId === rule)?.locations[0]?.physicalLocation.region;
    expect(region("unknown_input_field")).toEqual({ startLine: 14, startColumn: 52 });
    expect(region("binding_may_not_run")).toEqual({ startLine: 10, startColumn: 49 });
    const line = /binding_type_mismatch\.json:(\d+):(\d+)/.exec(text.out);
    expect(region("binding_type_mismatch")).toEqual({ startLine: Number(line?.[1]), startColumn: Number(line?.[2]) });
  });

  it("reports files that cannot be loaded, with line and column for JSON", async () => {
    const { code, out } = await cli(["check", "packages/cli/test/fixtures/not-a-graph.json"]);
    expect(code).toBe(1);
    expect(out).toMatch(/not-a-graph\.json:\d+:\d+ at nodes\.0: unknown key "colour"/);
  });

  it("gives clear errors for bad arguments and missing files", async () => {
    const missing = await cli(["check", "nowhere/at-all.graph.ts"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe("blockwork: Cannot read nowhere/at-all.graph.ts: no such file or directory.\n");
    const bad = await cli(["check", "examples", "--format", "xml"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/argument 'xml' is invalid\. Allowed choices are text, json, sarif/);
    const none = await cli(["check"]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/missing required argument 'paths'/);
  });
});
