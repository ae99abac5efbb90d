import { describe, expect, it } from "vitest";
import { compat } from "../../src/compat/index.js";
import { expectNo, expectUnknown, expectYes } from "./helpers.js";

describe("compat: strings", () => {
  it("compares length ranges and explains the difference", () => {
    expectYes({ type: "string", minLength: 2, maxLength: 4 }, { type: "string", minLength: 1, maxLength: 5 });
    const r = expectNo({ type: "string" }, { type: "string", maxLength: 5 });
    expect(r.reason).toBe("A allows strings of any length; B requires maxLength 5");
    expect(r.counterexample).toBe("aaaaaa");
  });

  it("counts Unicode code points, not UTF-16 units", () => {
    expectYes({ const: "😀" }, { type: "string", maxLength: 1 });
    expectNo({ const: "😀😀" }, { type: "string", maxLength: 1 });
  });

  it("proves containment when B has no pattern or the same pattern", () => {
    expectYes({ type: "string", pattern: "^[a-z]+$" }, { type: "string" });
    expectYes({ type: "string", pattern: "^[a-z]+$", maxLength: 3 }, { type: "string", pattern: "^[a-z]+$" });
    expectYes({ allOf: [{ pattern: "^a" }, { pattern: "b$" }] }, { pattern: "b$" });
  });

  it("uses that a pattern which cannot match the empty string implies minLength 1", () => {
    expectYes({ type: "string", pattern: "^[a-z]+$" }, { type: "string", minLength: 1 });
    expectYes({ type: "string", pattern: "x" }, { not: { const: "" } });
    expectNo({ type: "string", pattern: "^[a-z]*$" }, { type: "string", minLength: 1 });
  });

  it("tests a finite A against B's pattern with the real RegExp", () => {
    expectYes({ enum: ["abc", "de"] }, { type: "string", pattern: "^[a-e]+$" });
    const r = expectNo({ enum: ["abc", "dE"] }, { type: "string", pattern: "^[a-e]+$" });
    expect(r.counterexample).toBe("dE");
  });

  it("finds a counterexample to B's pattern among A's sample strings", () => {
    expectNo({ type: "string" }, { type: "string", pattern: "^[a-z]+$" });
    expectNo({ type: "string", pattern: "^1\\.0$" }, { type: "string", pattern: "^2\\.0$" });
  });

  it("leaves undecidable pattern containment unknown, with the pattern in the reason", () => {
    const r = expectUnknown({ type: "string", pattern: "^a+$" }, { type: "string", pattern: "^[ab]+$" });
    expect(r.reason).toBe('pattern containment: B requires pattern "^[ab]+$", which A does not imply');
  });

  it("honours exact regex semantics: '.' does not match a newline", () => {
    expectUnknown({ type: "string", minLength: 1 }, { type: "string", pattern: ".+" });
    expect(compat({ const: "\n" }, { pattern: ".+" }).verdict).toBe("no");
  });

  it("treats formats as opaque predicates: equal formats cancel, others are unknown", () => {
    expectYes({ type: "string", format: "email" }, { type: "string", format: "email" });
    expectYes({ type: "string", format: "email", maxLength: 10 }, { type: "string" });
    expectYes({ type: "string", format: "email", pattern: "^.+@.+$" }, { type: "string", minLength: 1 });
    expect(expectUnknown({ type: "string" }, { type: "string", format: "email" }).reason).toMatch(/format/);
    expectUnknown({ type: "string", format: "x-custom" }, { type: "string", maxLength: 5 });
  });

  it("confirms counterexamples under a format only with a canonical value every validator accepts", () => {
    expect(expectNo({ type: "string", format: "email" }, { type: "string", maxLength: 5 }).counterexample).toBe("user@example.com");
    expectUnknown({ type: "string", format: "email", maxLength: 10 }, { type: "string", maxLength: 5 });
  });

  it("answers unknown for an invalid B pattern rather than guessing", () => {
    expectUnknown({ type: "string" }, { type: "string", pattern: "([a-z" });
  });
});
