/**
 * GraphDef: the one plain-data, JSON-serialisable form of a graph.
 *
 * The builder produces it, the checker reads it, `.graph.json` files hold it, and the runtime
 * executes it. Schemas are JSON Schema (zod's own converter: block outputs in output mode, block
 * inputs in input mode); implementations are referenced by name, never embedded.
 */


/** The format tag every GraphDef carries; bumped only on a breaking change of the format. */
export const GRAPH_DEF_FORMAT = "blockwork/graph@1" as const;

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON Schema document or sub-schema (an object, or `true` / `false`). */
export type JsonSchema = boolean | { readonly [keyword: string]: unknown };

/** A path into a JSON value: object keys and array indices. */
export type ValuePath = readonly (string | number)[];

/** Limits a block runs under. Every field is optional; the runtime enforces what is set. */
export interface BudgetDef {
  /** Wall-clock limit of one attempt, in milliseconds. */
  readonly timeoutMs?: number;
  /** How many attempts the block gets (1 = no retry). */
  readonly attempts?: number;
  /** Token budget of an agent block (context plus output). */
  readonly tokens?: number;
  /** Cost ceiling in US dollars. */
  readonly costUsd?: number;
}

/** A contract as plain data. */
export interface ContractDef {
  /** What the block accepts (JSON Schema, input mode). */
  readonly input: JsonSchema;
  /** What the block produces (JSON Schema, output mode). */
  readonly output: JsonSchema;
  /** Typed failures callers may route on (output mode). */
  readonly error?: JsonSchema;
  /** What a human or outside event supplies to resume the block when it is suspended (input mode). */
  readonly resume?: JsonSchema;
  readonly budget?: BudgetDef;
}

/**
 * Where an input value comes from.
 *
 * - `input`: a path into the graph's input.
 * - `output`: a path into the output of a block that ran before the reader. `optional` declares
 *   that the block may not have run; the value is then absent.
 * - `literal`: a constant.
 * - `object`: an object built field by field from other bindings.
 * - `first`: the first alternative whose source ran (for merges after a route).
 */
export type BindingDef =
  | { readonly kind: "input"; readonly path: ValuePath }
  | { readonly kind: "output"; readonly node: string; readonly path: ValuePath; readonly optional?: boolean }
  | { readonly kind: "literal"; readonly value: JsonValue }
  | { readonly kind: "object"; readonly fields: { readonly [field: string]: BindingDef } }
  | { readonly kind: "first"; readonly of: readonly BindingDef[] };

/** How a block with several incoming edges starts: after all live ones fired, or at the first. */
export type JoinMode = "all" | "any";

/**
 * How a block's failed attempts are retried: thrown errors and timeouts are retried; typed
 * failures (`ctx.fail`) and contract violations are not. The delay before attempt n+1 is
 * `min(maxDelayMs, initialDelayMs * factor^(n-1))`, with up to `jitter` of it randomised away.
 */
export interface RetryDef {
  /** Attempts in all (1 = no retry). Default: the contract budget's `attempts`, else 1. */
  readonly attempts?: number;
  /** Default 100. */
  readonly initialDelayMs?: number;
  /** Default 30,000. */
  readonly maxDelayMs?: number;
  /** Default 2. */
  readonly factor?: number;
  /** The fraction of each delay that is random, 0..1. Default 0.2. */
  readonly jitter?: number;
}

/**
 * How a supervisor treats a block that failed for good (after its retries), as in Erlang/OTP:
 *
 * - `permanent`: restarted after any failure;
 * - `transient`: restarted after an unexpected failure (a throw, a timeout, output that breaks the
 *   contract), but not after a typed failure the block returned on purpose (`ctx.fail`);
 * - `temporary`: never restarted.
 *
 * A failure that is not restarted, or one restart more than `intensity` within `periodMs`,
 * escalates: the graph the block is in fails, and its own supervisor (the parent graph) decides.
 * Only at the top does the run fail. A block without a restart policy is `temporary`.
 */
export type RestartType = "permanent" | "transient" | "temporary";

/** What to do with one class of failure, whatever the restart type says. */
export type FailureAction = "restart" | "escalate";

/**
 * How a supervisor restarts a block (or a graph) that failed, as plain data: the restart type
 * (`permanent`, `transient`, `temporary`), limits, backoff and per-failure overrides. See
 * docs/supervision.md.
 */
export interface RestartDef {
  readonly type: RestartType;
  /** At most this many restarts within `periodMs`; one more escalates. Default 3. */
  readonly intensity?: number;
  /** The sliding window of `intensity`, in milliseconds. Default 60,000. */
  readonly periodMs?: number;
  /** Backoff before restart n: `min(maxDelayMs, initialDelayMs * factor^(n-1))`. Default 100 ms. */
  readonly initialDelayMs?: number;
  /** Default 30,000. */
  readonly maxDelayMs?: number;
  /** Default 2. */
  readonly factor?: number;
  /** The fraction of each delay that is random, 0..1. Default 0.2. */
  readonly jitter?: number;
  /**
   * Per failure class, overriding `type`: keys are failure kinds (`rate_limit`, `schema`,
   * `refusal`, `truncated`, ... as agent blocks and model adapters report them) or error codes
   * (`block_failed`, `block_timeout`, `output_invalid`, `typed_failure`). The kind wins over the code.
   */
  readonly on?: { readonly [failure: string]: FailureAction };
}

/**
 * Which blocks of a graph a restart takes along, as in Erlang/OTP:
 *
 * - `one_for_one`: only the block that failed;
 * - `one_for_all`: every block of the graph (the graph starts over from its input);
 * - `rest_for_one`: the block that failed and every block that started after it.
 */
