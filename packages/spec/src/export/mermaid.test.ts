import { describe, expect, it } from "vitest";
import { z } from "zod";
import { classify, fetchDoc, reply, summarise } from "../../test/fixtures/blocks.js";
import { createGraph } from "../index.js";
import { toMermaid } from "./mermaid.js";

describe("toMermaid", () => {
  it("draws blocks, cases, otherwise, error edges, bounds, subgraphs, start and end", () => {
    const inner = createGraph({ id: "inner", input: z.object({ text: z.string() }), output: z.object({ summary: z.string() }) })
      .then(summarise)
      .output((_, { summarise }) => summarise)
      .build();
    const graph = createGraph({ id: "g", input: z.object({ url: z.string() }), output: z.object({ reply: z.string() }) })
      .then(fetchDoc)
      .then(inner.as("digest"), (_, { fetchDoc }) => ({ text: fetchDoc.text }))
      .then(classify, (_, { digest }) => ({ text: digest.summary }))
      .add(reply, (_, { digest }) => ({ text: digest.summary }))
      .add(reply.as("end"), (input) => ({ text: input.url }))
      .route("classify", "kind", { billing: "reply", tech: { to: "fetchDoc", max: 2, onExhausted: "end" } }, "end")
      .onError("fetchDoc", "end")
      .output(() => ({ reply: "x" }))
      .build();
    expect(toMermaid(graph.def, { direction: "LR" })).toMatchInlineSnapshot(`
      "flowchart LR
        start(("start"))
        fetchDoc["fetchDoc"]
        subgraph digest ["digest: graph inner"]
          direction TB
          start_1(("start"))
          digest_summarise["summarise"]
          end_2(("end"))
          start_1 --> digest_summarise
          digest_summarise --> end_2
        end
        classify["classify"]
        reply["reply"]
        end_3["end: reply"]
        end_1(("end"))
        start --> fetchDoc
        fetchDoc --> digest
        digest --> classify
        classify -- "kind = #quot;billing#quot;" --> reply
        classify -- "kind = #quot;tech#quot; (max 2)" --> fetchDoc
        classify -. "exhausted classify→fetchDoc" .-> end_3
        classify -- "otherwise" --> end_3
        fetchDoc -. "error" .-> end_3
        reply --> end_1
        end_3 --> end_1"
    `);
  });

  it("colours blocks by run status, nested paths and map items included", () => {
    const inner = createGraph({ id: "inner", input: z.object({ text: z.string() }), output: z.object({ summary: z.string() }) })
      .then(summarise)
      .output((_, { summarise }) => summarise)
      .build();
    const graph = createGraph({ id: "g", input: z.object({ url: z.string() }), output: z.object({ reply: z.string() }) })
      .then(fetchDoc)
      .then(inner.as("digest"), (_, { fetchDoc }) => ({ text: fetchDoc.text }))
      .then(reply, (_, { digest }) => ({ text: digest.summary }))
      .output((_, { reply }) => reply)
      .build();
    const text = toMermaid(graph.def, { status: { fetchDoc: "completed", "digest/summarise": "failed", reply: "suspended", "nowhere/x": "running" } });
    expect(text.split("\n").slice(-6)).toEqual([
      "  classDef completed fill:#dcfce7,stroke:#15803d,stroke-width:2px",
      "  class fetchDoc completed",
      "  classDef failed fill:#fee2e2,stroke:#b91c1c,stroke-width:3px",
      "  class digest_summarise failed",
      "  classDef suspended fill:#fef9c3,stroke:#a16207,stroke-width:3px",
      "  class reply suspended",
    ]);
    // Collapsed, the subgraph carries its block's status.
    expect(toMermaid(graph.def, { expandSubgraphs: false, status: { "digest/summarise": "failed" } })).toContain("class digest failed");
  });
});
