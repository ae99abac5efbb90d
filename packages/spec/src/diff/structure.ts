import { BitSet, Flow, type FlowEdge } from "../check/flow.js";
import { canonicalJson } from "../def/version.js";
import type { EdgeDef, GraphDef, NodeDef } from "../def/graph-def.js";
import { forEachComponent } from "../check/components.js";
import { immediateDominators, numberDominatorTree } from "../check/dominators.js";

/**
 * The control structure of one graph (its own blocks, not those of subgraphs), with the questions
 * the in-flight rules ask about it. Vertices are blocks (the first node with each id, as the
 * checker counts them) and START, before the entry blocks. Edges are every edge of the GraphDef,
 * error edges included, plus the `onExhausted` jump of each bounded edge, so "reachable" here is a
 * superset of what any run can do.
 *
 * - `reaches(a, b)`: a path leads from `a` to `b` (reflexive); all pairs at once, from the
 *   strongly connected components, as bit sets (n²/8 bytes: 12.5 MB for 10,000 blocks).
 * - `dominates(a, b)`: every path from START to `b` passes `a`, on the whole graph (loops
 *   included, unlike the checker's forward-graph dominators).
 * - `certainlyDone(b, x)`: the checker's "x has certainly completed when b starts" (`Flow`).
 * - `mayCompleteBefore(b, x)`: whether `x` may have completed when `b` starts, in some run.
 */
export class Structure {
  readonly n: number;
  readonly START: number;
  /** Vertex → node. */
  readonly nodes: readonly NodeDef[];
  private readonly index = new Map<string, number>();
  /** Vertex → index in `def.nodes`. */
  private readonly nodeAt: number[] = [];
  readonly succ: number[][];
  private readonly reach: BitSet[];
  private readonly cyclicBits: Uint8Array;
  private readonly domIn: Int32Array;
  private readonly domOut: Int32Array;
  private readonly component: Int32Array;
  private flow: Flow | undefined;
  private done: (BitSet | undefined)[] | undefined;
  private resolved: (BitSet | undefined)[] | undefined;
  private readonly sequentialMemo = new Map<number, boolean>();

  constructor(readonly def: GraphDef) {
    const nodes: NodeDef[] = [];
    def.nodes.forEach((node, i) => {
      if (this.index.has(node.id)) return;
      this.index.set(node.id, nodes.length);
      this.nodeAt.push(i);
      nodes.push(node);
    });
    this.nodes = nodes;
    this.n = nodes.length;
    this.START = this.n;
    this.succ = Array.from({ length: this.n + 1 }, () => []);
    for (const id of def.entry) {
      const v = this.index.get(id);
      if (v !== undefined) this.succ[this.START]?.push(v);
    }
    for (const edge of def.edges) {
      const from = this.index.get(edge.from);
      if (from === undefined) continue;
      const to = this.index.get(edge.to);
      if (to !== undefined) this.succ[from]?.push(to);
      const exhausted = edge.max === undefined || edge.onExhausted === undefined ? undefined : this.index.get(edge.onExhausted);
      if (exhausted !== undefined) this.succ[from]?.push(exhausted);
    }
    const { reach, cyclic, component } = this.closure();
    this.reach = reach;
    this.cyclicBits = cyclic;
    this.component = component;
    [this.domIn, this.domOut] = this.dominatorTree();
  }

