/**
 * Runs a generated graph once under a controlled schedule and says what went wrong, if anything.
 *
 * - **Schedules.** A block either answers synchronously or waits at a gate; the driver opens one
 *   waiting gate at a time, chosen by the schedule's `choices` (then by its seed), after letting
 *   every microtask settle. So a schedule is an order of block completions, shrinkable by
 *   fast-check, and the same schedule replays the same run.
 * - **Stamps.** Every value a block outputs is a stamp: the block's path and activation, and for
 *   every loop whose region (the blocks forward-reachable from its entry along edges; an
 *   `onExhausted` jump leaves the loop) holds the block, the pass
 *   of that loop in which the block started. A block that starts checks the stamps it was given:
 *   within a loop, a value from another pass than the reader's is pass-mixing (a stale read or a
 *   join mixing passes); only the loop's own entry reads earlier passes (a loop's feedback).
 * - **Outcomes.** A run may complete, or fail with a typed failure, an exhausted loop bound or a
 *   failure the harness injected. Anything else (`binding_failed`, `input_invalid` on a bound
 *   input, `output_invalid`, a journal mismatch, a hang, pass-mixing, a block starting twice in one
 *   pass) is a problem.
 */
import { type BlockContext, type GraphBlock, type GraphDef, loopEdges } from "@blockwork/spec";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import { isRunError, type JournalEntry, MemoryStore, resume, run, type RunEvent, type RunHandle } from "../../src/index.js";
import type { FuzzGraph, FuzzNode } from "./graph-arbitrary.js";
import type { FuzzImplementation } from "./graph-build.js";

/** One schedule: the order gates open in (`choices`, then pseudo-random from `seed`) and the blocks' decisions (`seed`). */
export interface FuzzSchedule {
  readonly seed: number;
  readonly choices: readonly number[];
  /** With replay: how many journal entries survive the crash (modulo the journal's length + 1). */
  readonly cut?: number;
}

/** Something a run did that a graph `check` accepted must never do. */
export interface FuzzProblem {
  readonly kind: "binding_failed" | "input_invalid" | "output_invalid" | "unexpected_error" | "hang" | "pass_mixing" | "double_start" | "rerun" | "wrong_value";
  readonly message: string;
}

/** What one run did. */
export interface FuzzRunReport {
  readonly outcome: "completed" | "failed" | "hung";
  readonly code?: string;
  readonly message?: string;
  readonly problems: readonly FuzzProblem[];
  /** Block starts and gate openings, in order (for printing a counterexample). */
  readonly trace: readonly string[];
  /** With replay: how many journal entries the resumed run started from. */
  readonly resumedFrom?: number;
  /** Bound values compared with what their bindings name (in the run that was not resumed). */
  readonly checkedValues: number;
}

/** Options of {@link runFuzzGraph}. */
export interface RunFuzzOptions {
  /** Idle time (no gate waiting, run not settled) that counts as a hang. Default 2,000 ms. */
  readonly hangMs?: number;
  /** Chance that a block throws on every attempt (the run then fails with `block_failed`). Default 0.02. */
  readonly fatalRate?: number;
  /** Also crash every run after `schedule.cut` journal entries and resume it (see {@link runFuzzGraph}). */
  readonly replay?: boolean;
}

/** Failures a run may end with: they are outcomes the graph allows, not bugs. */
const ALLOWED = new Set(["typed_failure", "loop_bound_exceeded"]);
const INJECTED = "fuzz: injected";
const STAMP = "@";

interface Stamp {
  /** `path#act` of the block that made the value. */
  readonly b: string;
  /** Pass per enclosing loop key. */
  readonly p: Readonly<Record<string, number>>;
}

/** Per graph (and per nested graph): the loops each block is in. */
class LoopMap {
  /** Block id → entry ids of the loops whose region holds it. */
  readonly loopsOf = new Map<string, string[]>();
  readonly entries = new Set<string>();
  /**
   * Blocks an `onExhausted` jump leads to, and what is forward-reachable from them: the jump starts
   * its target again as a new activation (even one that ran in this pass), and what follows it.
   */
  readonly jumps = new Set<string>();
  /** Entry id → the entries of the other loops whose entry lies in its region (a new pass of it starts them over). */
  readonly inner = new Map<string, string[]>();
  /** Loop entries that every (re)set of their loop asks to start at once: entry blocks of the graph, `join: "any"` blocks. */
  readonly startsAtReset = new Set<string>();
  private readonly children = new Map<string, LoopMap>();

