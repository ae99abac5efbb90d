import { createHash } from "node:crypto";
import { graphVersion, type RunSource } from "@blockwork/core";
import type { AnyBlock, GraphBlock, GraphDef, JsonSchema, NodeDef } from "@blockwork/spec";

// biome-ignore lint: any graph block.
type AnyGraph = GraphBlock<any>;

/** A graph the server serves: the built graph, and where workers can load it from. */
export interface ServedGraph {
  readonly graph: AnyGraph;
  /** The module that exports it: recorded with each run so that `blockwork worker` can load it. */
  readonly source?: RunSource;
}

/** One assistant: a graph at one version (LangGraph's assistants are what Blockwork serves as graphs). */
export interface AssistantEntry {
  readonly assistantId: string;
  readonly graph: AnyGraph;
  readonly def: GraphDef;
  readonly graphId: string;
  /** Blockwork's graph version (the hash of its GraphDef). */
  readonly version: string;
  /** 1, 2, ... among the versions of one graph id served here, in the order they were given. */
  readonly number: number;
  readonly source?: RunSource;
  readonly createdAt: number;
}

/**
 * A stable assistant id for a graph version: a UUID (v5 layout) from the SHA-1 of the graph id and
 * version, so that every server serving the same graph gives it the same id.
 *
 * @example
 * const id = assistantIdOf(refundGraph.def.id, graphVersion(refundGraph.def));
 * await client.assistants.get(id);
 */
export function assistantIdOf(graphId: string, version: string): string {
  const hash = createHash("sha1").update(`blockwork:${graphId}:${version}`).digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The graphs served, by assistant id, graph id (the newest version of it) and version. */
export class Catalog {
  readonly entries: readonly AssistantEntry[];
  private readonly byId = new Map<string, AssistantEntry>();
  private readonly byVersion = new Map<string, AssistantEntry>();
  private readonly newest = new Map<string, AssistantEntry>();

  constructor(graphs: readonly ServedGraph[], now = Date.now()) {
    const entries: AssistantEntry[] = [];
    for (const served of graphs) {
      const def = served.graph.def;
      const version = graphVersion(def);
      if (this.byVersion.has(version)) continue;
      const number = entries.filter((e) => e.graphId === def.id).length + 1;
      const entry: AssistantEntry = { assistantId: assistantIdOf(def.id, version), graph: served.graph, def, graphId: def.id, version, number, createdAt: now, ...(served.source ? { source: served.source } : {}) };
      entries.push(entry);
      this.byId.set(entry.assistantId, entry);
      this.byVersion.set(version, entry);
      this.newest.set(def.id, entry);
    }
    this.entries = entries;
  }

  /** An assistant id, a graph id (its newest version here) or a graph version. */
  find(id: string): AssistantEntry | undefined {
    return this.byId.get(id) ?? this.newest.get(id) ?? this.byVersion.get(id);
  }

  byGraphVersion(version: string): AssistantEntry | undefined {
    return this.byVersion.get(version);
  }
}

/** The contract of the block at a run path (`review/approve`, `each/3` for item 3 of a map). */
export function blockAt(graph: AnyGraph, path: string): AnyBlock | undefined {
  let current: AnyGraph = graph;
  const segments = path.split("/");
  for (let i = 0; i < segments.length; i++) {
    const node = current.def.nodes.find((n) => n.id === segments[i]);
    if (node === undefined) return undefined;
    let target: NodeDef = node;
    if (node.kind === "map") {
      i++; // the item index
      target = node.item;
    }
    const name = target.kind === "code" ? target.block : target.kind === "graph" ? target.graph.id : undefined;
    const block = name === undefined ? undefined : current.blocks.get(name);
    if (block === undefined) return undefined;
    if (i === segments.length - 1) return block;
    if (block.kind !== "graph") return undefined;
    current = block as AnyGraph;
  }
  return undefined;
}

/** The JSON Schema a block at a run path is resumed with, from the GraphDef. */
export function resumeSchemaAt(def: GraphDef, path: string): JsonSchema | undefined {
  let current: GraphDef = def;
  const segments = path.split("/");
  for (let i = 0; i < segments.length; i++) {
    const node = current.nodes.find((n) => n.id === segments[i]);
    if (node === undefined) return undefined;
    let target: NodeDef = node;
    if (node.kind === "map") {
      i++;
      target = node.item;
    }
    if (i === segments.length - 1) return target.contract.resume;
    if (target.kind !== "graph") return undefined;
    current = target.graph;
  }
  return undefined;
}

/** LangGraph's graph drawing: nodes and edges, with `__start__` and `__end__`; `xray` opens subgraphs. */
export function assistantGraph(def: GraphDef, xray: number): { nodes: { id: string; name: string; data: Record<string, unknown> }[]; edges: { source: string; target: string; conditional?: boolean; data?: string }[] } {
  const nodes: { id: string; name: string; data: Record<string, unknown> }[] = [];
  const edges: { source: string; target: string; conditional?: boolean; data?: string }[] = [];
  const draw = (graph: GraphDef, prefix: string, depth: number, start: string, end: string) => {
    const entryOf = new Map<string, string>();
    const exitOf = new Map<string, string>();
    for (const node of graph.nodes) {
      const id = `${prefix}${node.id}`;
      if (node.kind === "graph" && depth < xray) {
        const s = `${id}:__start__`;
        const e = `${id}:__end__`;
        nodes.push({ id: s, name: "__start__", data: {} }, { id: e, name: "__end__", data: {} });
        draw(node.graph, `${id}/`, depth + 1, s, e);
        entryOf.set(node.id, s);
        exitOf.set(node.id, e);
      } else {
        nodes.push({ id, name: node.id, data: { kind: node.kind, ...(node.kind === "code" ? { block: node.block } : node.kind === "graph" ? { graph: node.graph.id } : {}) } });
        entryOf.set(node.id, id);
        exitOf.set(node.id, id);
      }
    }
    for (const entry of graph.entry) edges.push({ source: start, target: entryOf.get(entry) as string });
    const hasSuccessEdge = new Set<string>();
    for (const edge of graph.edges) {
      if (edge.when?.kind !== "error") hasSuccessEdge.add(edge.from);
      const when = edge.when;
      const data = when === undefined ? undefined : when.kind === "case" ? `${when.field} = ${JSON.stringify(when.equals)}` : when.kind;
      edges.push({ source: exitOf.get(edge.from) as string, target: entryOf.get(edge.to) as string, ...(when ? { conditional: true } : {}), ...(data ? { data } : {}) });
    }
    for (const node of graph.nodes) if (!hasSuccessEdge.has(node.id)) edges.push({ source: exitOf.get(node.id) as string, target: end });
  };
  nodes.push({ id: "__start__", name: "__start__", data: {} });
  draw(def, "", 0, "__start__", "__end__");
  nodes.push({ id: "__end__", name: "__end__", data: {} });
  return { nodes, edges };
}
