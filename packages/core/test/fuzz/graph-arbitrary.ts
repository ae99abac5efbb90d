/**
 * Random graphs for the differential fuzzer (issue 12), as plain data: a `FuzzGraph` says which
 * blocks there are (code, subgraph, map), how they are wired (plain edges, routes with cases and
 * `otherwise`, error edges, bounded loop edges with or without `onExhausted`, joins any/all, entry
 * blocks) and where each input field comes from (the graph input, a block output, `maybe(...)`,
 * `firstOf(...)`, literals). It is built into a real graph through the public builder by
 * `buildFuzzGraph` (graph-build.ts).
 *
 * The arbitrary draws a "raw" description made of small integers that every shape interprets
 * (references are taken modulo the number of blocks), so fast-check can shrink it freely: dropping
 * a block, an edge or a field always leaves a graph that can be assembled. Whether the checker
 * accepts it is decided later, by `check` itself.
 *
 * Reusable: `fuzzGraphArbitrary(options)` is all another test needs.
 */
import fc from "fast-check";

/** Where a value comes from. Refs read `v` (a string), `items` or `results` (lists). */
export type FuzzBinding =
  | { readonly kind: "input"; readonly field: string }
  | { readonly kind: "ref"; readonly node: string; readonly field: "v" | "items" | "results"; readonly maybe: boolean }
  | { readonly kind: "first"; readonly of: readonly FuzzBinding[]; readonly fallback?: string }
  | { readonly kind: "literal"; readonly value: string | readonly [] };

/** One input field of a block (or of a graph's output): a string, or a list of `{ v: string }`. */
export interface FuzzField {
  readonly name: string;
  readonly list: boolean;
  readonly optional: boolean;
  readonly from: FuzzBinding;
}

/** One block. Code blocks output `{ v, items }` (and `k`, the case, when they route). */
export interface FuzzNode {
  readonly id: string;
  readonly kind: "code" | "graph" | "map";
  readonly join: "all" | "any";
  readonly inputs: readonly FuzzField[];
  /** The values of the discriminant `k` when the block routes on it. */
  readonly cases?: readonly string[];
  /** The block routes with ts-pattern patterns over its output's `n` (a whole number 0 … 9). */
  readonly patterns?: boolean;
  /** The block declares an error schema (it has an error edge) and sometimes fails with a typed error. */
  readonly error: boolean;
  /** Two attempts: the first one sometimes throws. */
  readonly retry: boolean;
  /** Kind `graph`: the subgraph. */
  readonly sub?: FuzzGraph;
}

/** Control flow, as the builder takes it. */
export interface FuzzEdge {
  readonly from: string;
  readonly to: string;
  readonly when?: { readonly kind: "case"; readonly equals: string } | { readonly kind: "otherwise" } | { readonly kind: "error" } | FuzzPatternCase;
  readonly max?: number;
  readonly onExhausted?: string;
}

/**
 * A case of a pattern route (`.match()`): the outputs whose `n` is in `[lo, hi)`, written as
 * `P.number.gte(lo).lt(hi)` (`range`), `P.union(lo, …, hi - 1)` (`union`), or `P.when(...)`
 * (`guard`: a predicate the checker cannot read, so the route is undecided).
 */
export interface FuzzPatternCase {
  readonly kind: "pattern";
  readonly lo: number;
  readonly hi: number;
  readonly form: "range" | "union" | "guard";
}

/**
 * A generated graph. Its input is `{ i0 … i<inputs-1>: string, items: { v: string }[] }`; its output
 * is the object of `output` fields (a subgraph's output is `{ v: string, items: { v }[] }`).
 */
export interface FuzzGraph {
  readonly id: string;
  readonly inputs: number;
  readonly nodes: readonly FuzzNode[];
  readonly entry: readonly string[];
  readonly edges: readonly FuzzEdge[];
  readonly output: readonly FuzzField[];
}

