import { describe, expect, it } from "vitest";
import { validateValue } from "../../src/compat/index.js";

describe("validateValue", () => {
  it("validates literals and reports the failing path and requirement", () => {
    const schema = {
      type: "object",
      properties: { items: { type: "array", items: { type: "object", properties: { name: { type: "string", minLength: 1 } } } } },
    };
    expect(validateValue({ items: [{ name: "a" }] }, schema)).toEqual({ valid: true });
    expect(validateValue({ items: [{ name: "a" }, { name: "" }] }, schema)).toEqual({ valid: false, path: ["items", 1, "name"], reason: "minLength 1" });
    expect(validateValue("abc", { type: "string", maxLength: 2 })).toEqual({ valid: false, path: [], reason: "maxLength 2" });
  });

  it("reports required, additional and const failures", () => {
    expect(validateValue({}, { required: ["a"] })).toMatchObject({ valid: false, path: ["a"] });
    expect(validateValue({ b: 1 }, { additionalProperties: false })).toMatchObject({ valid: false, path: ["b"] });
    expect(validateValue(2, { const: 1 })).toMatchObject({ valid: false, reason: "const 1" });
  });

  it("validates the keywords compat does not reason about", () => {
    expect(validateValue({ a: 1 }, { dependentRequired: { a: ["b"] } }).valid).toBe(false);
    expect(validateValue({ a: 1, b: 2 }, { dependentRequired: { a: ["b"] } }).valid).toBe(true);
    expect(validateValue(5, { if: { minimum: 3 }, then: { multipleOf: 2 } }).valid).toBe(false);
    expect(validateValue([1, 2], { contains: { type: "integer" }, minContains: 3 }).valid).toBe(false);
    expect(validateValue({ a: 1 }, { dependencies: { a: ["b"] } }, { draft: "draft-07" }).valid).toBe(false);
  });

  it("answers unknown where validators legitimately disagree", () => {
    expect(validateValue("not an email", { format: "email" }).valid).toBe("unknown");
    expect(validateValue("user@example.com", { format: "email" }).valid).toBe(true);
    // 0.3 is a multiple of 0.1 in decimal, not in IEEE-754 division.
    expect(validateValue(0.3, { multipleOf: 0.1 })).toMatchObject({ valid: "unknown" });
    expect(validateValue(0.75, { multipleOf: 0.25 }).valid).toBe(true);
    expect(validateValue(1, { "x-blockwork-opaque": "a transform" })).toEqual({ valid: "unknown", path: [], reason: "a transform" });
    expect(validateValue({}, { $ref: "https://example.com/remote.json" }).valid).toBe("unknown");
  });

  it("still fails a value that fails a decidable keyword beside an undecidable one", () => {
    expect(validateValue(1, { type: "string", format: "email" }).valid).toBe(false);
    expect(validateValue("x", { "x-blockwork-opaque": "t", type: "integer" }).valid).toBe(false);
  });

  it("terminates on recursive and unguarded recursive schemas", () => {
    const list = { type: "object", properties: { next: { $ref: "#" }, v: { type: "integer" } } };
    expect(validateValue({ v: 1, next: { v: 2, next: { v: "x" } } }, list)).toMatchObject({ valid: false, path: ["next", "next", "v"] });
    expect(validateValue(1, { $defs: { d: { anyOf: [{ $ref: "#/$defs/d" }, { $ref: "#" }] } }, $ref: "#/$defs/d" }).valid).toBe("unknown");
  });

  it("counts code points and compares values structurally", () => {
    expect(validateValue("😀", { maxLength: 1 }).valid).toBe(true);
    expect(validateValue([{ a: 1, b: 2 }, { b: 2, a: 1 }], { uniqueItems: true }).valid).toBe(false);
    expect(validateValue([1, "1"], { uniqueItems: true }).valid).toBe(true);
    expect(validateValue({ b: [1], a: null }, { enum: [{ a: null, b: [1] }] }).valid).toBe(true);
  });
});