export type SupervisionStrategy = "one_for_one" | "one_for_all" | "rest_for_one";

/** How a graph supervises its blocks, as plain data: which blocks a restart takes along (the strategy). See docs/supervision.md. */
export interface SupervisionDef {
  /** Default `one_for_one`. */
  readonly strategy: SupervisionStrategy;
}

interface NodeDefBase {
  /** Unique within the graph. */
  readonly id: string;
  readonly description?: string;
  readonly contract: ContractDef;
  /** Where the block's input comes from. Absent means the empty object `{}`. */
  readonly input?: BindingDef;
  /** Only meaningful with several incoming forward edges. Default `all`. */
  readonly join?: JoinMode;
  readonly retry?: RetryDef;
  /** What the graph's supervisor does when the block fails for good. Default: never restarted. */
  readonly restart?: RestartDef;
}

/** A block implemented by code (or, later, by an agent), referenced by name. */
export interface CodeNodeDef extends NodeDefBase {
  readonly kind: "code";
  /** The name of the implementation in the graph's block table. */
  readonly block: string;
  /** The memory scopes the block reads and writes (agent blocks with memory; see docs/memory.md). */
  readonly memory?: MemoryUseDef;
  /** Set for a block declared by contract, purpose and examples (`declareBlock`); see docs/lego.md. */
  readonly declared?: DeclaredDef;
}

/** What a declared block (`declareBlock`) adds to its code node: the parts its agent is given. */
export interface DeclaredDef {
  /** One line: what the block is for. */
  readonly purpose: string;
  /** Input/output pairs the implementation must reproduce (they satisfy the contract). */
  readonly examples: readonly { readonly input: JsonValue; readonly output: JsonValue; readonly note?: string }[];
  /** The names of the properties over `{ input, output }` every run must satisfy (their code stays in the module). */
  readonly properties?: readonly string[];
}

/** A whole graph used as one block: a black box with its own contract. */
export interface GraphNodeDef extends NodeDefBase {
  readonly kind: "graph";
  readonly graph: GraphDef;
}

/** What a map does when one item fails: fail the whole map, or collect the failure as a result. */
export type ItemErrorMode = "fail" | "collect";

/**
 * A fan-out: runs one block (code or graph) for every item of its input's `items`, at most
 * `concurrency` at a time, and outputs the `results` in item order. Its contract is derived from
 * the item block's (see `mapOf`).
 */
export interface MapNodeDef extends NodeDefBase {
  readonly kind: "map";
  /** The block run for each item; its input is the item itself. */
  readonly item: CodeNodeDef | GraphNodeDef;
  /** Default 8. */
  readonly concurrency?: number;
  /** Default `fail`. */
  readonly onItemError?: ItemErrorMode;
}

/** One block of a GraphDef: a code block, a graph used as a block, or a map over a list; `kind` tells which. */
export type NodeDef = CodeNodeDef | GraphNodeDef | MapNodeDef;
/** The kinds of block a GraphDef holds: `"code"`, `"graph"`, `"map"`. */
export type NodeKind = NodeDef["kind"];

/** When an edge is taken after its source finishes. Absent means: whenever the source succeeds. */
export type EdgeCondition =
  /** The source succeeded and `output[field]` equals `equals`. */
  | { readonly kind: "case"; readonly field: string; readonly equals: string | number | boolean | null }
  /**
   * A case of a pattern route (`.match()`): the source succeeded and its output matches `pattern`,
   * the JSON Schema of a ts-pattern pattern. The cases of one source are tried in edge order and
   * the first that matches is taken. A pattern with a part that has no JSON Schema (`P.when`) is
   * opaque there and names a `guard`: the predicate, carried by the graph block like an
   * implementation.
   */
  | { readonly kind: "match"; readonly pattern: JsonSchema; readonly guard?: string }
  /** The source succeeded and no `case` (or `match`) edge of the same source matched. */
  | { readonly kind: "otherwise" }
  /** The source failed with a typed error (one satisfying its `error` schema). */
  | { readonly kind: "error" };

/** Control flow: which block runs after which. Data never travels on edges; see bindings. */
export interface EdgeDef {
  readonly from: string;
  readonly to: string;
  readonly when?: EdgeCondition;
  /**
   * How many times this edge may be taken in one run. Every cycle needs at least one bounded
   * edge. When the bound is exhausted the run takes `onExhausted` if given, and fails otherwise.
   */
  readonly max?: number;
  readonly onExhausted?: string;
}

/** A graph as plain data. */
export interface GraphDef {
  readonly format: typeof GRAPH_DEF_FORMAT;
  readonly id: string;
  readonly description?: string;
  /** The graph's own contract: what makes it usable as a block elsewhere. */
  readonly contract: ContractDef;
  /** The blocks that start when the graph starts. */
  readonly entry: readonly string[];
  readonly nodes: readonly NodeDef[];
  readonly edges: readonly EdgeDef[];
  /** How the graph's output is assembled when the run ends. */
  readonly output?: BindingDef;
  /** How this graph supervises its blocks. Default `one_for_one`. */
  readonly supervision?: SupervisionDef;
}

// The memory a code node declares (`defineMemory` and `attachMemoryUse` in memory/memory-def.ts make it).

/**
 * Who shares a memory scope: `block` (one block of one run, across its activations), `graph` (every
 * block of the run that declares it: a "team notebook"), or `thread` (every run of the same thread,
 * or user, across runs).
 */
export type MemoryLevel = "block" | "graph" | "thread";

/** The three tiers: `core` is always in the context, `recall` is searchable history, `archival` is searched on demand. */
export type MemoryTier = "core" | "recall" | "archival";

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
