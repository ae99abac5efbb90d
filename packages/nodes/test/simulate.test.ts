import { deepStrict } from "@blockwork/core";
import { toJsonSchema } from "@blockwork/spec";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { arbitraryOf, simulate } from "../src/index.js";
import { supportAgentGraph } from "../../../examples/support-agent/support.graph.js";
import { triageGraph } from "../../../examples/support-triage/triage.graph.js";
import { releaseNotesGraph } from "../../../examples/release-notes/release-notes.graph.js";

const schemas: [string, z.ZodType][] = [
  ["enums and literals", z.object({ kind: z.enum(["a", "b"]), fixed: z.literal(3), flag: z.boolean(), maybe: z.string().optional() })],
  ["bounded numbers", z.object({ n: z.number().int().min(-3).max(7), x: z.number().gt(0).lt(1), step: z.number().multipleOf(0.5).min(0).max(10) })],
  ["strings with lengths, formats and patterns", z.object({ s: z.string().min(2).max(5), email: z.email(), id: z.uuid(), code: z.string().regex(/^[A-Z]{3}-\d{2}$/) })],
  ["arrays, tuples, nesting", z.object({ list: z.array(z.object({ v: z.number() })).min(1).max(3), pair: z.tuple([z.string(), z.number()]) })],
  ["unions and records", z.object({ u: z.union([z.string(), z.object({ k: z.number() })]), d: z.discriminatedUnion("t", [z.object({ t: z.literal("x"), a: z.string() }), z.object({ t: z.literal("y") })]), r: z.record(z.string(), z.number()) })],
  ["nullable and recursive", z.object({ parent: z.string().nullable() })],
];

describe("arbitraryOf (values from JSON Schema)", () => {
  it.each(schemas)("generates values that satisfy %s", (_, schema) => {
    const strict = deepStrict(schema);
    const values = fc.sample(arbitraryOf(toJsonSchema(schema, "input")), { seed: 42, numRuns: 200 });
    const rejected = values.filter((v) => !strict.safeParse(v).success);
    expect(rejected).toEqual([]);
  });

  it("is deterministic for a seed", () => {
    const arb = arbitraryOf(toJsonSchema(schemas[4]?.[1] as z.ZodType, "input"));
    expect(fc.sample(arb, { seed: 7, numRuns: 5 })).toEqual(fc.sample(arb, { seed: 7, numRuns: 5 }));
  });
});

describe("simulate", () => {
  it("replaces only agent blocks by default, and every code block with all", async () => {
    const agents = await simulate(supportAgentGraph, { runs: 5 });
    expect(agents.replaced).toEqual(["classify", "draft", "review"]);
    const everything = await simulate(triageGraph, { runs: 30, seed: 5, all: true });
    expect(everything.replaced).toEqual(["accountReply", "billingReply", "classify", "escalate", "technicalReply"]);
    expect(everything.edges.neverTaken).toEqual([]);
  });

  it("reports blocks and edges a graph's code never reaches when nothing is replaced", async () => {
    // With the real classifier and generated tickets, some kinds may never come up.
    const report = await simulate(triageGraph, { runs: 3, seed: 1 });
    expect(report.replaced).toEqual([]);
    expect(report.completed).toBe(3);
    expect(report.blocks.total).toBe(5);
    expect(report.edges.neverTaken.length).toBeGreaterThan(0);
  });

  it("simulates subgraphs and loops, and reports a loop that hits its bound", async () => {
    // A review revises at random: across 60 runs some draft is sent back until the bound runs out.
    const report = await simulate(releaseNotesGraph, { runs: 60, seed: 9, all: true });
    expect(report.failures).toEqual([]);
    expect(report.replaced).toContain("text-digest/normalise");
    expect(report.blocks.neverReached).toEqual([]);
    expect(report.loopsAtBound).toEqual(["review (bound exhausted, went to publish)"]);
  });
});
