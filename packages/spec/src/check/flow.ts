import type { EdgeDef, GraphDef } from "../def/graph-def.js";
import { forEachComponent } from "./components.js";
import { immediateDominators, numberDominatorTree } from "./dominators.js";

/** How an edge of the flow graph is taken. `start` and `end` edges are virtual. */
export type FlowEdgeKind = "start" | "always" | "case" | "otherwise" | "error" | "exhausted" | "end";

export interface FlowEdge {
  readonly from: number;
  readonly to: number;
  readonly kind: FlowEdgeKind;
  /** The edge has a `max`: it does not count for unbounded cycles. */
  readonly bounded: boolean;
  /** Index into `def.edges`, for edges that come from the GraphDef. */
  readonly def?: number;
  /** On an `exhausted` edge: the bounded edge is an error edge, so its source failed. */
  readonly afterError?: boolean;
}

/**
 * The control-flow graph of a GraphDef, with a virtual START (before the entries) and END (after
 * every block that has no success edge), and the analyses the checker needs:
 *
 * - reachability from START and to END;
 * - cycles without a bounded edge;
 * - the forward graph (DFS back edges removed), a DAG;
 * - dominators over the whole graph, and whether every loop is entered at its head (reducible);
 * - "certainly completed before": for each block, the set of blocks whose successful output is
 *   certainly available when it starts, taking routes, joins, error edges, entry blocks and loops
 *   entered at several blocks into account (see docs/design/checker.md).
 */
export class Flow {
  readonly n: number;
  readonly START: number;
  readonly END: number;
  readonly edges: FlowEdge[] = [];
  readonly out: number[][];
  readonly in: number[][];
  readonly hasErrorEdge: Uint8Array;
  readonly reachable: Uint8Array;
  readonly reachesEnd: Uint8Array;
  /** Per edge: 1 when it is a DFS back edge (closes a loop); excluded from the forward graph. */
  readonly back: Uint8Array;
  /** START, the reachable blocks and END (if reachable) in a topological order of the forward graph. */
  readonly topo: number[];
  /**
   * True when some loop can be entered at a block other than its head: the target of a back edge
   * does not dominate the edge's source (a cycle entered at two blocks). Then a block can start
   * through a back edge without what precedes it in the forward graph, and the "certainly
   * completed" analyses iterate to a fixpoint over the back edges too.
   */
  readonly irreducible: boolean;
  /** Per block: 1 when it is an entry block (it starts when the graph starts, whatever its incoming edges). */
  private readonly isEntry: Uint8Array;
  /** Position of each block in `topo` (-1 when unreachable). */
  private readonly topoIndex: Int32Array;
  private readonly joinAll: Uint8Array;
  /** Per block: 1 when it may be ruled out (never start) in a run that does not fail. */
  private readonly mayBeDead: Uint8Array;
  /**
   * Per block: 1 when a run may end with it neither finished nor ruled out (it stalls). A block
   * that only exhausted bounds lead to is never ruled out (joins do not wait for those jumps) and
   * starts only if one is taken; a block with an incoming edge from a stalling block may wait for
   * it forever. Its `resolved` set is that of a block that may be ruled out.
   */
  private readonly stalls: Uint8Array;
  /**
   * Whether a block that waits for incoming edges may stall: then a run may end with no edge into
   * END taken (the last edge taken led to that block), and END only has what every block's
   * resolution guarantees.
   */
  private readonly endMayStarve: boolean;
  /**
   * Whether `done(END)` takes in the `resolved` set of every block (the run ends when nothing more
   * can start: every block has been resolved, or stalls): needed when the run may end without an
   * edge into END taken, or when an entry block also has incoming edges (it does not wait for them,
   * so what END receives through it says nothing of the blocks before them).
   */
  private readonly endSeesAll: boolean;
  /** Immediate dominators (over every edge), and a pre/post numbering of the dominator tree. */
  private idom: Int32Array;
  private domIn: Int32Array;
  private domOut: Int32Array;
  /** Per block: a block that starts exactly when it starts (see {@link anchors}). */
  private readonly anchor: Int32Array;

  private fwdIn: number[][] = [];

