import { describePath } from "../check/schema-path.js";
import { jsonEqual } from "../compat/json.js";
import { canonicalJson } from "../def/version.js";
import type { CompatOptions } from "../compat/types.js";
import type { GraphDef, NodeDef } from "../def/graph-def.js";
import { firstById } from "./compare.js";
import { changeAt, type DraftChange, pathIn, type ScopeDiff } from "./model.js";
import { type ReaderReads, readsOf, type ValueRead } from "./reads.js";
import { contains, readContained } from "./schemas.js";
import { Structure } from "./structure.js";

/** Why a position is unsafe, and the changes responsible (they get the position in `unsafeAt`). */
export interface Reason {
  readonly text: string;
  readonly cites: readonly DraftChange[];
}

/** A position with its reasons, before they become a public `PositionVerdict`. */
export interface DraftPosition {
  readonly block: string;
  readonly reasons: readonly Reason[];
}

/**
 * The in-flight verdict for every block of the old graph (subgraph blocks included; a map's items
 * count as the map). The rules are written down, with why they are sound, in docs/versioning.md
 * ("Runs in flight"); the numbers (R1–R7) refer to them.
 */
export function positionsOf(top: ScopeDiff, global: readonly Reason[], compat: CompatOptions): DraftPosition[] {
  const out: DraftPosition[] = [];
  positionsIn(top, global, compat, out);
  return out;
}

function positionsIn(scope: ScopeDiff, outer: readonly Reason[], compat: CompatOptions, out: DraftPosition[]): void {
  const analysis = scope.same ? undefined : new ScopeAnalysis(scope, compat);
  const scoped = [...outer, ...scope.scopeFacts.map((f) => ({ text: f.reason, cites: [f.change] }))];
  for (const node of firstById(scope.before.nodes).values()) {
    const level = analysis?.reasonsAt(node) ?? [];
    const here = [...scoped, ...level];
    out.push({ block: pathIn(scope, node.id), reasons: here });
    if (node.kind !== "graph") continue;
    const child = scope.children.get(node.id);
    if (child) positionsIn(child, here, compat, out);
    else for (const inner of blockPaths(node.graph, `${pathIn(scope, node.id)}/`)) out.push({ block: inner, reasons: here });
  }
}

/** Every block path of a graph, nested ones after their subgraph block, maps' items not listed. */
function blockPaths(def: GraphDef, prefix: string): string[] {
  const out: string[] = [];
  for (const node of firstById(def.nodes).values()) {
    out.push(`${prefix}${node.id}`);
    if (node.kind === "graph") out.push(...blockPaths(node.graph, `${prefix}${node.id}/`));
  }
  return out;
}

/** One graph's two versions, with what every position of it needs. */
class ScopeAnalysis {
  private readonly b: Structure;
  private readonly a: Structure;
  /** What each reader of the new graph reads. */
  private readonly reads: ReaderReads[];
  /** Source (block id; undefined = the graph input) → the reads of it in the new graph. */
  private readonly readersOf = new Map<string | undefined, { reader: string | undefined; read: ValueRead }[]>();
  /** Sources whose schema changed: blocks whose output schema changed, and the input (undefined). */
  private readonly changedSources: (string | undefined)[] = [];
  /** Blocks of the new graph whose incoming edges, entry membership or join mode differ. */
  private readonly inChanged: Set<string>;

  constructor(
    private readonly scope: ScopeDiff,
    private readonly compat: CompatOptions,
  ) {
    this.b = new Structure(scope.before);
    this.a = new Structure(scope.after);
    this.reads = readsOf(scope.after);
    for (const reader of this.reads) {
      for (const read of reader.values) {
        const list = this.readersOf.get(read.source);
        const entry = { reader: reader.reader, read };
        if (list) list.push(entry);
        else this.readersOf.set(read.source, [entry]);
      }
    }
    if (!jsonEqual(scope.before.contract.input, scope.after.contract.input)) this.changedSources.push(undefined);
    for (const node of this.b.nodes) {
      const now = this.a.node(node.id);
      if (now && !jsonEqual(node.contract.output, now.contract.output)) this.changedSources.push(node.id);
    }
    this.inChanged = incomingChanged(scope.before, scope.after);
  }

