import { isDeepStrictEqual } from "node:util";
import { deepStrict } from "@blockwork/core";
import {
  type AnyBlock,
  type BlockExample,
  type BlockProperty,
  type CodeBlock,
  declaredInfo,
  failure,
  type GraphBlock,
  isBlockFailure,
  isBlockSuspension,
  isBlockworkError,
  type JsonValue,
  propertyFailure,
  suspension,
  toJsonSchema,
} from "@blockwork/spec";
import fc from "fast-check";
import type { z } from "zod";
import { agentInfo } from "../agent/agent-block.js";
import { edgeCaseArbitraryOf } from "../simulate/values.js";

/** Options of {@link verifyBlock} and {@link verifyGraph}. */
export interface VerifyOptions {
  /** Generated inputs per block. Default 100. */
  readonly runs?: number;
  /** Default 1: the same seed generates the same inputs (and finds the same counterexample). */
  readonly seed?: number;
  /** Only these blocks (ids or paths like `sub/slugify`). Default: every code block that is not an agent. */
  readonly blocks?: readonly string[];
  /** How long one call of the block may take, in milliseconds. Default 5,000. */
  readonly timeoutMs?: number;
}

/** What kind of promise a block broke. */
export type VerifyFailureKind = "example" | "output_schema" | "error_schema" | "property" | "threw" | "timeout";

/** The (shrunk) counterexample of a failed verification. */
export interface VerifyFailure {
  readonly kind: VerifyFailureKind;
  /** The property that failed (kind `property`). */
  readonly property?: string;
  /** The example that failed (kind `example`), by index. */
  readonly example?: number;
  /** The input, shrunk to the smallest one fast-check found that still fails. */
  readonly input: unknown;
  /** What the block returned for it (absent when it threw). */
  readonly output?: unknown;
  /** The expected output (kind `example`). */
  readonly expected?: unknown;
  /** What went wrong, precisely (schema issues with their paths, the thrown message, ...). */
  readonly message: string;
  /** How many shrinking steps led from the first failing input to this one. */
  readonly shrinks: number;
  /** The seed and path that replay this counterexample with fast-check. */
  readonly seed: number;
  readonly replayPath?: string;
}

/** The verdict on one block. */
export interface BlockVerdict {
  /** The block's path (`sub/slugify` inside a nested graph). */
  readonly block: string;
  readonly status: "passed" | "failed" | "not_implemented" | "skipped";
  /** Generated inputs the block ran on (examples not counted). */
  readonly runs: number;
  readonly examples: number;
  readonly properties: readonly string[];
  /** Why it was skipped, or why it is not implemented. */
  readonly reason?: string;
  readonly failure?: VerifyFailure;
}

/** What {@link verifyGraph} found. */
export interface VerifyReport {
  /** True when no block failed and none is unimplemented. */
  readonly ok: boolean;
  readonly blocks: readonly BlockVerdict[];
  readonly durationMs: number;
}

/**
 * Property-tests one code block against its contract: runs it on inputs generated from its input
 * schema (fast-check over the input's JSON Schema, biased to edge cases: empty strings, bounds,
 * unicode) and checks that every output satisfies the output schema (unknown fields are
 * violations, as at run time), that typed failures satisfy the error schema, that every declared
 * property holds and that every example is reproduced. A failure is shrunk to a small
 * counterexample.
 *
 * @example
 * const verdict = await verifyBlock(slugify, { runs: 200 });
 * if (verdict.status === "failed") console.log(verdict.failure?.input, verdict.failure?.message);
 */
export async function verifyBlock(block: CodeBlock, options: VerifyOptions & { readonly path?: string } = {}): Promise<BlockVerdict> {
  const path = options.path ?? block.id;
  const runs = options.runs ?? 100;
  const seed = options.seed ?? 1;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const info = declaredInfo(block);
  const examples = info?.examples ?? [];
  const properties = Object.entries(info?.properties ?? {});
  const base = { block: path, examples: examples.length, properties: properties.map(([n]) => n) };
  const probe = prober(block, { path, properties, timeoutMs });

  for (const [i, example] of examples.entries()) {
    const found = await probeExample(probe, example, i);
    if (found === "not_implemented") return { ...base, status: "not_implemented", runs: 0, reason: probe.notImplemented ?? "not implemented" };
    if (found !== undefined) return { ...base, status: "failed", runs: 0, failure: { ...found, shrinks: 0, seed } };
  }

  const input = block.contract.input as z.ZodType;
  let arbitrary: fc.Arbitrary<JsonValue>;
  try {
    arbitrary = edgeCaseArbitraryOf(toJsonSchema(input, "input")).filter((v) => input.safeParse(v).success);
    fc.sample(arbitrary, { numRuns: 1, seed });
  } catch (error) {
    return { ...base, status: "skipped", runs: 0, reason: `no inputs could be generated from the input schema (${error instanceof Error ? error.message.split("\n")[0] : String(error)})` };
  }
  let ran = 0;
  const result = await fc.check(
    fc.asyncProperty(arbitrary, async (value) => {
      ran++;
      const found = await probe.run(value);
      return found === undefined || found === "not_implemented";
    }),
    { numRuns: runs, seed, endOnFailure: false },
  );
  if (probe.notImplemented !== undefined) return { ...base, status: "not_implemented", runs: 0, reason: probe.notImplemented };
  if (!result.failed || result.counterexample === null) return { ...base, status: "passed", runs: Math.min(ran, runs) };
  const counterexample = result.counterexample[0];
  const again = await probe.run(counterexample);
  const detail = again === undefined || again === "not_implemented" ? { kind: "threw" as const, input: counterexample, message: "the block failed on this input once but not when run again (it is not deterministic)" } : again;
  return {
    ...base,
    status: "failed",
    runs: result.numRuns,
    failure: { ...detail, shrinks: result.numShrinks, seed: result.seed, ...(result.counterexamplePath ? { replayPath: result.counterexamplePath } : {}) },
  };
}