/** What kinds of structure the generator may use. */
export interface FuzzGraphOptions {
  /** Most blocks in one graph (subgraphs get a third of it). Default 8. */
  readonly maxBlocks?: number;
  /** Bounded back edges (loops). Default true. */
  readonly loops?: boolean;
  /** Subgraph blocks. Default true. */
  readonly subgraphs?: boolean;
  /** Map blocks. Default true. */
  readonly maps?: boolean;
  /** Error edges (blocks that fail with typed errors). Default true. */
  readonly errors?: boolean;
  /** Pattern routes (`.match()` with ts-pattern's `P`) besides routes on a discriminant. Default true. */
  readonly patterns?: boolean;
  /** How deep subgraphs nest. Default 1. */
  readonly depth?: number;
}

interface RawField {
  readonly src: number;
  readonly d: number;
  readonly alts: readonly number[];
  readonly list: boolean;
  readonly optional: boolean;
  readonly fallback: boolean;
}

interface RawBack {
  readonly d: number;
  readonly max: number;
  readonly exhaust: boolean;
  readonly target: number;
}

interface RawNode {
  readonly kind: number;
  readonly preds: readonly number[];
  readonly any: boolean;
  readonly fields: readonly RawField[];
  readonly route: boolean;
  /** 0: on the discriminant `k`; otherwise a pattern route, the case forms drawn from `forms`. */
  readonly pattern: number;
  readonly forms: readonly number[];
  readonly otherwise: boolean;
  readonly error: number | null;
  readonly retry: boolean;
  readonly back: RawBack | null;
  readonly entry: boolean;
  readonly sub: RawGraph | null;
}

/** The shrinkable form a `FuzzGraph` is assembled from. */
export interface RawGraph {
  readonly inputs: number;
  readonly nodes: readonly RawNode[];
  readonly output: readonly RawField[];
}

/** True once in `n + 1` draws; shrinks to false. */
function rare(n: number): fc.Arbitrary<boolean> {
  return fc.nat({ max: n }).map((k) => k === n);
}

const rawField = fc.record({
  src: fc.nat({ max: 9 }),
  d: fc.nat({ max: 20 }),
  alts: fc.array(fc.nat({ max: 20 }), { maxLength: 2 }),
  list: rare(5),
  optional: fc.boolean(),
  fallback: fc.boolean(),
});

function rawGraph(options: Required<FuzzGraphOptions>, depth: number, maxBlocks: number): fc.Arbitrary<RawGraph> {
  const sub: fc.Arbitrary<RawGraph | null> =
    options.subgraphs && depth < options.depth
      ? sometimes(rawGraph(options, depth + 1, Math.max(2, Math.floor(maxBlocks / 3))), 1, 1)
      : fc.constant(null);
  const node: fc.Arbitrary<RawNode> = fc.record({
    kind: fc.nat({ max: 9 }),
    preds: fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 2 }),
    any: rare(3),
    fields: fc.array(rawField, { maxLength: 3 }),
    route: fc.boolean(),
    pattern: options.patterns ? fc.nat({ max: 2 }) : fc.constant(0),
    forms: fc.array(fc.nat({ max: 5 }), { maxLength: 4 }),
    otherwise: rare(3),
    error: options.errors ? sometimes(fc.nat({ max: 20 }), 1, 5) : fc.constant(null),
    retry: rare(4),
    back: options.loops
      ? sometimes(fc.record({ d: fc.nat({ max: 20 }), max: fc.integer({ min: 1, max: 3 }), exhaust: fc.boolean(), target: fc.nat({ max: 20 }) }), 1, 6)
      : fc.constant(null),
    entry: rare(9),
    sub,
  });
  return fc.record({
    inputs: fc.integer({ min: 1, max: 2 }),
    nodes: fc.array(node, { minLength: 1, maxLength: maxBlocks }),
    output: fc.array(rawField, { minLength: 1, maxLength: 3 }),
  });
}