  constructor(readonly def: GraphDef) {
    const back = loopEdges(def);
    const forward = def.edges.filter((_, i) => !back.has(i));
    const next = new Map<string, string[]>();
    for (const e of forward) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    const jumps = def.edges.flatMap((e) => (e.onExhausted !== undefined ? [e.onExhausted] : []));
    for (const j of jumps) this.jumps.add(j);
    while (jumps.length) for (const t of next.get(jumps.pop() as string) ?? []) if (!this.jumps.has(t)) this.jumps.add(t), jumps.push(t);
    for (const i of back) {
      const entry = (def.edges[i] as GraphDef["edges"][number]).to;
      if (this.entries.has(entry)) continue;
      this.entries.add(entry);
      const seen = new Set([entry]);
      const todo = [entry];
      while (todo.length) for (const t of next.get(todo.pop() as string) ?? []) if (!seen.has(t)) seen.add(t), todo.push(t);
      for (const v of seen) this.loopsOf.set(v, [...(this.loopsOf.get(v) ?? []), entry]);
    }
    for (const entry of this.entries) if (def.entry.includes(entry) || def.nodes.find((n) => n.id === entry)?.join === "any") this.startsAtReset.add(entry);
    for (const entry of this.entries) this.inner.set(entry, [...this.entries].filter((other) => other !== entry && (this.loopsOf.get(other) ?? []).includes(entry)));
  }

  child(id: string): LoopMap | undefined {
    let c = this.children.get(id);
    if (c === undefined) {
      const node = this.def.nodes.find((n) => n.id === id);
      const def = node?.kind === "graph" ? node.graph : node?.kind === "map" && node.item.kind === "graph" ? node.item.graph : undefined;
      if (def === undefined) return undefined;
      c = new LoopMap(def);
      this.children.set(id, c);
    }
    return c;
  }
}

/** Where a block sits, for stamping: its enclosing loop keys, and those it is (inside) the entry of. */
interface Position {
  readonly keys: readonly string[];
  /** Loop key → the path prefix of the entry's instance (values from outside it are earlier passes). */
  readonly entryOf: ReadonlyMap<string, string>;
  /** Loop key → the activation its entry segment carries. */
  readonly passOf: ReadonlyMap<string, number>;
  /** Loop key → the keys of the loops a new pass of it starts over (same graph, entry in its region). */
  readonly innerOf: ReadonlyMap<string, readonly string[]>;
  /** Loop keys whose entry every (re)set of the loop asks to start at once (see `LoopMap.startsAtReset`). */
  readonly autoStart: ReadonlySet<string>;
  /** An `onExhausted` jump (or what follows one) may start the block again, as a new activation. */
  readonly jumpTarget: boolean;
}

function splitAct(segment: string): { id: string; act: number } {
  const at = segment.lastIndexOf("@");
  return at < 0 ? { id: segment, act: 1 } : { id: segment.slice(0, at), act: Number(segment.slice(at + 1)) };
}

function positionOf(top: LoopMap, path: readonly string[], leafAct: number): Position {
  const keys: string[] = [];
  const entryOf = new Map<string, string>();
  const passOf = new Map<string, number>();
  const innerOf = new Map<string, string[]>();
  const autoStart = new Set<string>();
  let map: LoopMap | undefined = top;
  let prefix = "";
  let jumpTarget = false;
  for (let i = 0; i < path.length && map !== undefined; i++) {
    const segment = path[i] as string;
    const { id, act } = i === path.length - 1 ? { id: segment, act: leafAct } : splitAct(segment);
    for (const entry of map.loopsOf.get(id) ?? []) keys.push(`${prefix}${entry}`);
    if (map.jumps.has(id)) jumpTarget = true;
    if (map.entries.has(id)) {
      const key = `${prefix}${id}`;
      entryOf.set(key, `${path.slice(0, i + 1).join("/")}/`);
      passOf.set(key, act);
      innerOf.set(key, (map.inner.get(id) ?? []).map((e) => `${prefix}${e}`));
      if (map.startsAtReset.has(id)) autoStart.add(key);
    }
    const node = map.def.nodes.find((n) => n.id === id);
    const child = map.child(id);
    if (node?.kind === "map") {
      // The next segment is the item index; a code item ends the path there.
      prefix += `${segment}/${path[i + 1] ?? ""}/`;
      i++;
    } else prefix += `${segment}/`;
    map = child;
  }
  return { keys, entryOf, passOf, innerOf, autoStart, jumpTarget };
}

