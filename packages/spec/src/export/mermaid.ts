import type { EdgeDef, GraphDef, NodeDef } from "../def/graph-def.js";
import { formatSchema } from "../patch/notation.js";

/** Options of {@link toMermaid}. */
export interface MermaidOptions {
  /** `TD` (top-down, default) or `LR` (left-right). */
  readonly direction?: "TD" | "LR";
  /** Draw subgraphs as nested boxes (default) or as single blocks. */
  readonly expandSubgraphs?: boolean;
  /**
   * Highlights a change of the graph's top level with classes: added blocks and edges green,
   * changed ones yellow, removed ones (drawn although no longer in the graph) red and dashed. A
   * `GraphChange` (`changeOf(before, after)`) can be passed as it is.
   */
  readonly highlight?: MermaidHighlight;
  /**
   * Colours blocks by where a run stands, by block path (`digest/summarise` inside the subgraph
   * `digest`; `each/3` counts for the map `each`): what a run viewer draws to show the path taken.
   */
  readonly status?: { readonly [path: string]: MermaidStatus };
  /**
   * The path a run took: blocks get their pass counts in their labels (`review ×2`), taken edges
   * (top level and inside drawn subgraphs) are drawn thick with how often they were taken, and
   * failed blocks are marked. See {@link MermaidRun}.
   */
  readonly run?: MermaidRun;
}

/** What {@link MermaidOptions.run} draws, by block path (`digest/normalise`; `each/3` counts for the map `each`). */
export interface MermaidRun {
  /** How many times each block ran to an outcome (completed or failed). */
  readonly passes: { readonly [path: string]: number };
  /** Blocks whose last activation failed. */
  readonly failed?: readonly string[];
  /** How often each edge was taken, keyed `path/from->to` (`digest/normalise->rankSentences`); an onExhausted link as `from->to!exhausted`. */
  readonly edges: { readonly [key: string]: number };
}

/** A block's state in a run, for {@link MermaidOptions.status}. */
export type MermaidStatus = "completed" | "failed" | "running" | "suspended" | "retried";

/** What {@link MermaidOptions.highlight} marks. */
export interface MermaidHighlight {
  readonly addedBlocks?: readonly string[];
  readonly changedBlocks?: readonly (string | { readonly id: string })[];
  /** Blocks that are no longer in the graph, drawn as they were. */
  readonly removedBlocks?: readonly NodeDef[];
  readonly addedEdges?: readonly EdgeDef[];
  readonly changedEdges?: readonly (EdgeDef | { readonly after: EdgeDef })[];
  /** Edges that are no longer in the graph, drawn dashed. */
  readonly removedEdges?: readonly EdgeDef[];
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
  const drawing: Drawing = { prefix: "", lines, expand: options.expandSubgraphs ?? true, indent: "  ", ids: new MermaidIds(), links: { count: 0, ofEdge: new Map() }, taken: [], ...(options.run ? { run: options.run } : {}) };
  drawGraph(def, drawing);
  if (options.highlight) drawHighlight(def, options.highlight, drawing);
  if (options.status) drawStatus(def, options.status, drawing);
  if (options.run) drawRun(def, options.run, drawing);
  return lines.join("\n");
}

interface Drawing {
  readonly prefix: string;
  readonly lines: string[];
  readonly expand: boolean;
  readonly indent: string;
  readonly ids: MermaidIds;
  /** Link statements so far (Mermaid's `linkStyle` numbers them in order), and the top-level edges' numbers. */
  readonly links: { count: number; readonly ofEdge: Map<EdgeDef, number> };
  /** With a run: what it took, and the numbers of the links it took. */
  readonly run?: MermaidRun;
  readonly taken: number[];
}

function drawGraph(def: GraphDef, d: Drawing): void {
  const { prefix, lines, indent } = d;
  const id = (block: string) => d.ids.of(`${prefix}${block}`);
  const start = d.ids.of(`${prefix}\u0000start`, "start");
  const end = d.ids.of(`${prefix}\u0000end`, "end");
  lines.push(`${indent}${start}(("start"))`);
  for (const node of def.nodes) drawNode(node, d);
  lines.push(`${indent}${end}(("end"))`);
  const link = (line: string) => {
    lines.push(line);
    return d.links.count++;
  };
  const countOf = (key: string) => d.run?.edges[`${prefix}${key}`] ?? 0;
  for (const entry of def.entry) link(`${indent}${start} --> ${id(entry)}`);
  for (const edge of def.edges) {
    const times = countOf(`${edge.from}->${edge.to}`);
    const n = link(`${indent}${id(edge.from)} ${arrow(edge, times)} ${id(edge.to)}`);
    if (times > 0) d.taken.push(n);
    if (prefix === "") d.links.ofEdge.set(edge, n);
    if (edge.onExhausted !== undefined) {
      const exhausted = countOf(`${edge.from}->${edge.onExhausted}!exhausted`);
      const m = link(`${indent}${id(edge.from)} -. ${label(`exhausted ${edge.from}→${edge.to}${exhausted > 0 ? ` ×${exhausted}` : ""}`)} .-> ${id(edge.onExhausted)}`);
      if (exhausted > 0) d.taken.push(m);
    }
  }
  const hasSuccessEdge = new Set(def.edges.filter((e) => e.when?.kind !== "error").map((e) => e.from));
  for (const node of def.nodes) if (!hasSuccessEdge.has(node.id)) link(`${indent}${id(node.id)} --> ${end}`);
}

