import type { EdgeDef, GraphDef, NodeDef } from "../def/graph-def.js";

/** Options of {@link toMermaid}. */
export interface MermaidOptions {
  /** `TD` (top-down, default) or `LR` (left-right). */
  readonly direction?: "TD" | "LR";
  /** Draw subgraphs as nested boxes (default) or as single blocks. */
  readonly expandSubgraphs?: boolean;
}

/**
 * Draws a GraphDef as a Mermaid flowchart: blocks, edges with their route cases, error edges
 * (dotted), loop bounds, the start and the end; subgraphs as nested boxes.
 *
 * @example
 * console.log(toMermaid(graph.def));
 */
export function toMermaid(def: GraphDef, options: MermaidOptions = {}): string {
  const lines = [`flowchart ${options.direction ?? "TD"}`];
  drawGraph(def, "", lines, options.expandSubgraphs ?? true, "  ");
  return lines.join("\n");
}

function drawGraph(def: GraphDef, prefix: string, lines: string[], expand: boolean, indent: string): void {
  const id = (block: string) => mermaidId(prefix, block);
  const start = mermaidId(prefix, "__start");
  const end = mermaidId(prefix, "__end");
  lines.push(`${indent}${start}(("start"))`);
  for (const node of def.nodes) drawNode(node, prefix, lines, expand, indent);
  lines.push(`${indent}${end}(("end"))`);
  for (const entry of def.entry) lines.push(`${indent}${start} --> ${id(entry)}`);
  for (const edge of def.edges) {
    lines.push(`${indent}${id(edge.from)} ${arrow(edge)} ${id(edge.to)}`);
    if (edge.onExhausted !== undefined) lines.push(`${indent}${id(edge.from)} -. ${label(`exhausted ${edge.from}→${edge.to}`)} .-> ${id(edge.onExhausted)}`);
  }
  const hasSuccessEdge = new Set(def.edges.filter((e) => e.when?.kind !== "error").map((e) => e.from));
  for (const node of def.nodes) if (!hasSuccessEdge.has(node.id)) lines.push(`${indent}${id(node.id)} --> ${end}`);
}

function drawNode(node: NodeDef, prefix: string, lines: string[], expand: boolean, indent: string): void {
  const id = mermaidId(prefix, node.id);
  const join = node.join === "any" ? " (join: any)" : "";
  if (node.kind === "graph" && expand) {
    lines.push(`${indent}subgraph ${id} [${label(`${node.id}: graph ${node.graph.id}${join}`)}]`);
    lines.push(`${indent}  direction TB`);
    drawGraph(node.graph, `${prefix}${node.id}/`, lines, expand, `${indent}  `);
    lines.push(`${indent}end`);
    return;
  }
  const text = node.kind === "graph" ? `${node.id}: graph ${node.graph.id}` : node.block === node.id ? node.id : `${node.id}: ${node.block}`;
  lines.push(node.kind === "graph" ? `${indent}${id}[[${label(text + join)}]]` : `${indent}${id}[${label(text + join)}]`);
}

function arrow(edge: EdgeDef): string {
  const bound = edge.max === undefined ? "" : ` (max ${edge.max})`;
  const when = edge.when;
  if (when === undefined) return bound ? `-- ${label(bound.trim())} -->` : "-->";
  switch (when.kind) {
    case "case":
      return `-- ${label(`${when.field} = ${JSON.stringify(when.equals)}${bound}`)} -->`;
    case "otherwise":
      return `-- ${label(`otherwise${bound}`)} -->`;
    case "error":
      return `-. ${label(`error${bound}`)} .->`;
  }
}

/** Mermaid ids allow letters, digits and `_`; block paths are encoded so that they stay unique. */
function mermaidId(prefix: string, block: string): string {
  const raw = `${prefix}${block}`;
  return `n_${raw.replace(/[^A-Za-z0-9]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`)}`;
}

/** A quoted Mermaid label; quotes and angle brackets become entities. */
function label(text: string): string {
  return `"${text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;")}"`;
}
