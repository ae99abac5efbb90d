import type { GraphDef, NodeDef } from "../def/graph-def.js";
import { Flow, type FlowEdge } from "./flow.js";

/**
 * The edges of `def.edges` that close loops (back edges of a depth-first walk from the entry, in
 * the same order the checker walks). The runtime treats them as loop re-entries; the checker's
 * "certainly completed before" analysis runs on the graph without them. Sharing this function
 * keeps the two in agreement.
 */
export function loopEdges(def: GraphDef): ReadonlySet<number> {
  const index = new Map<string, number>();
  const nodeAt: number[] = [];
  def.nodes.forEach((node: NodeDef, i) => {
    if (index.has(node.id)) return;
    index.set(node.id, nodeAt.length);
    nodeAt.push(i);
  });
  const flow = new Flow(def, index, nodeAt);
  const back = new Set<number>();
  flow.edges.forEach((edge: FlowEdge, e) => {
    if (flow.back[e] && edge.def !== undefined && edge.kind !== "exhausted") back.add(edge.def);
  });
  return back;
}
