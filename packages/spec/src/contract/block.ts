import type { z } from "zod";
import type { GraphDef, ItemErrorMode, JsonValue } from "../def/graph-def.js";
import { BlockworkError } from "../errors.js";
import type { BlobAccess } from "./blob.js";
import { ID_PATTERN } from "../def/graph-def-schema.js";
import type {
  AnySchema,
  Budget,
  Contract,
  ContractTypes,
  ErrorValue,
  InputValue,
  OutputValue,
  ResumeValue,
  Unset,
} from "./contract.js";

const failureBrand = Symbol.for("blockwork.failure");

/** A typed failure returned by a block; callers route on it with error edges. */
export interface BlockFailure<TError> {
  readonly [failureBrand]: true;
  readonly error: TError;
}

/** Wraps a typed error so a block can return it: `return fail({ reason: "not_found" })`. */
export function failure<TError>(error: TError): BlockFailure<TError> {
  return { [failureBrand]: true, error };
}

/** Whether a value returned by a block is a typed failure (brand check: survives duplicate copies). */
export function isBlockFailure(value: unknown): value is BlockFailure<unknown> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[failureBrand] === true;
}

const suspensionBrand = Symbol.for("blockwork.suspension");

/**
 * A block's request to wait for a human or an outside event: returned by `ctx.suspend(payload)`.
 * The runtime journals the payload and parks the block; when it is resumed with data that
 * satisfies the block's `resume` schema, the block runs again with `ctx.resumed` set.
 */
export interface BlockSuspension {
  readonly [suspensionBrand]: true;
  readonly payload: JsonValue;
}

/** Wraps what a suspended block shows whoever will resume it (a question, a draft to approve...). */
export function suspension(payload: JsonValue): BlockSuspension {
  return { [suspensionBrand]: true, payload };
}

/** Whether a value returned by a block is a suspension (brand check: survives duplicate copies). */
export function isBlockSuspension(value: unknown): value is BlockSuspension {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[suspensionBrand] === true;
}

/**
 * What a block can report while it runs, besides its outcome: model calls with their token usage,
 * and tool calls. The runtime turns reports into run events (`block.usage`, `block.tool`).
 */
export type BlockReport =
  | {
      readonly type: "usage";
      /** `provider:model`. */
      readonly model: string;
      /** 1 for the block's first model call in this attempt, 2 for the next (a repair, or after tools), ... */
      readonly call: number;
      /** Tokens of the context, counted before the call. */
      readonly contextTokens: number;
      /** As the provider reported them, when it did. */
      readonly inputTokens?: number;
      readonly outputTokens?: number;
      readonly latencyMs: number;
      readonly costUsd?: number;
      /**
       * `ok`, the failure class of the call's answer (`syntax`, `schema`, `refusal`, `truncated`, ...),
       * or, for a call that got no answer, the provider failure (`rate_limit`, `server`, `timeout`, ...).
       */
      readonly outcome: string;
      /** False when the call got no answer (a 429, a 5xx, a timeout): it used time, maybe no tokens. */
      readonly answered?: boolean;
      /** The HTTP status of a failed call, when there was one. */
      readonly status?: number;
      /** Why the model stopped (`stop`, `length`, `tool-calls`, `content-filter`, ...), for a call that got an answer. */
      readonly finishReason?: string;
    }
  | {
      readonly type: "tool";
      readonly tool: string;
      /** The model's id of this tool call, when a model asked for it. */
      readonly callId?: string;
      readonly durationMs: number;
      readonly ok: boolean;
      readonly error?: string;
    }
  | {
      /** A step inside the block (an rlm block's cell or sub-call): `step` names it, `detail` says what happened. */
      readonly type: "step";
      readonly step: string;
      readonly detail: { readonly [key: string]: JsonValue };
      /** True when the step's outcome came from the journal (a resumed run) instead of being run. */
      readonly replayed: boolean;
    };

/**
 * A durable step inside one block attempt (`ctx.step`): its key is unique within the attempt, its
 * result is JSON and is journaled (`step.completed`) before `ctx.step` returns it. When the run is
 * resumed after a crash, the attempt runs again and `ctx.step` returns the journaled result of a
 * finished step instead of running it.
 */
export type BlockStep = <T extends JsonValue>(key: string, run: () => Promise<T> | T) => Promise<T>;

/**
 * What the runtime gives a block besides its input. `suspend` is there only for blocks whose
 * contract declares a `resume` schema.
 */
export type BlockContext<TError = never, TResume = never> = BlockContextBase<TError, TResume> & ([TResume] extends [never] ? unknown : Suspendable);

