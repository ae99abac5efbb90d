import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { undocumentedExports } from "../scripts/doc-comments.js";
import { publicEntries } from "../scripts/public-entries.js";

// Every export of a public entry (each package's `exports` map) has a doc comment: the API
// reference (`npm run docs:api`, TypeDoc) is generated from them. The check is a small script over
// the TypeScript compiler API; `node --import tsx scripts/doc-comments.ts` lists what is missing.
const root = fileURLToPath(new URL("..", import.meta.url));

describe("doc comments on the public API", () => {
  it("covers every public entry of every package", () => {
    expect(publicEntries(root).map((e) => e.specifier)).toEqual([
      "@blockwork/spec",
      "@blockwork/spec/analysis",
      "@blockwork/spec/editing",
      "@blockwork/core",
      "@blockwork/nodes",
      "@blockwork/nodes/testing",
      "@blockwork/nodes/langchain",
      "@blockwork/nodes/langgraph",
      "@blockwork/nodes/mcp",
      "@blockwork/server",
      "@blockwork/cli",
    ]);
  });

  it("finds exports without one: line comments and module comments do not count", { timeout: 120_000 }, () => {
    const found = undocumentedExports(root, [{ specifier: "fixture", file: "test/fixtures/doc-comments/entry.ts" }]);
    expect(found.map((m) => `${m.name} ${m.at}`).sort()).toEqual([
      "Bare test/fixtures/doc-comments/entry.ts:25",
      "lineCommented test/fixtures/doc-comments/entry.ts:12",
      "notDocumented test/fixtures/doc-comments/other.ts:1",
      "undocumentedFirst test/fixtures/doc-comments/entry.ts:6",
    ]);
  });

  it(
    "every export of every public entry has one",
    () => {
      expect(undocumentedExports(root).map((m) => `${m.entry}: ${m.name} (${m.at}) has no doc comment`)).toEqual([]);
    },
    180_000,
  );
});