/**
 * Verifies the code blocks of a graph (nested graphs and map items included; agent blocks and
 * blocks that suspend are skipped) with {@link verifyBlock}. Use it in a test to put the
 * generated property tests into CI:
 *
 * @example
 * it("every block keeps its contract", async () => {
 *   const report = await verifyGraph(graph);
 *   expect(report.ok, formatVerifyReport(report)).toBe(true);
 * });
 */
export async function verifyGraph(graph: GraphBlock, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const verdicts: BlockVerdict[] = [];
  const wanted = options.blocks ? new Set(options.blocks) : undefined;
  for (const { path, block } of codeBlocks(graph, "")) {
    if (wanted && !wanted.has(path) && !wanted.has(block.id)) continue;
    if (agentInfo(block)) {
      verdicts.push({ block: path, status: "skipped", runs: 0, examples: 0, properties: [], reason: "an agent block (it calls a model); simulate covers it" });
      continue;
    }
    if (block.contract.resume !== undefined) {
      verdicts.push({ block: path, status: "skipped", runs: 0, examples: 0, properties: [], reason: "a block that suspends (its contract declares resume)" });
      continue;
    }
    verdicts.push(await verifyBlock(block as CodeBlock, { ...options, path }));
  }
  if (wanted) {
    const known = new Set(verdicts.flatMap((v) => [v.block, v.block.split("/").pop() as string]));
    const unknown = [...wanted].filter((w) => !known.has(w));
    if (unknown.length) throw new Error(`verify: graph "${graph.def.id}" has no code block ${unknown.map((u) => `"${u}"`).join(", ")} (blocks: ${codeBlocks(graph, "").map((b) => b.path).join(", ")}).`);
  }
  return { ok: verdicts.every((v) => v.status === "passed" || v.status === "skipped"), blocks: verdicts, durationMs: Math.round(performance.now() - started) };
}

/** The code blocks of a graph with their paths, nested graphs included (each implementation once). */
function codeBlocks(graph: GraphBlock, prefix: string): { path: string; block: AnyBlock }[] {
  const found: { path: string; block: AnyBlock }[] = [];
  for (const [name, block] of graph.blocks) {
    if (block.kind === "graph") found.push(...codeBlocks(block, `${prefix}${name}/`));
    else if (block.kind === "code") found.push({ path: `${prefix}${name}`, block });
  }
  return found;
}

type Found = Omit<VerifyFailure, "shrinks" | "seed" | "replayPath">;

interface Prober {
  /** Runs the block on a raw (unparsed) input: undefined when every promise holds. */
  run(raw: unknown): Promise<Found | "not_implemented" | undefined>;
  /** Runs the block and returns its output or what it threw. */
  call(parsed: unknown): Promise<{ ok: true; value: unknown } | { ok: false; found: Found | "not_implemented" }>;
  /** The block's input parsed, or undefined when the schema rejects it. */
  parse(raw: unknown): { ok: true; value: unknown } | { ok: false; message: string };
  notImplemented?: string;
  checkOutput(raw: unknown, value: unknown): { ok: true; value: unknown } | { ok: false; found: Found };
}