  /** The reasons why a run at block `node` of the old graph cannot be moved to the new graph there. */
  reasonsAt(node: NodeDef): Reason[] {
    const path = pathIn(this.scope, node.id);
    const now = this.a.node(node.id);
    // R1: the block must still be there, as the same kind of block.
    if (now === undefined) return [{ text: `block "${path}" is not in the new graph`, cites: cite(changeAt(this.scope, path, "block_removed")) }];
    if (now.kind !== node.kind) {
      return [{ text: `block "${path}" is a ${now.kind} block in the new graph, not a ${node.kind} block`, cites: cite(changeAt(this.scope, path, "block_kind_changed")) }];
    }
    const at = new Position(this.b, this.a, this.b.vertex(node.id) as number, this.a.vertex(node.id) as number);
    const reasons: Reason[] = [];
    this.ownContract(node, now, path, reasons);
    this.limits(node.id, at, reasons);
    this.journal(at, reasons);
    this.availability(node.id, at, reasons);
    this.routes(node.id, at, reasons);
    return reasons;
  }

  /**
   * R2: the block may already be running (or suspended) in the run: it started with an input of its
   * old schema, may be waiting for a resume value of its old resume schema, and a code block's
   * attempt under way finishes with an output (or typed error) of its old contract. A map's items
   * are the same, for each item in flight or done.
   */
  private ownContract(before: NodeDef, after: NodeDef, path: string, reasons: Reason[]): void {
    const name = before.kind === "map" ? `map "${path}"` : `block "${path}"`;
    const check = (a: unknown, b: unknown, code: "block_input_changed" | "block_output_changed" | "block_error_changed" | "block_resume_changed", text: string) => {
      if (jsonEqual(a, b)) return;
      const c = contains(a as never, b as never, "old ⊆ new", this.compat);
      if (c.verdict !== "yes") reasons.push({ text: `${text}: ${c.reason}`, cites: cite(changeAt(this.scope, path, code)) });
    };
    check(before.contract.input, after.contract.input, "block_input_changed", `${name} may already have started with an input of its old input schema, which the new one may not accept`);
    if (before.contract.resume !== undefined) {
      check(before.contract.resume, after.contract.resume, "block_resume_changed", `${name} may be suspended, waiting for a value of its old resume schema, which the new one may not accept`);
    }
    if (before.kind === "graph") return; // its inside moves to the new graph: see the positions inside it
    const running = before.kind === "map" ? `${name} may have items that finished under the old graph` : `${name} may be running under the old graph`;
    check(before.contract.output, after.contract.output, "block_output_changed", `${running}; its output may not satisfy the new output schema`);
    if (before.contract.error !== undefined) check(before.contract.error, after.contract.error, "block_error_changed", `${running}; its typed errors may not satisfy the new error schema`);
    if (before.kind !== "map" || after.kind !== "map") return;
    const item = `${path}/*`;
    if (before.item.kind !== after.item.kind) {
      reasons.push({ text: `the items of map "${path}" run a ${after.item.kind} block in the new graph, not a ${before.item.kind} block`, cites: cite(changeAt(this.scope, item, "block_kind_changed")) });
      return;
    }
    this.ownContract(before.item, after.item, item, reasons);
    const inner = this.scope.items.get(before.id);
    if (inner === undefined) return;
    const positions: DraftPosition[] = [];
    positionsIn(inner, [], this.compat, positions);
    for (const position of positions) {
      for (const reason of position.reasons) reasons.push({ text: `an item of map "${path}" may be at "${position.block}": ${reason.text}`, cites: reason.cites });
    }
  }