  /**
   * @param index block id → flow number (0..n-1), for the first block with each id
   * @param nodeAt flow number → index in `def.nodes`
   */
  constructor(
    readonly def: GraphDef,
    readonly index: ReadonlyMap<string, number>,
    readonly nodeAt: readonly number[],
  ) {
    this.n = index.size;
    this.START = this.n;
    this.END = this.n + 1;
    const size = this.n + 2;
    this.out = Array.from({ length: size }, () => []);
    this.in = Array.from({ length: size }, () => []);
    this.hasErrorEdge = new Uint8Array(size);
    this.joinAll = new Uint8Array(size);
    this.isEntry = new Uint8Array(size);
    this.addEdges();
    this.reachable = this.search(this.START, this.out, (e) => e.to);
    this.reachesEnd = this.search(this.END, this.in, (e) => e.from);
    this.back = new Uint8Array(this.edges.length);
    this.topo = this.forwardOrder();
    this.topoIndex = new Int32Array(this.n + 2).fill(-1);
    this.topo.forEach((v, i) => (this.topoIndex[v] = i));
    this.fwdIn = this.in.map((edges) => edges.filter((e) => !this.back[e] && this.reachable[(this.edges[e] as FlowEdge).from]));
    this.mayBeDead = this.deadness();
    [this.stalls, this.endMayStarve] = this.stalling();
    this.endSeesAll = this.endMayStarve || this.topo.some((v) => this.isEntry[v] === 1 && this.forwardIn(v).length > 1);
    // Dominators of the forward graph; when every loop is entered at its head (the target of each
    // back edge dominates its source), they are those of the whole graph too.
    this.idom = this.dominators(false);
    [this.domIn, this.domOut] = this.numberDomTree();
    this.irreducible = this.edges.some((edge, e) => this.back[e] === 1 && this.reachable[edge.from] === 1 && !this.dominates(edge.to, edge.from));
    if (this.irreducible) {
      this.idom = this.dominators(true);
      [this.domIn, this.domOut] = this.numberDomTree();
    }
    this.anchor = this.anchors();
  }

  private add(edge: FlowEdge): void {
    this.out[edge.from]?.push(this.edges.length);
    this.in[edge.to]?.push(this.edges.length);
    this.edges.push(edge);
  }

  private addEdges(): void {
    const { def, index } = this;
    this.nodeAt.forEach((at, v) => {
      this.joinAll[v] = def.nodes[at]?.join === "any" ? 0 : 1;
    });
    this.joinAll[this.END] = 1;
    for (const id of def.entry) {
      const to = index.get(id);
      if (to === undefined) continue;
      this.isEntry[to] = 1;
      this.add({ from: this.START, to, kind: "start", bounded: false });
    }
    const hasSuccessEdge = new Uint8Array(this.n);
    def.edges.forEach((edge, i) => {
      const from = index.get(edge.from);
      const to = index.get(edge.to);
      if (from === undefined) return;
      const kind = edgeKind(edge);
      if (kind === "error") this.hasErrorEdge[from] = 1;
      else hasSuccessEdge[from] = 1;
      if (to !== undefined) this.add({ from, to, kind, bounded: edge.max !== undefined, def: i });
      const exhausted = edge.onExhausted === undefined ? undefined : index.get(edge.onExhausted);
      if (exhausted !== undefined && edge.max !== undefined) {
        this.add({ from, to: exhausted, kind: "exhausted", bounded: false, def: i, ...(kind === "error" ? { afterError: true } : {}) });
      }
    });
    for (let v = 0; v < this.n; v++) if (!hasSuccessEdge[v]) this.add({ from: v, to: this.END, kind: "end", bounded: false });
  }

  private search(from: number, lists: number[][], next: (e: FlowEdge) => number): Uint8Array {
    const seen = new Uint8Array(this.n + 2);
    const stack = [from];
    seen[from] = 1;
    while (stack.length > 0) {
      const v = stack.pop() as number;
      for (const e of lists[v] as number[]) {
        const w = next(this.edges[e] as FlowEdge);
        if (!seen[w]) {
          seen[w] = 1;
          stack.push(w);
        }
      }
    }
    return seen;
  }