/** `value` with weight `some` against `null` with weight `none` (null is what shrinking goes to). */
function sometimes<T>(value: fc.Arbitrary<T>, some: number, none: number): fc.Arbitrary<T | null> {
  return fc.oneof({ arbitrary: fc.constant(null), weight: none }, { arbitrary: value, weight: some });
}

/** The raw arbitrary (for tests that want to shrink on it themselves). */
export function rawGraphArbitrary(options: FuzzGraphOptions = {}): fc.Arbitrary<RawGraph> {
  const o = withDefaults(options);
  return rawGraph(o, 0, o.maxBlocks);
}

/**
 * Random graphs made of chains, parallel branches, joins any/all, routes (cases and `otherwise`),
 * bounded loops (as a route case or a plain edge, with or without `onExhausted`), error edges,
 * maps, subgraphs and `firstOf`/`maybe` bindings.
 *
 * @example
 * fc.assert(fc.property(fuzzGraphArbitrary({ loops: false }), (g) => buildFuzzGraph(g, harness) !== undefined));
 */
export function fuzzGraphArbitrary(options: FuzzGraphOptions = {}): fc.Arbitrary<FuzzGraph> {
  const o = withDefaults(options);
  return rawGraph(o, 0, o.maxBlocks).map((raw) => assembleGraph(raw, o));
}

function withDefaults(options: FuzzGraphOptions): Required<FuzzGraphOptions> {
  return {
    maxBlocks: options.maxBlocks ?? 8,
    loops: options.loops ?? true,
    subgraphs: options.subgraphs ?? true,
    maps: options.maps ?? true,
    errors: options.errors ?? true,
    patterns: options.patterns ?? true,
    depth: options.depth ?? 1,
  };
}

