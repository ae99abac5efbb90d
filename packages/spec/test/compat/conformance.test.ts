/**
 * Conformance against the IBM/jsonsubschema test suite (draft-04): 0 wrong verdicts, 0 false
 * `yes`, at least 90% decided. Counterexamples are re-checked with ajv-draft-04 (formats off).
 */
import { readFileSync } from "node:fs";
import AjvDraft04 from "ajv-draft-04";
import { describe, expect, it } from "vitest";
import type { JsonSchema, JsonValue } from "../../src/def/graph-def.js";
import { compat, type CompatResult, type Draft } from "../../src/compat/index.js";

interface Case {
  readonly id: string;
  readonly a: JsonSchema;
  readonly b: JsonSchema;
  readonly expectedASubsetOfB: boolean;
  readonly draft: Draft;
  readonly counterexample?: JsonValue;
}

// The repository sits at <root>/main and the shared data at <root>/shared, here and in CI.
const file = new URL("../../../../../shared/conformance/schema-subset/jsonsubschema-cases.json", import.meta.url);
const suite = JSON.parse(readFileSync(file, "utf8")) as { readonly description: string; readonly cases: readonly Case[] };

/**
 * Upstream expectations that are false under exact ECMA-262 regex semantics: `.` does not match
 * "\n", so "\n" satisfies A and violates B. The engine must answer `unknown` on them, not `yes`.
 */
const WRONG_UPSTREAM: Readonly<Record<string, string>> = {
  "ssc-084": '"\\n" is a non-empty string (A) that does not match the unanchored pattern ".+" (B)',
  "ssc-086": '"\\n" has minLength 1 (A) but does not match the pattern ".{1,}" (B)',
};

const ajv = new AjvDraft04.default({ strict: false, validateFormats: false });

function ajvValid(schema: JsonSchema, value: JsonValue): boolean {
  return ajv.validate(schema as object, value) as boolean;
}

describe("conformance: IBM/jsonsubschema cases", () => {
  const results = suite.cases.map((c) => ({ c, r: compat(c.a, c.b, { draft: c.draft }) }));

  it("reads a non-empty draft-04 suite", () => {
    expect(suite.description).toMatch(/containment/i);
    expect(suite.cases.length).toBeGreaterThan(100);
    for (const c of suite.cases) expect(c.draft).toBe("draft-04");
  });

  it("never answers against an expectation, never says a false yes, and decides at least 90%", () => {
    const wrong = results.filter(({ c, r }) => r.verdict !== "unknown" && (r.verdict === "yes") !== c.expectedASubsetOfB);
    const falseYes = wrong.filter(({ r }) => r.verdict === "yes");
    const unknown = results.filter(({ r }) => r.verdict === "unknown");
    const count = (v: CompatResult["verdict"]): number => results.filter(({ r }) => r.verdict === v).length;
    const decided = (results.length - unknown.length) / results.length;
    const lines = [
      `compat conformance (IBM/jsonsubschema, ${suite.cases.length} cases)`,
      `  yes ${count("yes")}, no ${count("no")}, unknown ${unknown.length}; decided ${(decided * 100).toFixed(1)}%`,
      `  wrong ${wrong.length}, false yes ${falseYes.length}`,
      ...unknown.map(({ c, r }) => `  unknown ${c.id}: ${r.verdict === "unknown" ? r.reason : ""}${c.id in WRONG_UPSTREAM ? ` [upstream expectation wrong: ${WRONG_UPSTREAM[c.id]}]` : ""}`),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    expect(wrong.map(({ c }) => c.id)).toEqual([]);
    expect(falseYes).toEqual([]);
    expect(decided).toBeGreaterThanOrEqual(0.9);
  });

  it("answers unknown where the upstream expectation is wrong under exact regex semantics", () => {
    for (const id of Object.keys(WRONG_UPSTREAM)) {
      const found = results.find(({ c }) => c.id === id);
      expect(found?.r.verdict).toBe("unknown");
      const c = found?.c as Case;
      expect(ajvValid(c.a, "\n") && !ajvValid(c.b, "\n")).toBe(true);
    }
  });

  it("gives counterexamples that ajv-draft-04 accepts under A and rejects under B", () => {
    let checked = 0;
    for (const { c, r } of results) {
      if (r.verdict !== "no" || r.counterexample === undefined) continue;
      expect(ajvValid(c.a, r.counterexample), `${c.id} under A`).toBe(true);
      expect(ajvValid(c.b, r.counterexample), `${c.id} under B`).toBe(false);
      checked++;
    }
    const upstream = suite.cases.filter((c) => c.counterexample !== undefined).length;
    expect(checked).toBeGreaterThanOrEqual(upstream);
  });
});
