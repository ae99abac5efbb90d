import { describe, expect, it } from "vitest";
import { z } from "zod";
import { classify, fetchDoc, reply, summarise } from "../../test/fixtures/blocks.js";
import { createGraph } from "../builder/graph-builder.js";
import { defineCatalogue } from "../catalogue/catalogue.js";
import { toMermaid } from "../export/mermaid.js";
import { applyPatch } from "./apply.js";
import { changeOf, describeChange, isEmptyChange } from "./change.js";
import { formatBinding, formatEdge, formatSchema } from "./notation.js";

const graph = createGraph({ id: "g", input: z.object({ url: z.string() }), output: z.object({ summary: z.string() }) })
  .then(fetchDoc)
  .then(summarise, (_, { fetchDoc }) => ({ text: fetchDoc.text }))
  .add(reply, (_, { summarise }) => ({ text: summarise.summary }))
  .edge("summarise", "reply", { max: 1 })
  .output((_, { summarise }) => ({ summary: summarise.summary }))
  .build();
const catalogue = defineCatalogue([classify, reply]);

const patched = applyPatch(
  graph.def,
  {
    ops: [
      { op: "add_block", block: "classify", input: { kind: "object", fields: { text: { kind: "output", node: "summarise", path: ["summary"] } } } },
      { op: "connect", from: "summarise", to: "classify" },
      { op: "remove_block", id: "reply" },
      { op: "bind", block: "summarise", field: "maxWords", binding: { kind: "literal", value: 20 } },
    ],
  },
  catalogue,
);

describe("changeOf and describeChange", () => {
  it("finds added, removed and changed blocks and edges", () => {
    const change = changeOf(graph.def, patched.def);
    expect(change).toMatchObject({
      addedBlocks: ["classify"],
      removedBlocks: [{ id: "reply" }],
      changedBlocks: [{ id: "summarise", aspects: ["input"] }],
      addedEdges: [{ from: "summarise", to: "classify" }],
      removedEdges: [{ from: "summarise", to: "reply", max: 1 }],
      changedEdges: [],
      contract: [],
      output: false,
    });
    expect(isEmptyChange(change)).toBe(false);
    expect(isEmptyChange(changeOf(graph.def, structuredClone(graph.def)))).toBe(true);
    expect(describeChange(change, graph.def, patched.def)).toMatchInlineSnapshot(`
      "+ block "classify" (classify): input {text: summarise.summary}
      - block "reply" (reply)
      ~ block "summarise": input {text: fetchDoc.text, maxWords: 20}
      + edge summarise -> classify
      - edge summarise -> reply max 1"
    `);
  });

  it("tells a changed bound from a new edge", () => {
    const bound = applyPatch(graph.def, { ops: [{ op: "set_loop_bound", from: "summarise", to: "reply", max: 3 }] });
    const change = changeOf(graph.def, bound.def);
    expect(change.changedEdges).toEqual([{ before: { from: "summarise", to: "reply", max: 1 }, after: { from: "summarise", to: "reply", max: 3 } }]);
    expect(describeChange(change, graph.def, bound.def)).toBe("~ edge summarise -> reply max 1 → summarise -> reply max 3");
  });
});

describe("the Mermaid view of a change", () => {
  it("marks added blocks and edges green, changed ones yellow, removed ones red and dashed", () => {
    const change = changeOf(graph.def, patched.def);
    expect(toMermaid(patched.def, { highlight: change })).toMatchInlineSnapshot(`
      "flowchart TD
        start(("start"))
        fetchDoc["fetchDoc"]
        summarise["summarise"]
        classify["classify"]
        end_1(("end"))
        start --> fetchDoc
        fetchDoc --> summarise
        summarise --> classify
        classify --> end_1
        reply["reply"]
        summarise -. "removed" .-> reply
        classDef added fill:#dcfce7,stroke:#15803d,stroke-width:2px
        class classify added
        linkStyle 2 stroke:#15803d,stroke-width:2px
        classDef changed fill:#fef9c3,stroke:#a16207,stroke-width:2px
        class summarise changed
        classDef removed fill:#fee2e2,stroke:#b91c1c,stroke-dasharray:4 3
        class reply removed
        linkStyle 4 stroke:#b91c1c,stroke-dasharray:4 3"
    `);
  });

  it("draws nothing extra without a highlight", () => {
    expect(toMermaid(patched.def, { highlight: {} })).toBe(toMermaid(patched.def));
  });
});

describe("the compact notation", () => {
  it("writes bindings, edges and schemas briefly", () => {
    expect(formatBinding({ kind: "object", fields: { a: { kind: "input", path: ["x", 0] }, b: { kind: "output", node: "n", path: ["y"], optional: true }, "c-d": { kind: "first", of: [{ kind: "output", node: "m", path: [] }, { kind: "literal", value: "z" }] } } })).toBe(
      '{a: input.x[0], b: maybe(n.y), "c-d": firstOf(m, "z")}',
    );
    expect(formatEdge({ from: "a", to: "b", when: { kind: "case", field: "ok", equals: true }, max: 2, onExhausted: "c" })).toBe("a -> b [ok = true] max 2 onExhausted c");
    const schema = z.toJSONSchema(z.object({ n: z.number().int().min(1).max(20).default(3), tags: z.array(z.enum(["a", "b"])).max(3), code: z.string().regex(/^[a-z]+$/).optional(), x: z.string().nullable() }), { io: "input" });
    expect(formatSchema(schema as never)).toBe('{n?: int(1..20) = 3, tags: ("a" | "b")[](max 3), code?: string</^[a-z]+$/>, x: string | null}');
    expect(formatSchema({ type: "object", properties: { a: { type: "string" } } }, { maxLength: 8 })).toBe("{a?: st…");
  });
});
