/**
 * Refinements are never silently dropped: every zod construct whose JSON Schema loses a constraint
 * makes compatibility "unknown" with a reason naming it, and a `.meta()` declaration makes the
 * verdict decided again (docs/checker.md, "Refinements").
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { check, compat, createGraph, defineContract, diffGraphs, toJsonSchema } from "../src/index.js";
import type { AnySchema } from "../src/index.js";

/** A graph where `produce` outputs `{ v: out }` and `consume` takes `{ v: into }`. */
function wired(out: AnySchema, into: AnySchema, id = "g") {
  const produce = defineContract({ id: "produce", input: z.object({}), output: z.object({ v: out }) }).implement(() => ({ v: 0 }) as never);
  const consume = defineContract({ id: "consume", input: z.object({ v: into }), output: z.object({}) }).implement(() => ({}));
  return createGraph({ id, input: z.object({}), output: z.object({}) })
    .then(produce)
    .then(consume, (_, b) => ({ v: b.produce.v }) as never)
    .output(() => ({}))
    .build();
}

const issuesOf = (out: AnySchema, into: AnySchema) => check(wired(out, into).def).map((i) => ({ code: i.code, severity: i.severity, message: i.message }));

const CONSTRUCTS: readonly [string, AnySchema, RegExp][] = [
  ["refine", z.number().refine((x) => x > 10), /zod refinement \(\.refine\(\), \.superRefine\(\) or \.check\(\)\) on a number/],
  ["superRefine", z.number().superRefine((x, ctx) => void (x > 10 || ctx.addIssue({ code: "custom", message: "small" }))), /zod refinement/],
  ["check", z.number().check((ctx) => void (ctx.value > 10 || ctx.issues.push({ code: "custom", input: ctx.value, message: "small" }))), /zod refinement/],
  ["custom", z.custom<number>((v) => typeof v === "number" && v > 10), /zod custom schema/],
  [
    "transform",
    z.number().transform((x, ctx) => {
      if (x <= 10) ctx.issues.push({ code: "custom", input: x, message: "small" });
      return x * 2;
    }),
    /zod transform decides in its function/,
  ],
  ["pipe", z.number().pipe(z.number().min(11)), /zod pipe \(\.pipe\(\) or a codec\)/],
  ["preprocess", z.preprocess((v) => Number(v) - 10, z.number().min(0)), /zod preprocess/],
  ["overwrite", z.number().overwrite((x) => x - 10).min(0), /zod overwrite/],
];

describe("refinements: a lost constraint makes the binding unknown, never fits", () => {
  for (const [name, schema, reason] of CONSTRUCTS) {
    it(`${name}: a plain number bound to it is compat_unknown, naming the construct`, () => {
      const issues = issuesOf(z.number(), schema);
      expect(issues).toHaveLength(1);
      expect(issues[0]?.code).toBe("compat_unknown");
      expect(issues[0]?.message).toMatch(reason);
      // And the runtime would indeed reject some number the checker cannot rule out.
      expect(schema.safeParse(0).success).toBe(false);
    });
  }

  it("the issue's example: z.number() into z.number().refine(x > 10) is not reported as fitting", () => {
    const issues = issuesOf(z.number(), z.number().refine((x) => x > 10));
    expect(issues.map((i) => i.code)).toEqual(["compat_unknown"]);
  });

  it("a refined output into a plain input still fits: the refinement only narrows what is produced", () => {
    expect(issuesOf(z.number().refine((x) => x > 10), z.number())).toEqual([]);
  });

  it("two refinements with equal JSON Schema text are not taken as equal (their code may differ)", () => {
    const a = toJsonSchema(z.number().refine((x) => x > 0), "output");
    const b = toJsonSchema(z.number().refine((x) => x > 0), "input");
    expect(compat(a, b).verdict).toBe("unknown");
    expect(compat(b, b).verdict).toBe("yes");
  });

  it("a z.lazy that reaches itself without structure is opaque, and so is a schema zod cannot convert", () => {
    const loop: z.ZodType = z.lazy(() => z.union([z.string(), loop]));
    expect(JSON.stringify(toJsonSchema(loop, "input"))).toMatch(/refers to itself without an object or array/);
    const broken = z.lazy(() => {
      throw new Error("not ready");
    });
    expect(toJsonSchema(broken, "input")).toEqual({ "x-blockwork-opaque": "zod could not convert this schema to JSON Schema (not ready)" });
    // A lazy with structure in between converts as before.
    interface Tree { children: Tree[] }
    const tree: z.ZodType<Tree> = z.lazy(() => z.object({ children: z.array(tree) }));
    expect(JSON.stringify(toJsonSchema(tree, "output"))).not.toMatch(/opaque/);
  });
});