function prober(block: CodeBlock, o: { path: string; properties: readonly (readonly [string, BlockProperty])[]; timeoutMs: number }): Prober {
  const input = block.contract.input as z.ZodType;
  const output = deepStrict(block.contract.output as z.ZodType);
  const error = block.contract.error ? deepStrict(block.contract.error as z.ZodType) : undefined;
  let n = 0;
  const self: Prober = {
    parse(raw) {
      const parsed = input.safeParse(raw);
      return parsed.success ? { ok: true, value: parsed.data } : { ok: false, message: issues(parsed.error) };
    },
    async call(parsed) {
      n++;
      const ctx = {
        signal: AbortSignal.timeout(o.timeoutMs),
        runId: "verify",
        path: [o.path],
        attempt: 1,
        idempotencyKey: `verify:${o.path}:${n}`,
        fail: (e: unknown) => failure(e),
        report: () => undefined,
        step: async (_key: string, run: () => unknown) => run(),
        suspend: (payload: JsonValue) => suspension(payload),
      };
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new TimeoutError(o.timeoutMs)), o.timeoutMs);
        });
        const value = await Promise.race([Promise.resolve().then(() => block.run(parsed as never, ctx as never)), timeout]);
        return { ok: true, value };
      } catch (thrown) {
        if (isBlockworkError(thrown) && thrown.code === "not_implemented") {
          self.notImplemented = thrown.message.split("\n")[0] as string;
          return { ok: false, found: "not_implemented" };
        }
        const kind = thrown instanceof TimeoutError ? "timeout" : "threw";
        return { ok: false, found: { kind, input: parsed, message: thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : `threw ${String(thrown)}` } };
      } finally {
        clearTimeout(timer);
      }
    },
    checkOutput(raw, value) {
      if (isBlockFailure(value)) {
        if (error === undefined) return { ok: false, found: { kind: "error_schema", input: raw, output: value.error, message: "the block failed with a typed error, but its contract declares no error schema" } };
        const parsed = error.safeParse(value.error);
        return parsed.success ? { ok: true, value } : { ok: false, found: { kind: "error_schema", input: raw, output: value.error, message: `the typed error does not satisfy the error schema: ${issues(parsed.error)}` } };
      }
      if (isBlockSuspension(value)) return { ok: true, value };
      const parsed = output.safeParse(value);
      return parsed.success ? { ok: true, value: parsed.data } : { ok: false, found: { kind: "output_schema", input: raw, output: value, message: `the output does not satisfy the output schema: ${issues(parsed.error)}` } };
    },
    async run(raw) {
      const parsed = self.parse(raw);
      if (!parsed.ok) return undefined;
      const called = await self.call(parsed.value);
      if (!called.ok) return called.found;
      const checked = self.checkOutput(raw, called.value);
      if (!checked.ok) return checked.found;
      if (isBlockFailure(checked.value) || isBlockSuspension(checked.value)) return undefined;
      for (const [name, property] of o.properties) {
        const why = propertyFailure(property, { input: parsed.value, output: checked.value });
        if (why !== undefined) return { kind: "property", property: name, input: raw, output: called.value, message: `the property "${name}" does not hold: ${why}` };
      }
      return undefined;
    },
  };
  return self;
}

async function probeExample(probe: Prober, example: BlockExample, i: number): Promise<Found | "not_implemented" | undefined> {
  const parsed = probe.parse(example.input);
  if (!parsed.ok) return { kind: "example", example: i, input: example.input, message: `examples[${i}].input does not satisfy the input schema: ${parsed.message}` };
  const called = await probe.call(parsed.value);
  if (!called.ok) return called.found === "not_implemented" ? "not_implemented" : { ...called.found, example: i, input: example.input };
  const checked = probe.checkOutput(example.input, called.value);
  if (!checked.ok) return { ...checked.found, example: i };
  const expected = probe.checkOutput(example.input, example.output);
  const want = expected.ok ? expected.value : example.output;
  if (!isDeepStrictEqual(toPlain(checked.value), toPlain(want))) {
    return { kind: "example", example: i, input: example.input, output: called.value, expected: example.output, message: `examples[${i}]${example.note ? ` (${example.note})` : ""}: expected ${JSON.stringify(example.output)}, got ${JSON.stringify(called.value)}` };
  }
  return undefined;
}

function toPlain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

class TimeoutError extends Error {
  override readonly name = "TimeoutError";
  constructor(ms: number) {
    super(`the block did not finish within ${ms} ms`);
  }
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(value)"}: ${i.message}`).join("; ");
}

/** A report as text: one line per block, and for a failure the shrunk counterexample. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines: string[] = [];
  for (const v of report.blocks) {
    const what = `${v.runs} generated input${v.runs === 1 ? "" : "s"}, ${v.examples} example${v.examples === 1 ? "" : "s"}, ${v.properties.length} propert${v.properties.length === 1 ? "y" : "ies"}`;
    if (v.status === "passed") lines.push(`ok   ${v.block}: ${what}`);
    else if (v.status === "skipped") lines.push(`skip ${v.block}: ${v.reason}`);
    else if (v.status === "not_implemented") lines.push(`FAIL ${v.block}: not implemented (${v.reason})`);
    else if (v.failure) {
      const f = v.failure;
      lines.push(`FAIL ${v.block}: ${f.message}`);
      const fromExample = f.example !== undefined;
      lines.push(`     ${fromExample ? `examples[${f.example}]` : `counterexample (shrunk ${f.shrinks} time${f.shrinks === 1 ? "" : "s"})`}: input ${JSON.stringify(f.input)}`);
      if (f.output !== undefined) lines.push(`     output: ${JSON.stringify(f.output)}`);
      if (!fromExample) lines.push(`     replay: seed ${f.seed}${f.replayPath ? `, path "${f.replayPath}"` : ""}`);
    }
  }
  const failed = report.blocks.filter((v) => v.status === "failed" || v.status === "not_implemented").length;
  lines.push(`${report.blocks.length} block${report.blocks.length === 1 ? "" : "s"} verified in ${report.durationMs} ms: ${failed ? `${failed} failed` : "all passed"}.`);
  return `${lines.join("\n")}\n`;
}
