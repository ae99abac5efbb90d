import { describe, expect, it } from "vitest";
import { expectNo, expectYes } from "./helpers.js";

describe("compat: enum and const", () => {
  it("compares finite sets with JSON equality", () => {
    expectYes({ enum: [1, "a", null] }, { enum: [null, "a", 1, 2] });
    expectYes({ const: { x: [1, 2] } }, { enum: [{ x: [1, 2] }, 3] });
    expect(expectNo({ enum: [true, false] }, { enum: [true] }).counterexample).toBe(false);
    expectNo({ const: { x: 1 } }, { const: { x: 1, y: 2 } });
  });

  it("keeps true distinct from 1 and 0 from false", () => {
    expectNo({ const: true }, { const: 1 });
    expectNo({ const: 0 }, { enum: [false, null] });
  });

  it("checks every listed value against B's other keywords", () => {
    expectYes({ enum: ["ab", "cd"] }, { type: "string", maxLength: 2 });
    expectYes({ enum: [[1], [1, 2]] }, { type: "array", items: { type: "integer" } });
    expectNo({ enum: [[1], [1, "x"]] }, { type: "array", items: { type: "integer" } });
    expectYes({ enum: [{ a: 1 }] }, { type: "object", required: ["a"], properties: { a: { type: "integer" } } });
  });

  it("intersects enum with type, and an empty intersection is contained in anything", () => {
    expectYes({ type: "string", enum: [1, 2] }, false);
    expectYes({ type: "string", const: 1 }, { type: "boolean" });
    expectYes({ type: "integer", enum: [1, 1.5, "x"] }, { const: 1 });
  });

  it("honours const in draft-04 as the upstream tool does", () => {
    expectNo({ const: "a" }, { const: "b" }, { draft: "draft-04" });
    expectYes({ const: "a" }, { enum: ["a"] }, { draft: "draft-04" });
  });

  it("complements finite sets under not", () => {
    expectYes({ type: "string", not: { enum: ["a", "b"] } }, { not: { const: "a" } });
    expect(expectNo({ type: "string", not: { const: "a" } }, { type: "string", minLength: 1 }).counterexample).toBe("");
    expectYes({ enum: ["x", "y"] }, { not: { enum: ["a", "b"] } });
  });

  it("finds an object A allows that B's finite list misses", () => {
    expectNo({ type: "object", properties: { k: { enum: ["a", "b"] } }, required: ["k"], additionalProperties: false }, { enum: [{ k: "a" }] });
  });
});
