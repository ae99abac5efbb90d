import { describe, expect, it } from "vitest";
import { expectNo, expectUnknown, expectYes } from "./helpers.js";

const tree = (leaf: object) => ({
  type: "object",
  properties: { value: leaf, children: { type: "array", items: { $ref: "#" } } },
  required: ["value", "children"],
});

describe("compat: $ref, $defs and recursion", () => {
  it("resolves #/$defs, #/definitions and JSON-pointer escapes in each document", () => {
    expectYes({ $defs: { n: { type: "integer" } }, $ref: "#/$defs/n" }, { definitions: { m: { type: "number" } }, $ref: "#/definitions/m" });
    expectYes({ $defs: { "a/b": { type: "integer" }, "c~d": { type: "integer" } }, anyOf: [{ $ref: "#/$defs/a~1b" }, { $ref: "#/$defs/c~0d" }] }, { type: "integer" });
    expectYes({ $defs: { "x y": { type: "integer" } }, $ref: "#/$defs/x%20y" }, { type: "number" });
    // The same pointer means different schemas in A's and B's documents.
    expectNo({ $defs: { n: { type: "number" } }, $ref: "#/$defs/n" }, { $defs: { n: { type: "integer" } }, $ref: "#/$defs/n" });
  });

  it("proves recursive schemas co-inductively", () => {
    expectYes(tree({ type: "integer" }), tree({ type: "number" }));
    const r = expectNo(tree({ type: "number" }), tree({ type: "integer" }));
    expect(r.path).toEqual(["value"]);
  });

  it("finds a counterexample deep inside a recursive structure", () => {
    const a = { type: "object", properties: { next: { $ref: "#" }, tag: { type: "string" } } };
    const b = { type: "object", properties: { next: { $ref: "#" }, tag: { type: "string", maxLength: 1 } } };
    expectYes(b, a);
    const r = expectNo(a, b);
    expect(r.path.at(-1)).toBe("tag");
  });

  it("treats a recursive type that requires itself as empty", () => {
    expectYes({ type: "object", properties: { self: { $ref: "#" } }, required: ["self"] }, false);
  });

  it("compares mutually recursive definitions", () => {
    const doc = (num: object) => ({
      $defs: {
        a: { type: "object", properties: { b: { $ref: "#/$defs/b" }, n: num } },
        b: { type: "object", properties: { a: { $ref: "#/$defs/a" } } },
      },
      $ref: "#/$defs/a",
    });
    expectYes(doc({ type: "integer" }), doc({ type: "number" }));
    expect(expectNo(doc({ type: "number" }), doc({ type: "integer" })).path.at(-1)).toBe("n");
  });

  it("answers unknown for remote references and unresolvable pointers", () => {
    expect(expectUnknown({ type: "string" }, { $ref: "https://example.com/s.json" }).reason).toMatch(/outside the schema document/);
    expectUnknown({ type: "string" }, { $ref: "#/$defs/missing" });
    expectYes({ $ref: "https://example.com/s.json" }, {});
  });

  it("resolves refs against an embedded $id resource", () => {
    const doc = (leaf: object) => ({
      $id: "https://example.com/root.json",
      type: "object",
      properties: { x: { $ref: "inner.json" } },
      $defs: { inner: { $id: "inner.json", $defs: { n: leaf }, allOf: [{ $ref: "#/$defs/n" }] }, n: { type: "string" } },
    });
    expectYes(doc({ type: "integer" }), doc({ type: "number" }));
    expect(expectNo(doc({ type: "number" }), doc({ type: "integer" })).path).toEqual(["x"]);
  });

  it("does not loop on unguarded recursion", () => {
    expectUnknown({ type: "string" }, { $defs: { x: { anyOf: [{ $ref: "#/$defs/x" }, { type: "integer" }] } }, $ref: "#/$defs/x" });
    expectYes({ $ref: "#" }, {});
  });
});