/** What every block's context has. */
export interface BlockContextBase<TError = never, TResume = never> {
  /** Aborted when the run is cancelled or the attempt runs out of time. Pass it to I/O. */
  readonly signal: AbortSignal;
  readonly runId: string;
  /** Block ids from the top graph down to this block. */
  readonly path: readonly string[];
  /** 1 on the first attempt. */
  readonly attempt: number;
  /** Stable across retries and resumes of this block execution: dedupe side effects with it. */
  readonly idempotencyKey: string;
  /** The data this block was resumed with, when it suspended earlier in this execution. */
  readonly resumed?: TResume;
  /** Finish with a typed error that satisfies the block's `error` schema. */
  fail(error: TError): BlockFailure<TError>;
  /** Reports a model call or a tool call (shown as run events; costs nothing when nobody listens). */
  report(report: BlockReport): void;
  /** The run store's blob store (given by the runtime; absent in hand-made test contexts). */
  readonly blobs?: BlobAccess;
  /**
   * The run store's agent memory: a `MemoryBackend` of `@blockwork/core` (typed `object` here,
   * since spec does not depend on core). Agent blocks with `memory` use it; see docs/memory.md.
   */
  readonly memory?: object | undefined;
  /**
   * Runs a durable step of this attempt, or returns its journaled result when the run was resumed
   * (given by the runtime; absent in hand-made test contexts). See {@link BlockStep}.
   */
  readonly step?: BlockStep;
}

/** The context of a block that can suspend (its contract declares `resume`). */
export interface Suspendable {
  /**
   * Suspends the block until someone resumes it with data satisfying its `resume` schema:
   * `return ctx.suspend({ question: "Approve this refund?" })`. The payload (any JSON) is what they
   * are shown; the block then runs again, with `ctx.resumed` set to the data.
   */
  suspend(payload: JsonValue): BlockSuspension;
}

/** The implementation of a code block. */
export type BlockRun<T extends ContractTypes> = (
  input: InputValue<T>,
  ctx: BlockContext<ErrorValue<T>, ResumeValue<T>>,
) => Promise<BlockResult<T>> | BlockResult<T>;

/** What a block implementation returns: its output, a typed failure, or a suspension. */
export type BlockResult<T extends ContractTypes> = z.input<T["output"]> | BlockFailure<ErrorValue<T>> | ([ResumeValue<T>] extends [never] ? never : BlockSuspension);

/** Everything a block's type carries: its id and its contract's schemas. */
export interface BlockTypes extends ContractTypes {
  readonly id: string;
}

interface BlockBase<T extends BlockTypes> {
  readonly id: T["id"];
  /** The implementation name a GraphDef refers to; a renamed block (`as`) keeps it. */
  readonly ref: string;
  readonly description?: string;
  readonly contract: Contract<T>;
  /** Phantom carrier for extractors; never read at runtime. */
  readonly "~types"?: T;
}

/** A block implemented by an async function. */
export interface CodeBlock<T extends BlockTypes = BlockTypes> extends BlockBase<T> {
  readonly kind: "code";
  readonly run: BlockRun<T>;
  /** The same block under another id, to use it twice in one graph. */
  as<const $Id extends string>(id: $Id): CodeBlock<Rename<T, $Id>>;
}

/** A whole graph used as one block. Built with `createGraph(...).build()`. */
export interface GraphBlock<T extends BlockTypes = BlockTypes> extends BlockBase<T> {
  readonly kind: "graph";
  /** The graph as plain data. */
  readonly def: GraphDef;
  /** Implementations by name, for the blocks of this graph (not of nested graphs: they carry their own). */
  readonly blocks: ReadonlyMap<string, AnyBlock>;
  /** The predicates of pattern-route cases that JSON Schema cannot describe (`P.when`), by guard name. */
  readonly guards?: ReadonlyMap<string, (value: unknown) => boolean>;
  /** The same graph under another block id. */
  as<const $Id extends string>(id: $Id): GraphBlock<Rename<T, $Id>>;
}

/** A fan-out over a list: runs its item block for every item (see `mapOf`). */
export interface MapBlock<T extends BlockTypes = BlockTypes> extends BlockBase<T> {
  readonly kind: "map";
  /** The block run for each item. */
  // biome-ignore lint: any item block.
  readonly item: CodeBlock<any> | GraphBlock<any>;
  readonly concurrency: number;
  readonly onItemError: ItemErrorMode;
  /** The same map under another block id. */
  as<const $Id extends string>(id: $Id): MapBlock<Rename<T, $Id>>;
}

/** Any block: code, graph or map. */
export type Block<T extends BlockTypes = BlockTypes> = CodeBlock<T> | GraphBlock<T> | MapBlock<T>;
/** Any block whatever its types: the constraint for functions that accept every block (`add`, `then`). */
// biome-ignore lint: `any` is the point of an "any block" constraint.
export type AnyBlock = CodeBlock<any> | GraphBlock<any> | MapBlock<any>;

type Rename<T extends BlockTypes, $Id extends string> = Omit<T, "id"> & { readonly id: $Id };

