import { deepStrict, MemoryStore, run, type RunEvent } from "@blockwork/core";
import type { AnyBlock, CodeBlock, GraphBlock, GraphDef, JsonValue, NodeDef } from "@blockwork/spec";
import { toJsonSchema, formatZodIssues } from "@blockwork/spec";
import fc from "fast-check";
import type { z } from "zod";
import { agentInfo } from "../agent/agent-block.js";
import { arbitraryOf } from "./values.js";

/** Options of {@link simulate}. */
export interface SimulateOptions {
  /** Default 20. */
  readonly runs?: number;
  /** Default 1: the same seed replays the same runs. */
  readonly seed?: number;
  /** Replace every code block, not only agent blocks. */
  readonly all?: boolean;
  /** Chance (0..1) that a replaced block with an error schema fails with a generated typed error. Default 0.15. */
  readonly errorRate?: number;
}

/** What the simulated runs exercised, and what they never reached. */
export interface SimulationReport {
  readonly runs: number;
  readonly completed: number;
  /** Runtime failures, by run. */
  readonly failures: readonly { readonly run: number; readonly code: string; readonly path?: string; readonly message: string }[];
  readonly blocks: { readonly total: number; readonly neverReached: readonly string[] };
  readonly edges: { readonly total: number; readonly neverTaken: readonly string[] };
  /** Bounded edges whose bound ran out in some run (`from -> to`). */
  readonly loopsAtBound: readonly string[];
  /** Blocks the simulator replaced by generated outputs. */
  readonly replaced: readonly string[];
}

/**
 * Runs a graph with its agent blocks (or, with `all`, every code block) replaced by outputs
 * generated to satisfy their contracts, from generated inputs: wiring, routes, loops and
 * durability get exercised without spending tokens. Reports route coverage and runtime failures.
 *
 * @example
 * const report = await simulate(supportGraph, { runs: 50, seed: 7 });
 * console.log(report.edges.neverTaken);
 */
export async function simulate(graph: GraphBlock, options: SimulateOptions = {}): Promise<SimulationReport> {
  const runs = options.runs ?? 20;
  const seed = options.seed ?? 1;
  const replaced = new Set<string>();
  const events: RunEvent[] = [];
  const failures: { run: number; code: string; path?: string; message: string }[] = [];
  let completed = 0;
  for (let i = 0; i < runs; i++) {
    const runSeed = seed * 1_000_003 + i;
    const fake = replace(graph, { seed: runSeed, all: options.all ?? false, errorRate: options.errorRate ?? 0.15, replaced, prefix: "" });
    const input = generate(graph.contract.input as z.ZodType, deepStrict(graph.contract.input as z.ZodType), runSeed, `input of graph ${graph.def.id}`);
    try {
      await run(fake, input as never, { store: new MemoryStore(), onEvent: (e) => events.push(e) }).result;
      completed++;
    } catch (error) {
      const info = (error as { info?: { code: string; path?: string; message: string } }).info;
      failures.push({ run: i + 1, code: info?.code ?? "error", ...(info?.path ? { path: info.path } : {}), message: info?.message ?? String(error) });
    }
  }
  return { runs, completed, failures, ...coverage(graph.def, events), replaced: [...replaced].sort() };
}

interface Replacing {
  readonly seed: number;
  readonly all: boolean;
  readonly errorRate: number;
  readonly replaced: Set<string>;
  readonly prefix: string;
}

/** A copy of the graph (same GraphDef, same version) whose chosen blocks generate their outputs. */
function replace(graph: GraphBlock, o: Replacing): GraphBlock {
  const blocks = new Map<string, AnyBlock>();
  for (const [name, block] of graph.blocks) {
    if (block.kind === "graph") blocks.set(name, replace(block, { ...o, prefix: `${o.prefix}${name}/` }));
    else if (block.kind === "code" && (o.all || agentInfo(block))) {
      o.replaced.add(`${o.prefix}${name}`);
      blocks.set(name, generator(block, o));
    } else blocks.set(name, block);
  }
  return { ...graph, blocks } as GraphBlock;
}