/**
 * Whether two loops of a graph (or of a subgraph in it) have overlapping regions: nested loops,
 * or loops that share blocks. (The seed set leaves them out while a known bug of theirs is open.)
 */
export function hasOverlappingLoops(def: GraphDef): boolean {
  const map = new LoopMap(def);
  for (const loops of map.loopsOf.values()) if (loops.length > 1) return true;
  return def.nodes.some((n) => (n.kind === "graph" && hasOverlappingLoops(n.graph)) || (n.kind === "map" && n.item.kind === "graph" && hasOverlappingLoops(n.item.graph)));
}

/** Opens gates one at a time in the schedule's order. */
class Gates {
  readonly waiting: { label: string; open: () => void }[] = [];

  wait(label: string): Promise<void> {
    return new Promise((open) => this.waiting.push({ label, open }));
  }
}

/** A small deterministic generator (mulberry32) seeded by a string hash. */
function rng(seed: number, key: string): () => number {
  let h = seed ^ 0x9e3779b9;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x85ebca6b) ^ (h >>> 13);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The blocks' behaviour during one run: stamps, checks, gates and decisions. */
export class FuzzRun implements FuzzImplementation {
  readonly problems: FuzzProblem[] = [];
  readonly trace: string[] = [];
  readonly gates = new Gates();
  /**
   * Per loop key: its current pass. A pass begins when the run announces it (a `loop.pass` event;
   * the entry's start that follows continues it), or when the loop's entry starts unannounced —
   * except for the entry's first start after the loop was (re)set, at the run's start or when a
   * new pass of a loop around it starts it over: blocks of the region may run before the entry
   * then (entry blocks of the graph in the region), and they are in the pass the entry continues.
   */
  private readonly pass = new Map<string, number>();
  /** Per loop key: the last activation of its entry seen starting (starts are seen twice: event and call). */
  private readonly lastAct = new Map<string, number>();
  /** Loops (re)set whose entry has not started since (its next start continues the pass). */
  private readonly fresh = new Set<string>();
  /** Loops whose current pass began with such a start (the entry may read its own pass's values). */
  private readonly freshStart = new Set<string>();
  /** Loops whose new pass the run announced (a `loop.pass` event) before their entry started it. */
  private readonly announced = new Set<string>();
  /** Loop keys ever seen (for the graph output's vector). */
  private readonly keysSeen = new Set<string>();
  /** Loop entries that an edge was taken into since their loop was (re)set (asked to start: not held). */
  private readonly triggered = new Set<string>();
  /** A resumed run, until its replay of the journal ends (`run.resumed`). */
  private replaying = false;
  private readonly started = new Set<string>();
  /** Leaf blocks' latest outputs (by path with the scope's activations): activation and passes. */
  private resumed = false;
  /** How many bound values `checkBindings` compared with what the binding names. */
  checkedValues = 0;
  private readonly completed = new Map<string, { act: number; vector: Record<string, number> }>();
  /** `path#act` of the leaf blocks whose completion the journal held when the run was resumed. */
  private readonly journaled = new Set<string>();
  private readonly loops: LoopMap;

  constructor(
    graph: GraphBlock,
    private readonly schedule: FuzzSchedule,
    private readonly fatalRate = 0.02,
  ) {
    this.loops = new LoopMap(graph.def);
  }