/** Interprets a raw description as a graph (deterministic; every raw value gives a graph). */
export function assembleGraph(raw: RawGraph, options: FuzzGraphOptions = {}, id = "g", top = true): FuzzGraph {
  const o = withDefaults(options);
  const n = raw.nodes.length;
  const ids = raw.nodes.map((_, i) => `b${i}`);
  // Small kinds are code blocks, so that shrinking turns subgraphs and maps into code blocks.
  const kinds = raw.nodes.map((r): FuzzNode["kind"] => (r.sub && o.subgraphs && r.kind >= 8 ? "graph" : o.maps && r.kind === 7 ? "map" : "code"));
  const preds: number[][] = raw.nodes.map((r, i) => (i === 0 ? [] : [...new Set(r.preds.map((d) => i - 1 - (d % i)))].sort((a, b) => a - b)));
  const entry = new Set<number>([0]);
  raw.nodes.forEach((r, i) => {
    if ((preds[i] as number[]).length === 0 || r.entry) entry.add(i);
  });

  // Error edges: forward, to a block that has no plain edge from the same source.
  const errorTo = raw.nodes.map((r, i) => {
    if (r.error === null || kinds[i] !== "code" || i === n - 1) return undefined;
    const j = i + 1 + (r.error % (n - 1 - i));
    return (preds[j] as number[]).includes(i) ? undefined : j;
  });
  const edges: FuzzEdge[] = [];
  const cases: (string[] | undefined)[] = new Array(n).fill(undefined);
  const patterned: boolean[] = new Array(n).fill(false);
  for (let i = 0; i < n; i++) {
    const r = raw.nodes[i] as RawNode;
    const outs = preds.flatMap((p, j) => (p.includes(i) ? [j] : []));
    const back = r.back && o.loops ? { ...r.back, to: i - (r.back.d % (i + 1)) } : undefined;
    const routes = kinds[i] === "code" && r.route && outs.length + (back && !back.exhaust ? 1 : 0) >= 2;
    if (routes) {
      const targets: { to: number; max?: number }[] = outs.map((to) => ({ to }));
      if (back && !back.exhaust) targets.push({ to: back.to, max: back.max });
      const names = targets.map((_, c) => `c${c}`);
      const useOtherwise = r.otherwise && targets.length >= 2;
      if (r.pattern > 0) {
        patterned[i] = true;
        // The values 0 … 9 of `n`, cut into one interval per target (the last one may be `otherwise`).
        const m = targets.length;
        targets.forEach((t, c) => {
          const lo = Math.floor((c * 10) / m);
          const hi = Math.floor(((c + 1) * 10) / m);
          const f = r.forms[c] ?? 0;
          const form = f === 5 ? "guard" : f >= 3 ? "union" : "range";
          const when = useOtherwise && c === m - 1 ? { kind: "otherwise" as const } : { kind: "pattern" as const, lo, hi, form: form as FuzzPatternCase["form"] };
          edges.push({ from: ids[i] as string, to: ids[t.to] as string, when, ...(t.max !== undefined ? { max: t.max } : {}) });
        });
      } else {
        cases[i] = useOtherwise ? [...names.slice(0, -1), "cx"] : names;
        targets.forEach((t, c) => {
          const when = useOtherwise && c === targets.length - 1 ? { kind: "otherwise" as const } : { kind: "case" as const, equals: names[c] as string };
          edges.push({ from: ids[i] as string, to: ids[t.to] as string, when, ...(t.max !== undefined ? { max: t.max } : {}) });
        });
      }
    } else {
      for (const to of outs) edges.push({ from: ids[i] as string, to: ids[to] as string });
    }
    const errorTarget = errorTo[i];
    if (errorTarget !== undefined) edges.push({ from: ids[i] as string, to: ids[errorTarget] as string, when: { kind: "error" } });
    if (back && (back.exhaust || !routes)) {
      // A plain bounded edge: with onExhausted to some other block, or failing the run when used up.
      // Preferably forward (an exit out of the loop); never the loop's own blocks at its ends.
      const exit = i < n - 1 ? i + 1 + (back.target % (n - i)) : back.target % (n + 1);
      const onExhausted = exit < n && exit !== back.to && exit !== i ? ids[exit] : undefined;
      edges.push({ from: ids[i] as string, to: ids[back.to] as string, max: back.max, ...(onExhausted !== undefined ? { onExhausted } : {}) });
    }
  }

  const nodes: FuzzNode[] = raw.nodes.map((r, i) => {
    const kind = kinds[i] as FuzzNode["kind"];
    const scope = { ids, kinds, n, inputs: raw.inputs };
    const sub = kind === "graph" && r.sub ? assembleGraph(r.sub, o, `${id}${ids[i]}`, false) : undefined;
    const inputs =
      kind === "map"
        ? [mapItems(r.fields[0], i, scope)]
        : sub
          ? subInputs(sub, r.fields, i, scope)
          : r.fields.map((f, k) => field(`f${k}`, f, i, scope));
    const c = cases[i];
    return {
      id: ids[i] as string,
      kind,
      join: r.any ? "any" : "all",
      inputs,
      ...(c ? { cases: c } : {}),
      ...(patterned[i] ? { patterns: true } : {}),
      error: errorTo[i] !== undefined,
      retry: kind === "code" && r.retry,
      ...(sub ? { sub } : {}),
    };
  });
  const output = top
    ? raw.output.map((f, k) => outputField(`o${k}`, f, { ids, kinds, n, inputs: raw.inputs }))
    : subOutput(raw.output, { ids, kinds, n, inputs: raw.inputs });
  return { id, inputs: raw.inputs, nodes, entry: [...entry].sort((a, b) => a - b).map((i) => ids[i] as string), edges, output };
}

interface Scope {
  readonly ids: readonly string[];
  readonly kinds: readonly FuzzNode["kind"][];
  readonly n: number;
  readonly inputs?: number;
}

