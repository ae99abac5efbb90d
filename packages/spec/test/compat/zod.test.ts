/**
 * Schemas as zod 4 emits them (`z.toJSONSchema`, draft 2020-12): a block's output in output mode
 * wired into a block's input in input mode, as the checker does.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { JsonSchema } from "../../src/def/graph-def.js";
import { compat } from "../../src/compat/index.js";
import { expectNo, expectUnknown, expectYes } from "./helpers.js";

const output = (s: z.ZodType): JsonSchema => z.toJSONSchema(s, { io: "output" }) as JsonSchema;
const input = (s: z.ZodType): JsonSchema => z.toJSONSchema(s, { io: "input" }) as JsonSchema;

describe("compat: zod-emitted schemas", () => {
  it("accepts an output into the input of the same object schema (additionalProperties: false on outputs)", () => {
    const user = z.object({ id: z.uuid(), name: z.string().min(1).max(100), age: z.int().min(0).optional(), email: z.email() });
    expectYes(output(user), input(user));
    expectYes(input(user), input(user));
    // An input object allows unknown keys; a strict output does not.
    expectNo(input(user), output(user));
  });

  it("handles optional, nullable and nullish fields", () => {
    const a = z.object({ x: z.string() });
    const b = z.object({ x: z.string().nullable().optional() });
    expectYes(output(a), input(b));
    const r = expectNo(output(b), input(a));
    expect(r.path).toEqual(["x"]);
    expectYes(output(z.string().nullable()), input(z.union([z.string(), z.null()])));
    expectYes(output(z.object({ a: z.number() }).nullable()), input(z.object({ a: z.number() }).nullable()));
  });

  it("compares integer bounds of ±2^53-1 with plain numbers", () => {
    expectYes(output(z.int()), input(z.number()));
    expect(expectNo(output(z.number()), input(z.int())).counterexample).toBe(0.5);
    expectYes(output(z.int().positive()), input(z.int().nonnegative()));
    expectNo(output(z.int().nonnegative()), input(z.int().positive()));
  });

  it("decides discriminated unions emitted as oneOf", () => {
    const ab = z.discriminatedUnion("type", [
      z.object({ type: z.literal("a"), x: z.number() }),
      z.object({ type: z.literal("b"), y: z.string() }),
    ]);
    const abc = z.discriminatedUnion("type", [
      z.object({ type: z.literal("a"), x: z.number() }),
      z.object({ type: z.literal("b"), y: z.string() }),
      z.object({ type: z.literal("c") }),
    ]);
    expectYes(output(ab), input(abc));
    expectYes(output(z.object({ type: z.literal("b"), y: z.string() })), input(ab));
    const r = expectNo(output(abc), input(ab));
    expect(r.counterexample).toEqual({ type: "c" });
  });

  it("reads tuples (prefixItems + items: false) and arrays with length bounds", () => {
    expectYes(output(z.tuple([z.string(), z.int()])), input(z.tuple([z.string(), z.number()])));
    expectNo(output(z.tuple([z.string(), z.number()])), input(z.tuple([z.string(), z.int()])));
    expectYes(output(z.tuple([z.string()]).rest(z.number())), input(z.array(z.union([z.string(), z.number()]))));
    expectYes(output(z.array(z.string()).min(2).max(3)), input(z.array(z.string()).max(5)));
    expectNo(output(z.array(z.string())), input(z.array(z.string()).nonempty()));
  });

  it("reads records (propertyNames + additionalProperties)", () => {
    expectYes(output(z.record(z.string(), z.int())), input(z.record(z.string(), z.number())));
    expectYes(output(z.record(z.enum(["a", "b"]), z.int())), input(z.object({ a: z.number(), b: z.number() })));
    expectNo(output(z.record(z.string(), z.number())), input(z.record(z.string(), z.int())));
  });

  it("treats zod's {} for any/unknown as everything", () => {
    expectYes(output(z.object({ v: z.string() })), input(z.object({ v: z.unknown() })));
    expectNo(output(z.object({ v: z.any() })), input(z.object({ v: z.string() })));
  });

  it("compares $defs and $ref for reused and recursive schemas", () => {
    const shared = z.object({ x: z.number() });
    const twice = z.object({ p: shared, q: shared });
    expectYes(z.toJSONSchema(twice, { reused: "ref", io: "output" }) as JsonSchema, input(twice));
    interface Tree { name: string; children: Tree[] }
    const tree: z.ZodType<Tree> = z.object({ name: z.string(), get children() { return z.array(tree); } });
    interface Loose { name?: string | undefined; children: Loose[] }
    const loose: z.ZodType<Loose> = z.object({ name: z.string().optional(), get children() { return z.array(loose); } });
    expectYes(output(tree), input(tree));
    expectYes(output(tree), input(loose));
    expectNo(output(loose), input(tree));
    expectYes(output(z.object({ root: tree })), input(z.object({ root: loose })));
  });

  it("handles emails, uuids and other format + pattern strings", () => {
    expectYes(output(z.email()), input(z.string().min(1)));
    expectYes(output(z.uuid()), input(z.string()));
    expectYes(output(z.email()), input(z.email()));
    // "" fails zod's email pattern, whatever the format means.
    expect(expectNo(output(z.string()), input(z.email())).counterexample).toBe("");
    // Same pattern, but only B asserts the format: undecidable without interpreting "email".
    const pattern = (output(z.email()) as { pattern: string }).pattern;
    expect(expectUnknown({ type: "string", pattern }, input(z.email())).reason).toMatch(/format "email"/);
    // A canonical email confirms a counterexample whose other field differs.
    const r = expectNo(output(z.object({ e: z.email(), n: z.number() })), input(z.object({ e: z.email(), n: z.int() })));
    expect(r.counterexample).toEqual({ e: "user@example.com", n: 0.5 });
  });

  it("answers unknown with the reason when a side is opaque", () => {
    const opaque = { type: "number", "x-blockwork-opaque": "output of a zod transform" };
    const r = expectUnknown(opaque, { type: "integer" });
    expect(r.reason).toBe("output of a zod transform");
    expectYes(opaque, { type: "number" });
    expect(expectUnknown({ type: "integer" }, { "x-blockwork-opaque": "custom refinement" }).reason).toBe("custom refinement");
    // Equal text of two opaque schemas is no proof: they stand for code that may differ. The same object is.
    expect(compat({ "x-blockwork-opaque": "t" }, { "x-blockwork-opaque": "t" }).verdict).toBe("unknown");
    const same = { "x-blockwork-opaque": "t" };
    expect(compat(same, same).verdict).toBe("yes");
  });
});
