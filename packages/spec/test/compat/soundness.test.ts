import Ajv2020 from "ajv/dist/2020.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JsonSchema, JsonValue } from "../../src/def/graph-def.js";
import { compat, validateValue } from "../../src/compat/index.js";
import { jsonValue, relatedPair, rootSchema, schemaLiterals } from "./arbitraries.js";

// ajv is the independent oracle: 2020-12, formats not validated, unknown keywords tolerated.
const ajv = new Ajv2020.default({ strict: false, validateFormats: false, allErrors: false });

type Check = (v: JsonValue) => boolean | "error";

function oracle(schema: JsonSchema): Check | null {
  let validate: (v: unknown) => boolean;
  try {
    validate = ajv.compile(schema);
  } catch {
    return null;
  }
  return (v) => {
    try {
      return validate(v);
    } catch {
      // Unguarded recursion overflows ajv's stack: no verdict to compare against.
      return "error";
    }
  };
}

const values = fc.array(jsonValue, { minLength: 20, maxLength: 40 });

/**
 * Random values, the literals inside both schemas (and edits of them), and members of A and of
 * A ∧ B found by the engine itself (ajv still judges all of them).
 */
function pool(a: JsonSchema, b: JsonSchema, random: readonly JsonValue[]): JsonValue[] {
  const out = [...random, ...schemaLiterals(a), ...schemaLiterals(b)];
  for (const target of [false, { not: b }] as JsonSchema[]) {
    const r = compat(a, target);
    if (r.verdict === "no" && r.counterexample !== undefined) out.push(r.counterexample);
  }
  return out;
}

interface Tally {
  yes: number;
  no: number;
  unknown: number;
}

/** Checks one pair against ajv and counts the verdict. */
function checkPair(a: JsonSchema, b: JsonSchema, random: readonly JsonValue[], tally: Tally): void {
  const va = oracle(a);
  const vb = oracle(b);
  if (va === null || vb === null) return;
  const r = compat(a, b);
  tally[r.verdict]++;
  if (r.verdict === "yes") {
    for (const v of pool(a, b, random)) if (va(v) === true) expect(vb(v), `${JSON.stringify(v)} is in A but not in B`).not.toBe(false);
  }
  if (r.verdict === "no" && r.counterexample !== undefined) {
    const [inA, inB] = [va(r.counterexample), vb(r.counterexample)];
    if (inA === "error" || inB === "error") return;
    expect(inA).toBe(true);
    expect(inB).toBe(false);
  }
}

describe("compat is sound against ajv on random schemas", () => {
  it("never says yes when a value valid under A fails B, and every counterexample is real", () => {
    const tally: Tally = { yes: 0, no: 0, unknown: 0 };
    fc.assert(
      fc.property(rootSchema, rootSchema, values, (a, b, vs) => checkPair(a, b, vs, tally)),
      { numRuns: 300 },
    );
    expect(tally.yes + tally.no).toBeGreaterThan(100);
  });

  it("stays sound on pairs where B is a small edit of A (mostly contained, sometimes not)", () => {
    const tally: Tally = { yes: 0, no: 0, unknown: 0 };
    fc.assert(
      fc.property(relatedPair, values, ([a, b], vs) => checkPair(a, b, vs, tally)),
      { numRuns: 300 },
    );
    expect(tally.yes).toBeGreaterThan(50);
    expect(tally.no).toBeGreaterThan(30);
  });

  it("answers yes for A ⊆ A ∧ anything-weaker and gives real counterexamples against itself", () => {
    fc.assert(
      fc.property(rootSchema, rootSchema, values, (a, b, vs) => {
        const both: JsonSchema = { allOf: [a, b] };
        const va = oracle(both);
        const vb = oracle(a);
        if (va === null || vb === null) return;
        const r = compat(both, a);
        expect(r.verdict).not.toBe("no");
        if (r.verdict === "yes") for (const v of vs) if (va(v) === true) expect(vb(v)).not.toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it("validateValue agrees with ajv whenever it does not say unknown", () => {
    let checked = 0;
    fc.assert(
      fc.property(rootSchema, values, (s, vs) => {
        const check = oracle(s);
        if (check === null) return;
        for (const v of vs) {
          const mine = validateValue(v, s);
          const theirs = check(v);
          if (mine.valid === "unknown" || theirs === "error") continue;
          checked++;
          expect(mine.valid, `${JSON.stringify(v)} against ${JSON.stringify(s)}`).toBe(theirs);
        }
      }),
      { numRuns: 300 },
    );
    expect(checked).toBeGreaterThan(1000);
  });
});