function ref(j: number, list: boolean, maybe: boolean, s: Scope): FuzzBinding {
  const kind = s.kinds[j];
  if (!list && kind === "map") return { kind: "input", field: "i0" };
  return { kind: "ref", node: s.ids[j] as string, field: list ? (kind === "map" ? "results" : "items") : "v", maybe };
}

/** The distinct blocks among `ds` (modulo the number of blocks), as refs for `firstOf`. */
function alternatives(ds: readonly number[], list: boolean, s: Scope): FuzzBinding[] {
  return [...new Set(ds.map((d) => d % s.n))].map((j) => ref(j, list, false, s));
}

function inputRef(list: boolean, d: number, s: Scope): FuzzBinding {
  return { kind: "input", field: list ? "items" : `i${d % (s.inputs ?? 1)}` };
}

/** An input field of block `i`: from the input, an earlier block, any block by `maybe`, or `firstOf`. */
function field(name: string, r: RawField, i: number, s: Scope): FuzzField {
  const earlier = (d: number) => i - 1 - (d % i);
  if (r.src <= 1 || (i === 0 && r.src <= 5)) return { name, list: r.list, optional: r.optional, from: inputRef(r.list, r.d, s) };
  if (r.src <= 5) return { name, list: r.list, optional: r.optional, from: ref(earlier(r.d), r.list, false, s) };
  if (r.src <= 7) return { name, list: r.list, optional: true, from: ref(r.d % s.n, r.list, true, s) };
  const of = alternatives([r.d, ...r.alts], r.list, s);
  const fallback = r.list ? undefined : r.fallback ? `lit:${name}` : undefined;
  return { name, list: r.list, optional: r.optional || (r.list && !r.fallback), from: { kind: "first", of, ...(fallback !== undefined ? { fallback } : {}) } };
}

/** A subgraph's input is its graph's: `i0 … i<n-1>` (strings) and `items`, all required. */
function subInputs(sub: FuzzGraph, raw: readonly RawField[], i: number, s: Scope): FuzzField[] {
  const none: RawField = { src: 0, d: 0, alts: [], list: false, optional: false, fallback: false };
  const fields = Array.from({ length: sub.inputs }, (_, k) => ({ ...field(`i${k}`, { ...(raw[k] ?? none), list: false }, i, s), optional: false }));
  const items = raw[sub.inputs];
  fields.push({ ...field("items", { ...(items ?? none), list: true, fallback: false }, i, s), optional: false });
  return fields;
}

function mapItems(r: RawField | undefined, i: number, s: Scope): FuzzField {
  if (r === undefined || i === 0 || r.src <= 2) return { name: "items", list: true, optional: false, from: { kind: "input", field: "items" } };
  return { name: "items", list: true, optional: false, from: ref(i - 1 - (r.d % i), true, false, s) };
}

/** A field of the top graph's output: read at the end, so refs are `maybe` or `firstOf` with a default. */
function outputField(name: string, r: RawField, s: Scope): FuzzField {
  if (r.src <= 1) return { name, list: false, optional: true, from: inputRef(false, r.d, s) };
  if (r.src <= 3) return { name, list: false, optional: true, from: ref(r.d % s.n, false, false, s) };
  if (r.src <= 6) return { name, list: false, optional: true, from: ref(r.d % s.n, false, true, s) };
  return { name, list: false, optional: true, from: { kind: "first", of: alternatives([r.d, ...r.alts], false, s), fallback: `lit:${name}` } };
}

/** A subgraph's output `{ v, items }`: `v` from the first of some blocks (with a default). */
function subOutput(raw: readonly RawField[], s: Scope): FuzzField[] {
  const of = alternatives(raw.map((r) => r.d), false, s);
  return [
    { name: "v", list: false, optional: false, from: { kind: "first", of, fallback: "lit:v" } },
    { name: "items", list: true, optional: false, from: { kind: "literal", value: [] } },
  ];
}
