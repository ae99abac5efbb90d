import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BLOB_CONTENT_PROPERTY, BLOB_KEYWORD, blob, blobHandlesIn, check, compat, createGraph, defineContract, isBlobHandle, toJsonSchema } from "../src/index.js";

const handle = { $blob: `sha256:${"a".repeat(64)}`, size: 52_428_800, mediaType: "text/plain", preview: "line 0: ..." };

describe("blob(): a contract field that holds a handle, not the content", () => {
  it("accepts handles and nothing else: no inlined content, no wrong media type", () => {
    const text = blob({ mediaType: "text/plain" });
    expect(text.parse(handle)).toEqual(handle);
    expect(text.safeParse({ ...handle, [BLOB_CONTENT_PROPERTY]: "the whole corpus" }).success).toBe(false);
    expect(text.safeParse({ ...handle, mediaType: "application/json" }).success).toBe(false);
    expect(text.safeParse({ ...handle, $blob: "sha256:short" }).success).toBe(false);
    expect(text.safeParse({ ...handle, preview: "x".repeat(241) }).success).toBe(false);
    expect(blob().parse({ ...handle, mediaType: "image/png" }).mediaType).toBe("image/png");
    expect(blob({ mediaType: ["text/csv", "text/plain"] }).safeParse(handle).success).toBe(true);
  });

  it("is marked in JSON Schema with its media types and content schema", () => {
    const json = toJsonSchema(blob({ mediaType: "application/json", content: z.object({ rows: z.array(z.number()) }) }), "output") as Record<string, unknown>;
    expect(json[BLOB_KEYWORD]).toEqual({ mediaTypes: ["application/json"], content: expect.objectContaining({ type: "object" }) });
    expect((json["properties"] as Record<string, unknown>)[BLOB_CONTENT_PROPERTY]).toMatchObject({ properties: { rows: { type: "array" } } });
  });

  it("lets compat compare two handles: media types and content schemas", () => {
    const out = (s: z.ZodType) => toJsonSchema(s, "output");
    const inp = (s: z.ZodType) => toJsonSchema(s, "input");
    const numbers = blob({ mediaType: "application/json", content: z.object({ rows: z.array(z.number()) }) });
    const integers = blob({ mediaType: "application/json", content: z.object({ rows: z.array(z.number().int()) }) });
    const strings = blob({ mediaType: "application/json", content: z.object({ rows: z.array(z.string()) }) });
    const anyJson = blob({ mediaType: "application/json" });
    expect(compat(out(integers), inp(numbers)).verdict).toBe("yes");
    expect(compat(out(numbers), inp(integers)).verdict).toBe("no");
    expect(compat(out(numbers), inp(strings))).toMatchObject({ verdict: "no", path: [BLOB_CONTENT_PROPERTY, "rows", 0] });
    // A typed handle fits a port that takes any JSON handle; a text handle does not.
    expect(compat(out(numbers), inp(anyJson)).verdict).toBe("yes");
    expect(compat(out(blob({ mediaType: "text/plain" })), inp(anyJson))).toMatchObject({ verdict: "no", path: ["mediaType"] });
  });

  it("makes blockwork check refuse a binding of a text blob into a port that wants a JSON blob", () => {
    const produce = defineContract({ id: "produce", input: z.object({}), output: z.object({ data: blob({ mediaType: "text/plain" }) }) }).implement(() => ({ data: handle }));
    const consume = defineContract({ id: "consume", input: z.object({ data: blob({ mediaType: "application/json" }) }), output: z.object({ ok: z.boolean() }) }).implement(() => ({ ok: true }));
    const graph = createGraph({ id: "blobs", input: z.object({}), output: z.object({ ok: z.boolean() }) })
      .then(produce)
      // Deliberately miswired, as a GraphDef from elsewhere could be
      .then(consume, (_, { produce }) => ({ data: produce.data as never }))
      .output((_, { consume }) => consume)
      .build();
    const issues = check(graph.def);
    expect(issues.map((i) => i.code)).toContain("binding_type_mismatch");
    expect(issues.find((i) => i.code === "binding_type_mismatch")?.message).toMatch(/mediaType/);
  });

  it("finds the handles inside any JSON value", () => {
    const other = { ...handle, $blob: `sha256:${"b".repeat(64)}` };
    expect(blobHandlesIn({ a: [handle, { b: other, c: handle }], d: "x" })).toEqual([handle, other]);
    expect(isBlobHandle({ ...handle, size: "big" })).toBe(false);
  });
});
