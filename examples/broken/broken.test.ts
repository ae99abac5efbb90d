import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { check, formatIssues, ISSUE_CODES, parseGraphDefJson, type CheckOptions, type GraphBlock, type GraphDef, type IssueCode, unimplementedBlocks } from "@blockwork/spec";
import { describe, expect, it } from "vitest";

// Every file here is a deliberately wrong graph named after the checker rule it breaks.
const dir = fileURLToPath(new URL(".", import.meta.url));
const files = readdirSync(dir).filter((f) => (f.endsWith(".json") || f.endsWith(".ts")) && !f.startsWith("_") && !f.endsWith(".test.ts"));

async function load(file: string): Promise<{ def: GraphDef; options: CheckOptions }> {
  if (extname(file) === ".json") {
    const result = parseGraphDefJson(readFileSync(join(dir, file), "utf8"));
    if (!result.ok) throw new Error(`${file} is not a valid GraphDef: ${JSON.stringify(result.problems)}`);
    return { def: result.def, options: {} };
  }
  const module = (await import(/* @vite-ignore */ pathToFileURL(join(dir, file)).href)) as { graph: GraphBlock };
  // As `blockwork check` does for a module: declared blocks without an implementation (module).
  const unimplemented = unimplementedBlocks(module.graph, (url) => existsSync(fileURLToPath(url)));
  return { def: module.graph.def, options: { unimplemented } };
}

describe("examples/broken", () => {
  it("has one broken graph for every checker rule", () => {
    const codes = files.map((f) => basename(f, extname(f))).sort();
    expect(codes).toEqual(Object.keys(ISSUE_CODES).sort());
  });

  it.each(files)("%s yields its code", async (file) => {
    const code = basename(file, extname(file)) as IssueCode;
    const { def, options } = await load(file);
    const issues = check(def, options);
    expect(issues.map((i) => i.code)).toContain(code);
    expect(formatIssues(issues)).toMatchSnapshot();
  });
});