  block(node: FuzzNode, input: unknown, ctx: BlockContext<{ reason: string }>, graph: FuzzGraph): unknown {
    const { act, vector, key, entryOf } = this.enter(input, ctx);
    const scope = key.slice(0, key.length - ctx.path[ctx.path.length - 1]!.length);
    // A resumed run applies outcomes (journaled and live) as its replay reaches them, at times not
    // seen here: the binding values are checked in runs that were not resumed.
    if (ctx.attempt === 1 && !this.resumed && ![...entryOf.keys()].some((k) => k in vector)) this.checkBindings(node, graph, input as Record<string, unknown>, { scope, vector, reader: `${key}#${act}` });
    const r = rng(this.schedule.seed, `${key}#${act}.${ctx.attempt}`);
    const gated = r() < 0.7;
    const done = (what: string) => this.trace.push(`  done ${key}#${act}${ctx.attempt > 1 ? ` (attempt ${ctx.attempt})` : ""}${gated ? "" : " at once"}: ${what}`);
    const finish = (): unknown => {
      if (node.retry && ctx.attempt === 1 && r() < 0.3) {
        done("throws (retried)");
        throw new Error(`${INJECTED} transient failure of ${key}`);
      }
      if (r() < this.fatalRate) {
        done("throws");
        throw new Error(`${INJECTED} failure of ${key}`);
      }
      if (node.error && r() < 0.25) {
        done("typed failure");
        return ctx.fail({ reason: `fuzz ${key}#${act}` });
      }
      const stamp = this.stamp(key, act, vector);
      this.completed.set(key, { act, vector });
      const items = Array.from({ length: Math.floor(r() * 3) }, () => ({ v: stamp }));
      const k = node.cases?.[Math.floor(r() * node.cases.length)];
      const n = node.patterns ? Math.floor(r() * 10) : undefined;
      done(k !== undefined ? `k = ${k}` : n !== undefined ? `n = ${n}` : "ok");
      return { v: stamp, items, ...(k !== undefined ? { k } : {}), ...(n !== undefined ? { n } : {}) };
    };
    if (!gated) return finish();
    return this.gates.wait(`${key}#${act}`).then(finish);
  }

  item(_node: FuzzNode, input: unknown, ctx: BlockContext): unknown {
    const { act, vector, key } = this.enter(input, ctx);
    const r = rng(this.schedule.seed, `${key}#${act}.${ctx.attempt}`);
    const gated = r() < 0.5;
    const finish = () => {
      this.trace.push(`  done ${key}#${act}${gated ? "" : " at once"}: ok`);
      return { v: this.stamp(key, act, vector), items: [] };
    };
    if (!gated) return finish();
    return this.gates.wait(`${key}#${act}`).then(finish);
  }

  /** The current pass of a loop (1 until a pass begins). */
  passOf(key: string): number {
    this.keysSeen.add(key);
    if (!this.pass.has(key)) {
      this.pass.set(key, 1);
      if (!this.lastAct.has(key)) this.fresh.add(key);
    }
    return this.pass.get(key) as number;
  }

  /** Loop `key`'s entry started activation `act`: unless announced or the loop was just (re)set, a new pass begins. */
  private entryStarted(key: string, act: number, inner: readonly string[]): void {
    this.passOf(key);
    if (act <= (this.lastAct.get(key) ?? 0)) return;
    this.lastAct.set(key, act);
    if (this.announced.delete(key)) return;
    if (this.fresh.delete(key)) {
      this.freshStart.add(key);
      return;
    }
    this.newPass(key, inner);
  }

  /** Loop `key` begins a new pass; the loops whose entry is in its region start over. */
  private newPass(key: string, inner: readonly string[]): void {
    this.fresh.delete(key);
    this.freshStart.delete(key);
    this.pass.set(key, this.passOf(key) + 1);
    this.triggered.delete(key);
    for (const k of inner) {
      this.triggered.delete(k);
      this.pass.set(k, this.passOf(k) + 1);
      this.fresh.add(k);
      this.freshStart.delete(k);
      this.announced.delete(k);
    }
  }

  private position(path: readonly string[], act: number): Position {
    const position = positionOf(this.loops, path, act);
    for (const [k, a] of position.passOf) this.entryStarted(k, a, position.innerOf.get(k) ?? []);
    return position;
  }

