// The path a run took through its graph, from its journal: what `blockwork graph --run` draws.
import type { JournalEntry } from "@blockwork/core";
import type { GraphDef, MermaidRun } from "@blockwork/spec";

interface Activation {
  readonly node: string;
  readonly failed: boolean;
  readonly output: unknown;
}

/**
 * Pass counts per block path, the blocks that failed, and how often each edge was taken (at the
 * top level and inside subgraphs). An edge `from -> to` counts for an activation of `to` when
 * `from` finished after `to`'s previous activation and the edge's condition holds for how `from`
 * finished (its output's case field, otherwise, a typed failure for error edges); a bounded edge
 * whose target did not run but whose `onExhausted` did counts as its exhausted link.
 */
export function runTrace(def: GraphDef, journal: readonly JournalEntry[], failedPath?: string): MermaidRun {
  const passes: Record<string, number> = {};
  const last = new Map<string, JournalEntry["kind"]>();
  for (const entry of journal) {
    if (entry.kind !== "block.completed" && entry.kind !== "block.failed") continue;
    passes[entry.path] = (passes[entry.path] ?? 0) + 1;
    last.set(entry.path, entry.kind);
  }
  const failed = [...last].filter(([, kind]) => kind === "block.failed").map(([path]) => path);
  if (failedPath !== undefined && !failed.includes(failedPath)) failed.push(failedPath);
  const edges: Record<string, number> = {};
  walk(def, "", journal, edges);
  return { passes, failed, edges };
}

function walk(def: GraphDef, prefix: string, journal: readonly JournalEntry[], edges: Record<string, number>): void {
  // This level's activations, in journal order: a subgraph's or map's entries merge into one.
  const acts: Activation[] = [];
  for (const entry of journal) {
    if ((entry.kind !== "block.completed" && entry.kind !== "block.failed") || !entry.path.startsWith(prefix)) continue;
    const rest = entry.path.slice(prefix.length);
    const node = rest.split("/")[0] as string;
    const leaf = !rest.includes("/");
    const previous = acts.at(-1);
    if (!leaf && previous?.node === node) continue;
    acts.push({ node, failed: entry.kind === "block.failed", output: entry.kind === "block.completed" && leaf ? entry.output : undefined });
  }
  const count = (key: string) => (edges[`${prefix}${key}`] = (edges[`${prefix}${key}`] ?? 0) + 1);
  acts.forEach((act, i) => {
    const before = acts.slice(0, i);
    const previousOfTarget = before.map((a) => a.node).lastIndexOf(act.node);
    for (const edge of def.edges) {
      const exhausted = edge.onExhausted === act.node && edge.to !== act.node;
      if (edge.to !== act.node && !exhausted) continue;
      const j = before.map((a) => a.node).lastIndexOf(edge.from);
      if (j < 0 || j < previousOfTarget) continue;
      const from = acts[j] as Activation;
      if (!holds(def, edge, from)) continue;
      if (exhausted) {
        // Only when the bounded edge's own target did not run after `from`.
        if (!acts.slice(j + 1, i).some((a) => a.node === edge.to)) count(`${edge.from}->${act.node}!exhausted`);
      } else count(`${edge.from}->${edge.to}`);
    }
  });
  for (const node of def.nodes) if (node.kind === "graph") walk(node.graph, `${prefix}${node.id}/`, journal, edges);
}

function holds(def: GraphDef, edge: GraphDef["edges"][number], from: Activation): boolean {
  const when = edge.when;
  if (when?.kind === "error") return from.failed;
  if (from.failed) return false;
  if (when === undefined) return true;
  const output = from.output as Record<string, unknown> | undefined;
  if (when.kind === "case") return output?.[when.field] === when.equals;
  const cases = def.edges.filter((e) => e.from === edge.from && e.when?.kind === "case");
  return !cases.some((e) => e.when?.kind === "case" && output?.[e.when.field] === e.when.equals);
}