  /** R3: a tighter limit (attempts, budget, restarts, concurrency) the run may already be past. */
  private limits(id: string, at: Position, reasons: Reason[]): void {
    for (const fact of this.scope.limits) {
      if (fact.block === id) {
        reasons.push({ text: fact.reason, cites: [fact.change] });
        continue;
      }
      if (!fact.alsoAcrossActivations) continue;
      const kb = this.b.vertex(fact.block);
      const ka = this.a.vertex(fact.block);
      if (kb !== undefined && ka !== undefined && at.mayHaveCompleted(kb) && at.mayRunFromHere(ka)) {
        reasons.push({ text: `${fact.reason}; it may have run before and may run again from here`, cites: [fact.change] });
      }
    }
  }

  /**
   * R4: every value the journal may hold and the new graph may still read must satisfy the new
   * schema at the path it is read: the outputs of blocks that may have completed, and the run's
   * input.
   */
  private journal(at: Position, reasons: Reason[]): void {
    for (const source of this.changedSources) {
      let before = this.scope.before.contract.input;
      let after = this.scope.after.contract.input;
      let change = this.scope.inputChange;
      if (source !== undefined) {
        if (!at.mayHaveCompleted(this.b.vertex(source) as number)) continue;
        before = (this.b.node(source) as NodeDef).contract.output;
        after = (this.a.node(source) as NodeDef).contract.output;
        change = changeAt(this.scope, pathIn(this.scope, source), "block_output_changed", "block_kind_changed");
      }
      for (const { reader, read } of this.readersOf.get(source) ?? []) {
        if (!this.readsFromHere(reader, at)) continue;
        const c = readContained(before, after, read, { ...this.compat, readsParsed: source === undefined });
        if (c.verdict === "yes") continue;
        const what = `${read.path.length ? describePath(read.path) : "the whole value"}`;
        const text =
          source === undefined
            ? `the run's input satisfies the old input schema, and ${this.readerName(reader)} reads ${what} of it: ${c.reason}`
            : `block "${pathIn(this.scope, source)}" may have completed with an output of its old schema, and ${this.readerName(reader)} reads ${what} of it: ${c.reason}`;
        reasons.push({ text, cites: cite(change) });
      }
    }
  }

  /**
   * R5: a block the new graph places before this position, that the run may not have run, cannot
   * provide what is read from here on: it is new, it came after this position in the old graph, or
   * whether it runs is decided differently (its incoming edges changed, or those of a block before it).
   */
  private availability(id: string, at: Position, reasons: Reason[]): void {
    const missing = (x: string): string | undefined => {
      const xa = this.a.vertex(x);
      if (xa === undefined || !at.beforeInNew(xa)) return undefined;
      const xb = this.b.vertex(x);
      if (xb !== undefined && at.certainlyDone(xb)) return undefined;
      return at.unreliable(xa, (v) => this.whyUnreliable(v, at));
    };
    for (const reader of this.reads) {
      if (!this.readsFromHere(reader.reader, at)) continue;
      for (const x of new Set(reader.required)) {
        const why = missing(x);
        if (why !== undefined) reasons.push(this.missingReason(id, reader.reader, x, why));
      }
      for (const group of reader.groups) {
        if (group.sources.some((x) => this.b.vertex(x) !== undefined && at.certainlyDone(this.b.vertex(x) as number))) continue;
        const x = group.sources.find((s) => missing(s) !== undefined);
        if (x !== undefined) reasons.push(this.missingReason(id, reader.reader, x, missing(x) as string));
      }
    }
  }

  private missingReason(id: string, reader: string | undefined, x: string, why: string): Reason {
    const path = pathIn(this.scope, x);
    const cites = [
      ...cite(changeAt(this.scope, path, "block_added")),
      ...(reader === undefined ? cite(changeAt(this.scope, this.scope.prefix.slice(0, -1), "graph_output_binding_changed")) : cite(changeAt(this.scope, pathIn(this.scope, reader), "binding_added", "binding_changed"))),
      ...this.scope.edges.filter((f) => f.targets.includes(x)).map((f) => f.change),
    ];
    return {
      text: `${this.readerName(reader)} reads block "${path}", which the new graph runs before "${pathIn(this.scope, id)}" but the run may not have run (${why})`,
      cites,
    };
  }