const HIGHLIGHT = {
  added: { node: "fill:#dcfce7,stroke:#15803d,stroke-width:2px", link: "stroke:#15803d,stroke-width:2px" },
  changed: { node: "fill:#fef9c3,stroke:#a16207,stroke-width:2px", link: "stroke:#a16207,stroke-width:2px" },
  removed: { node: "fill:#fee2e2,stroke:#b91c1c,stroke-dasharray:4 3", link: "stroke:#b91c1c,stroke-dasharray:4 3" },
} as const;

/** Removed blocks and edges (drawn after the graph), then classes and link styles for the change. */
function drawHighlight(def: GraphDef, h: MermaidHighlight, d: Drawing): void {
  const { lines, indent } = d;
  const present = new Set(def.nodes.map((n) => n.id));
  const removed = (h.removedBlocks ?? []).filter((n) => !present.has(n.id));
  for (const node of removed) drawNode(node, { ...d, expand: false });
  const known = new Set([...present, ...removed.map((n) => n.id)]);
  const removedLinks: number[] = [];
  for (const edge of h.removedEdges ?? []) {
    if (!known.has(edge.from) || !known.has(edge.to)) continue;
    lines.push(`${indent}${d.ids.of(edge.from)} -. ${label(`removed${edge.when ? ` ${arrowText(edge)}` : ""}`)} .-> ${d.ids.of(edge.to)}`);
    removedLinks.push(d.links.count++);
  }
  const linksOf = (edges: readonly EdgeDef[]) => {
    const unused = new Map(d.links.ofEdge);
    return edges.flatMap((edge) => {
      const found = [...unused.keys()].find((e) => e === edge) ?? [...unused.keys()].find((e) => sameEdge(e, edge));
      if (found === undefined) return [];
      const n = unused.get(found) as number;
      unused.delete(found);
      return [n];
    });
  };
  const classes: [keyof typeof HIGHLIGHT, string[], number[]][] = [
    ["added", (h.addedBlocks ?? []).filter((id) => present.has(id)), linksOf(h.addedEdges ?? [])],
    ["changed", (h.changedBlocks ?? []).map((b) => (typeof b === "string" ? b : b.id)).filter((id) => present.has(id)), linksOf((h.changedEdges ?? []).map((e) => ("after" in e ? e.after : e)))],
    ["removed", removed.map((n) => n.id), removedLinks],
  ];
  for (const [name, blocks, links] of classes) {
    if (blocks.length === 0 && links.length === 0) continue;
    lines.push(`${indent}classDef ${name} ${HIGHLIGHT[name].node}`);
    if (blocks.length) lines.push(`${indent}class ${blocks.map((id) => d.ids.of(id)).join(",")} ${name}`);
    if (links.length) lines.push(`${indent}linkStyle ${links.join(",")} ${HIGHLIGHT[name].link}`);
  }
}

const STATUS: Record<MermaidStatus, string> = {
  completed: "fill:#dcfce7,stroke:#15803d,stroke-width:2px",
  running: "fill:#dbeafe,stroke:#1d4ed8,stroke-width:3px",
  suspended: "fill:#fef9c3,stroke:#a16207,stroke-width:3px",
  retried: "fill:#ffedd5,stroke:#c2410c,stroke-width:2px",
  failed: "fill:#fee2e2,stroke:#b91c1c,stroke-width:3px",
};

