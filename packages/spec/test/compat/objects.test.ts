import { describe, expect, it } from "vitest";
import { expectNo, expectUnknown, expectYes } from "./helpers.js";

const person = {
  type: "object",
  properties: { name: { type: "string" }, age: { type: "integer", minimum: 0 } },
  required: ["name"],
};

describe("compat: objects", () => {
  it("compares required keys and property schemas, reporting the property path", () => {
    expectYes({ ...person, required: ["name", "age"] }, person);
    const missing = expectNo(person, { ...person, required: ["name", "age"] });
    expect(missing.path).toEqual(["age"]);
    expect(missing.counterexample).toEqual({ name: "" });
    const narrower = expectNo(person, { ...person, properties: { ...person.properties, name: { type: "string", maxLength: 3 } } });
    expect(narrower.path).toEqual(["name"]);
    expect(narrower.reason).toBe("A allows strings of any length; B requires maxLength 3");
  });

  it("handles additionalProperties as boolean and as schema", () => {
    const closed = { ...person, additionalProperties: false };
    expectYes(closed, person);
    const open = expectNo(person, closed);
    expect(Object.keys(open.counterexample as object)).toContain("x");
    expectYes({ ...person, additionalProperties: { type: "integer" } }, { ...person, additionalProperties: { type: "number" } });
    expectNo({ ...person, additionalProperties: { type: "number" } }, { ...person, additionalProperties: { type: "integer" } });
    expectYes({ type: "object", properties: { a: { type: "integer" } }, additionalProperties: false }, { type: "object", additionalProperties: { type: "integer" } });
  });

  it("reads additionalProperties relative to its own schema object inside allOf", () => {
    const a = { allOf: [{ properties: { a: {} }, additionalProperties: false }, { properties: { b: { type: "string" } } }] };
    expectYes(a, { type: ["object", "string", "number", "boolean", "null", "array"], properties: { b: false } });
  });

  it("counts properties", () => {
    expectYes({ type: "object", required: ["a", "b"] }, { type: "object", minProperties: 2 });
    expectNo({ type: "object", required: ["a"] }, { type: "object", minProperties: 2 });
    expectYes({ type: "object", properties: { a: {}, b: {} }, additionalProperties: false }, { maxProperties: 2 });
    expectNo({ type: "object", maxProperties: 3 }, { maxProperties: 2 });
    expectYes({ type: "object", minProperties: 3, maxProperties: 2 }, false);
  });

  it("compares patternProperties with identical patterns, and fresh keys", () => {
    const a = { type: "object", patternProperties: { "^x-": { type: "integer" } }, additionalProperties: false };
    expectYes(a, { type: "object", patternProperties: { "^x-": { type: "number" } }, additionalProperties: false });
    expectNo(a, { type: "object", patternProperties: { "^x-": { type: "string" } } });
    expectYes(a, { type: "object", additionalProperties: { type: "number" } });
  });

  it("handles zod records: propertyNames with additionalProperties", () => {
    const record = { type: "object", propertyNames: { type: "string" }, additionalProperties: { type: "number" } };
    const enumRecord = { type: "object", propertyNames: { type: "string", enum: ["a", "b"] }, additionalProperties: { type: "integer" }, required: ["a", "b"] };
    expectYes(enumRecord, record);
    expectYes(enumRecord, { type: "object", properties: { a: { type: "integer" }, b: { type: "integer" } }, additionalProperties: false });
    expectNo(record, enumRecord);
    expectYes({ ...record, propertyNames: { maxLength: 2 } }, { type: "object", propertyNames: { maxLength: 3 } });
    const r = expectNo(record, { type: "object", propertyNames: { maxLength: 1 } });
    expect(Object.keys(r.counterexample as object)[0]?.length).toBeGreaterThan(1);
  });

  it("knows a property schema that admits nothing forbids the key", () => {
    expectYes({ type: "object", properties: { a: { not: {} } } }, { type: "object", properties: { a: { type: "string" } } });
    expectYes({ type: "object", properties: { a: false }, required: ["a"] }, false);
  });

  it("complements simple object constraints exactly under not", () => {
    expectYes({ type: "object", not: { required: ["a"] } }, { type: "object", properties: { a: false } });
    expectYes({ type: "object", properties: { a: false } }, { not: { required: ["a"] } });
    expectNo({ type: "object" }, { not: { required: ["a"] } });
  });

  it("answers unknown for unsupported keywords on B, but still proves or refutes what A decides", () => {
    expect(expectUnknown({ type: "object" }, { type: "object", dependentRequired: { a: ["b"] } }).reason).toMatch(/dependentRequired/);
    expectYes({ type: "object", dependentRequired: { a: ["b"] } }, { type: "object" });
    expectNo({ type: "object" }, { type: "object", required: ["a"], dependentRequired: { a: ["b"] } });
    expectNo({ type: "object", dependentRequired: { a: ["b"] } }, { type: "object", required: ["a"] });
    expectUnknown({ type: "object" }, { type: "object", unevaluatedProperties: false });
  });
});