  private whyUnreliable(v: number, at: Position): string | undefined {
    const node = this.a.nodes[v] as NodeDef;
    const xb = this.b.vertex(node.id);
    if (xb === undefined) return `"${pathIn(this.scope, node.id)}" is new`;
    if (!at.mayHaveCompleted(xb)) return `in the old graph "${pathIn(this.scope, node.id)}" runs only after this position`;
    if (this.inChanged.has(node.id)) return `the edges into "${pathIn(this.scope, node.id)}" changed`;
    return undefined;
  }

  /**
   * R6: a change of control flow whose decision the run may already have taken under the old graph
   * (the entry, or edges out of a block that may have finished, or out of a block the new graph
   * places before this position) is unsafe unless every block it leads to has certainly finished
   * for good, or would be skipped anyway. R7: a lowered bound on an edge the run may already have
   * taken and may take again.
   */
  private routes(id: string, at: Position, reasons: Reason[]): void {
    const past = (s: string | undefined): boolean => {
      if (s === undefined) return true;
      const sb = this.b.vertex(s);
      if (sb !== undefined && at.mayHaveCompleted(sb)) return true;
      const sa = this.a.vertex(s);
      return sa !== undefined && at.beforeInNew(sa);
    };
    const settled = (t: string): boolean => {
      const ta = this.a.vertex(t);
      if (ta === undefined) return true; // nothing can start it any more
      const tb = this.b.vertex(t);
      if (t === id && !this.b.cyclic(at.vb) && !this.a.cyclic(at.va)) return true; // the run is here
      if ((tb !== undefined && this.b.reaches(at.vb, tb)) || this.a.reaches(at.va, ta)) return false;
      if (tb !== undefined) return at.certainlyDone(tb);
      return at.beforeInNew(ta); // new, and before this position: skipped as a whole (see R5)
    };
    for (const fact of this.scope.edges) {
      const sources = fact.sources.filter(past);
      if (sources.length === 0) continue;
      const open = fact.targets.filter((t) => !settled(t));
      if (open.length === 0) continue;
      const targets = `${orList(open.map((t) => `"${pathIn(this.scope, t)}"`))} may still start`;
      const finished = sources.filter((s): s is string => s !== undefined && this.b.vertex(s) !== undefined && at.mayHaveCompleted(this.b.vertex(s) as number));
      const skipped = sources.filter((s): s is string => s !== undefined && !finished.includes(s));
      const quoted = (ids: readonly string[]) => orList(ids.map((s) => `"${pathIn(this.scope, s)}"`));
      const decided = [
        ...(sources.includes(undefined) ? ["the run started under the old graph, which decided which blocks start first"] : []),
        ...(finished.length ? [`a run here may have finished ${quoted(finished)} under the old graph, which decided what follows`] : []),
        ...(skipped.length ? [`the new graph runs ${quoted(skipped)} before this block, but a run here never did, so ${skipped.length === 1 ? "its" : "their"} edges never fire`] : []),
      ];
      reasons.push({ text: `${stripDot(fact.change.message)}; ${decided.join("; ")}; and ${targets}`, cites: [fact.change] });
    }
    for (const fact of this.scope.bounds) {
      const sb = this.b.vertex(fact.from);
      const sa = this.a.vertex(fact.from);
      if (sb === undefined || sa === undefined || !at.mayHaveCompleted(sb) || !at.mayRunFromHere(sa)) continue;
      reasons.push({ text: `${stripDot(fact.change.message)}; the run may already have taken the edge more often than that, and may take it again from here`, cites: [fact.change] });
    }
  }

  /** Whether a reader of the new graph may still start from this position (the output always may). */
  private readsFromHere(reader: string | undefined, at: Position): boolean {
    return reader === undefined || at.mayRunFromHere(this.a.vertex(reader) as number);
  }