  /** The vertex of a block id, or undefined when the graph has no such block. */
  vertex(id: string): number | undefined {
    return this.index.get(id);
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  node(id: string): NodeDef | undefined {
    const v = this.index.get(id);
    return v === undefined ? undefined : this.nodes[v];
  }

  /** Whether a path leads from `a` to `b`; every vertex reaches itself. */
  reaches(a: number, b: number): boolean {
    return (this.reach[a] as BitSet).has(b);
  }

  /** Whether the block lies on a cycle (a path of at least one edge leads back to it). */
  cyclic(v: number): boolean {
    return this.cyclicBits[v] === 1;
  }

  /** Whether every path from START to `b` passes `a` (false when `b` is unreachable). */
  dominates(a: number, b: number): boolean {
    const ai = this.domIn[a] as number;
    const bi = this.domIn[b] as number;
    return ai !== -1 && bi !== -1 && ai <= bi && (this.domOut[b] as number) <= (this.domOut[a] as number);
  }

  /**
   * Whether `x` may have completed (at least once) when `b` starts, in some run. Sound
   * over-approximation; `x` certainly has not when:
   *
   * - every path to `x` passes `b` (dominance) and `b` is on no loop: `x` comes after the single
   *   activation of `b`;
   * - `b` is on no loop and is certainly resolved (finished, or ruled out) whenever `x` starts
   *   (see {@link resolvedWhenStarts}): `b` cannot start after `x` has;
   * - `b` is on a loop that runs one block at a time and is entered once (see {@link sequential}),
   *   `x` lies after the loop and every path to `x` passes `b`: `x` starts only after the loop left
   *   for good.
   */
  mayCompleteBefore(b: number, x: number): boolean {
    if (!this.reaches(this.START, x)) return false;
    const beforeFirst = x !== b && !this.dominates(b, x);
    if (!this.cyclic(b)) return beforeFirst && !this.resolvedWhenStarts(x).has(b);
    if (beforeFirst) return true;
    if (!this.reaches(b, x)) return false;
    return this.component[x] === this.component[b] || !this.sequential(b);
  }

  /** The checker's analysis: `x` has certainly completed successfully when `b` starts. */
  certainlyDone(b: number, x: number): boolean {
    if (this.done === undefined) {
      const done: (BitSet | undefined)[] = new Array(this.n);
      const words = Math.max(1, Math.ceil(this.n / 32));
      this.flowGraph().walkCompleted((v, set) => {
        if (v >= this.n) return;
        const copy = new BitSet(words);
        copy.copy(set);
        done[v] = copy;
      });
      this.done = done;
    }
    return this.done[b]?.has(x) ?? false;
  }

  private flowGraph(): Flow {
    this.flow ??= new Flow(this.def, this.index, this.nodeAt);
    return this.flow;
  }

  /**
   * The blocks certainly resolved (finished, or ruled out) whenever `x` starts or is ruled out, on
   * the graph without its loop re-entries: a join-all block waits until every incoming edge is
   * resolved, so every source is; a join-any block, and a block reached by an exhausted bound's
   * jump, may start when a single source has finished, so only what every source guarantees
   * counts. A block on no loop stays resolved once it is, so the sets hold at later starts of
   * `x` too. Where a loop re-entry may be the first way into `x` (a loop with several ways in),
   * nothing is assumed.
   */
  private resolvedWhenStarts(x: number): BitSet {
    if (this.resolved === undefined) {
      const flow = this.flowGraph();
      const words = Math.max(1, Math.ceil(this.n / 32));
      const resolved: (BitSet | undefined)[] = new Array(this.n);
      const empty = new BitSet(words);
      const contribution = (p: number): BitSet => {
        const set = new BitSet(words);
        if (p >= this.n) return set;
        set.copy(resolved[p] ?? empty);
        set.set(p);
        return set;
      };
      for (const v of flow.topo) {
        if (v >= this.n) continue;
        const joinAll = (this.nodes[v] as NodeDef).join !== "any";
        let union: BitSet | undefined;
        let meet: BitSet | undefined;
        for (const e of flow.forwardIn(v)) {
          const edge = flow.edges[e] as FlowEdge;
          const set = contribution(edge.from);
          if (joinAll && edge.kind !== "exhausted") {
            if (union === undefined) union = set;
            else union.or(set);
          } else if (meet === undefined) {
            meet = set;
          } else {
            meet.and(set);
          }
        }
        let result = union ?? meet ?? new BitSet(words);
        if (union !== undefined && meet !== undefined) result.and(meet);
        const irreducibleEntry = (flow.in[v] as number[]).some((e) => flow.back[e] === 1 && !this.dominates(v, (flow.edges[e] as FlowEdge).from));
        if (irreducibleEntry) result = new BitSet(words);
        resolved[v] = result;
      }
      this.resolved = resolved;
    }
    return this.resolved[x] ?? new BitSet(Math.max(1, Math.ceil(this.n / 32)));
  }

  /**
   * Whether the loop (strongly connected component) of `b` runs one block at a time and is entered
   * once, so that once a run leaves it, no block of it starts again:
   *
   * - no block of the loop fires two edges at once: at most one plain edge and no routes, or no
   *   plain edge and at most one edge per route case and for `otherwise`; at most one error edge;
   * - every edge into the loop from outside leads to the same block, which waits for all of them
   *   (join all) unless there is only one, comes from a block on no loop (or the start), and is
   *   not an exhausted bound's jump.
   *
   * (A supervisor's restart of the whole graph starts a new pass; the rules reason about one pass.)
   */
  private sequential(b: number): boolean {
    const c = this.component[b] as number;
    const memo = this.sequentialMemo.get(c);
    if (memo !== undefined) return memo;
    const inLoop = (id: string) => this.component[this.index.get(id) ?? -1] === c;
    let ok = true;
    const fired = new Map<string, number>();
    const entering: EdgeDef[] = [];
    for (const [i, edge] of this.def.edges.entries()) {
      const from = this.index.get(edge.from);
      if (from === undefined || !this.index.has(edge.to)) continue;
      const exhaustedInto = edge.max !== undefined && edge.onExhausted !== undefined && inLoop(edge.onExhausted);
      if (this.component[from] !== c) {
        if (inLoop(edge.to)) entering.push(edge);
        if (exhaustedInto) ok = false;
        continue;
      }
      const when = edge.when;
      // A pattern route takes one case (the first that matches): each case is its own outcome.
      const outcome = when === undefined ? "always" : when.kind === "case" ? `case:${when.field}:${canonicalJson(when.equals)}` : when.kind === "match" ? `match:${i}` : when.kind;
      fired.set(`${edge.from}\u0000${outcome}`, (fired.get(`${edge.from}\u0000${outcome}`) ?? 0) + 1);
    }
    for (const v of this.succ[this.START] as number[]) if (this.component[v] === c) entering.push({ from: "", to: (this.nodes[v] as NodeDef).id });
    const byBlock = new Map<string, Map<string, number>>();
    for (const [key, count] of fired) {
      const [id, outcome] = key.split("\u0000") as [string, string];
      const outcomes = byBlock.get(id) ?? new Map<string, number>();
      outcomes.set(outcome, count);
      byBlock.set(id, outcomes);
    }
    for (const outcomes of byBlock.values()) {
      const always = outcomes.get("always") ?? 0;
      const routed = [...outcomes].filter(([o]) => o.startsWith("case:") || o.startsWith("match:") || o === "otherwise");
      const fields = new Set(routed.filter(([o]) => o.startsWith("case:")).map(([o]) => o.split(":")[1]));
      if (always > 1 || (always === 1 && routed.length > 0) || fields.size > 1) ok = false;
      if (routed.some(([, n]) => n > 1) || (outcomes.get("error") ?? 0) > 1) ok = false;
    }
    const targets = new Set(entering.map((e) => e.to));
    const target = this.node([...targets][0] ?? "");
    if (targets.size !== 1 || (entering.length > 1 && target?.join === "any")) ok = false;
    for (const edge of entering) {
      const from = this.index.get(edge.from);
      if (from !== undefined && this.cyclic(from)) ok = false;
    }
    this.sequentialMemo.set(c, ok);
    return ok;
  }

  /** Reachability of every vertex, from its strongly connected component (iterative Tarjan). */
  private closure(): { reach: BitSet[]; cyclic: Uint8Array; component: Int32Array } {
    const size = this.n + 1;
    const words = Math.max(1, Math.ceil(size / 32));
    const component = new Int32Array(size).fill(-1);
    const componentReach: BitSet[] = [];
    const cyclic = new Uint8Array(size);
    forEachComponent(size, (v) => this.succ[v] as number[], (members) => {
      // Every component this one reaches was completed (and numbered) before it.
      const c = componentReach.length;
      const bits = new BitSet(words);
      for (const m of members) {
        component[m] = c;
        bits.set(m);
      }
      for (const m of members) {
        for (const s of this.succ[m] as number[]) {
          const sc = component[s] as number;
          if (sc !== c) bits.or(componentReach[sc] as BitSet);
          else if (members.length > 1 || s === m) cyclic[m] = 1;
        }
      }
      if (members.length > 1) for (const m of members) cyclic[m] = 1;
      componentReach.push(bits);
    });
    return { reach: Array.from({ length: size }, (_, v) => componentReach[component[v] as number] as BitSet), cyclic, component };
  }

  /**
   * Immediate dominators on the whole graph (Cooper, Harvey and Kennedy's iterative algorithm
   * over reverse postorder), numbered as a tree so that `dominates` is two comparisons.
   */
  private dominatorTree(): [Int32Array, Int32Array] {
    const size = this.n + 1;
    const pred: number[][] = Array.from({ length: size }, () => []);
    this.succ.forEach((outs, v) => outs.forEach((w) => pred[w]?.push(v)));
    const rpo = this.reversePostorder();
    const position = new Int32Array(size).fill(-1);
    rpo.forEach((v, i) => (position[v] = i));
    const idom = immediateDominators(size, this.START, rpo, position, (v, visit) => (pred[v] as number[]).forEach(visit), true);
    return numberDominatorTree(size, this.START, rpo, idom);
  }

  /** Vertices reachable from START in reverse postorder of a depth-first walk. */
  private reversePostorder(): number[] {
    const seen = new Uint8Array(this.n + 1);
    const post: number[] = [];
    const stack: [number, number][] = [[this.START, 0]];
    seen[this.START] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [number, number];
      const outs = this.succ[top[0]] as number[];
      if (top[1] < outs.length) {
        const w = outs[top[1]++] as number;
        if (!seen[w]) {
          seen[w] = 1;
          stack.push([w, 0]);
        }
      } else {
        post.push(top[0]);
        stack.pop();
      }
    }
    return post.reverse();
  }
}
