/**
 * Turns a `FuzzGraph` into a real graph through the public builder (`createGraph`, `add`, `route`,
 * `edge` with `max`/`onExhausted`, `onError`, `mapOf`, subgraphs, `maybe`, `firstOf`), prints it
 * back as builder code, and repairs the bindings the checker says may not have a value (so that
 * most generated graphs are accepted and the fuzzer spends its runs on graphs `check` vouches for).
 */
import { type AnyBlock, type BlockContext, check, createGraph, defineContract, firstOf, type GraphBlock, type Issue, mapOf, maybe, P, type ValuePath } from "@blockwork/spec";
import { z } from "zod";
import type { FuzzBinding, FuzzEdge, FuzzField, FuzzGraph, FuzzNode, FuzzPatternCase } from "./graph-arbitrary.js";

/** What the generated blocks do when they run: the fuzz harness decides (see harness.ts). */
export interface FuzzImplementation {
  /** A code block of `graph` ran with `input`. Returns its output, a typed failure, or a promise of one. */
  block(node: FuzzNode, input: unknown, ctx: BlockContext<{ reason: string }>, graph: FuzzGraph): unknown;
  /** An item of the map block `node` ran. */
  item(node: FuzzNode, input: unknown, ctx: BlockContext): unknown;
}

const Str = z.string();
const Item = z.object({ v: z.string() });
const List = z.array(Item);
const Failure = z.object({ reason: z.string() });
const BlockOutput = z.object({ v: Str, items: List });

/** Builds the graph with blocks that call `impl` (swap what `impl` does between runs; build once). */
export function buildFuzzGraph(g: FuzzGraph, impl: FuzzImplementation, top = true): GraphBlock {
  const input = z.strictObject({ ...Object.fromEntries(Array.from({ length: g.inputs }, (_, k) => [`i${k}`, Str])), items: List });
  const output = top ? z.object(Object.fromEntries(g.output.map((f) => [f.name, schemaOf(f)]))) : BlockOutput;
  // biome-ignore lint: the graph's shape is data, so the typed chain is built loosely.
  let b: any = createGraph({ id: g.id, input, output });
  for (const node of g.nodes) {
    const block = blockOf(node, impl, g);
    const options = { ...(node.join === "any" ? { join: "any" as const } : {}), ...(node.retry ? { retry: { attempts: 2, initialDelayMs: 0, jitter: 0 } } : {}) };
    b = node.inputs.length === 0 ? b.add(block, () => ({}), options) : b.add(block, bindFn(node.inputs), options);
  }
  b = b.start(...g.entry);
  for (const node of g.nodes) {
    const out = g.edges.filter((e) => e.from === node.id);
    const cases = out.filter((e) => e.when?.kind === "case" || e.when?.kind === "otherwise");
    if (node.patterns) {
      b = b.match(node.id, (m: MatchChain) => {
        let chain = m;
        for (const e of out) if (e.when?.kind === "pattern") chain = chain.with({ n: patternOf(e.when) }, () => target(e));
        const otherwise = out.find((e) => e.when?.kind === "otherwise");
        return otherwise ? chain.otherwise(() => target(otherwise)) : chain.exhaustive();
      });
    } else if (cases.length > 0) {
      const record: Record<string, unknown> = {};
      let otherwise: unknown;
      for (const e of cases) {
        if (e.when?.kind === "case") record[e.when.equals] = target(e);
        else otherwise = target(e);
      }
      b = otherwise === undefined ? b.route(node.id, "k", record) : b.route(node.id, "k", record, otherwise);
    }
    for (const e of out) {
      if (e.when?.kind === "error") b = b.onError(e.from, e.to);
      else if (e.when === undefined) b = b.edge(e.from, e.to, bound(e));
    }
  }
  b = b.output(bindFn(g.output));
  return b.build() as GraphBlock;
}

