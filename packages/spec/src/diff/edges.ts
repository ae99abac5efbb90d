import { loopEdges } from "../check/loops.js";
import { jsonEqual } from "../compat/json.js";
import { canonicalJson } from "../def/version.js";
import type { EdgeDef, GraphDef, JsonValue, NodeDef } from "../def/graph-def.js";
import { type DraftChange, pathIn, type ScopeDiff } from "./model.js";
import { show } from "./policies.js";
import type { Recorder } from "./record.js";
import type { ChangeCode } from "./types.js";

interface EdgeAt {
  readonly edge: EdgeDef;
  /** The edge closes a loop (a back edge of the checker's and the runtime's walk). */
  readonly back: boolean;
}

interface Sides {
  readonly before: GraphDef;
  readonly after: GraphDef;
  readonly beforeNodes: ReadonlyMap<string, NodeDef>;
  readonly afterNodes: ReadonlyMap<string, NodeDef>;
}

/**
 * Compares the edges of two versions of one graph. Edges have no ids, so they are matched by what
 * they mean: a plain or error edge by its source and target; a route case by its source, field and
 * value (its targets may change: retargeted); an `otherwise` by its source. Matched edges are then
 * compared for their bound, `onExhausted`, whether they close a loop, and any other field.
 */
export function compareEdges(scope: ScopeDiff, recorder: Recorder, sides: Sides): void {
  const before = group(sides.before);
  const after = group(sides.after);
  const keys = [...new Set([...before.keys(), ...after.keys()])];
  for (const key of keys) {
    const was = before.get(key) ?? [];
    const now = after.get(key) ?? [];
    const pairs: [EdgeAt, EdgeAt][] = [];
    const removed: EdgeAt[] = [];
    const unused = [...now];
    for (const old of was) {
      const i = unused.findIndex((e) => e.edge.to === old.edge.to);
      if (i === -1) removed.push(old);
      else pairs.push([old, unused.splice(i, 1)[0] as EdgeAt]);
    }
    const added = unused;
    const sample = (was[0] ?? now[0] as EdgeAt).edge;
    if (removed.length || added.length) reportGroup(scope, recorder, sample, { was, now, removed, added });
    for (const [old, neu] of pairs) compareMatched(scope, recorder, old, neu);
  }
}

function reportGroup(scope: ScopeDiff, recorder: Recorder, sample: EdgeDef, g: { was: EdgeAt[]; now: EdgeAt[]; removed: EdgeAt[]; added: EdgeAt[] }): void {
  const kind = sample.when?.kind ?? "always";
  const path = pathIn(scope, sample.from);
  const from = pathIn(scope, sample.from);
  const targets = (edges: readonly EdgeAt[]) => edges.map((e) => describeTarget(scope, e.edge)).join(", ");
  const touched = [...g.removed, ...g.added];
  const fact = (change: DraftChange) => {
    const ids = new Set<string>();
    for (const { edge } of touched) {
      ids.add(edge.to);
      if (edge.max !== undefined && edge.onExhausted !== undefined) ids.add(edge.onExhausted);
    }
    scope.edges.push({ sources: [sample.from], targets: [...ids], change });
  };
  const add = (code: ChangeCode, message: string, before?: readonly EdgeAt[], after?: readonly EdgeAt[]) =>
    recorder.add(scope, {
      code,
      path,
      message,
      ...(before ? { before: before.map((e) => e.edge) as unknown as JsonValue } : {}),
      ...(after ? { after: after.map((e) => e.edge) as unknown as JsonValue } : {}),
    });
  if (kind === "case") {
    const when = sample.when as Extract<EdgeDef["when"], { kind: "case" }>;
    const label = `Route case ${from}.${when.field} = ${JSON.stringify(when.equals)}`;
    if (g.now.length === 0) fact(add("route_case_removed", `${label} (to ${targets(g.was)}) was removed.`, g.was));
    else if (g.was.length === 0) fact(add("route_case_added", `${label} was added (to ${targets(g.now)}).`, undefined, g.now));
    else fact(add("route_case_retargeted", `${label} now leads to ${targets(g.now)} instead of ${targets(g.was)}.`, g.was, g.now));
    return;
  }
  if (kind !== "otherwise") {
    const what = kind === "error" ? "Error edge" : kind === "always" ? "Edge" : `Edge (when ${String(kind)})`;
    for (const e of g.removed) fact(add("edge_removed", `${what} ${from} -> ${describeTarget(scope, e.edge)} was removed.`, [e]));
    for (const e of g.added) fact(add("edge_added", `${what} ${from} -> ${describeTarget(scope, e.edge)} was added.`, undefined, [e]));
    return;
  }
  const message =
    g.now.length === 0
      ? `The otherwise edge of ${from} (to ${targets(g.was)}) was removed.`
      : g.was.length === 0
        ? `${from} got an otherwise edge (to ${targets(g.now)}).`
        : `The otherwise edge of ${from} now leads to ${targets(g.now)} instead of ${targets(g.was)}.`;
  fact(add("route_otherwise_changed", message, g.was, g.now));
}

