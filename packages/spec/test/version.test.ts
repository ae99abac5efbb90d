import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, graphVersion } from "../src/index.js";
import type { GraphDef } from "../src/index.js";

/** The same JSON value with every object's keys in a shuffled order. */
function shuffled(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => shuffled(v, seed + i));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>);
  entries.sort((a, b) => ((a[0].length * 31 + seed) % 7) - ((b[0].length * 31 + seed) % 7) || (seed % 2 ? a[0].localeCompare(b[0]) : b[0].localeCompare(a[0])));
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffled(v, seed + 1)]));
}

describe("canonicalJson", () => {
  it("gives the same string for JSON-equal values whatever the key order, and parses back to the value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(1000), (value, seed) => {
        const text = canonicalJson(value);
        expect(canonicalJson(shuffled(value, seed))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });

  it("gives different strings for values that are not JSON-equal", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const equal = JSON.stringify(JSON.parse(canonicalJson(a))) === JSON.stringify(JSON.parse(canonicalJson(b)));
        expect(canonicalJson(a) === canonicalJson(b)).toBe(equal);
      }),
      { numRuns: 500 },
    );
  });

  it("leaves out undefined properties, as JSON does", () => {
    expect(canonicalJson({ b: 1, a: undefined, c: [undefined] })).toBe('{"b":1,"c":[null]}');
    expect(canonicalJson(undefined)).toBe("null");
  });
});

describe("graphVersion", () => {
  it("is 16 hex digits, equal for the same GraphDef written with keys in another order", () => {
    const def = { format: "blockwork.graph/1", id: "g", nodes: [], edges: [], entry: "a", contract: { input: {}, output: {} } } as unknown as GraphDef;
    const version = graphVersion(def);
    expect(version).toMatch(/^[0-9a-f]{16}$/);
    expect(graphVersion(shuffled(def, 3) as GraphDef)).toBe(version);
    expect(graphVersion({ ...def, id: "h" })).not.toBe(version);
  });
});