function blockOf(node: FuzzNode, impl: FuzzImplementation, graph: FuzzGraph): AnyBlock {
  if (node.kind === "graph") return buildFuzzGraph(node.sub as FuzzGraph, impl, false).as(node.id);
  if (node.kind === "map") {
    const item = defineContract({ id: `${node.id}item`, input: Item, output: BlockOutput }).implement((input, ctx) => impl.item(node, input, ctx) as never);
    return mapOf(item, { id: node.id, concurrency: 2 });
  }
  const input = z.object(Object.fromEntries(node.inputs.map((f) => [f.name, schemaOf(f)])));
  const output = node.cases
    ? BlockOutput.extend({ k: z.enum(node.cases as [string, ...string[]]) })
    : node.patterns
      ? BlockOutput.extend({ n: z.number().int().min(0).max(9) })
      : BlockOutput;
  const contract = node.error ? defineContract({ id: node.id, input, output, error: Failure }) : defineContract({ id: node.id, input, output });
  return (contract as ReturnType<typeof defineContract>).implement(((value: unknown, ctx: BlockContext<{ reason: string }>) => impl.block(node, value, ctx, graph)) as never);
}

interface MatchChain {
  with(pattern: unknown, handler: () => unknown): MatchChain;
  otherwise(handler: () => unknown): unknown;
  exhaustive(): unknown;
}

/** The ts-pattern pattern of a case: the values of `n` in `[lo, hi)`. */
function patternOf(c: FuzzPatternCase): unknown {
  const values = Array.from({ length: c.hi - c.lo }, (_, k) => c.lo + k);
  switch (c.form) {
    case "range":
      return P.number.gte(c.lo).lt(c.hi);
    case "union":
      return values.length === 1 ? values[0] : (P.union as (...v: number[]) => unknown)(...values);
    case "guard":
      return P.when((n: unknown) => typeof n === "number" && n >= c.lo && n < c.hi);
  }
}

function schemaOf(f: FuzzField): z.ZodType {
  const base = f.list ? List : Str;
  return f.optional ? base.optional() : base;
}

function target(e: FuzzEdge): unknown {
  return e.max === undefined ? e.to : { to: e.to, max: e.max, ...(e.onExhausted !== undefined ? { onExhausted: e.onExhausted } : {}) };
}

function bound(e: FuzzEdge): { max?: number; onExhausted?: string } | undefined {
  return e.max === undefined ? undefined : { max: e.max, ...(e.onExhausted !== undefined ? { onExhausted: e.onExhausted } : {}) };
}

type Refs = Record<string, Record<string, unknown>>;

function bindFn(fields: readonly FuzzField[]): (input: Record<string, unknown>, blocks: Refs) => Record<string, unknown> {
  return (input, blocks) => Object.fromEntries(fields.map((f) => [f.name, bindingValue(f.from, input, blocks)]));
}

function bindingValue(b: FuzzBinding, input: Record<string, unknown>, blocks: Refs): unknown {
  switch (b.kind) {
    case "input":
      return input[b.field];
    case "literal":
      return b.value;
    case "ref": {
      const r = (blocks[b.node] as Record<string, unknown>)[b.field];
      return b.maybe ? maybe(r as never) : r;
    }
    case "first": {
      const alts = b.of.map((a) => bindingValue(a, input, blocks));
      return (firstOf as (...a: unknown[]) => unknown)(...alts, ...(b.fallback !== undefined ? [b.fallback] : []));
    }
  }
}

// --- Repair -------------------------------------------------------------------------------------

const REPAIRABLE = new Set(["binding_may_not_run", "binding_may_be_absent"]);

/** The graph's checker errors (warnings are not errors: a graph with only warnings is accepted). */
export function checkErrors(graph: GraphBlock): Issue[] {
  return check(graph.def).filter((i) => i.severity === "error");
}

/**
 * Weakens the bindings `check` says may have no value (a ref becomes `firstOf(ref, literal)` or
 * `maybe(ref)` with an optional field), a few rounds at most. Returns the graph as finally built
 * and its remaining checker errors (none: accepted).
 */
export function repairFuzzGraph(g: FuzzGraph, impl: FuzzImplementation, rounds = 4): { graph: FuzzGraph; block: GraphBlock; errors: Issue[] } {
  let current = g;
  for (let round = 0; ; round++) {
    const block = buildFuzzGraph(current, impl);
    const errors = checkErrors(block);
    if (errors.length === 0 || round === rounds) return { graph: current, block, errors };
    const fixable = errors.filter((i) => REPAIRABLE.has(i.code));
    if (fixable.length < errors.length || fixable.length === 0) return { graph: current, block, errors };
    let next = current;
    for (const issue of fixable) next = weakenAt(next, issue.path);
    if (next === current) return { graph: current, block, errors };
    current = next;
  }
}

