import type { z } from "zod";
import type { DeclaredDef, JsonValue } from "../def/graph-def.js";
import { BlockworkError } from "../errors.js";
import { assertId, type BlockRun, type CodeBlock } from "./block.js";
import type { AnySchema, Budget, Contract, Unset } from "./contract.js";

/** One example of a declared block: an input and the output the block must produce for it. */
export interface BlockExample<$In extends AnySchema = AnySchema, $Out extends AnySchema = AnySchema> {
  readonly input: z.input<$In>;
  readonly output: z.input<$Out>;
  /** What the example shows, for the block's agent and for failure messages. */
  readonly note?: string;
}

/** What a declared property is checked against: one input and the output the block produced for it. */
export interface InputOutput<$In extends AnySchema = AnySchema, $Out extends AnySchema = AnySchema> {
  readonly input: z.output<$In>;
  readonly output: z.output<$Out>;
}

/**
 * A property every run of the block must satisfy: a predicate over `{ input, output }`, or a zod
 * schema (a refinement) that `{ input, output }` must parse with.
 */
export type BlockProperty<$In extends AnySchema = AnySchema, $Out extends AnySchema = AnySchema> =
  | ((io: InputOutput<$In, $Out>) => boolean)
  | z.ZodType;

/** What `declareBlock` takes. */
export interface DeclareSpec<$Id extends string, $In extends AnySchema, $Out extends AnySchema, $Err extends AnySchema | Unset> {
  readonly id: $Id;
  /** One line: what the block is for. Its agent reads it. */
  readonly purpose: string;
  readonly input: $In;
  readonly output: $Out;
  readonly error?: $Err extends AnySchema ? $Err : never;
  readonly budget?: Budget;
  /** Input/output pairs the implementation must reproduce; each must satisfy the contract. */
  readonly examples: readonly BlockExample<$In, $Out>[];
  /** Named properties over `{ input, output }` that every run must satisfy. */
  readonly properties?: { readonly [name: string]: BlockProperty<$In, $Out> };
  /**
   * Where the implementation lives (or will, once `blockwork implement` wrote it):
   * `new URL("./slugify.impl.ts", import.meta.url)`. The module's default export is the `run`.
   */
  readonly implementation?: URL;
}

/** What a declared block carries besides a code block's parts. */
export interface DeclaredInfo {
  readonly purpose: string;
  readonly examples: readonly BlockExample[];
  readonly properties: { readonly [name: string]: BlockProperty };
  /** The file URL of the implementation module, when one is declared. */
  readonly file?: string;
  /** Set when the implementation was given in code (`.implement(run)`) or loaded from `file`. */
  readonly inline?: BlockRun<never>;
}

const declaredKey = Symbol.for("blockwork.declared");

/**
 * A block declared by its contract, purpose, examples and properties, whose implementation is
 * written separately (by hand or by `blockwork implement`). It is a code block: until its
 * implementation exists, running it fails with `not_implemented` and `check` reports it.
 */
export type DeclaredBlock<T extends { id: string; input: AnySchema; output: AnySchema; error: AnySchema | Unset; resume: Unset }> = CodeBlock<T> & {
  readonly [declaredKey]: DeclaredInfo;
  /** The same declaration with an implementation given in code. */
  implement(run: BlockRun<T>): DeclaredBlock<T>;
};

/** The declaration a block carries, when it was made with {@link declareBlock}. */
export function declaredInfo(block: unknown): DeclaredInfo | undefined {
  if (typeof block !== "object" || block === null) return undefined;
  return (block as Record<symbol, DeclaredInfo | undefined>)[declaredKey];
}

/**
 * Declares a block without implementing it: a contract, a one-line purpose, examples (input →
 * output pairs, checked against the contract and the properties right here) and optional
 * properties over `{ input, output }`. The implementation is the default export of the module at
 * `implementation`, loaded on first use; `blockwork implement` writes it from this declaration.
 *
 * @example
 * export const slugify = declareBlock({
 *   id: "slugify",
 *   purpose: "Turns a title into a lowercase URL slug.",
 *   input: z.object({ title: z.string() }),
 *   output: z.object({ slug: z.string() }),
 *   examples: [{ input: { title: "Hello World" }, output: { slug: "hello-world" } }],
 *   properties: { lowercase: ({ output }) => output.slug === output.slug.toLowerCase() },
 *   implementation: new URL("./slugify.impl.ts", import.meta.url),
 * });
 */
export function declareBlock<const $Id extends string, $In extends AnySchema, $Out extends AnySchema, $Err extends AnySchema | Unset = Unset>(
  spec: DeclareSpec<$Id, $In, $Out, $Err>,
): DeclaredBlock<{ id: $Id; input: $In; output: $Out; error: $Err; resume: Unset }> {
  assertId(spec.id, "declareBlock");
  if (typeof spec.purpose !== "string" || spec.purpose.trim() === "") {
    throw new BlockworkError("invalid_declaration", `declareBlock("${spec.id}"): purpose must be a non-empty line saying what the block is for.`, { block: spec.id });
  }
  if (!Array.isArray(spec.examples)) {
    throw new BlockworkError("invalid_declaration", `declareBlock("${spec.id}"): examples must be an array of { input, output } pairs (it may be empty, but give at least one: the block's agent learns from them).`, { block: spec.id });
  }
  const contract = { input: spec.input, output: spec.output, error: spec.error, resume: undefined, ...(spec.budget ? { budget: spec.budget } : {}) } as unknown as Contract;
  const properties = spec.properties ?? {};
  spec.examples.forEach((example, i) => checkExample(spec.id, contract, properties, example as BlockExample, i));
  const info: DeclaredInfo = {
    purpose: spec.purpose.trim(),
    examples: spec.examples as readonly BlockExample[],
    properties: properties as DeclaredInfo["properties"],
    ...(spec.implementation !== undefined ? { file: String(spec.implementation) } : {}),
  };
  return makeDeclared(spec.id, contract, info) as never;
}

