import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { JsonSchema } from "../../src/def/graph-def.js";
import { enumerateValues } from "../../src/compat/index.js";

describe("enumerateValues", () => {
  it("lists enums, consts and literal unions (route discriminants)", () => {
    expect(enumerateValues({ enum: ["a", "b", "a"] })).toEqual({ kind: "finite", values: ["a", "b"] });
    expect(enumerateValues({ const: 3 })).toEqual({ kind: "finite", values: [3] });
    expect(enumerateValues(z.toJSONSchema(z.enum(["draft", "final"])) as JsonSchema)).toEqual({ kind: "finite", values: ["draft", "final"] });
    expect(enumerateValues(z.toJSONSchema(z.union([z.literal("x"), z.literal(1), z.null()])) as JsonSchema)).toEqual({
      kind: "finite",
      values: [null, 1, "x"],
    });
  });

  it("lists booleans, null and small integer ranges", () => {
    expect(enumerateValues({ type: "boolean" })).toEqual({ kind: "finite", values: [true, false] });
    expect(enumerateValues({ type: ["boolean", "null"], not: { const: false } })).toEqual({ kind: "finite", values: [null, true] });
    expect(enumerateValues({ type: "integer", minimum: 1, exclusiveMaximum: 4 })).toEqual({ kind: "finite", values: [1, 2, 3] });
    expect(enumerateValues({ type: "number", minimum: 0, maximum: 1, multipleOf: 0.25 })).toEqual({ kind: "finite", values: [0, 0.25, 0.5, 0.75, 1] });
  });

  it("filters listed values by every other keyword", () => {
    expect(enumerateValues({ enum: ["a", "bb", 1], type: "string", maxLength: 1 })).toEqual({ kind: "finite", values: ["a"] });
    expect(enumerateValues({ enum: [{ k: 1 }, { k: "x" }], properties: { k: { type: "integer" } } })).toEqual({ kind: "finite", values: [{ k: 1 }] });
    expect(enumerateValues({ anyOf: [{ const: "a" }, { const: "b" }], not: { const: "a" } })).toEqual({ kind: "finite", values: ["b"] });
  });

  it("says infinite for open types and beyond the limit", () => {
    expect(enumerateValues({ type: "string" })).toEqual({ kind: "infinite" });
    expect(enumerateValues({ type: "number", minimum: 0, maximum: 1 })).toEqual({ kind: "infinite" });
    expect(enumerateValues({ type: "integer", minimum: 0, maximum: 1000 })).toEqual({ kind: "infinite" });
    expect(enumerateValues({ type: "integer", minimum: 0, maximum: 9 }, { limit: 5 })).toEqual({ kind: "infinite" });
    expect(enumerateValues(true)).toEqual({ kind: "infinite" });
  });

  it("says unknown where it cannot list exactly", () => {
    expect(enumerateValues({ type: "string", pattern: "^(a|b)$" }).kind).toBe("unknown");
    expect(enumerateValues({ enum: ["a@b.c"], format: "email" }).kind).toBe("unknown");
    expect(enumerateValues({ type: "object", properties: { k: { const: 1 } }, required: ["k"], additionalProperties: false }).kind).toBe("unknown");
  });

  it("returns an empty list for an empty schema", () => {
    expect(enumerateValues(false)).toEqual({ kind: "finite", values: [] });
    expect(enumerateValues({ type: "string", minLength: 2, maxLength: 1 })).toEqual({ kind: "finite", values: [] });
  });
});