function weakenAt(g: FuzzGraph, path: ValuePath): FuzzGraph {
  if (path[0] === "output" && path[1] === "fields" && typeof path[2] === "string") {
    const name = path[2];
    return { ...g, output: g.output.map((f) => (f.name === name ? weaken(f) : f)) };
  }
  if (path[0] !== "nodes" || typeof path[1] !== "number") return g;
  const i = path[1];
  const node = g.nodes[i];
  if (node === undefined) return g;
  let changed: FuzzNode = node;
  if (path[2] === "graph" && node.sub) changed = { ...node, sub: weakenAt(node.sub, path.slice(3)) };
  else if (path[2] === "input" && path[3] === "fields" && typeof path[4] === "string") {
    const name = path[4];
    changed = { ...node, inputs: node.inputs.map((f) => (f.name !== name ? f : node.kind === "code" ? weaken(f) : weakenRequired(f))) };
  } else if (path[2] === "input" && node.kind === "map") {
    changed = { ...node, inputs: [{ name: "items", list: true, optional: false, from: { kind: "input", field: "items" } }] };
  }
  return changed === node ? g : { ...g, nodes: g.nodes.map((n, k) => (k === i ? changed : n)) };
}

/** A field that must stay required (a map's `items`, a subgraph's input): a default, or the graph input. */
function weakenRequired(f: FuzzField): FuzzField {
  if (f.list) return { ...f, from: { kind: "input", field: "items" } };
  const b = f.from;
  if (b.kind === "first") return { ...f, from: { ...b, fallback: `lit:${f.name}` } };
  if (b.kind === "ref") return { ...f, from: { kind: "first", of: [{ ...b, maybe: false }], fallback: `lit:${f.name}` } };
  return { ...f, from: { kind: "input", field: "i0" } };
}

function weaken(f: FuzzField): FuzzField {
  const b = f.from;
  if (b.kind === "ref") {
    if (!f.list && !b.maybe) return { ...f, from: { kind: "first", of: [b], fallback: `lit:${f.name}` } };
    return { ...f, optional: true, from: { ...b, maybe: true } };
  }
  if (b.kind === "first") {
    if (!f.list && b.fallback === undefined) return { ...f, from: { ...b, fallback: `lit:${f.name}` } };
    return { ...f, optional: true, from: { ...b, of: b.of.map((a) => (a.kind === "ref" ? { ...a, maybe: true } : a)) } };
  }
  return { ...f, optional: true };
}

// --- Printing -----------------------------------------------------------------------------------

