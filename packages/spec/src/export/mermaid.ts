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
  drawGraph(def, { prefix: "", lines, expand: options.expandSubgraphs ?? true, indent: "  ", ids: new MermaidIds() });
  return lines.join("\n");
}

interface Drawing {
  readonly prefix: string;
  readonly lines: string[];
  readonly expand: boolean;
  readonly indent: string;
  readonly ids: MermaidIds;
}

function drawGraph(def: GraphDef, d: Drawing): void {
  const { prefix, lines, indent } = d;
  const id = (block: string) => d.ids.of(`${prefix}${block}`);
  const start = d.ids.of(`${prefix}\u0000start`, "start");
  const end = d.ids.of(`${prefix}\u0000end`, "end");
  lines.push(`${indent}${start}(("start"))`);
  for (const node of def.nodes) drawNode(node, d);
  lines.push(`${indent}${end}(("end"))`);
  for (const entry of def.entry) lines.push(`${indent}${start} --> ${id(entry)}`);
  for (const edge of def.edges) {
    lines.push(`${indent}${id(edge.from)} ${arrow(edge)} ${id(edge.to)}`);
    if (edge.onExhausted !== undefined) lines.push(`${indent}${id(edge.from)} -. ${label(`exhausted ${edge.from}→${edge.to}`)} .-> ${id(edge.onExhausted)}`);
  }
  const hasSuccessEdge = new Set(def.edges.filter((e) => e.when?.kind !== "error").map((e) => e.from));
  for (const node of def.nodes) if (!hasSuccessEdge.has(node.id)) lines.push(`${indent}${id(node.id)} --> ${end}`);
}

function drawNode(node: NodeDef, d: Drawing): void {
  const { prefix, lines, indent } = d;
  const id = d.ids.of(`${prefix}${node.id}`);
  const join = node.join === "any" ? " (join: any)" : "";
  if (node.kind === "graph" && d.expand) {
    lines.push(`${indent}subgraph ${id} [${label(`${node.id}: graph ${node.graph.id}${join}`)}]`);
    lines.push(`${indent}  direction TB`);
    drawGraph(node.graph, { ...d, prefix: `${prefix}${node.id}/`, indent: `${indent}  ` });
    lines.push(`${indent}end`);
    return;
  }
  switch (node.kind) {
    case "graph":
      lines.push(`${indent}${id}[[${label(`${node.id}: graph ${node.graph.id}${join}`)}]]`);
      return;
    case "map": {
      const item = node.item.kind === "graph" ? `graph ${node.item.graph.id}` : node.item.block;
      lines.push(`${indent}${id}[/${label(`${node.id}: map of ${item} (×${node.concurrency ?? 8})${join}`)}/]`);
      return;
    }
    case "code":
      lines.push(`${indent}${id}[${label(`${node.block === node.id ? node.id : `${node.id}: ${node.block}`}${join}`)}]`);
  }
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

/**
 * Mermaid node ids: the block id where it is a safe, unused name (letters, digits, `_`), made
 * safe and numbered otherwise, so nested and odd ids never collide and the source stays readable.
 */
class MermaidIds {
  private readonly byPath = new Map<string, string>();
  private readonly used = new Set(["end", "graph", "subgraph", "flowchart", "style", "class", "click"]);

  of(path: string, wanted = path): string {
    const known = this.byPath.get(path);
    if (known !== undefined) return known;
    const base = wanted.replace(/[^A-Za-z0-9_]/g, "_") || "n";
    let id = this.used.has(base) || /^\d/.test(base) ? `${base}_1` : base;
    for (let n = 2; this.used.has(id); n++) id = `${base}_${n}`;
    this.used.add(id);
    this.byPath.set(path, id);
    return id;
  }
}

/** A quoted Mermaid label; quotes and angle brackets become entities. */
function label(text: string): string {
  return `"${text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;")}"`;
}
