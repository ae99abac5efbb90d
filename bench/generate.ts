import type { BindingDef, EdgeDef, GraphDef, JsonSchema, NodeDef } from "@blockwork/spec";
import { GRAPH_DEF_FORMAT } from "@blockwork/spec";

const input: JsonSchema = {
  type: "object",
  properties: { text: { type: "string", minLength: 1 }, n: { type: "integer", minimum: 0 }, tag: { type: "string" } },
  required: ["text", "n"],
};
const output: JsonSchema = {
  type: "object",
  properties: { text: { type: "string", minLength: 1 }, n: { type: "integer", minimum: 0, maximum: 1000 }, kind: { type: "string", enum: ["left", "right"] } },
  required: ["text", "n", "kind"],
  additionalProperties: false,
};

/**
 * A GraphDef of `size` blocks shaped like real graphs: chains, a route every 10 blocks whose two
 * branches merge again (read with firstOf), a parallel fan-out joined every 25 blocks, and a
 * bounded loop every 50. Every block has its own copy of the schemas, as a loaded JSON file would.
 */
export function generateGraph(size: number): GraphDef {
  const nodes: NodeDef[] = [];
  const edges: EdgeDef[] = [];
  const ref = (node: string, field: string): BindingDef => ({ kind: "output", node, path: [field] });
  const add = (id: string, bind: Record<string, BindingDef>) =>
    nodes.push({ id, kind: "code", block: "step", contract: clone({ input, output }), input: { kind: "object", fields: bind } });

  add("b0", { text: { kind: "input", path: ["text"] }, n: { kind: "literal", value: 0 } });
  let last = "b0";
  let i = 1;
  while (i < size) {
    const id = `b${i}`;
    if (i % 10 === 0 && i + 3 <= size) {
      // A route on `kind` whose branches merge: the merge reads firstOf(left, right).
      const [l, r, m] = [`b${i}`, `b${i + 1}`, `b${i + 2}`];
      add(l, { text: ref(last, "text"), n: ref(last, "n") });
      add(r, { text: ref(last, "text"), n: ref(last, "n"), tag: { kind: "literal", value: "right" } });
      add(m, { text: { kind: "first", of: [ref(l, "text"), ref(r, "text")] }, n: ref(last, "n") });
      edges.push({ from: last, to: l, when: { kind: "case", field: "kind", equals: "left" } });
      edges.push({ from: last, to: r, when: { kind: "case", field: "kind", equals: "right" } });
      edges.push({ from: l, to: m }, { from: r, to: m });
      last = m;
      i += 3;
    } else if (i % 25 === 0 && i + 3 <= size) {
      // A parallel fan-out joined by a join-all block that reads both branches.
      const [a, b, j] = [`b${i}`, `b${i + 1}`, `b${i + 2}`];
      add(a, { text: ref(last, "text"), n: ref(last, "n") });
      add(b, { text: ref(last, "text"), n: ref(last, "n") });
      add(j, { text: ref(a, "text"), n: ref(b, "n") });
      edges.push({ from: last, to: a }, { from: last, to: b }, { from: a, to: j }, { from: b, to: j });
      last = j;
      i += 3;
    } else {
      add(id, { text: ref(last, "text"), n: ref(last, "n") });
      edges.push({ from: last, to: id });
      // Every 50 blocks, a bounded loop back over the last step.
      if (i % 50 === 49 && i < size - 1) edges.push({ from: id, to: last, max: 3 });
      last = id;
      i += 1;
    }
  }
  return {
    format: GRAPH_DEF_FORMAT,
    id: `generated-${size}`,
    contract: { input, output },
    entry: ["b0"],
    nodes,
    edges,
    output: { kind: "output", node: last, path: [] },
  };
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