  /**
   * A block started (a `block.started` event, or the completion or failure of a block that a
   * resumed run replays from the journal: it does not start again): a loop entry's start may begin
   * a pass. Leaf blocks say so themselves too; this also sees subgraphs and maps.
   */
  blockStarted(path: string, act: number): void {
    this.position(path.split("/"), act);
  }

  /** The run started a new pass of the loop whose entry is at `path` (a `loop.pass` event). */
  passAnnounced(path: string): void {
    const segments = path.split("/");
    const position = positionOf(this.loops, segments, splitAct(segments[segments.length - 1] as string).act);
    this.newPass(path, position.innerOf.get(path) ?? []);
    this.announced.add(path);
  }

  /** Listens to a run's events for loop passes. */
  readonly onEvent = (e: RunEvent): void => {
    if (e.type === "edge.taken" && e.loop) this.loopTaken(e.to);
    else if (e.type === "edge.taken") this.triggered.add(e.to);
    else if (e.type === "loop.pass") this.passAnnounced(e.path);
    else if (e.type === "run.resumed") this.replaying = false;
    else if (e.type === "block.started" && e.attempt === 1) this.blockStarted(e.path, e.act);
    else if ((e.type === "block.completed" && e.replayed) || e.type === "block.failed") this.blockStarted(e.path, e.act);
  };

  /** The run took a back edge into the loop entry at `key` (an `edge.taken` event with `loop`). */
  loopTaken(key: string): void {
    this.passOf(key);
    // Taken before anything asked the entry to start since the loop was (re)set: the entry's start
    // begins the next pass (the runtime holds the entry until the pass the back edge ended has
    // settled). An entry asked to start before (an edge into it taken, or an entry block of the
    // graph or a join-any block, which every reset starts) runs in the ending pass. (A join-all
    // entry with several ways in counts as asked at its first arrival: lenient, never wrong.)
    // While a resumed run replays, a replayed block's start is seen only at its completion, after
    // the back edges it came before: the `loop.pass` entries of the journal say where passes began.
    if (this.replaying || this.triggered.has(key)) return;
    const segments = key.split("/");
    if (positionOf(this.loops, segments, splitAct(segments[segments.length - 1] as string).act).autoStart.has(key)) return;
    this.fresh.delete(key);
  }

  /** A resumed run: the passes that had begun, and the blocks that must not run again, from the journal kept. */
  replayed(entries: readonly JournalEntry[]): void {
    this.resumed = true;
    this.replaying = true;
    // The passes are counted from the resumed run's events: its replay reports the journaled
    // blocks (block.completed with replayed), back edges and passes in the journal's order.
    for (const e of entries) {
      if (e.kind === "block.completed" || e.kind === "block.failed") this.journaled.add(`${e.path}#${e.act}`);
      const v = e.kind === "block.completed" ? (e.output as { v?: unknown } | null)?.v : undefined;
      if (typeof v === "string" && v.startsWith(STAMP)) this.completed.set(e.path, { act: e.act, vector: { ...(JSON.parse(v.slice(STAMP.length)) as Stamp).p } });
    }
  }

  /** Checks the output of the whole run: at the end, every loop is in its last pass. */
  checkOutput(output: unknown): void {
    const vector: Record<string, number> = {};
    for (const k of this.keysSeen) if (!k.includes("/")) vector[k] = this.passOf(k);
    this.checkStamps(output, vector, new Map(), "the graph output");
  }

  private enter(input: unknown, ctx: { readonly path: readonly string[]; readonly idempotencyKey: string; readonly attempt: number }) {
    const path = ctx.path;
    const key = path.join("/");
    const act = Number(ctx.idempotencyKey.slice(ctx.idempotencyKey.lastIndexOf("#") + 1));
    const position = this.position(path, act);
    const vector: Record<string, number> = {};
    for (const k of position.keys) vector[k] = this.passOf(k);
    if (ctx.attempt === 1) {
      const passes = position.keys.map((k) => `${k}=${vector[k]}`).join(",");
      this.trace.push(`start ${key}#${act}${passes ? ` [${passes}]` : ""}`);
      const once = `${key.replace(/@\d+/g, "")}|${passes}`;
      if (this.started.has(once) && !position.jumpTarget) {
        this.problems.push({ kind: "double_start", message: `block ${key} started a second time (activation ${act}) in the same pass${passes ? ` (${passes})` : " (it is in no loop)"}` });
      }
      this.started.add(once);
      if (this.journaled.has(`${key}#${act}`)) this.problems.push({ kind: "rerun", message: `block ${key}#${act} ran again after the resume, though the journal held its outcome` });
      this.checkStamps(input, vector, position.entryOf, `block ${key}#${act}`);
    }
    return { act, vector, key, entryOf: position.entryOf };
  }

