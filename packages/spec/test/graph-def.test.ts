import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createGraph, graphDefJsonSchema, parseGraphDef, parseGraphDefJson } from "../src/index.js";
import { fetchDoc, summarise } from "./fixtures/blocks.js";

const published = JSON.parse(readFileSync(new URL("../schema/graph-def.schema.json", import.meta.url), "utf8")) as object;

const graph = createGraph({ id: "sum", input: z.object({ url: z.string() }), output: z.object({ summary: z.string() }) })
  .then(fetchDoc)
  .then(summarise, (_, { fetchDoc }) => ({ text: fetchDoc.text }))
  .onError("fetchDoc", "summarise")
  .output((_, { summarise }) => summarise)
  .build();

describe("the published GraphDef JSON Schema", () => {
  it("is up to date with the zod schema (run `npm run schema:write` after changing it)", () => {
    expect(published).toEqual(graphDefJsonSchema());
  });

  it("accepts what the builder produces and rejects what the loader rejects (checked with ajv)", () => {
    const ajv = new Ajv2020.default({ strict: false, allErrors: true });
    const validate = ajv.compile(published);
    expect(validate(JSON.parse(JSON.stringify(graph.def)))).toBe(true);
    const broken = { ...graph.def, edges: [{ from: "fetchDoc", to: "summarise", when: { kind: "sometimes" } }] };
    expect(validate(broken)).toBe(false);
    expect(parseGraphDef(broken).ok).toBe(false);
  });
});

describe("loading GraphDefs", () => {
  it("says where a JSON syntax error is", () => {
    const result = parseGraphDefJson('{\n  "format": "blockwork/graph@1",\n  "id": "x",,\n}');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatchObject({ line: 3, message: expect.stringContaining("invalid JSON") });
  });

  it("reports a missing or unsupported format first", () => {
    expect(parseGraphDef({ id: "x" })).toEqual({
      ok: false,
      problems: [{ path: ["format"], message: 'missing "format": a GraphDef starts with "format": "blockwork/graph@1"' }],
    });
    expect(parseGraphDef({ format: "blockwork/graph@9" })).toMatchObject({ ok: false, problems: [{ message: expect.stringContaining("unsupported format") }] });
  });

  it("reports each problem with its path", () => {
    const def = JSON.parse(JSON.stringify(graph.def)) as Record<string, unknown> & { nodes: Record<string, unknown>[] };
    (def.nodes[0] as Record<string, unknown>)["id"] = "bad id";
    (def.nodes[1] as Record<string, unknown>)["colour"] = "blue";
    def["edges"] = [{ from: "fetchDoc" }];
    const result = parseGraphDef(def);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => [p.path.join("."), p.message])).toEqual([
      ["nodes.0.id", expect.stringContaining("must start with a letter or _")],
      ["nodes.1", 'unknown key "colour"'],
      ["edges.0.to", expect.stringContaining("expected string")],
    ]);
  });
});
