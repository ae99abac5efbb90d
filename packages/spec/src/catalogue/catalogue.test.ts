import { describe, expect, it } from "vitest";
import { z } from "zod";
import { classify, count, fetchDoc, reply, summarise } from "../../test/fixtures/blocks.js";
import { createGraph } from "../builder/graph-builder.js";
import { mapOf } from "../builder/map.js";
import { contractToDef } from "../contract/contract.js";
import { applyPatch } from "../patch/apply.js";
import { catalogueOf, defineCatalogue, isCatalogue, mergeCatalogues } from "./catalogue.js";
import { contractFromDef, graphFromDef } from "./graph-from-def.js";

const pipeline = createGraph({ id: "pipeline", input: z.object({ url: z.string() }), output: z.object({ summary: z.string() }) })
  .then(fetchDoc)
  .then(summarise, (_, { fetchDoc }) => ({ text: fetchDoc.text }))
  .output((_, { summarise }) => ({ summary: summarise.summary }))
  .build();

describe("defineCatalogue", () => {
  it("describes blocks by id, purpose and contract only", () => {
    const catalogue = defineCatalogue([fetchDoc, { block: summarise, purpose: "Keeps the first words." }]);
    expect(isCatalogue(catalogue)).toBe(true);
    expect(catalogue.describe()).toEqual([
      { id: "fetchDoc", purpose: "Fetches a document.", kind: "code", contract: contractToDef(fetchDoc.contract) },
      { id: "summarise", purpose: "Keeps the first words.", kind: "code", contract: contractToDef(summarise.contract) },
    ]);
    expect(JSON.parse(JSON.stringify(catalogue.describe()))).toEqual(catalogue.describe());
  });

  it("makes the node a patch adds, as the builder would", () => {
    const catalogue = defineCatalogue([reply.as("answer"), pipeline, mapOf(summarise, { id: "each" })]);
    expect(catalogue.nodeFor("answer", "r")).toEqual({ id: "r", kind: "code", block: "reply", contract: contractToDef(reply.contract) });
    expect(catalogue.nodeFor("pipeline", "p")).toMatchObject({ id: "p", kind: "graph", graph: pipeline.def, contract: pipeline.def.contract });
    expect(catalogue.nodeFor("each", "m")).toMatchObject({ id: "m", kind: "map", item: { kind: "code", block: "summarise" } });
    expect([...catalogue.implementations.keys()]).toEqual(["reply", "pipeline", "summarise"]);
    expect(catalogue.nodeFor("nope", "x")).toBeUndefined();
  });

  it("refuses duplicate ids, two blocks under one implementation name, and non-blocks", () => {
    expect(() => defineCatalogue([count, count])).toThrow(/two entries have the id "count"/);
    const impostor = { ...count, id: "other", run: () => ({ n: 0 }) };
    expect(() => defineCatalogue([count, impostor])).toThrow(/share the implementation name "count"/);
    expect(() => defineCatalogue([{ kind: "code" } as never])).toThrow(/item 0 is not a block/);
  });

  it("lists a built graph's own blocks, and merges catalogues (the first with an id wins)", () => {
    const own = catalogueOf(pipeline);
    expect(own.entries.map((e) => e.id)).toEqual(["fetchDoc", "summarise"]);
    const merged = mergeCatalogues(own, defineCatalogue([classify, { block: reply, id: "summarise" }]));
    expect(merged.entries.map((e) => `${e.id}:${e.block.id}`)).toEqual(["fetchDoc:fetchDoc", "summarise:summarise", "classify:classify"]);
    // The same block from another copy of its module, under another id: left out, not a conflict.
    const copy = { ...summarise, run: () => ({ summary: "" }) };
    expect(mergeCatalogues(own, defineCatalogue([{ block: copy, id: "summary" }])).entries.map((e) => e.id)).toEqual(["fetchDoc", "summarise"]);
  });
});

describe("graphFromDef", () => {
  it("rebuilds a runnable graph block from a patched GraphDef and the catalogue's implementations", () => {
    const catalogue = defineCatalogue([classify]);
    const patched = applyPatch(
      pipeline.def,
      {
        ops: [
          { op: "add_block", block: "classify", input: { kind: "object", fields: { text: { kind: "output", node: "summarise", path: ["summary"] } } } },
          { op: "connect", from: "summarise", to: "classify" },
        ],
      },
      catalogue,
    );
    expect(patched.ok).toBe(true);
    const graph = graphFromDef(patched.def, [catalogue, pipeline], { reuse: pipeline });
    expect(graph).toMatchObject({ kind: "graph", id: "pipeline", def: patched.def });
    expect([...graph.blocks.keys()]).toEqual(["fetchDoc", "summarise", "classify"]);
    // The contract did not change: the original zod schemas are kept.
    expect(graph.contract).toBe(pipeline.contract);
    expect(graph.as("again").id).toBe("again");
  });

  it("names the block whose implementation is missing, and what is available", () => {
    const patched = applyPatch(pipeline.def, { ops: [{ op: "add_block", block: "classify" }] }, defineCatalogue([classify]));
    expect(() => graphFromDef(patched.def, pipeline)).toThrow(/block "classify" of graph "pipeline" needs a code implementation named "classify", and none is available \(implementations: fetchDoc, summarise\)/);
  });

  it("rebuilds a changed contract from JSON Schema: defaults apply, open input objects drop unknown fields, outputs stay exact", () => {
    const original = contractToDef({
      input: z.object({ text: z.string().min(1), nested: z.object({ a: z.number() }).optional(), max: z.number().int().default(3) }),
      output: z.object({ summary: z.string(), tags: z.array(z.enum(["a", "b"])) }),
      error: z.object({ reason: z.string() }),
      resume: undefined,
    } as never);
    const contract = contractFromDef(original);
    const input = contract.input as z.ZodType;
    expect(input.parse({ text: "x", extra: 1, nested: { a: 1, b: 2 } })).toEqual({ text: "x", nested: { a: 1 }, max: 3 });
    expect(input.safeParse({ text: "" }).success).toBe(false);
    const output = contract.output as z.ZodType;
    expect(output.safeParse({ summary: "s", tags: ["a"] }).success).toBe(true);
    expect(output.safeParse({ summary: "s", tags: ["c"] }).success).toBe(false);
    expect(output.safeParse({ summary: "s", tags: [], extra: 1 }).success).toBe(false);
    expect((contract.error as unknown as z.ZodType).safeParse({ reason: "r" }).success).toBe(true);
    const rebuilt = graphFromDef({ ...pipeline.def, contract: original }, pipeline, { reuse: pipeline });
    expect(rebuilt.contract).not.toBe(pipeline.contract);
  });
});
