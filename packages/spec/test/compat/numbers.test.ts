import { describe, expect, it } from "vitest";
import { compat } from "../../src/compat/index.js";
import { expectNo, expectYes } from "./helpers.js";

describe("compat: numbers", () => {
  it("treats integer as a subset of number and mathematical integers as integers", () => {
    expectYes({ type: "integer" }, { type: "number" });
    expectNo({ type: "number" }, { type: "integer" });
    expectYes({ const: 1.0 }, { type: "integer" });
    expectYes({ type: "number", minimum: 2, maximum: 2 }, { type: "integer" });
    expectYes({ enum: [1, 2.0, 3] }, { type: "integer" });
  });

  it("compares closed and open bounds exactly", () => {
    expectYes({ type: "number", minimum: 0, maximum: 10 }, { type: "number", minimum: 0, maximum: 10 });
    expectYes({ type: "number", exclusiveMinimum: 0 }, { type: "number", minimum: 0 });
    expect(expectNo({ type: "number", minimum: 0 }, { type: "number", exclusiveMinimum: 0 }).counterexample).toBe(0);
    expectYes({ type: "integer", exclusiveMinimum: 0 }, { type: "integer", minimum: 1 });
    expectNo({ type: "number", exclusiveMinimum: 0 }, { type: "number", minimum: 1 });
    expectYes({ type: "integer", minimum: 0.5 }, { type: "integer", minimum: 1 });
  });

  it("explains a bound difference with the value path, A's range and B's requirement", () => {
    const r = expectNo({ type: "integer", minimum: 10 }, { type: "integer", maximum: 20 });
    expect(r.path).toEqual([]);
    expect(r.reason).toBe("A allows integers ≥ 10; B requires maximum 20");
    expect(r.counterexample).toBe(21);
  });

  it("covers a range with a union of ranges, and finds the hole when there is one", () => {
    expectYes(
      { type: "integer", minimum: 1, maximum: 8 },
      { anyOf: [{ type: "integer", minimum: 5, maximum: 10 }, { type: "integer", minimum: 0, maximum: 4 }] },
    );
    const r = expectNo(
      { type: "number", minimum: 1, maximum: 8 },
      { anyOf: [{ type: "number", minimum: 5, maximum: 10 }, { type: "number", minimum: 0, maximum: 4 }] },
    );
    expect(r.counterexample).toBeGreaterThan(4);
    expect(r.counterexample).toBeLessThan(5);
  });

  it("decides multipleOf over integers through the least common multiple", () => {
    expectYes({ type: "integer", multipleOf: 6 }, { multipleOf: 3 });
    expectYes({ multipleOf: 2, allOf: [{ multipleOf: 3 }] }, { multipleOf: 6 });
    expectNo({ multipleOf: 2 }, { multipleOf: 4 });
    expectYes({ type: "integer", minimum: 1, maximum: 5, not: { enum: [1, 3, 5] } }, { multipleOf: 2 });
    expectNo({ type: "integer", minimum: 1, maximum: 6, not: { enum: [1, 3, 5] } }, { multipleOf: 4 });
  });

  it("decides decimal multipleOf in exact decimal arithmetic", () => {
    expectYes({ multipleOf: 0.2 }, { multipleOf: 0.1 });
    expectYes({ type: "integer" }, { multipleOf: 0.5 });
    expectYes({ multipleOf: 0.75 }, { multipleOf: 0.25 });
    expectNo({ multipleOf: 0.5 }, { type: "integer" });
    expect(compat({ multipleOf: 0.1 }, { multipleOf: 0.2 }).verdict).toBe("no");
    expectYes({ type: "integer", multipleOf: 0.5 }, { type: "integer" });
  });

  it("detects empty numeric sets", () => {
    expectYes({ type: "integer", exclusiveMinimum: 1, exclusiveMaximum: 2 }, false);
    expectYes({ type: "number", minimum: 3, maximum: 1 }, false);
    expectYes({ type: "integer", minimum: 1, maximum: 3, multipleOf: 4 }, false);
    expectNo({ type: "integer", minimum: 1, maximum: 4, multipleOf: 4 }, false);
  });

  it("complements numbers exactly under not", () => {
    expectYes({ type: "number", not: { type: "integer" } }, { not: { multipleOf: 1 } });
    expectYes({ type: "integer", not: { minimum: 0 } }, { type: "integer", maximum: -1 });
    expectNo({ type: "number", not: { minimum: 0 } }, { type: "integer", maximum: -1 });
    expectYes({ type: "number", minimum: 0, maximum: 1, not: { const: 0.5 } }, { not: { const: 0.5 } });
  });

  it("accepts zod's safe-integer bounds on both sides", () => {
    const safe = { type: "integer", minimum: -9007199254740991, maximum: 9007199254740991 };
    expectYes(safe, { type: "number" });
    expectNo({ type: "integer" }, safe);
    expectYes({ type: "integer", exclusiveMinimum: 0, maximum: 9007199254740991 }, safe);
  });

  it("finds integers avoiding several divisors", () => {
    const r = expectNo({ type: "integer", minimum: 2 }, { anyOf: [2, 3, 5, 7, 11, 13].map((p) => ({ multipleOf: p })) });
    expect(r.counterexample).toBe(17);
  });
});