  /**
   * The values of `node`'s input are the ones its bindings name, from the current pass: a ref or
   * `maybe` gives the block's latest output (or, for `maybe`, nothing when it has not run), and
   * `firstOf` the first alternative that ran. Checked where every block named is a code block
   * (subgraphs' and maps' completions are not seen here).
   */
  private checkBindings(node: FuzzNode, graph: FuzzGraph, input: Record<string, unknown>, at: { scope: string; vector: Record<string, number>; reader: string }): void {
    const kindOf = (id: string) => graph.nodes.find((n) => n.id === id)?.kind;
    const current = (id: string) => {
      const rec = this.completed.get(`${at.scope}${id}`);
      if (rec === undefined) return undefined;
      // A new pass of a loop the block is in resets it: its output from an earlier pass is gone.
      for (const [k, pass] of Object.entries(rec.vector)) if (this.passOf(k) !== pass) return undefined;
      return `${at.scope}${id}#${rec.act}`;
    };
    for (const f of node.inputs) {
      const value = input[f.name];
      const b = f.from;
      const refs = b.kind === "ref" ? [b] : b.kind === "first" ? b.of : [];
      if (refs.length === 0 || refs.some((r) => r.kind !== "ref" || kindOf(r.node) !== "code")) continue;
      let expected: string | undefined;
      let from: string | undefined;
      for (const r of refs) {
        expected = r.kind === "ref" ? current(r.node) : undefined;
        if (expected !== undefined) {
          from = (r as { node: string }).node;
          break;
        }
      }
      const got = producerOf(value);
      if (got === "none") continue; // an empty list: nothing to tell
      this.checkedValues++;
      const want = expected ?? (b.kind === "first" && b.fallback !== undefined ? `the literal "${b.fallback}"` : "no value");
      const gotText = got ?? (value === undefined ? "no value" : typeof value === "string" ? `the literal "${value}"` : JSON.stringify(value));
      if (gotText !== want) {
        const which = from !== undefined ? `${from}'s latest output (${expected})` : want;
        this.problems.push({ kind: "wrong_value", message: `block ${at.reader} got ${gotText} for ${f.name} (bound to ${describeBinding(b)}); expected ${which}` });
      }
    }
  }

  private stamp(key: string, act: number, vector: Record<string, number>): string {
    return `${STAMP}${JSON.stringify({ b: `${key}#${act}`, p: vector } satisfies Stamp)}`;
  }

  /** Every stamp in `value` must be from the reader's pass of each loop both are in. */
  private checkStamps(value: unknown, vector: Record<string, number>, entryOf: ReadonlyMap<string, string>, reader: string, at = ""): void {
    if (typeof value === "string") {
      if (!value.startsWith(STAMP)) return;
      const stamp = JSON.parse(value.slice(STAMP.length)) as Stamp;
      for (const [k, pass] of Object.entries(stamp.p)) {
        const mine = vector[k];
        if (mine === undefined) continue;
        const inside = entryOf.get(k);
        // At (or inside) a loop's entry, values from outside the entry's instance are the loop's feedback: earlier passes.
        const feedback = inside !== undefined && !stamp.b.startsWith(inside);
        // Blocks of the region that are entry blocks of the graph may have run before the loop's entry.
        // An entry whose start continued the pass (see `pass`) reads that pass's values.
        const ok = feedback ? pass < mine || (pass === mine && this.freshStart.has(k)) : pass === mine;
        if (!ok) {
          const rule = feedback ? `an earlier pass than ${mine}` : `pass ${mine}`;
          this.problems.push({ kind: "pass_mixing", message: `${reader} (pass ${mine} of loop ${k}) read ${at || "a value"} = ${stamp.b}'s output from pass ${pass} of that loop; expected ${rule}` });
        }
      }
      return;
    }
    if (Array.isArray(value)) value.forEach((v, i) => this.checkStamps(v, vector, entryOf, reader, `${at}[${i}]`));
    else if (typeof value === "object" && value !== null) for (const [k, v] of Object.entries(value)) this.checkStamps(v, vector, entryOf, reader, at ? `${at}.${k}` : k);
  }
}

