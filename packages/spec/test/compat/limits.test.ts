/**
 * Bounded analysis (issue 20, part 5): hostile schemas end in a verdict or an `unknown` naming the
 * budget, never in a crash, a hang or runaway memory. Work is measured with the step and node
 * budgets, not with the clock, so these tests hold on a loaded machine.
 */
import { describe, expect, it } from "vitest";
import { compat, enumerateValues, validateValue, type JsonSchema } from "../../src/index.js";

/** The "billion laughs" schema: `$defs` d0…dN, each `anyOf` of two `$ref`s to the next. */
function laughs(n: number, leaf: JsonSchema): JsonSchema {
  const defs: Record<string, JsonSchema> = {};
  for (let i = 0; i < n; i++) defs[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
  defs[`d${n}`] = leaf;
  return { $defs: defs, $ref: "#/$defs/d0" };
}

/** A deeply nested document built as text (JSON.stringify itself overflows the stack on it). */
function nestedText(depth: number, open: string, leaf: string, close: string): JsonSchema {
  return JSON.parse(open.repeat(depth) + leaf + close.repeat(depth)) as JsonSchema;
}

describe("compat: budgets, memoisation and depth guards", () => {
  it("decides the billion-laughs chain (2^40 paths) exactly", () => {
    // Not cross-checked with ajv here: ajv itself takes 2^40 steps on this schema.
    expect(compat(laughs(40, { type: "string" }), { type: "string" })).toEqual({ verdict: "yes" });
    expect(compat({ type: "string", maxLength: 3 }, laughs(40, { type: "string" }))).toEqual({ verdict: "yes" });
    expect(compat(laughs(40, { type: "string" }), laughs(40, { type: "number" }))).toMatchObject({ verdict: "no", counterexample: "" });
    expect(validateValue("x", laughs(40, { type: "string" }))).toEqual({ valid: true });
    expect(validateValue(1, laughs(40, { type: "string" })).valid).toBe(false);
  });

  it("decides the chain with work linear in its length (node and step budgets of 12 per link)", () => {
    // Exponential work would need 2^n steps; these budgets allow 12n.
    for (const n of [10, 40, 80]) {
      const limits = { nodes: 12 * n, steps: 12 * n };
      expect(compat(laughs(n, { type: "string" }), { type: "string" }, { limits })).toEqual({ verdict: "yes" });
      expect(compat(laughs(n, { type: "string" }), laughs(n, { type: "number" }), { limits }).verdict).toBe("no");
      expect(validateValue(7, laughs(n, { type: "string" }), { limits }).valid).toBe(false);
    }
  });

  it("answers unknown naming the budget when one runs out", () => {
    const a = { type: "array", items: { type: "object", properties: { x: { type: "integer" } } } };
    const b = { type: "array", items: { type: "object", properties: { x: { type: "number" } } } };
    expect(compat(a, b)).toEqual({ verdict: "yes" });
    const steps = compat(a, b, { limits: { steps: 1 } });
    expect(steps).toMatchObject({ verdict: "unknown", reason: expect.stringContaining("limits.steps") });
    const nodes = compat(a, b, { limits: { nodes: 1 } });
    expect(nodes).toMatchObject({ verdict: "unknown", reason: expect.stringContaining("limits.nodes") });
    const depth = compat(a, b, { limits: { depth: 1 } });
    expect(depth).toMatchObject({ verdict: "unknown", reason: expect.stringContaining("limits.depth") });
  });

  it("answers unknown naming the time budget once it has passed", () => {
    // A wide comparison that takes thousands of steps; a time budget of 0 ms has passed by the
    // time the clock is first read (every 256 steps).
    const props = (t: string) => Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`p${i}`, { type: t }]));
    const a = { type: "object", properties: props("integer"), required: Object.keys(props("integer")) };
    const b = { type: "object", properties: props("number") };
    expect(compat(a, b)).toEqual({ verdict: "yes" });
    const r = compat(a, b, { limits: { timeMs: -1 } });
    expect(r).toMatchObject({ verdict: "unknown", reason: expect.stringContaining("limits.timeMs") });
  });

  it("gives a diagnostic for 1,000 nested anyOf on either side", () => {
    let nest: JsonSchema = { type: "string" };
    for (let i = 0; i < 1000; i++) nest = { anyOf: [nest, { type: "null" }] };
    expect(compat({ type: "string" }, nest)).toMatchObject({ verdict: "unknown", reason: expect.stringContaining("levels deep") });
    // A's side: its null alternative near the top is still found.
    expect(compat(nest, { type: "string" })).toMatchObject({ verdict: "no", counterexample: null });
    expect(validateValue(5, nest).valid).toBe("unknown");
    expect(enumerateValues(nest).kind).toBe("unknown");
  });

  it("gives a diagnostic for 100,000-deep schemas and values", () => {
    const deepAnyOf = nestedText(100_000, '{"anyOf":[', '{"type":"string"}', "]}");
    const deepItems = nestedText(100_000, '{"items":', '{"type":"number"}', "}");
    for (const s of [deepAnyOf, deepItems]) {
      for (const r of [compat(s, { type: "string" }), compat({ type: "array" }, s), compat(s, s === deepAnyOf ? deepItems : deepAnyOf)]) {
        expect(["yes", "no", "unknown"]).toContain(r.verdict);
        if (r.verdict === "unknown") expect(r.reason).toMatch(/deep|stack/);
      }
    }
    const deepValue = JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`) as JsonSchema;
    const recursive = { type: "array", items: { $ref: "#" } };
    expect(validateValue(deepValue as never, recursive)).toMatchObject({ valid: "unknown", reason: expect.stringContaining("levels deep") });
    expect(validateValue(deepValue as never, { type: "array" })).toEqual({ valid: true });
    expect(compat(recursive, { type: "array", items: { type: "array" } }).verdict).toBe("yes");
  });
});
