import { describe, expect, it } from "vitest";
import type { z } from "zod";
import type { BindingDef } from "../def/graph-def.js";
import { GraphDefSchema } from "../def/graph-def-schema.js";
import { PATCH_OPS, PatchBindingSchema, patchJsonSchema, parsePatch } from "./patch-schema.js";

describe("the patch schema", () => {
  it("lists every operation, each with a description for the model", () => {
    expect(PATCH_OPS).toEqual([
      "add_block",
      "remove_block",
      "connect",
      "disconnect",
      "bind",
      "unbind",
      "bind_output",
      "unbind_output",
      "set_case",
      "set_otherwise",
      "set_loop_bound",
      "replace_block",
      "set_contract",
      "set_entry",
    ]);
    const schema = patchJsonSchema() as { properties: { ops: { items: { oneOf: { description?: string }[] } } }; $defs: Record<string, unknown> };
    const ops = schema.properties.ops.items.oneOf;
    expect(ops).toHaveLength(PATCH_OPS.length);
    expect(ops.every((o) => typeof o.description === "string" && o.description.length > 20)).toBe(true);
    expect(Object.keys(schema.$defs).sort()).toEqual(["BlockId", "EdgeCondition", "JsonSchema", "JsonValue", "Max", "PatchBinding", "ValuePath"]);
  });

  it("reads a model's JSON answer, and says where a wrong one is wrong", () => {
    const ok = parsePatch({ reason: "route refunds", ops: [{ op: "connect", from: "a", to: "b", when: { kind: "case", field: "kind", equals: "refund" } }] });
    expect(ok).toEqual({ ok: true, patch: { reason: "route refunds", ops: [{ op: "connect", from: "a", to: "b", when: { kind: "case", field: "kind", equals: "refund" } }] } });
    const bad = parsePatch({ ops: [{ op: "connect", from: "a" }, { op: "add", block: "x" }, { op: "bind", block: "b", binding: { kind: "ref", node: "a" } }] });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems.map((p) => p.path.join("."))).toEqual(["ops.0.to", "ops.1.op", "ops.2.binding.kind"]);
  });

  it("accepts only bindings the GraphDef format accepts", () => {
    const bindings: BindingDef[] = [
      { kind: "input", path: [] },
      { kind: "output", node: "a", path: ["x", 0], optional: true },
      { kind: "literal", value: { nested: [1, "two", null] } },
      { kind: "object", fields: { a: { kind: "first", of: [{ kind: "output", node: "b", path: ["y"] }, { kind: "literal", value: "" }] } } },
    ];
    const nodeInput = (GraphDefSchema as unknown as z.ZodObject<{ output: z.ZodOptional<z.ZodType> }>).shape.output;
    for (const binding of bindings) {
      expect(PatchBindingSchema.safeParse(binding).success).toBe(true);
      expect(nodeInput.safeParse(binding).success).toBe(true);
    }
    for (const wrong of [{ kind: "output", node: "not an id", path: [] }, { kind: "first", of: [] }, { kind: "input", path: [-1] }]) {
      expect(PatchBindingSchema.safeParse(wrong).success).toBe(false);
      expect(nodeInput.safeParse(wrong).success).toBe(false);
    }
  });
});