/** An implementation whose behaviour is the current run's (graphs are built once, run many times). */
export class SwitchImplementation implements FuzzImplementation {
  current: FuzzRun | undefined;

  block(node: FuzzNode, input: unknown, ctx: BlockContext<{ reason: string }>, graph: FuzzGraph): unknown {
    return (this.current as FuzzRun).block(node, input, ctx, graph);
  }

  item(node: FuzzNode, input: unknown, ctx: BlockContext): unknown {
    return (this.current as FuzzRun).item(node, input, ctx);
  }
}

/** The graph's input: stamp-free strings. */
export function fuzzInput(g: FuzzGraph): Record<string, unknown> {
  return { ...Object.fromEntries(Array.from({ length: g.inputs }, (_, k) => [`i${k}`, `in:i${k}`])), items: [{ v: "in:item0" }, { v: "in:item1" }] };
}

/** Which block made a value: `path#act` of its stamp (of the first item of a list), `"none"` for an empty list. */
function producerOf(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.length === 0 ? "none" : producerOf((value[0] as { v?: unknown } | null)?.v);
  if (typeof value === "string" && value.startsWith(STAMP)) return (JSON.parse(value.slice(STAMP.length)) as Stamp).b;
  return undefined;
}

function describeBinding(b: FuzzGraph["nodes"][number]["inputs"][number]["from"]): string {
  switch (b.kind) {
    case "ref":
      return b.maybe ? `maybe(${b.node}.${b.field})` : `${b.node}.${b.field}`;
    case "first":
      return `firstOf(${[...b.of.map(describeBinding), ...(b.fallback !== undefined ? [`"${b.fallback}"`] : [])].join(", ")})`;
    case "input":
      return `input.${b.field}`;
    case "literal":
      return JSON.stringify(b.value);
  }
}

type Settled = { ok: true; output: unknown } | { ok: false; error: unknown };

/** Opens gates in the schedule's order until the run settles, or nothing happens for `hangMs`. */
async function drive(handle: RunHandle, fuzz: FuzzRun, schedule: FuzzSchedule, hangMs: number, salt: string): Promise<Settled | undefined> {
  let settled: Settled | undefined;
  handle.result.then(
    (output) => (settled = { ok: true, output }),
    (error: unknown) => (settled = { ok: false, error }),
  );
  const pick = rng(schedule.seed, `schedule${salt}`);
  let step = 0;
  let idleSince: number | undefined;
  while (settled === undefined) {
    await nextTurn();
    if (settled !== undefined) break;
    const waiting = fuzz.gates.waiting;
    if (waiting.length > 0) {
      idleSince = undefined;
      const choice = schedule.choices[step] ?? Math.floor(pick() * 1_000);
      step++;
      const [gate] = waiting.splice(choice % waiting.length, 1);
      gate?.open();
      continue;
    }
    // Nothing waits at a gate: only the runtime's own timers (retries without delay) may be pending.
    idleSince ??= Date.now();
    if (Date.now() - idleSince > hangMs) break;
    await sleep(2);
  }
  // Blocks the run abandoned may still wait: let them finish (their answers are ignored).
  for (const gate of fuzz.gates.waiting.splice(0)) gate.open();
  return settled;
}