function compareMatched(scope: ScopeDiff, recorder: Recorder, old: EdgeAt, neu: EdgeAt): void {
  const b = old.edge;
  const a = neu.edge;
  const path = pathIn(scope, b.from);
  const name = `edge ${pathIn(scope, b.from)} -> ${pathIn(scope, b.to)}`;
  const add = (code: ChangeCode, message: string, before: unknown, after: unknown) =>
    recorder.add(scope, { code, path, message, before: before as JsonValue | undefined, after: after as JsonValue | undefined });
  const edgeFact = (change: DraftChange, targets: readonly (string | undefined)[]) =>
    scope.edges.push({ sources: [b.from], targets: [...new Set(targets.filter((t): t is string => t !== undefined))], change });

  if (b.max !== a.max) {
    const wasMax = b.max ?? Number.POSITIVE_INFINITY;
    const nowMax = a.max ?? Number.POSITIVE_INFINITY;
    if (nowMax > wasMax) {
      add("loop_bound_raised", `The bound of ${name} was ${a.max === undefined ? "removed" : "raised"} (max ${show(b.max)} → ${show(a.max)}).`, b.max, a.max);
    } else {
      const change = add("loop_bound_lowered", `The bound of ${name} was ${b.max === undefined ? "added" : "lowered"} (max ${show(b.max)} → ${show(a.max)}).`, b.max, a.max);
      scope.bounds.push({ from: b.from, to: b.to, change });
    }
  }
  if (b.onExhausted !== a.onExhausted) {
    const change = add(
      "on_exhausted_changed",
      `When its bound is used up, ${name} now leads to ${a.onExhausted === undefined ? "a failure of the run" : pathIn(scope, a.onExhausted)} instead of ${b.onExhausted === undefined ? "a failure of the run" : pathIn(scope, b.onExhausted)}.`,
      b.onExhausted,
      a.onExhausted,
    );
    edgeFact(change, [b.onExhausted, a.onExhausted]);
  }
  if (old.back !== neu.back) {
    const change = add(
      "loop_edge_changed",
      `${cap(name)} ${neu.back ? "now closes a loop (a re-entry that starts a new pass)" : "no longer closes a loop"}; the order of the edges changed which edges are loop re-entries.`,
      old.back,
      neu.back,
    );
    edgeFact(change, [b.to]);
  }
  const bw = b as unknown as Record<string, unknown>;
  const aw = a as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(bw), ...Object.keys(aw)])].filter((k) => !KNOWN_EDGE_FIELDS.has(k) || (k === "when" && !jsonEqual(b.when, a.when))).sort();
  for (const key of keys) {
    if (jsonEqual(bw[key], aw[key])) continue;
    const change = add("option_changed", `The field "${key}" of ${name} changed from ${show(bw[key])} to ${show(aw[key])}; no specific rule covers it, so it is reported as it is.`, bw[key], aw[key]);
    edgeFact(change, [b.to]);
  }
}

/** Edges grouped by what identifies them (see {@link compareEdges}), each with whether it closes a loop. */
function group(def: GraphDef): Map<string, EdgeAt[]> {
  const back = loopEdges(def);
  const out = new Map<string, EdgeAt[]>();
  def.edges.forEach((edge, i) => {
    const key = edgeKey(edge);
    const list = out.get(key);
    const at = { edge, back: back.has(i) };
    if (list) list.push(at);
    else out.set(key, [at]);
  });
  return out;
}

function edgeKey(edge: EdgeDef): string {
  const when = edge.when;
  if (when === undefined) return `always\u0000${edge.from}\u0000${edge.to}`;
  switch (when.kind) {
    case "error":
      return `error\u0000${edge.from}\u0000${edge.to}`;
    case "case":
      return `case\u0000${edge.from}\u0000${when.field}\u0000${canonicalJson(when.equals)}`;
    case "otherwise":
      return `otherwise\u0000${edge.from}`;
    default:
      // A condition kind this version does not know: matched only with an identical one.
      return `other\u0000${edge.from}\u0000${canonicalJson(when)}`;
  }
}

function describeTarget(scope: ScopeDiff, edge: EdgeDef): string {
  const bound = edge.max === undefined ? "" : ` (max ${edge.max}${edge.onExhausted === undefined ? "" : `, then ${pathIn(scope, edge.onExhausted)}`})`;
  return `${pathIn(scope, edge.to)}${bound}`;
}

/** The blocks with an edge into `id` (and the `undefined` START when `id` is an entry block). */
export function predecessors(def: GraphDef, id: string): (string | undefined)[] {
  const out = new Set<string | undefined>();
  if (def.entry.includes(id)) out.add(undefined);
  for (const edge of def.edges) {
    if (edge.to === id || (edge.max !== undefined && edge.onExhausted === id)) out.add(edge.from);
  }
  return [...out];
}

const KNOWN_EDGE_FIELDS = new Set(["from", "to", "when", "max", "onExhausted"]);

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