function generator(block: CodeBlock, o: Replacing): CodeBlock {
  const output = block.contract.output as z.ZodType;
  const strict = deepStrict(output);
  const error = block.contract.error as z.ZodType | undefined;
  const run = (_input: unknown, ctx: { path: readonly string[]; attempt: number; idempotencyKey: string; fail(e: unknown): unknown }) => {
    const seed = hash(`${o.seed}:${ctx.idempotencyKey.split(":").slice(1).join(":")}:${ctx.attempt}`);
    if (error && (fc.sample(fc.double({ min: 0, max: 1, noNaN: true }), { seed, numRuns: 1 })[0] as number) < o.errorRate) {
      return ctx.fail(generate(error, deepStrict(error), seed, `typed error of block ${block.id}`));
    }
    return generate(output, strict, seed, `output of block ${block.id}`);
  };
  return { ...block, run: run as never } as CodeBlock;
}

/** A value satisfying `schema` (checked with its strict zod form), from a seed: deterministic. */
function generate(schema: z.ZodType, strict: z.ZodType, seed: number, what: string): JsonValue {
  const arbitrary = arbitraryOf(toJsonSchema(schema, "input"));
  let lastIssue = "";
  for (const candidate of fc.sample(arbitrary, { seed, numRuns: 40 })) {
    const parsed = strict.safeParse(candidate);
    if (parsed.success) return candidate;
    lastIssue = formatZodIssues(parsed.error);
  }
  throw new Error(`simulate could not generate a valid ${what} in 40 tries (last rejection: ${lastIssue}); its schema may have refinements the generator cannot see`);
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Blocks and edges of the graph (subgraphs and map items included) that the runs never reached. */
function coverage(def: GraphDef, events: readonly RunEvent[]) {
  const normalise = (path: string) => path.replace(/\/\d+(?=\/|$)/g, "/*").replace(/@\d+(?=\/|$)/g, "");
  const reached = new Set<string>();
  const taken = new Set<string>();
  const atBound = new Set<string>();
  for (const e of events) {
    if (e.type === "block.started") reached.add(normalise(e.path));
    if (e.type === "edge.taken") {
      taken.add(`${normalise(e.from)} -> ${normalise(e.to)}`);
      if (e.kind === "exhausted") atBound.add(`${normalise(e.from)} (bound exhausted, went to ${normalise(e.to)})`);
    }
    if (e.type === "run.failed" && e.error.code === "loop_bound_exceeded") atBound.add(`${normalise(e.error.path ?? "?")} (bound exhausted, run failed)`);
  }
  const blocks: string[] = [];
  const edges: string[] = [];
  collect(def, "", blocks, edges);
  return {
    blocks: { total: blocks.length, neverReached: blocks.filter((b) => !reached.has(b)) },
    edges: { total: edges.length, neverTaken: edges.filter((e) => !taken.has(e.replace(/ \(.*\)$/, ""))) },
    loopsAtBound: [...atBound].sort(),
  };
}

function collect(def: GraphDef, prefix: string, blocks: string[], edges: string[]): void {
  for (const node of def.nodes) {
    blocks.push(`${prefix}${node.id}`);
    nested(node, prefix, blocks, edges);
  }
  for (const edge of def.edges) {
    const when = edge.when?.kind === "case" ? ` (${edge.when.field} = ${JSON.stringify(edge.when.equals)})` : edge.when ? ` (${edge.when.kind})` : "";
    edges.push(`${prefix}${edge.from} -> ${prefix}${edge.to}${when}`);
  }
}

function nested(node: NodeDef, prefix: string, blocks: string[], edges: string[]): void {
  if (node.kind === "graph") collect(node.graph, `${prefix}${node.id}/`, blocks, edges);
  if (node.kind === "map" && node.item.kind === "graph") collect(node.item.graph, `${prefix}${node.id}/*/`, blocks, edges);
  if (node.kind === "map" && node.item.kind === "code") blocks.push(`${prefix}${node.id}/*`);
}