  private readerName(reader: string | undefined): string {
    if (reader !== undefined) return `block "${pathIn(this.scope, reader)}"`;
    return this.scope.prefix ? `the output of the graph of block "${this.scope.prefix.slice(0, -1)}"` : "the graph's output";
  }
}

/** One position: block `vb` of the old graph, `va` the same block in the new one. */
class Position {
  private unreliableMemo: Map<number, string> | undefined;

  constructor(
    private readonly b: Structure,
    private readonly a: Structure,
    readonly vb: number,
    readonly va: number,
  ) {}

  /** The old block `x` may have completed before the run got here (so its output may be in the journal). */
  mayHaveCompleted(x: number): boolean {
    return this.b.mayCompleteBefore(this.vb, x);
  }

  /** The old block `x` has certainly completed when the run gets here. */
  certainlyDone(x: number): boolean {
    return this.b.certainlyDone(this.vb, x);
  }

  /** The new block `x` may start from here on (this block included). */
  mayRunFromHere(x: number): boolean {
    return this.a.reaches(this.va, x);
  }

  /** The new graph places `x` strictly before this block (it leads here, and cannot come again). */
  beforeInNew(x: number): boolean {
    return x !== this.va && this.a.reaches(x, this.va) && !this.a.reaches(this.va, x);
  }

  /**
   * Why whether `x` ran may differ from what the new graph expects, or undefined when it may not.
   * Seeds (see `seed`) spread along the new graph's edges among the blocks before this position
   * that have not certainly run.
   */
  unreliable(x: number, seed: (v: number) => string | undefined): string | undefined {
    if (this.unreliableMemo === undefined) {
      const memo = new Map<number, string>();
      const stack: number[] = [];
      const candidate = (v: number) => this.beforeInNew(v) && !this.doneInOld(v);
      for (let v = 0; v < this.a.n; v++) {
        if (!candidate(v)) continue;
        const why = seed(v);
        if (why !== undefined) {
          memo.set(v, why);
          stack.push(v);
        }
      }
      while (stack.length > 0) {
        const v = stack.pop() as number;
        for (const w of this.a.succ[v] as number[]) {
          if (memo.has(w) || w >= this.a.n || !candidate(w)) continue;
          memo.set(w, `it comes after "${(this.a.nodes[v] as NodeDef).id}", and ${memo.get(v) as string}`);
          stack.push(w);
        }
      }
      this.unreliableMemo = memo;
    }
    return this.unreliableMemo.get(x);
  }

  private doneInOld(va: number): boolean {
    const xb = this.b.vertex((this.a.nodes[va] as NodeDef).id);
    return xb !== undefined && this.certainlyDone(xb);
  }
}

/**
 * Blocks of the new graph whose start is decided differently: new blocks, and blocks whose incoming
 * edges (with their conditions and bounds), entry membership or join mode changed.
 */
function incomingChanged(before: GraphDef, after: GraphDef): Set<string> {
  const signature = (def: GraphDef) => {
    const incoming = new Map<string, string[]>();
    const add = (id: string, text: string) => {
      const list = incoming.get(id);
      if (list) list.push(text);
      else incoming.set(id, [text]);
    };
    for (const id of def.entry) add(id, "entry");
    for (const edge of def.edges) {
      add(edge.to, canonicalJson(edge));
      if (edge.max !== undefined && edge.onExhausted !== undefined) add(edge.onExhausted, `exhausted:${canonicalJson(edge)}`);
    }
    for (const node of def.nodes) add(node.id, `join:${node.join ?? "all"}`);
    return new Map([...incoming].map(([id, list]) => [id, list.sort().join("\n")]));
  };
  const was = signature(before);
  const now = signature(after);
  const out = new Set<string>();
  for (const [id, text] of now) if (was.get(id) !== text) out.add(id);
  return out;
}

function cite(change: DraftChange | undefined): DraftChange[] {
  return change === undefined ? [] : [change];
}

function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

function stripDot(text: string): string {
  return text.endsWith(".") ? text.slice(0, -1) : text;
}