describe("refinements: a declaration with .meta() gives a decided verdict", () => {
  const over10 = z.number().refine((x) => x > 10).meta({ jsonSchema: { exclusiveMinimum: 10 } });

  it("rejects a plain number with a counterexample", () => {
    const issues = issuesOf(z.number(), over10);
    expect(issues.map((i) => i.code)).toEqual(["binding_type_mismatch"]);
    expect(issues[0]?.message).toMatch(/exclusiveMinimum 10/);
  });

  it("accepts an output that satisfies the declaration", () => {
    expect(issuesOf(z.number().min(11), over10)).toEqual([]);
    expect(issuesOf(over10, over10)).toEqual([]);
  });

  it("a refinement added after .meta() is not covered by the declaration", () => {
    const later = z.number().meta({ jsonSchema: { exclusiveMinimum: 10 } }).refine((x) => x % 2 === 0);
    expect(issuesOf(z.number().min(11), later).map((i) => i.code)).toEqual(["compat_unknown"]);
  });

  it("inputJsonSchema and outputJsonSchema declare one side of a transform or pipe", () => {
    const length = z.string().transform((s) => s.length).meta({ outputJsonSchema: { type: "integer", minimum: 0 } });
    expect(issuesOf(length, z.number().nonnegative())).toEqual([]);
    expect(issuesOf(length, z.number().positive()).map((i) => i.code)).toEqual(["binding_type_mismatch"]);
    const atLeast3 = z.string().pipe(z.string().min(3)).meta({ inputJsonSchema: { minLength: 3 } });
    expect(issuesOf(z.string().min(3), atLeast3)).toEqual([]);
    expect(issuesOf(z.string(), atLeast3).map((i) => i.code)).toEqual(["binding_type_mismatch"]);
  });
});

describe("refinements: the contract diff follows the same rule", () => {
  it("sees a changed refinement as a change that cannot be proven compatible", () => {
    const before = wired(z.number(), z.number().refine((x) => x > 10), "g").def;
    const after = wired(z.number(), z.number().refine((x) => x > 20), "g").def;
    const diff = diffGraphs(before, after);
    const change = diff.changes.find((c) => c.code === "block_input_changed");
    expect(change, JSON.stringify(diff.changes)).toBeDefined();
    expect(JSON.stringify(change)).toMatch(/could not be proven|refinement/);
    expect(diff.breaking).toBe(true);
  });

  it("a declared refinement is compared by its declaration", () => {
    const decl = (n: number) => z.number().refine((x) => x > n).meta({ jsonSchema: { exclusiveMinimum: n } });
    const widen = diffGraphs(wired(z.number().min(30), decl(20), "g").def, wired(z.number().min(30), decl(10), "g").def);
    expect(widen.changes.find((c) => c.code === "block_input_changed")?.callers ?? "none").not.toBe("breaking");
  });
});

/**
 * The soundness claim, tried hard: random pairs of zod number schemas built from bounds,
 * refinements, transforms, pipes and declarations. Whenever compat answers "yes" for output A into
 * input B, every value A produces must parse under B.
 */
describe("refinements: compat never says yes where zod would reject (property)", () => {
  const bound = fc.integer({ min: -5, max: 5 });
  const schemaArb: fc.Arbitrary<{ make: () => z.ZodType; label: string }> = fc.oneof(
    bound.map((n) => ({ make: () => z.number().min(n), label: `min(${n})` })),
    bound.map((n) => ({ make: () => z.number().refine((x) => x > n), label: `refine(>${n})` })),
    fc.tuple(bound, fc.boolean()).map(([n, honest]) => ({
      make: () => z.number().refine((x) => x > n).meta({ jsonSchema: { exclusiveMinimum: honest ? n : n - 1 } }),
      label: `refine(>${n}) declared ${honest ? "honestly" : "loosely"}`,
    })),
    bound.map((n) => ({ make: () => z.number().pipe(z.number().max(n)), label: `pipe(max ${n})` })),
    bound.map((n) => ({ make: () => z.preprocess((v) => (typeof v === "number" ? v - n : v), z.number().min(0)), label: `preprocess(-${n}, min 0)` })),
    bound.map((n) => ({ make: () => z.number().overwrite((x) => x + n).max(0), label: `overwrite(+${n}).max(0)` })),
    fc.constant({ make: () => z.number(), label: "number" }),
  );

  it("holds over random pairs (values tried: -8..8 in halves)", () => {
    const values = Array.from({ length: 33 }, (_, i) => -8 + i / 2);
    fc.assert(
      fc.property(schemaArb, schemaArb, (a, b) => {
        const A = a.make();
        const B = b.make();
        const verdict = compat(toJsonSchema(A, "output"), toJsonSchema(B, "input")).verdict;
        if (verdict !== "yes") return true;
        // A loose declaration is the author's claim; the checker trusts it, so skip those for B.
        if (b.label.includes("loosely")) return true;
        for (const v of values) {
          const produced = A.safeParse(v);
          if (!produced.success) continue;
          if (!B.safeParse(produced.data).success) throw new Error(`${a.label} -> ${b.label}: ${v} parses as ${produced.data} under A but B rejects it`);
        }
        return true;
      }),
      { numRuns: 400 },
    );
  });
});

describe("toJsonSchema gives plain JSON", () => {
  it("keeps no reference to its zod schema (zod's non-enumerable ~standard), so a kept JSON Schema does not keep the schema's closures alive", () => {
    const captured = { big: "x".repeat(10) };
    const schema = z.object({ query: z.string().optional(), key: z.string().optional() }).refine((v) => captured.big.length > 0 && (v.query !== undefined || v.key !== undefined));
    const json = toJsonSchema(schema, "input") as Record<string, unknown>;
    expect(Reflect.ownKeys(json).every((k) => Object.getOwnPropertyDescriptor(json, k)?.enumerable)).toBe(true);
    expect("~standard" in json).toBe(false);
    // Nothing reachable from it is a zod schema or a function.
    const seen = new Set<unknown>();
    const walk = (value: unknown): void => {
      if (value === null || typeof value !== "object" || seen.has(value)) {
        expect(typeof value).not.toBe("function");
        return;
      }
      seen.add(value);
      expect("_zod" in value).toBe(false);
      for (const key of Reflect.ownKeys(value)) walk((value as Record<PropertyKey, unknown>)[key]);
    };
    walk(json);
  });
});

