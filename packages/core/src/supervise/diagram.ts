import type { AnyStateMachine } from "xstate";
import { type DirectedGraphNode, toDirectedGraph } from "xstate/graph";

/**
 * A Mermaid `stateDiagram-v2` of an XState machine, read from the machine itself (xstate/graph's
 * `toDirectedGraph`), so the pictures in docs/supervision.md cannot drift from the code: a test
 * compares them.
 */
export function stateDiagram(machine: AnyStateMachine): string {
  const graph = toDirectedGraph(machine);
  const lines = ["stateDiagram-v2", `  [*] --> ${name(String(machine.config.initial))}`];
  const visit = (node: DirectedGraphNode) => {
    for (const edge of node.edges) {
      // An unguarded transition after guarded ones on the same event is their "otherwise".
      const guarded = node.edges.some((e) => e !== edge && e.label.text === edge.label.text && e.transition.guard);
      const guard = edge.transition.guard ? ` [${guardName(edge.transition.guard)}]` : guarded ? " [otherwise]" : "";
      lines.push(`  ${name(edge.source.key)} --> ${name(edge.target.key)}: ${edge.label.text}${guard}`);
    }
    if (node.stateNode.type === "final") lines.push(`  ${name(node.stateNode.key)} --> [*]`);
    for (const child of node.children) visit(child);
  };
  for (const child of graph.children) visit(child);
  return `${lines.join("\n")}\n`;
}

function name(key: string): string {
  return key.replace(/[^A-Za-z0-9_]/g, "_");
}

function guardName(guard: unknown): string {
  if (typeof guard === "string") return guard;
  const g = guard as { type?: string; name?: string; guards?: unknown[] };
  // and([...]) / or([...]) are functions carrying the guards they combine.
  if (Array.isArray(g.guards)) return g.guards.map(guardName).join(` ${g.name === "or" ? "or" : "and"} `);
  return g.type ?? g.name ?? "guard";
}