  /** Iterative DFS from START: marks back edges, returns reverse postorder (a topological order). */
  private forwardOrder(): number[] {
    const state = new Uint8Array(this.n + 2); // 0 new, 1 on the DFS stack, 2 finished
    const post: number[] = [];
    const stack: [number, number][] = [[this.START, 0]];
    state[this.START] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [number, number];
      const [v, i] = top;
      const outs = this.out[v] as number[];
      if (i < outs.length) {
        top[1] = i + 1;
        const e = outs[i] as number;
        const w = (this.edges[e] as FlowEdge).to;
        if (state[w] === 0) {
          state[w] = 1;
          stack.push([w, 0]);
        } else if (state[w] === 1) {
          this.back[e] = 1;
        }
      } else {
        state[v] = 2;
        post.push(v);
        stack.pop();
      }
    }
    return post.reverse();
  }

  /** Forward in-edges of `v` (no back edges) from reachable sources. */
  forwardIn(v: number): readonly number[] {
    return this.fwdIn[v] as number[];
  }

  /**
   * Immediate dominators over the reverse postorder `topo`: of the forward graph (a DAG) in one
   * pass, or with `all`, of the whole graph (the first pass sees only forward edges: a back edge's
   * source comes later in the order).
   */
  private dominators(all: boolean): Int32Array {
    return immediateDominators(
      this.n + 2,
      this.START,
      this.topo,
      this.topoIndex,
      (v, visit) => {
        for (const e of all ? (this.in[v] as number[]) : this.forwardIn(v)) visit((this.edges[e] as FlowEdge).from);
      },
      all,
    );
  }

  private numberDomTree(): [Int32Array, Int32Array] {
    return numberDominatorTree(this.n + 2, this.START, this.topo, this.idom);
  }

  /**
   * Whether `a` dominates `b`: every path from START to `b` passes `a`, over every edge (when
   * every loop is entered at its head, the same as in the forward graph).
   */
  dominates(a: number, b: number): boolean {
    const ai = this.domIn[a] as number;
    const bi = this.domIn[b] as number;
    return ai !== -1 && bi !== -1 && ai <= bi && (this.domOut[b] as number) <= (this.domOut[a] as number);
  }

  /**
   * For each block, an anchor: a block that starts exactly when it starts, in runs that do not
   * fail. A block reached by an unconditional edge (no route case, no bound) from a block without
   * error edges, whose anchor dominates it, shares that anchor; otherwise it is its own anchor.
   * (If the anchor starts, the source starts, succeeds and fires the edge; if the block starts, the
   * dominating anchor started.)
   */
  private anchors(): Int32Array {
    const anchor = new Int32Array(this.n + 2).fill(-1);
    anchor[this.START] = this.START;
    for (const v of this.topo) {
      if (v === this.START) continue;
      anchor[v] = v;
      for (const e of this.forwardIn(v)) {
        const edge = this.edges[e] as FlowEdge;
        const unconditional = edge.kind === "start" || ((edge.kind === "always" || edge.kind === "end") && !edge.bounded);
        if (!unconditional || this.hasErrorEdge[edge.from]) continue;
        const a = edge.kind === "start" ? this.START : (anchor[edge.from] as number);
        if (a === this.START || this.dominates(a, v)) {
          anchor[v] = a;
          break;
        }
      }
    }
    return anchor;
  }

  /** Whether `p` certainly starts (and so finishes before `v` is resolved) whenever `v` starts. */
  private startsWith(p: number, v: number): boolean {
    const a = this.anchor[p] as number;
    return a === this.START || this.dominates(a, v);
  }

  /**
   * Whether a block may be ruled out (never start) in a run that does not fail: when every one of its
   * forward incoming edges may be dead. An edge may be dead when it is conditional (a route case,
   * otherwise, error, exhausted, or bounded edge), when its source has error edges (then its
   * success edges are dead after a typed failure), or when its source may be ruled out.
   */
  private deadness(): Uint8Array {
    const mayBeDead = new Uint8Array(this.n + 2);
    for (const v of this.topo) {
      if (v === this.START) continue;
      const incoming = this.forwardIn(v);
      mayBeDead[v] = incoming.length > 0 && incoming.every((e) => this.edgeMayBeDead(e, mayBeDead)) ? 1 : 0;
    }
    return mayBeDead;
  }

  private stalling(): [Uint8Array, boolean] {
    const stalls = new Uint8Array(this.n + 2);
    let waiting = false;
    for (const v of this.topo) {
      if (v === this.START || v === this.END || this.isEntry[v]) continue;
      let joins = false;
      let stalled = false;
      for (const e of this.forwardIn(v)) {
        const edge = this.edges[e] as FlowEdge;
        if (edge.kind === "exhausted") continue;
        joins = true;
        stalled ||= stalls[edge.from] === 1;
      }
      if (stalled) waiting = true;
      stalls[v] = stalled || !joins ? 1 : 0;
    }
    return [stalls, waiting];
  }

  private edgeMayBeDead(e: number, mayBeDead: Uint8Array): boolean {
    const edge = this.edges[e] as FlowEdge;
    if (edge.kind === "start") return false;
    if (edge.kind !== "always" && edge.kind !== "end") return true;
    return edge.bounded || this.hasErrorEdge[edge.from] === 1 || mayBeDead[edge.from] === 1;
  }

  /** Whether the source of the edge has completed successfully when the edge is taken. */
  private contributes(edge: FlowEdge): boolean {
    return edge.kind !== "error" && edge.kind !== "start" && edge.afterError !== true;
  }

  /**
   * Walks the forward graph in topological order and calls `visit(v, done)` for every reachable
   * block and for END, where `done` is the set of blocks whose successful output is certainly
   * available when `v` starts (see docs/design/checker.md). Two sets per block:
   *
   * - `done(v)`: certainly completed when `v` starts. For one incoming edge or `join: "any"`, the
   *   intersection over incoming edges of `done(p) ∪ {p}` (`p` left out on error edges). A join-all
   *   block also waits until every incoming edge is resolved, so it adds `resolved(p)` of every source.
   *   An entry block starts when the graph starts, whatever its incoming edges: its set is empty.
   * - `resolved(v)`: certainly completed when `v` is resolved (finished, or ruled out). If `v`
   *   finished: `done(v)`, plus `v` when it has no error edges. If `v` may have been ruled out
   *   instead, only what both cases guarantee: intersected with the union of its sources' `resolved`.
   *
   * An `onExhausted` jump starts its target directly: a join does not wait for it (nor is a block
   * ruled out through it), so `done(v)` is also intersected with `done(p) ∪ {p}` of each jump
   * `p ⇒ v`, and only the other edges make the join. END is reached when nothing more can start:
   * every block has been resolved (or stalls, see {@link stalls}), so `done(END)` also has the
   * `resolved` set of every block.
   *
   * When some loop is entered at a block other than its head ({@link irreducible}), a block that a
   * back edge `p → v` enters may start through it without what its forward edges guarantee, so
   * `done(v)` is also intersected with `done(p) ∪ {p}` of every back edge. Those sets come later in
   * the order: the walk is repeated until no set shrinks (a greatest fixpoint: every set starts
   * full and only shrinks), then once more to visit. When every loop is entered at its head, the
   * head dominates the back edge's source, whose set already contains the head's: one walk suffices.
   *
   * Sets are released as soon as no successor needs them (during a single walk).
   */
  walkCompleted(visit: (v: number, done: BitSet) => void): void {
    if (!this.irreducible) {
      this.completedPass(visit, undefined);
      return;
    }
    const caps: (BitSet | undefined)[] = new Array(this.n + 2);
    while (this.tighten(caps, this.completedPass(undefined, caps))) {
      // Each round shrinks at least one set; the sets are finite.
    }
    this.completedPass(visit, caps);
  }

  /**
   * One walk of {@link walkCompleted}. With `caps` (the back edges' contributions so far, per
   * block), the sets are intersected with them and kept (not released), and returned.
   */
  private completedPass(visit: ((v: number, done: BitSet) => void) | undefined, caps: (BitSet | undefined)[] | undefined): (BitSet | undefined)[] {
    const words = Math.max(1, Math.ceil(this.n / 32));
    const done: (BitSet | undefined)[] = new Array(this.n + 2);
    const resolved: (BitSet | undefined)[] = new Array(this.n + 2);
    const pending = new Int32Array(this.n + 2);
    for (const v of this.topo) {
      for (const e of this.forwardIn(v)) {
        const from = (this.edges[e] as FlowEdge).from;
        pending[from] = (pending[from] as number) + 1;
      }
    }
    const scratch = new BitSet(words);
    const waited = new BitSet(words);
    const ruledOut = new BitSet(words);
    const direct = new BitSet(words);
    const jumped = new BitSet(words);
    const atEnd = new BitSet(words);
    // Released sets are reused: a long graph then needs only as many sets as its widest frontier.
    const pool: BitSet[] = [];
    const take = (): BitSet => {
      const set = pool.pop();
      if (set === undefined) return new BitSet(words);
      set.clear();
      return set;
    };
    const release = (v: number): void => {
      if (caps !== undefined) return;
      pool.push(done[v] as BitSet, resolved[v] as BitSet);
      done[v] = resolved[v] = undefined;
    };
    for (const v of this.topo) {
      const d = take();
      const r = take();
      if (v !== this.START) {
        let first = true;
        let firstDirect = true;
        waited.clear();
        ruledOut.clear();
        if (v === this.END && this.endMayStarve) {
          // The run may end without an edge into END taken: only the blocks' resolutions hold.
          d.copy(atEnd);
        } else if (!this.isEntry[v]) {
          // (An entry block starts at once: nothing has certainly completed, and it is never ruled out.)
          for (const e of this.forwardIn(v)) {
            const edge = this.edges[e] as FlowEdge;
            const p = edge.from;
            scratch.copy(done[p] as BitSet);
            if (this.contributes(edge) && p < this.n) scratch.set(p);
            // An exhausted bound starts `v` directly, without its join: only what it brings holds.
            if (edge.kind === "exhausted") {
              if (firstDirect) {
                direct.copy(scratch);
                jumped.copy(resolved[p] as BitSet);
              } else {
                direct.and(scratch);
                jumped.or(resolved[p] as BitSet);
              }
              firstDirect = false;
              continue;
            }
            if (first) d.copy(scratch);
            else d.and(scratch);
            first = false;
            // If `v` is ruled out, every source was resolved: what each resolution implies holds.
            ruledOut.or(resolved[p] as BitSet);
            // A join-all `v` starts only when every source is resolved. A source that certainly
            // starts whenever `v` starts has finished by then; of another, its resolution is known.
            if (p !== this.START && this.startsWith(p, v)) {
              scratch.copy(done[p] as BitSet);
              if (!this.hasErrorEdge[p]) scratch.set(p);
              waited.or(scratch);
            } else {
              waited.or(resolved[p] as BitSet);
            }
          }
          if (this.joinAll[v] && !first) d.or(waited);
          if (!firstDirect) {
            if (first) d.copy(direct);
            else d.and(direct);
          }
        }
        // The run ends when nothing runs or can start: every block has been resolved by then, or
        // stalled (whose `resolved` holds too, see `stalls`).
        if (v === this.END && this.endSeesAll) d.or(atEnd);
        const cap = caps?.[v];
        if (cap !== undefined) d.and(cap);
        r.copy(d);
        if (v < this.n && !this.hasErrorEdge[v]) r.set(v);
        // `v` is ruled out when every incoming edge is dead; exhausted bounds are not among them. A
        // block that only exhausted bounds lead to is never ruled out, but may never start: its
        // sources' resolutions are what holds then. A block that may stall is like one ruled out.
        if (v < this.n && (this.mayBeDead[v] || this.stalls[v])) r.and(first ? jumped : ruledOut);
        if (v < this.n && this.endSeesAll) atEnd.or(r);
      }
      done[v] = d;
      resolved[v] = r;
      for (const e of this.forwardIn(v)) {
        const p = (this.edges[e] as FlowEdge).from;
        pending[p] = (pending[p] as number) - 1;
        if (pending[p] === 0) release(p);
      }
      if (v !== this.START) visit?.(v, d);
      if (pending[v] === 0) release(v);
    }
    return done;
  }

  /**
   * Sets `caps[v]` to the intersection, over the back edges `p → v`, of `done(p) ∪ {p}` (`p` left
   * out on error edges). Returns whether some `done(v)` is not within its new cap (another walk is needed).
   */
  private tighten(caps: (BitSet | undefined)[], done: readonly (BitSet | undefined)[]): boolean {
    const words = Math.max(1, Math.ceil(this.n / 32));
    const scratch = new BitSet(words);
    let changed = false;
    for (const v of this.topo) {
      let cap: BitSet | undefined;
      for (const e of this.in[v] as number[]) {
        const edge = this.edges[e] as FlowEdge;
        const source = done[edge.from];
        if (!this.back[e] || source === undefined) continue;
        scratch.copy(source);
        if (this.contributes(edge) && edge.from < this.n) scratch.set(edge.from);
        if (cap === undefined) (cap = new BitSet(words)).copy(scratch);
        else cap.and(scratch);
      }
      if (cap === undefined) continue;
      if (!(done[v] as BitSet).within(cap)) changed = true;
      caps[v] = cap;
    }
    return changed;
  }

  /**
   * For `firstOf` bindings: whether at least one block of `sources` has certainly completed
   * successfully when `upTo` starts. The boolean version of {@link walkCompleted}, over the part of
   * the topological order between the first source and `upTo` (to the end of the order, repeated
   * to a fixpoint, when some loop is entered at several blocks). Sources that no path reaches
   * never complete.
   */
  someCompleted(sources: ReadonlySet<number>, upTo: number): boolean {
    const has = new Uint8Array(this.n + 2);
    const resolved = new Uint8Array(this.n + 2);
    // Blocks before the first source (in topological order) cannot have one completed before them.
    let from = this.topo.length;
    for (const s of sources) {
      const at = this.topoIndex[s] ?? -1;
      if (at !== -1 && at < from) from = at;
    }
    const to = this.topoIndex[upTo] ?? -1;
    if (to === -1 || from > to) return false;
    const cap = this.irreducible ? new Uint8Array(this.n + 2).fill(1) : undefined;
    const last = cap === undefined ? to : this.topo.length - 1;
    for (;;) {
      // Whether some block resolved so far brings a source: the run ends only after every block resolved.
      let atEnd: boolean = false;
      for (let i = from; i <= last; i++) {
        const v = this.topo[i] as number;
        if (v === this.START) continue;
        let all = true;
        let waited = false;
        let ruledOut = false;
        let joined = false;
        let direct = true;
        let jumped = false;
        if (v === this.END && this.endMayStarve) {
          has[v] = atEnd ? 1 : 0;
          continue;
        }
        if (!this.isEntry[v]) {
          for (const e of this.forwardIn(v)) {
            const edge = this.edges[e] as FlowEdge;
            const p = edge.from;
            const gives = has[p] === 1 || (this.contributes(edge) && sources.has(p));
            if (edge.kind === "exhausted") {
              direct &&= gives;
              jumped ||= resolved[p] === 1;
              continue;
            }
            joined = true;
            all &&= gives;
            ruledOut ||= resolved[p] === 1;
            const finished: boolean = has[p] === 1 || (sources.has(p) && !this.hasErrorEdge[p]);
            waited ||= p !== this.START && this.startsWith(p, v) ? finished : resolved[p] === 1;
          }
        }
        const joinGives = !joined || all || (this.joinAll[v] === 1 && waited);
        has[v] = (!this.isEntry[v] && joinGives && direct) || (v === this.END && this.endSeesAll && atEnd) ? 1 : 0;
        if (cap !== undefined && cap[v] === 0) has[v] = 0;
        const finished: boolean = has[v] === 1 || (sources.has(v) && !this.hasErrorEdge[v]);
        resolved[v] = finished && ((!this.mayBeDead[v] && !this.stalls[v]) || (joined ? ruledOut : jumped)) ? 1 : 0;
        atEnd ||= v < this.n && resolved[v] === 1;
      }
      if (cap === undefined || !this.tightenSome(cap, has, sources)) break;
    }
    return has[upTo] === 1;
  }

  /** {@link tighten} for {@link someCompleted}: one bit per block instead of a set. */
  private tightenSome(cap: Uint8Array, has: Uint8Array, sources: ReadonlySet<number>): boolean {
    let changed = false;
    for (let e = 0; e < this.edges.length; e++) {
      if (!this.back[e]) continue;
      const edge = this.edges[e] as FlowEdge;
      if (has[edge.from] === 1 || (this.contributes(edge) && sources.has(edge.from)) || cap[edge.to] === 0) continue;
      cap[edge.to] = 0;
      if (has[edge.to] === 1) changed = true;
    }
    return changed;
  }

  /**
   * Where a new pass of a loop starts besides its entry: per loop entry (the target of a back
   * edge), the blocks of its region (forward-reachable from the entry, as the runtime resets it)
   * that start again at every pass without the entry's path leading to them — graph entry blocks,
   * and blocks with an incoming edge from outside the region (that arrival still counts in a new
   * pass). The runtime's rules are in docs/runtime.md ("Loops"); a cycle through such a start
   * bypasses the edges between the entry and the block, and their bounds.
   */
  passStarts(): Map<number, number[]> {
    const starts = new Map<number, number[]>();
    const member = new Uint8Array(this.n);
    const region: number[] = [];
    const forward = (e: number): boolean => {
      const edge = this.edges[e] as FlowEdge;
      return !this.back[e] && edge.def !== undefined && edge.kind !== "exhausted" && edge.to < this.n;
    };
    for (let e = 0; e < this.edges.length; e++) {
      const edge = this.edges[e] as FlowEdge;
      if (!this.back[e] || edge.def === undefined || edge.kind === "exhausted" || starts.has(edge.to) || !this.reachable[edge.to]) continue;
      region.length = 0;
      region.push(edge.to);
      member[edge.to] = 1;
      for (let k = 0; k < region.length; k++) {
        for (const o of this.out[region[k] as number] as number[]) {
          if (!forward(o)) continue;
          const t = (this.edges[o] as FlowEdge).to;
          if (!member[t]) (member[t] = 1), region.push(t);
        }
      }
      const found: number[] = [];
      for (const v of region) {
        if (v === edge.to) continue;
        if (this.isEntry[v] || (this.in[v] as number[]).some((i) => forward(i) && !member[(this.edges[i] as FlowEdge).from])) found.push(v);
      }
      for (const v of region) member[v] = 0;
      starts.set(edge.to, found);
    }
    return starts;
  }

  /**
   * Cycles (strongly connected components) that no bounded edge breaks; iterative Tarjan. A loop's
   * pass starts (see {@link passStarts}) count as unbounded edges from its entry.
   */
  unboundedCycles(): number[][] {
    const starts = this.passStarts();
    const succ = (v: number): number[] => [
      ...(this.out[v] as number[])
        .map((e) => this.edges[e] as FlowEdge)
        .filter((e) => !e.bounded && e.to < this.n)
        .map((e) => e.to),
      ...(starts.get(v) ?? []),
    ];
    const cycles: number[][] = [];
    forEachComponent(
      this.n,
      succ,
      (members) => {
        const root = members[members.length - 1] as number;
        if (members.length > 1 || succ(root).includes(root)) cycles.push(members.reverse());
      },
      (v) => this.reachable[v] !== 0,
    );
    return cycles;
  }
}

