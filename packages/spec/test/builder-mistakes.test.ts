import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type Diagnostic, fences, root, typeCheck } from "../../../test/docs-snippets.js";
import type { BindingDef, GraphBlock } from "../src/index.js";

// docs/builder-mistakes.md, held to what the compiler and the builder do: every `ts mistake`
// snippet is compiled and gives exactly the errors in the `text` block after it; every `ts throws`
// snippet compiles cleanly and throws exactly the message shown; the `ts silent` one compiles,
// builds, and records the binding shown.
const PAGE = "docs/builder-mistakes.md";
const all = fences(PAGE);
const preamble = all.find((f) => f.lang === "ts" && f.tags.includes("preamble"));
if (preamble === undefined) throw new Error(`${PAGE} has no \`ts preamble\` block`);

interface Case {
  readonly kind: "mistake" | "throws" | "silent";
  readonly snippet: string;
  readonly expected: string;
  readonly line: number;
  readonly file: string;
}

const cases: Case[] = all.flatMap((fence, i) => {
  const kind = fence.tags.find((t): t is Case["kind"] => t === "mistake" || t === "throws" || t === "silent");
  if (fence.lang !== "ts" || kind === undefined) return [];
  const next = all[i + 1];
  if (next?.lang !== "text") throw new Error(`${PAGE}:${fence.line}: a \`ts ${kind}\` block must be followed by a \`text\` block with what it gives`);
  const body = kind === "mistake" ? fence.text : kind === "throws" ? `export default () => {\n${fence.text}\n};` : `export default () =>\n${fence.text.replace(/;\s*$/, "")};`;
  return [{ kind, snippet: fence.text, expected: next.text, line: fence.line, file: `${preamble.text}\n${body}\n` }];
});

const virtual = (c: Case) => join(root, "docs", `.builder-mistakes-${c.line}.ts`);
const diagnostics = typeCheck(new Map(cases.map((c) => [virtual(c), c.file])), { noUnusedLocals: false, noUnusedParameters: false });

/** How a line of the page matches a diagnostic: "error TSn: whole message" or "error TSn: … how it ends". */
function matches(expected: string, actual: Diagnostic): boolean {
  const m = /^error TS(\d+): (… )?(.*)$/.exec(expected);
  if (!m) throw new Error(`not a diagnostic line: ${expected}`);
  if (Number(m[1]) !== actual.code) return false;
  return m[2] === undefined ? actual.message === m[3] : actual.message.endsWith(m[3] as string);
}

// The built-time snippets run from a temp directory whose node_modules link to this repository's.
const work = mkdtempSync(join(tmpdir(), "blockwork-mistakes-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
for (const dep of ["@blockwork/spec", "zod"]) {
  mkdirSync(dirname(join(work, "node_modules", dep)), { recursive: true });
  symlinkSync(join(root, "node_modules", dep), join(work, "node_modules", dep), "dir");
}
async function load(c: Case): Promise<() => unknown> {
  const file = join(work, `snippet-${c.line}.ts`);
  writeFileSync(file, c.file);
  return ((await import(pathToFileURL(file).href)) as { default: () => unknown }).default;
}

function shown(binding: BindingDef | undefined): unknown {
  if (binding === undefined) return undefined;
  switch (binding.kind) {
    case "input":
      return ["input", ...binding.path].join(".");
    case "output":
      return ["blocks", binding.node, ...binding.path].join(".");
    case "literal":
      return binding.value;
    case "object":
      return Object.fromEntries(Object.entries(binding.fields).map(([k, v]) => [k, shown(v)]));
    case "first":
      return { firstOf: binding.of.map(shown) };
  }
}

describe(PAGE, () => {
  it("has the cases this test expects (type errors, built-time errors, the silent one)", () => {
    expect(cases.filter((c) => c.kind === "mistake").length).toBeGreaterThanOrEqual(10);
    expect(cases.filter((c) => c.kind === "throws").length).toBeGreaterThanOrEqual(4);
    expect(cases.filter((c) => c.kind === "silent").length).toBe(1);
  });

  it.each(cases.filter((c) => c.kind === "mistake").map((c) => [`line ${c.line}`, c] as const))("%s: the compiler gives exactly the error shown", (_, c) => {
    const actual = diagnostics.get(virtual(c)) ?? [];
    const expected = c.expected.split("\n").filter((l) => l.trim() !== "");
    expect(actual.length, `${PAGE}:${c.line} gives ${JSON.stringify(actual, null, 2)}`).toBe(expected.length);
    expected.forEach((line, i) => expect(matches(line, actual[i] as Diagnostic), `${PAGE}:${c.line}: expected\n${line}\ngot\nerror TS${actual[i]?.code}: ${actual[i]?.message}`).toBe(true));
  });

  it.each(cases.filter((c) => c.kind === "throws").map((c) => [`line ${c.line}`, c] as const))("%s: compiles, and throws exactly the message shown", async (_, c) => {
    expect(diagnostics.get(virtual(c))).toEqual([]);
    const snippet = await load(c);
    let thrown: unknown;
    try {
      snippet();
    } catch (error) {
      thrown = error;
    }
    expect(thrown, `${PAGE}:${c.line} did not throw`).toBeInstanceOf(Error);
    expect(`${(thrown as Error).name}: ${(thrown as Error).message}`).toBe(c.expected);
  });

  it.each(cases.filter((c) => c.kind === "silent").map((c) => [`line ${c.line}`, c] as const))("%s: compiles, builds, and records the binding shown", async (_, c) => {
    expect(diagnostics.get(virtual(c))).toEqual([]);
    const graph = (await load(c))() as GraphBlock;
    const [, node, json] = /^the input of "([^"]+)": (.*)$/.exec(c.expected) ?? [];
    expect(shown(graph.def.nodes.find((n) => n.id === node)?.input)).toEqual(JSON.parse(json as string));
  });
});
