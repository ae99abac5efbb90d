import { describe, expect, it } from "vitest";
import { expectNo, expectUnknown, expectYes } from "./helpers.js";

describe("compat: arrays and tuples", () => {
  it("compares item schemas with the index in the path", () => {
    expectYes({ type: "array", items: { type: "integer" } }, { type: "array", items: { type: "number" } });
    const r = expectNo({ type: "array", items: { type: "string" } }, { type: "array", items: { type: "string", maxLength: 2 } });
    expect(r.path).toEqual([0]);
    expect(r.counterexample).toEqual(["aaa"]);
  });

  it("finds the index of a nested difference", () => {
    const item = (name: object) => ({ type: "object", properties: { name }, required: ["name"] });
    const r = expectNo(
      { type: "object", properties: { items: { type: "array", items: item({ type: "string" }) } }, required: ["items"] },
      { type: "object", properties: { items: { type: "array", items: item({ type: "string", minLength: 1 }) } } },
    );
    expect(r.path).toEqual(["items", 0, "name"]);
    expect(r.counterexample).toEqual({ items: [{ name: "" }] });
  });

  it("compares lengths", () => {
    expectYes({ type: "array", minItems: 2, maxItems: 3 }, { type: "array", minItems: 1, maxItems: 5 });
    expect(expectNo({ type: "array", minItems: 1 }, { type: "array", minItems: 2 }).counterexample).toEqual([null]);
    expectNo({ type: "array", maxItems: 4 }, { type: "array", maxItems: 3 });
  });

  it("reads 2020-12 tuples: prefixItems with items false", () => {
    const pair = { type: "array", prefixItems: [{ type: "string" }, { type: "number" }], items: false, minItems: 2, maxItems: 2 };
    expectYes(pair, { type: "array", maxItems: 2 });
    expectYes(pair, { type: "array", prefixItems: [{ type: "string" }] });
    expectNo(pair, { type: "array", prefixItems: [{}, { type: "integer" }] });
    expectYes({ type: "array", prefixItems: [{ type: "string" }], items: false }, { type: "array", maxItems: 1 });
    expectNo({ type: "array", prefixItems: [{ type: "string" }] }, { type: "array", maxItems: 1 });
  });

  it("reads draft-04 tuples: array-form items with additionalItems", () => {
    const d4 = { draft: "draft-04" } as const;
    expectYes({ type: "array", items: [{}], additionalItems: false }, { type: "array", items: [{}, {}], additionalItems: false }, d4);
    expectNo({ type: "array", items: {} }, { type: "array", items: [{}, {}], additionalItems: false }, d4);
    expectNo({ type: "array", items: [{ type: "string" }] }, { type: "array", items: [{ type: "string" }, { type: "number" }] }, d4);
    expectYes({ type: "array", additionalItems: false }, { type: "array" }, d4);
  });

  it("handles uniqueItems", () => {
    expectYes({ type: "array", uniqueItems: true }, { type: "array" });
    expect(expectNo({ type: "array" }, { type: "array", uniqueItems: true }).counterexample).toEqual([null, null]);
    expectYes({ type: "array", maxItems: 1 }, { type: "array", uniqueItems: true });
    const enumItems = expectNo({ type: "array", items: { enum: [1, 2] }, minItems: 2 }, { type: "array", uniqueItems: true });
    expect((enumItems.counterexample as unknown[]).length).toBe(2);
  });

  it("proves contains from guaranteed items, and otherwise builds an array without a match", () => {
    expectYes({ type: "array", prefixItems: [{ type: "integer" }], minItems: 1 }, { type: "array", contains: { type: "number" } });
    expectYes({ type: "array", contains: { const: 1 } }, { type: "array", contains: { type: "integer" } });
    expectNo({ type: "array", items: { type: "string" } }, { type: "array", contains: { type: "string" } });
    expectNo({ type: "array", items: { type: "integer" }, minItems: 1 }, { type: "array", contains: { minimum: 5 } });
    expect(expectNo({ type: "array" }, { type: "array", minContains: 2, contains: { type: "integer" } }).counterexample).toEqual([]);
    expectUnknown({ type: "array", items: { type: "integer" }, minItems: 2 }, { type: "array", minContains: 2, contains: { type: "integer" } });
  });

  it("keeps array A-pieces independent when B is a union of array types", () => {
    expectYes(
      { type: "array", items: { type: "integer" } },
      { anyOf: [{ type: "array", items: { type: "number" } }, { type: "array", items: { type: "string" } }] },
    );
    const r = expectUnknown(
      { type: "array", items: { type: ["integer", "string"] }, maxItems: 1 },
      { anyOf: [{ type: "array", items: { type: "integer" } }, { type: "array", items: { type: "string" } }] },
    );
    expect(r.reason).toMatch(/single alternative/);
  });
});