/** The report of a run that `drive` left: its outcome and everything wrong with it. */
function reportOf(fuzz: FuzzRun, settled: Settled | undefined, hangMs: number): FuzzRunReport {
  if (settled?.ok) fuzz.checkOutput(settled.output);
  const problems = [...fuzz.problems];
  if (settled === undefined) {
    problems.push({ kind: "hang", message: `the run neither finished nor had a block waiting for ${hangMs} ms` });
    return { outcome: "hung", problems, trace: fuzz.trace, checkedValues: fuzz.checkedValues };
  }
  if (settled.ok) return { outcome: "completed", problems, trace: fuzz.trace, checkedValues: fuzz.checkedValues };
  const error = settled.error;
  const code = isRunError(error) ? error.code : "exception";
  const message = error instanceof Error ? error.message : String(error);
  const allowed = ALLOWED.has(code) || (code === "block_failed" && message.includes(INJECTED));
  if (!allowed) {
    const kind: FuzzProblem["kind"] = code === "binding_failed" || code === "input_invalid" || code === "output_invalid" ? code : "unexpected_error";
    problems.push({ kind, message });
  }
  return { outcome: "failed", code, message, problems, trace: fuzz.trace, checkedValues: fuzz.checkedValues };
}

/**
 * Runs `graph` (built from `g` with `impl`) once under `schedule` and reports what went wrong.
 *
 * With `replay`, a run without problems is then "crashed" after `schedule.cut` journal entries (a
 * new store gets the run and that prefix of its journal) and resumed: the resumed run must follow
 * the same rules, and no block whose completion was journaled may run again.
 */
export async function runFuzzGraph(g: FuzzGraph, graph: GraphBlock, impl: SwitchImplementation, schedule: FuzzSchedule, options: RunFuzzOptions = {}): Promise<FuzzRunReport> {
  const hangMs = options.hangMs ?? 2_000;
  const fuzz = new FuzzRun(graph, schedule, options.fatalRate ?? 0.02);
  impl.current = fuzz;
  const store = new MemoryStore();
  const handle = run(graph, fuzzInput(g) as never, { store, onEvent: fuzz.onEvent });
  const settled = await drive(handle, fuzz, schedule, hangMs, "");
  impl.current = undefined;
  if (settled === undefined) handle.cancel("fuzz: hang");
  const report = reportOf(fuzz, settled, hangMs);
  if (!options.replay || report.problems.length > 0) return report;
  return replay({ graph, impl, schedule, hangMs, fatalRate: options.fatalRate ?? 0.02, store, runId: handle.id, first: report });
}

async function replay(o: { graph: GraphBlock; impl: SwitchImplementation; schedule: FuzzSchedule; hangMs: number; fatalRate: number; store: MemoryStore; runId: string; first: FuzzRunReport }): Promise<FuzzRunReport> {
  const journal = o.store.journal(o.runId);
  const record = o.store.getRun(o.runId);
  if (record === undefined || journal.length === 0) return o.first;
  const cut = (o.schedule.cut ?? 0) % (journal.length + 1);
  const kept = journal.slice(0, cut);
  const crashed = new MemoryStore();
  const version = record.version;
  crashed.saveGraph(version, o.graph.def);
  crashed.createRun({ id: record.id, graphId: record.graphId, version, status: "running", input: record.input, ...(record.source ? { source: record.source } : {}), createdAt: record.createdAt, updatedAt: record.updatedAt });
  for (const entry of kept) crashed.append(record.id, entry);
  const fuzz = new FuzzRun(o.graph, o.schedule, o.fatalRate);
  fuzz.replayed(kept);
  fuzz.trace.push(`--- crash after ${cut} of ${journal.length} journal entries; resume ---`);
  for (const e of kept) fuzz.trace.push(`  journal ${e.seq} ${e.kind} ${e.path}#${e.act}${e.kind === "block.completed" ? ` ${producerOf((e.output as { v?: unknown } | null)?.v) ?? ""}` : ""}`);
  o.impl.current = fuzz;
  let report: FuzzRunReport;
  try {
    const handle = await resume(record.id, { store: crashed, graph: o.graph, onEvent: fuzz.onEvent });
    const settled = await drive(handle, fuzz, o.schedule, o.hangMs, "replay");
    if (settled === undefined) handle.cancel("fuzz: hang");
    report = reportOf(fuzz, settled, o.hangMs);
  } catch (error) {
    report = reportOf(fuzz, { ok: false, error }, o.hangMs);
  }
  o.impl.current = undefined;
  return { ...report, trace: [...o.first.trace, ...report.trace], resumedFrom: cut, checkedValues: o.first.checkedValues };
}
