import { describe, expect, it } from "vitest";
import { compat } from "../../src/compat/index.js";
import { expectNo, expectUnknown, expectYes } from "./helpers.js";

describe("compat: boolean schemas and combinators", () => {
  it("treats true as everything and false as nothing", () => {
    expectYes(false, { type: "string" });
    expectYes({ type: "string" }, true);
    expectYes(true, {});
    expectYes({ not: {} }, false);
    expect(expectNo(true, { type: "null" }).counterexample).not.toBeNull();
    expectNo({ type: "string" }, false);
  });

  it("intersects allOf and unions anyOf", () => {
    expectYes({ allOf: [{ type: "integer" }, { minimum: 10 }] }, { type: "integer", minimum: 5 });
    expectYes({ anyOf: [{ type: "string" }, { type: "integer" }] }, { type: ["string", "number"] });
    expectNo({ anyOf: [{ type: "string" }, { type: "boolean" }] }, { type: ["string", "number"] });
    expectYes({ type: "string" }, { anyOf: [{ type: "string", maxLength: 3 }, { type: "string", minLength: 2 }] });
  });

  it("reads oneOf of disjoint alternatives as anyOf, and computes overlapping scalar oneOf exactly", () => {
    expectYes({ type: "string" }, { oneOf: [{ type: "string" }, { type: "number" }] });
    // Strings of length 2..3 match both alternatives, so oneOf excludes them.
    const both = { oneOf: [{ type: "string", maxLength: 3 }, { type: "string", minLength: 2 }] };
    expect(expectNo({ type: "string" }, both).counterexample).toHaveLength(2);
    expectYes({ type: "string", maxLength: 1 }, both);
    expectYes(both, { not: { type: "string", minLength: 2, maxLength: 3 } });
    expectNo({ oneOf: [{ type: "string" }, {}] }, { type: "string" });
  });

  it("decides discriminated unions of objects", () => {
    const variant = (kind: string, extra: object) => ({
      type: "object",
      properties: { kind: { const: kind }, ...extra },
      required: ["kind", ...Object.keys(extra)],
    });
    const a = { oneOf: [variant("a", { x: { type: "integer" } }), variant("b", { y: { type: "string" } })] };
    const b = { oneOf: [variant("a", { x: { type: "number" } }), variant("b", { y: {} }), variant("c", {})] };
    expectYes(a, b);
    const r = expectNo(b, a);
    expect(r.counterexample).toMatchObject({ kind: expect.any(String) });
  });

  it("negates at the type level exactly", () => {
    expectYes({ not: { type: "string" } }, { not: { not: { not: { type: "string" } } } });
    expectYes({ type: ["integer", "boolean"], not: { type: "boolean" } }, { type: "integer" });
    expectYes({}, { not: { allOf: [{ type: "string" }, { type: "boolean" }] } });
    expectNo({ not: { type: "object" } }, { type: ["string", "number", "boolean", "null"] });
  });

  it("leaves negation of structured constraints unknown on B", () => {
    const a = { type: "object", properties: { a: { type: "integer" } }, required: ["a"] };
    const r = expectUnknown(a, { not: { type: "object", properties: { a: { type: "string" } } } });
    expect(r.reason).toMatch(/negation/);
  });

  it("over-approximates negated structures on A without losing soundness", () => {
    expectYes({ type: "array", not: { items: { type: "string" } } }, { type: "array" });
    expect(compat({ type: "array", not: { items: { type: "string" } } }, { type: "array", items: { type: "string" } }).verdict).not.toBe("yes");
  });
});
