import { describe, expect, it } from "vitest";
import { compat, validateValue } from "../../src/compat/index.js";
import { expectNo, expectUnknown, expectYes } from "./helpers.js";

const D4 = "http://json-schema.org/draft-04/schema#";
const D7 = "http://json-schema.org/draft-07/schema#";

describe("compat: dialects", () => {
  it("reads each document in its own $schema dialect", () => {
    const d4 = { $schema: D4, type: "number", minimum: 0, exclusiveMinimum: true };
    const d2020 = { type: "number", exclusiveMinimum: 0 };
    expectYes(d4, d2020);
    expectYes(d2020, d4);
    expectNo({ type: "number", minimum: 0 }, d4);
  });

  it("lets options.draft override every document", () => {
    expectYes({ type: "integer", minimum: 0, exclusiveMinimum: true }, { type: "integer", minimum: 1 }, { draft: "draft-04" });
    expect(compat({ type: "integer", minimum: 0, exclusiveMinimum: true }, { type: "integer", minimum: 1 }).verdict).toBe("unknown");
  });

  it("reads array-form items as tuples before 2020-12 and as invalid in 2020-12", () => {
    const tuple = { type: "array", items: [{ type: "string" }], additionalItems: false };
    expectYes({ $schema: D7, ...tuple }, { type: "array", maxItems: 1, prefixItems: [{ type: "string" }] });
    expectYes({ type: "array", maxItems: 1 }, { type: "array" });
    expectUnknown({ type: "array" }, tuple);
  });

  it("treats keywords beside $ref per dialect, soundly for both readings in drafts 04–07", () => {
    const defs = { definitions: { s: { type: "string" } } };
    // Draft 07 ignores maxLength beside $ref; some validators apply it. A ignores it, B applies it.
    const beside = { $schema: D7, ...defs, $ref: "#/definitions/s", maxLength: 2 };
    expectYes(beside, { type: "string" });
    expectUnknown({ type: "string" }, beside);
    expect(validateValue("abc", beside).valid).toBe("unknown");
    expect(validateValue(1, beside).valid).toBe(false);
    // 2019-09 onwards apply siblings.
    expectNo({ type: "string" }, { $defs: { s: { type: "string" } }, $ref: "#/$defs/s", maxLength: 2 });
  });

  it("ignores draft-04 ids for local refs and resolves definitions", () => {
    const a = { $schema: D4, id: "http://example.com/a", type: "array", items: { $ref: "#/definitions/p" }, definitions: { p: { type: "integer", minimum: 0, exclusiveMinimum: true } } };
    expectYes(a, { $schema: D4, type: "array", items: { type: "integer", minimum: 1 } });
  });

  it("ignores annotations and unknown keywords, including typos", () => {
    expectYes({ type: "array", "maxItems:": 1, title: "t", description: "d", default: [], examples: [[1]] }, { type: "array" });
    expectNo({ type: "array", minItems: 1, "maxItems:": 20 }, { type: "array", minItems: 5, "maxItems:": 10 });
    expectYes({ type: "string", "x-vendor": { maxLength: 1 } }, { type: "string", "x-vendor": 2 });
  });

  it("treats keywords of other dialects as unsupported rather than ignoring them", () => {
    expectUnknown({ type: "array" }, { $schema: D7, type: "array", prefixItems: [{ type: "string" }] });
    expectUnknown({ type: "object" }, { $schema: D7, type: "object", dependentRequired: { a: ["b"] } });
  });
});