/** `classDef`s and `class` lines for blocks by run status; paths that are not drawn as nodes are skipped. */
function drawStatus(def: GraphDef, status: { readonly [path: string]: MermaidStatus }, d: Drawing): void {
  const drawn = new Map<string, string>();
  const walk = (graph: GraphDef, prefix: string) => {
    for (const node of graph.nodes) {
      const path = `${prefix}${node.id}`;
      drawn.set(path, d.ids.of(path));
      if (node.kind === "graph" && d.expand) walk(node.graph, `${path}/`);
    }
  };
  walk(def, "");
  const byStatus = new Map<MermaidStatus, Set<string>>();
  for (const [path, state] of Object.entries(status)) {
    // The nearest drawn block: a map item counts for its map, a collapsed subgraph's block for the subgraph.
    let at = path;
    while (!drawn.has(at) && at.includes("/")) at = at.slice(0, at.lastIndexOf("/"));
    const id = drawn.get(at);
    if (id === undefined) continue;
    const set = byStatus.get(state) ?? new Set<string>();
    set.add(id);
    byStatus.set(state, set);
  }
  for (const [state, ids] of byStatus) {
    d.lines.push(`${d.indent}classDef ${state} ${STATUS[state]}`);
    d.lines.push(`${d.indent}class ${[...ids].join(",")} ${state}`);
  }
}

function sameEdge(a: EdgeDef, b: EdgeDef): boolean {
  return a.from === b.from && a.to === b.to && a.max === b.max && a.onExhausted === b.onExhausted && JSON.stringify(a.when ?? null) === JSON.stringify(b.when ?? null);
}

function arrowText(edge: EdgeDef): string {
  const when = edge.when;
  if (when === undefined) return "";
  return when.kind === "case" ? `${when.field} = ${JSON.stringify(when.equals)}` : when.kind === "match" ? `matches ${formatSchema(when.pattern, { maxLength: 40 })}` : when.kind;
}

function drawNode(node: NodeDef, d: Drawing): void {
  const { prefix, lines, indent } = d;
  const id = d.ids.of(`${prefix}${node.id}`);
  const passes = passesOf(d.run, `${prefix}${node.id}`, node.kind === "map");
  const failed = d.run?.failed?.includes(`${prefix}${node.id}`) ? " ✗ failed" : "";
  const join = `${node.join === "any" ? " (join: any)" : ""}${passes > 0 ? ` ×${passes}` : ""}${failed}`;
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

function arrow(edge: EdgeDef, times = 0): string {
  const bound = `${edge.max === undefined ? "" : ` (max ${edge.max})`}${times > 0 ? ` ×${times}` : ""}`;
  const when = edge.when;
  if (when === undefined) return bound ? `-- ${label(bound.trim())} -->` : "-->";
  switch (when.kind) {
    case "case":
      return `-- ${label(`${when.field} = ${JSON.stringify(when.equals)}${bound}`)} -->`;
    case "match":
      return `-- ${label(`matches ${formatSchema(when.pattern, { maxLength: 40 })}${bound}`)} -->`;
    case "otherwise":
      return `-- ${label(`otherwise${bound}`)} -->`;
    case "error":
      return `-. ${label(`error${bound}`)} .->`;
  }
}

/** A block's passes; a map's are its items'. */
function passesOf(run: MermaidRun | undefined, path: string, map: boolean): number {
  if (run === undefined) return 0;
  if (!map) return run.passes[path] ?? 0;
  return Object.entries(run.passes).filter(([p]) => p.startsWith(`${path}/`)).reduce((sum, [, n]) => sum + n, 0);
}

const RUN = { node: "fill:#dbeafe,stroke:#1d4ed8,stroke-width:2px", failed: "fill:#fee2e2,stroke:#b91c1c,stroke-width:3px", link: "stroke:#1d4ed8,stroke-width:3px" } as const;

/** Classes for the blocks a run passed through and the blocks that failed, and thick taken links. */
function drawRun(def: GraphDef, run: MermaidRun, d: Drawing): void {
  const ran: string[] = [];
  const failed: string[] = [];
  const walk = (graph: GraphDef, prefix: string) => {
    for (const node of graph.nodes) {
      const path = `${prefix}${node.id}`;
      if (run.failed?.includes(path)) failed.push(d.ids.of(path));
      else if (passesOf(run, path, node.kind === "map") > 0 || (node.kind === "graph" && Object.keys(run.passes).some((p) => p.startsWith(`${path}/`)))) ran.push(d.ids.of(path));
      if (node.kind === "graph" && d.expand) walk(node.graph, `${path}/`);
    }
  };
  walk(def, "");
  if (ran.length > 0) d.lines.push(`${d.indent}classDef ran ${RUN.node}`, `${d.indent}class ${ran.join(",")} ran`);
  if (failed.length > 0) d.lines.push(`${d.indent}classDef runFailed ${RUN.failed}`, `${d.indent}class ${failed.join(",")} runFailed`);
  if (d.taken.length > 0) d.lines.push(`${d.indent}linkStyle ${d.taken.join(",")} ${RUN.link}`);
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
