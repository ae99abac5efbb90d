import type { JournalEntry } from "@blockwork/core";
import type { BindingDef, GraphDef, JsonValue, NodeDef } from "@blockwork/spec";

/**
 * The input each block got, recomputed from the graph's bindings and the journal (the journal
 * holds outputs, not inputs): for the viewer. Values are as bound, before the block's own schema
 * dropped fields it does not declare. Blocks whose bindings read something the journal lacks are
 * left out.
 */
export function blockInputs(def: GraphDef, input: JsonValue, entries: readonly JournalEntry[]): Record<string, JsonValue> {
  const outputs = new Map<string, JsonValue>();
  for (const entry of entries) if (entry.kind === "block.completed") outputs.set(entry.path, entry.output);
  const inputs: Record<string, JsonValue> = {};
  const scope = (graph: GraphDef, prefix: string, graphInput: JsonValue) => {
    for (const node of graph.nodes) {
      const path = `${prefix}${node.id}`;
      const value = node.input === undefined ? graphInput : evaluate(node.input, graphInput, (id) => outputOf(graph, prefix, id, outputs));
      if (value === undefined) continue;
      inputs[path] = value;
      enter(node, path, value);
    }
  };
  const enter = (node: NodeDef, path: string, value: JsonValue) => {
    if (node.kind === "graph") scope(node.graph, `${path}/`, value);
    if (node.kind === "map") {
      const items = (value as { items?: JsonValue[] } | null)?.items;
      if (!Array.isArray(items)) return;
      items.forEach((item, i) => {
        const itemPath = `${path}/${i}`;
        inputs[itemPath] = item;
        if (node.item.kind === "graph") scope(node.item.graph, `${itemPath}/`, item);
      });
    }
  };
  scope(def, "", input);
  return inputs;
}

/** A block's output as later blocks see it: a code block's journaled output; a subgraph's is not journaled. */
function outputOf(graph: GraphDef, prefix: string, id: string, outputs: ReadonlyMap<string, JsonValue>): JsonValue | undefined {
  const direct = outputs.get(`${prefix}${id}`);
  if (direct !== undefined) return direct;
  const node = graph.nodes.find((n) => n.id === id);
  if (node?.kind === "graph" && node.graph.output) {
    return evaluate(node.graph.output, null, (inner) => outputOf(node.graph, `${prefix}${id}/`, inner, outputs));
  }
  return undefined;
}

function at(value: JsonValue | undefined, path: readonly (string | number)[]): JsonValue | undefined {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, JsonValue>)[key];
  }
  return current;
}

function evaluate(binding: BindingDef, input: JsonValue, output: (id: string) => JsonValue | undefined): JsonValue | undefined {
  switch (binding.kind) {
    case "input":
      return at(input, binding.path);
    case "output": {
      const value = at(output(binding.node), binding.path);
      return value === undefined && binding.optional ? null : value;
    }
    case "literal":
      return binding.value;
    case "object": {
      const out: Record<string, JsonValue> = {};
      for (const [field, b] of Object.entries(binding.fields)) {
        const v = evaluate(b, input, output);
        if (v === undefined) return undefined;
        if (v !== null || b.kind !== "output" || !b.optional) out[field] = v;
      }
      return out;
    }
    case "first":
      for (const b of binding.of) {
        const v = evaluate(b, input, output);
        if (v !== undefined && v !== null) return v;
      }
      return undefined;
  }
}