function edgeKind(edge: EdgeDef): FlowEdgeKind {
  // A pattern-route case is a case like any other for control flow.
  return edge.when === undefined ? "always" : edge.when.kind === "match" ? "case" : edge.when.kind;
}

/** A fixed-size set of block indices. */
export class BitSet {
  readonly bits: Uint32Array;
  constructor(words: number) {
    this.bits = new Uint32Array(words);
  }
  set(i: number): void {
    this.bits[i >>> 5] = (this.bits[i >>> 5] as number) | (1 << (i & 31));
  }
  has(i: number): boolean {
    return (((this.bits[i >>> 5] as number) >>> (i & 31)) & 1) === 1;
  }
  clear(): void {
    this.bits.fill(0);
  }
  copy(other: BitSet): void {
    this.bits.set(other.bits);
  }
  and(other: BitSet): void {
    const a = this.bits;
    const b = other.bits;
    for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) & (b[i] as number);
  }
  /** Whether every member of this set is in `other`. */
  within(other: BitSet): boolean {
    const a = this.bits;
    const b = other.bits;
    for (let i = 0; i < a.length; i++) if (((a[i] as number) & ~(b[i] as number)) !== 0) return false;
    return true;
  }
  or(other: BitSet): void {
    const a = this.bits;
    const b = other.bits;
    for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) | (b[i] as number);
  }
}
