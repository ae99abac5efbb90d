import { z } from "zod";
import type { JsonSchema, MemoryLevel, MemoryScopeDef, MemoryTier, MemoryUseDef, RetentionPolicy } from "../def/graph-def.js";
import { toJsonSchema } from "../contract/contract.js";
import { BlockworkError } from "../errors.js";

// The memory parts of a GraphDef are data types of the GraphDef; they are named here too.
export type { CompactionPolicy, MemoryLevel, MemoryScopeDef, MemoryTier, MemoryUseDef, RetentionPolicy, RetentionWindow, TierPolicy } from "../def/graph-def.js";

/** The tiers, from the one nearest the context to the farthest. */
export const MEMORY_TIERS: readonly MemoryTier[] = ["core", "recall", "archival"];

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