/** The types a block carries. */
export type TypesFrom<B extends AnyBlock> = NonNullable<B["~types"]>;
/** The id of a block. */
export type IdFrom<B extends AnyBlock> = B["id"];
/** The value a block receives (after parsing its input). */
export type InputFrom<B extends AnyBlock> = InputValue<TypesFrom<B>>;
/** The value a block produces. */
export type OutputFrom<B extends AnyBlock> = OutputValue<TypesFrom<B>>;
/** The typed error a block may fail with. */
export type ErrorFrom<B extends AnyBlock> = ErrorValue<TypesFrom<B>>;

/** What `defineContract` takes. */
export interface ContractSpec<
  $Id extends string,
  $In extends AnySchema,
  $Out extends AnySchema,
  $Err extends AnySchema | Unset,
  $Res extends AnySchema | Unset,
> {
  /** Unique within a graph: letters, digits, `_` and `-`, starting with a letter or `_`. */
  readonly id: $Id;
  /** One line: what the block is for. */
  readonly description?: string;
  readonly input: $In;
  readonly output: $Out;
  readonly error?: $Err extends AnySchema ? $Err : never;
  readonly resume?: $Res extends AnySchema ? $Res : never;
  readonly budget?: Budget;
}

/**
 * A block's id and contract, without an implementation yet. `implement` makes it a code block;
 * agent blocks implement contracts with a model instead.
 */
export interface BlockContract<T extends BlockTypes = BlockTypes> {
  readonly kind: "contract";
  readonly id: T["id"];
  readonly description?: string;
  readonly contract: Contract<T>;
  /** Phantom carrier for extractors; never read at runtime. */
  readonly "~types"?: T;
  /**
   * Implements the contract with an async function. Its result must satisfy the output schema;
   * `ctx.fail(error)` returns a typed error instead.
   */
  implement(run: BlockRun<T>): CodeBlock<T>;
}

/**
 * Declares a block's contract: an id and zod schemas for input, output and, optionally, typed
 * errors and resume data. Types are inferred from the schemas; they are never restated.
 *
 * The implementation comes second (`.implement(run)`), so the compiler knows the contract before it
 * checks the function: literal results such as `{ kind: "billing" }` keep their literal types.
 *
 * @example
 * const wordCount = defineContract({
 *   id: "wordCount",
 *   input: z.object({ text: z.string() }),
 *   output: z.object({ words: z.number().int() }),
 * }).implement(({ text }) => ({ words: text.split(/\s+/).filter(Boolean).length }));
 */
export function defineContract<
  const $Id extends string,
  $In extends AnySchema,
  $Out extends AnySchema,
  $Err extends AnySchema | Unset = Unset,
  $Res extends AnySchema | Unset = Unset,
>(
  spec: ContractSpec<$Id, $In, $Out, $Err, $Res>,
): BlockContract<{ id: $Id; input: $In; output: $Out; error: $Err; resume: $Res }> {
  assertId(spec.id, "defineContract");
  type T = { id: $Id; input: $In; output: $Out; error: $Err; resume: $Res };
  const contract = {
    input: spec.input,
    output: spec.output,
    error: spec.error,
    resume: spec.resume,
    ...(spec.budget ? { budget: spec.budget } : {}),
  } as unknown as Contract<T>;
  const description = spec.description;
  return Object.freeze({
    kind: "contract" as const,
    id: spec.id,
    ...(description !== undefined ? { description } : {}),
    contract,
    implement(run: BlockRun<T>): CodeBlock<T> {
      if (typeof run !== "function") {
        throw new BlockworkError("invalid_block", `${spec.id}.implement(run): run must be a function, got ${typeof run}.`);
      }
      return makeCodeBlock<T>({ id: spec.id, ref: spec.id, description, contract, run });
    },
  });
}

function makeCodeBlock<T extends BlockTypes>(parts: {
  id: T["id"];
  ref: string;
  description: string | undefined;
  contract: Contract<T>;
  run: BlockRun<T>;
}): CodeBlock<T> {
  const block: CodeBlock<T> = {
    kind: "code",
    id: parts.id,
    ref: parts.ref,
    ...(parts.description !== undefined ? { description: parts.description } : {}),
    contract: parts.contract,
    run: parts.run,
    as(id) {
      assertId(id, `${parts.id}.as`);
      return makeCodeBlock({ ...parts, id }) as never;
    },
  };
  return Object.freeze(block);
}

/** Throws a clear error for an id that the GraphDef format would reject. */
export function assertId(id: unknown, where: string): asserts id is string {
  if (typeof id !== "string" || !ID_PATTERN.test(id)) {
    throw new BlockworkError(
      "invalid_id",
      `${where}: id ${JSON.stringify(id)} is not valid. Use letters, digits, _ and -, starting with a letter or _ (at most 128 characters).`,
      { id: String(id) },
    );
  }
}

/** Whether a value is a block (brand-free structural check, survives duplicate package copies). */
export function isBlock(value: unknown): value is AnyBlock {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (v["kind"] === "code" || v["kind"] === "graph" || v["kind"] === "map") && typeof v["id"] === "string" && typeof v["contract"] === "object";
}

export type { Contract, ContractTypes };
