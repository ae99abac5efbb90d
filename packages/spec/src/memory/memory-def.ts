import { z } from "zod";
import type { JsonSchema } from "../def/graph-def.js";
import { toJsonSchema } from "../contract/contract.js";
import { BlockworkError } from "../errors.js";

/**
 * Who shares a memory scope: `block` (one block of one run, across its activations), `graph` (every
 * block of the run that declares it: a "team notebook"), or `thread` (every run of the same thread,
 * or user, across runs).
 */
export type MemoryLevel = "block" | "graph" | "thread";

/** The three tiers: `core` is always in the context, `recall` is searchable history, `archival` is searched on demand. */
export type MemoryTier = "core" | "recall" | "archival";

/** The tiers, from the one nearest the context to the farthest. */
export const MEMORY_TIERS: readonly MemoryTier[] = ["core", "recall", "archival"];

/**
 * "Use it or lose it": an item is kept in its tier while it was accessed within each declared
 * window (the last N steps, the last N context tokens the scope's readers used, the last N seconds).
 */
export interface RetentionWindow {
  readonly steps?: number;
  readonly tokens?: number;
  readonly seconds?: number;
}

/** The limits of one tier. Items beyond them are evicted, least recently used first (pinned items never). */
export interface TierPolicy {
  readonly maxTokens?: number;
  readonly maxItems?: number;
  readonly keepIfAccessedWithin?: RetentionWindow;
  /** What eviction does: move the item one tier down (default for core and recall), or drop it (the only choice for archival). */
  readonly onEvict?: "demote" | "drop";
}

/** How a compaction is bounded and supervised. */
export interface CompactionPolicy {
  /** The most tokens the summary may have (at most `core.maxTokens`). */
  readonly maxTokens: number;
  /** Attempts of the compaction block before the overflow escalates (default 3). */
  readonly attempts?: number;
}

/**
 * A retention policy, as plain data: the checker reads it, the runtime applies it at every step.
 * `core.maxTokens` is required: core memory is always in the agent's context, so it needs a budget.
 */
export interface RetentionPolicy {
  readonly core: TierPolicy & { readonly maxTokens: number };
  readonly recall?: TierPolicy;
  readonly archival?: TierPolicy;
  /**
   * When core is over its limits and eviction alone cannot (or is not to) make room: `demote`
   * (default) moves least recently used items to recall; `compact` has the compaction block fold
   * core into a summary (see {@link CompactionPolicy}).
   */
  readonly onCoreOverflow?: "demote" | "compact";
  readonly compaction?: CompactionPolicy;
}

/** A memory scope as the GraphDef holds it: plain data, kinds as JSON Schema. */
export interface MemoryScopeDef {
  readonly name: string;
  readonly level: MemoryLevel;
  /** For `thread` scopes: the input field of the reading block that names the thread (`customerId`). */
  readonly threadFrom?: string;
  /** The kinds of items, each with the JSON Schema of its `data`. */
  readonly kinds: { readonly [kind: string]: JsonSchema };
  readonly policy: RetentionPolicy;
}

/** How one block uses memory: which scopes it reads and writes, and its context budget (for the checker). */
export interface MemoryUseDef {
  /** The block's context budget in tokens: core memory of every scope it reads must fit in it. */
  readonly contextTokens: number;
  readonly scopes: readonly { readonly scope: MemoryScopeDef; readonly read: boolean; readonly write: boolean }[];
}

const Count = z.number().int().positive();
const WindowSchema = z.strictObject({ steps: Count.optional(), tokens: Count.optional(), seconds: z.number().positive().optional() });
const TierSchema = z.strictObject({ maxTokens: Count.optional(), maxItems: Count.optional(), keepIfAccessedWithin: WindowSchema.optional(), onEvict: z.enum(["demote", "drop"]).optional() });

/** The zod schema of {@link RetentionPolicy} (strict: a misspelt field is an error, not ignored). */
export const RetentionPolicySchema = z.strictObject({
  core: TierSchema.extend({ maxTokens: Count }),
  recall: TierSchema.optional(),
  archival: TierSchema.optional(),
  onCoreOverflow: z.enum(["demote", "compact"]).optional(),
  compaction: z.strictObject({ maxTokens: Count, attempts: Count.optional() }).optional(),
});