function makeDeclared(id: string, contract: Contract, info: DeclaredInfo): CodeBlock {
  let loaded: Promise<BlockRun<never>> | undefined;
  const load = (): Promise<BlockRun<never>> => {
    if (info.inline) return Promise.resolve(info.inline);
    if (info.file === undefined) return Promise.reject(notImplemented(id, "it declares no implementation module and none was given with .implement(run)"));
    return (loaded ??= importImplementation(id, info.file));
  };
  const run = async (input: never, ctx: never) => (await load())(input, ctx);
  const block = {
    kind: "code" as const,
    id,
    ref: id,
    description: info.purpose,
    contract,
    run,
    [declaredKey]: info,
    as(newId: string): unknown {
      assertId(newId, `${id}.as`);
      // Same run, same ref: the graph's block table sees one implementation used twice.
      return Object.freeze({ ...block, id: newId });
    },
    implement(impl: BlockRun<never>) {
      if (typeof impl !== "function") throw new BlockworkError("invalid_block", `${id}.implement(run): run must be a function, got ${typeof impl}.`);
      return makeDeclared(id, contract, { ...info, inline: impl });
    },
  };
  return Object.freeze(block) as unknown as CodeBlock;
}

async function importImplementation(id: string, file: string): Promise<BlockRun<never>> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || /Cannot find module|Failed to load url|does not exist/i.test(String((error as Error).message))) {
      throw notImplemented(id, `its implementation module ${file} does not exist yet`, error);
    }
    throw error;
  }
  const run = namespace["default"] ?? namespace["run"];
  if (typeof run !== "function") {
    throw new BlockworkError("not_implemented", `Block "${id}": ${file} does not export its implementation. Export the run function as the default export (export default function run(input) { ... }).`, { block: id, file });
  }
  return run as BlockRun<never>;
}

function notImplemented(id: string, why: string, cause?: unknown): BlockworkError {
  return new BlockworkError(
    "not_implemented",
    `Block "${id}" is declared but not implemented: ${why}. Write it with \`blockwork implement <graph> --block ${id}\`, or by hand.`,
    { block: id },
    cause === undefined ? undefined : { cause },
  );
}

function checkExample(id: string, contract: Contract, properties: DeclaredInfo["properties"], example: BlockExample, i: number): void {
  const where = `declareBlock("${id}"): examples[${i}]`;
  const input = (contract.input as z.ZodType).safeParse(example?.input);
  if (!input.success) throw new BlockworkError("invalid_example", `${where}.input does not satisfy the input schema: ${issuesText(input.error)}. Fix the example or the contract.`, { block: id, example: i });
  const output = (contract.output as z.ZodType).safeParse(example.output);
  if (!output.success) throw new BlockworkError("invalid_example", `${where}.output does not satisfy the output schema: ${issuesText(output.error)}. Fix the example or the contract.`, { block: id, example: i });
  for (const [name, property] of Object.entries(properties)) {
    const failed = propertyFailure(property, { input: input.data, output: output.data });
    if (failed !== undefined) throw new BlockworkError("invalid_example", `${where} breaks the declared property "${name}" (${failed}): an example and a property contradict each other. Fix one of them.`, { block: id, example: i, property: name });
  }
}

/**
 * Why `{ input, output }` breaks a declared property, or undefined when it holds. A predicate that
 * throws breaks it too (the message says what it threw).
 */
export function propertyFailure(property: BlockProperty, io: InputOutput): string | undefined {
  if (typeof property === "function") {
    try {
      return property(io) === true ? undefined : "the predicate returned false";
    } catch (error) {
      return `the predicate threw: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  const parsed = property.safeParse(io);
  return parsed.success ? undefined : issuesText(parsed.error);
}

function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(value)"}: ${i.message}`).join("; ");
}

/** The plain-data form of a declaration, as a GraphDef's code node holds it. */
export function declaredToDef(info: DeclaredInfo): DeclaredDef {
  const names = Object.keys(info.properties);
  return {
    purpose: info.purpose,
    examples: info.examples.map((e) => ({ input: e.input as JsonValue, output: e.output as JsonValue, ...(e.note !== undefined ? { note: e.note } : {}) })),
    ...(names.length ? { properties: names } : {}),
  };
}

/**
 * The implementation names of the declared blocks of a graph (nested graphs included) that have
 * no implementation: none given in code and no module at the declared
 * `implementation` URL, as `fileExists` tells (spec reads no files; `blockwork check` passes a
 * file-system test). What `check`'s `unimplemented` option expects.
 *
 * @example
 * check(graph.def, { unimplemented: unimplementedBlocks(graph, (url) => existsSync(fileURLToPath(url))) })
 */
export function unimplementedBlocks(graph: { readonly blocks: ReadonlyMap<string, unknown> }, fileExists: (url: string) => boolean): Set<string> {
  const missing = new Set<string>();
  const visit = (g: { readonly blocks: ReadonlyMap<string, unknown> }) => {
    for (const [name, block] of g.blocks) {
      if (isGraphLike(block)) visit(block);
      const info = declaredInfo(block);
      if (info === undefined || info.inline !== undefined) continue;
      if (info.file === undefined || !fileExists(info.file)) missing.add(name);
    }
  };
  visit(graph);
  return missing;
}

function isGraphLike(block: unknown): block is { readonly blocks: ReadonlyMap<string, unknown> } {
  return typeof block === "object" && block !== null && (block as { kind?: unknown }).kind === "graph" && (block as { blocks?: unknown }).blocks instanceof Map;
}