/** The graph as (pseudo) builder code: what a person would write to reproduce it. */
export function printFuzzGraph(g: FuzzGraph, indent = ""): string {
  const lines: string[] = [];
  const inputs = Array.from({ length: g.inputs }, (_, k) => `i${k}`).join(", ");
  lines.push(`${indent}createGraph({ id: "${g.id}", input: { ${inputs}, items }, output: { ${g.output.map((f) => `${f.name}${f.optional ? "?" : ""}`).join(", ")} } })`);
  for (const node of g.nodes) {
    const opts = [node.join === "any" ? `join: "any"` : "", node.retry ? "retry: { attempts: 2 }" : ""].filter(Boolean).join(", ");
    const what =
      node.kind === "map"
        ? `mapOf(item, { id: "${node.id}" })`
        : node.kind === "graph"
          ? `subgraph("${node.id}")`
          : `block("${node.id}"${node.cases ? `, { k: ${node.cases.map((c) => `"${c}"`).join(" | ")} }` : node.patterns ? ", { n: 0..9 }" : ""}${node.error ? ", { error }" : ""})`;
    lines.push(`${indent}  .add(${what}, (input, b) => (${printFields(node.inputs)})${opts ? `, { ${opts} }` : ""})`);
  }
  lines.push(`${indent}  .start(${g.entry.map((e) => `"${e}"`).join(", ")})`);
  for (const node of g.nodes) {
    const out = g.edges.filter((e) => e.from === node.id);
    const cases = out.filter((e) => e.when?.kind === "case" || e.when?.kind === "otherwise");
    if (node.patterns) {
      const withs = out.flatMap((e) => (e.when?.kind === "pattern" ? [`.with({ n: ${printPattern(e.when)} }, () => ${printTarget(e)})`] : []));
      const otherwise = out.find((e) => e.when?.kind === "otherwise");
      lines.push(`${indent}  .match("${node.id}", (m) => m${withs.join("")}${otherwise ? `.otherwise(() => ${printTarget(otherwise)})` : ".exhaustive()"})`);
    } else if (cases.length > 0) {
      const record = cases.filter((e) => e.when?.kind === "case").map((e) => `${(e.when as { equals: string }).equals}: ${printTarget(e)}`);
      const otherwise = cases.find((e) => e.when?.kind === "otherwise");
      lines.push(`${indent}  .route("${node.id}", "k", { ${record.join(", ")} }${otherwise ? `, ${printTarget(otherwise)}` : ""})`);
    }
    for (const e of out) {
      if (e.when?.kind === "error") lines.push(`${indent}  .onError("${e.from}", "${e.to}")`);
      else if (e.when === undefined) lines.push(`${indent}  .edge("${e.from}", "${e.to}"${e.max !== undefined ? `, { max: ${e.max}${e.onExhausted ? `, onExhausted: "${e.onExhausted}"` : ""} }` : ""})`);
    }
  }
  lines.push(`${indent}  .output((input, b) => (${printFields(g.output)}))`);
  for (const node of g.nodes) {
    if (node.kind === "graph" && node.sub) lines.push(`${indent}// subgraph("${node.id}") =`, printFuzzGraph(node.sub, `${indent}  `));
  }
  return lines.join("\n");
}

/** One line per graph: the edges, compactly (`b0 -> b1`, `b1 -k=c1-> b0 (max 2)`, `b2 -error-> b3`). */
export function printFuzzEdges(g: FuzzGraph): string {
  const edge = (e: FuzzEdge) => {
    const label =
      e.when === undefined
        ? "->"
        : e.when.kind === "case"
          ? `-k=${e.when.equals}->`
          : e.when.kind === "pattern"
            ? `-n∈[${e.when.lo},${e.when.hi})${e.when.form === "guard" ? "?" : ""}->`
            : e.when.kind === "otherwise"
              ? "-otherwise->"
              : "-error->";
    const bounded = e.max === undefined ? "" : ` (max ${e.max}${e.onExhausted ? `, then ${e.onExhausted}` : ""})`;
    return `${e.from} ${label} ${e.to}${bounded}`;
  };
  return `${g.id}: entry ${g.entry.join(", ")}; ${g.edges.map(edge).join(", ") || "no edges"}`;
}

function printPattern(c: FuzzPatternCase): string {
  if (c.form === "range") return `P.number.gte(${c.lo}).lt(${c.hi})`;
  if (c.form === "guard") return `P.when((n) => n >= ${c.lo} && n < ${c.hi})`;
  return c.hi - c.lo === 1 ? String(c.lo) : `P.union(${Array.from({ length: c.hi - c.lo }, (_, k) => c.lo + k).join(", ")})`;
}

function printTarget(e: FuzzEdge): string {
  return e.max === undefined ? `"${e.to}"` : `{ to: "${e.to}", max: ${e.max}${e.onExhausted ? `, onExhausted: "${e.onExhausted}"` : ""} }`;
}

function printFields(fields: readonly FuzzField[]): string {
  if (fields.length === 0) return "{}";
  return `{ ${fields.map((f) => `${f.name}${f.optional ? "?" : ""}: ${printBinding(f.from)}`).join(", ")} }`;
}

/** A binding as the builder code would say it (`b.b1.v`, `maybe(b.b1.v)`, `firstOf(...)`, `input.i0`). */
export function printBinding(b: FuzzBinding): string {
  switch (b.kind) {
    case "input":
      return `input.${b.field}`;
    case "literal":
      return JSON.stringify(b.value);
    case "ref":
      return b.maybe ? `maybe(b.${b.node}.${b.field})` : `b.${b.node}.${b.field}`;
    case "first":
      return `firstOf(${[...b.of.map(printBinding), ...(b.fallback !== undefined ? [JSON.stringify(b.fallback)] : [])].join(", ")})`;
  }
}
