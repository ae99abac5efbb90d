import { describe, expect, it } from "vitest";
import * as analysis from "@blockwork/spec/analysis";
import * as editing from "@blockwork/spec/editing";
import * as root from "@blockwork/spec";
import pkg from "../package.json" with { type: "json" };

describe("spec's entries", () => {
  it("the analysis and editing entries hold their audience's functions, and the root re-exports both", () => {
    for (const name of ["check", "compat", "diffGraphs", "formatIssues", "toMermaid", "validateValue"]) expect(name in analysis, name).toBe(true);
    for (const name of ["applyPatch", "parsePatch", "catalogueOf", "graphFromDef", "changeOf", "formatEdge"]) expect(name in editing, name).toBe(true);
    for (const [name, value] of [...Object.entries(analysis), ...Object.entries(editing)]) expect((root as Record<string, unknown>)[name], name).toBe(value);
  });

  it("authoring stays at the root and out of the other entries", () => {
    for (const name of ["createGraph", "defineContract", "parseGraphDef", "canonicalJson", "graphVersion", "deepStrict", "formatZodIssues"]) {
      expect(name in root, name).toBe(true);
      expect(name in analysis || name in editing, name).toBe(false);
    }
    const shared = Object.keys(analysis).filter((name) => name in editing);
    expect(shared).toEqual([]);
  });

  it("every entry has a source, a types and an import condition in package.json", () => {
    for (const entry of [".", "./analysis", "./editing"]) {
      const conditions = (pkg.exports as unknown as Record<string, Record<string, string>>)[entry] as Record<string, string>;
      expect(Object.keys(conditions)).toEqual(["@blockwork/source", "types", "import"]);
      expect(conditions["import"]).toBe(conditions["@blockwork/source"]?.replace("./src/", "./dist/").replace(/\.ts$/, ".js"));
    }
  });
});