/** The zod schema of {@link MemoryScopeDef}. */
export const MemoryScopeDefSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/, "must start with a letter or _ and contain only letters, digits, _ . and -"),
  level: z.enum(["block", "graph", "thread"]),
  threadFrom: z.string().min(1).optional(),
  kinds: z.record(z.string().min(1), z.union([z.boolean(), z.record(z.string(), z.unknown())])),
  policy: RetentionPolicySchema,
});

/** The zod schema of {@link MemoryUseDef} (a code node's `memory` in a GraphDef). */
export const MemoryUseDefSchema = z.strictObject({
  contextTokens: Count,
  scopes: z.array(z.strictObject({ scope: MemoryScopeDefSchema, read: z.boolean(), write: z.boolean() })),
});

/** The kinds of a scope, as zod schemas of each kind's `data`. */
export type MemoryKinds = { readonly [kind: string]: z.ZodType };

/** A declared memory scope: its plain-data definition and its kinds as zod schemas. */
export interface MemoryScope<TKinds extends MemoryKinds = MemoryKinds> {
  readonly kind: "memory";
  readonly def: MemoryScopeDef;
  readonly kinds: TKinds;
}

/** What {@link defineMemory} takes. */
export interface MemorySpec<TKinds extends MemoryKinds> {
  readonly name: string;
  readonly level: MemoryLevel;
  readonly threadFrom?: string;
  readonly kinds: TKinds;
  readonly policy: RetentionPolicy;
}

/**
 * Declares a memory scope: who shares it, the kinds of items it holds (a zod schema for each kind's
 * data) and its retention policy. Blocks that use it declare it (`agentBlock(..., { memory: [...] })`),
 * and the checker verifies the policy against their context budgets.
 *
 * @example
 * const notes = defineMemory({
 *   name: "support", level: "thread", threadFrom: "customerId",
 *   kinds: { fact: z.object({ topic: z.string() }), turn: z.object({}) },
 *   policy: { core: { maxTokens: 600, keepIfAccessedWithin: { steps: 50 } }, recall: { maxItems: 5_000 } },
 * });
 */
export function defineMemory<const TKinds extends MemoryKinds>(spec: MemorySpec<TKinds>): MemoryScope<TKinds> {
  if (spec.level === "thread" && spec.threadFrom === undefined) {
    throw new BlockworkError("invalid_memory", `defineMemory("${spec.name}"): a thread scope needs threadFrom, the input field that names the thread (for example threadFrom: "customerId").`, { name: spec.name });
  }
  const kinds: Record<string, JsonSchema> = {};
  for (const [kind, schema] of Object.entries(spec.kinds)) kinds[kind] = toJsonSchema(schema, "output");
  const def = { name: spec.name, level: spec.level, ...(spec.threadFrom !== undefined ? { threadFrom: spec.threadFrom } : {}), kinds, policy: spec.policy };
  const parsed = MemoryScopeDefSchema.safeParse(def);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(scope)"}: ${i.message}`).join("; ");
    throw new BlockworkError("invalid_memory", `defineMemory("${spec.name}"): ${issues}.`, { name: spec.name });
  }
  return Object.freeze({ kind: "memory" as const, def: def as MemoryScopeDef, kinds: spec.kinds });
}

/**
 * Marks a block's implementation with its memory use. A global symbol, as for agent blocks: a graph
 * module loaded by the CLI gets its own copy of this package, and must still be recognised.
 */
const MEMORY_USE = Symbol.for("blockwork.memory-use");

/** Attaches a memory use to a block implementation (a function), for the builder to put in the GraphDef. */
export function attachMemoryUse<$Fn extends (...args: never[]) => unknown>(run: $Fn, use: MemoryUseDef): $Fn {
  Object.defineProperty(run, MEMORY_USE, { value: use });
  return run;
}

/** The memory use of a code block (from its implementation), or undefined. */
export function memoryUseOf(block: { readonly kind: string; readonly run?: unknown }): MemoryUseDef | undefined {
  if (block.kind !== "code" || typeof block.run !== "function") return undefined;
  return (block.run as unknown as Record<symbol, MemoryUseDef | undefined>)[MEMORY_USE];
}
