import type { z } from "zod";
import type { AnyBlock, GraphBlock, OutputFrom, TypesFrom } from "../contract/block.js";
import type { AnySchema, InputArg, Unset } from "../contract/contract.js";
import type { JoinMode, RestartDef, RetryDef } from "../def/graph-def.js";
import type { Ref } from "./refs.js";

/**
 * A type-level error with a readable message. It appears where a value cannot satisfy it, so the
 * compiler prints the message: `Property '~error' is missing ... '"block id "x" is already used"'`.
 */
export interface ContractError<$Message extends string> {
  readonly "~error": $Message;
}

/** The graph's own contract, as the builder carries it. */
export interface GraphContractTypes {
  readonly id: string;
  readonly input: AnySchema;
  readonly output: AnySchema;
  readonly error: AnySchema | Unset;
}

/**
 * What a graph builder carries in its type. The parts are type *arguments* of one interface, not
 * properties computed from the previous state: each call's state is then a concrete type, and a
 * 200-call chain does not become a 200-deep chain of deferred types for the compiler to unwind.
 */
export interface GraphState<
  TContract extends GraphContractTypes,
  TBlocks extends AnyBlock,
  TLast extends AnyBlock | Unset,
  TUnbound extends string,
  TOutputBound extends boolean,
  TRefs extends object,
> {
  readonly contract: TContract;
  /** The blocks added so far, as a union (their ids are `TBlocks["id"]`). */
  readonly blocks: TBlocks;
  /** The block `then` continues from (its type, so that `then` reads its output without a lookup). */
  readonly last: TLast;
  /** Ids of blocks whose required input is not bound yet (`never` when all are). */
  readonly unbound: TUnbound;
  /** Whether `output` was called (or the graph's output needs nothing). */
  readonly outputBound: TOutputBound;
  /** Refs to the outputs of the blocks added so far, by id: what bindings functions receive. */
  readonly refs: TRefs;
}

/** Any builder state: the constraint of `GraphBuilder`'s parameter. */
// biome-ignore lint: `any` is the point of an "any state" constraint.
export type BuilderState = GraphState<GraphContractTypes, any, any, string, boolean, object>;

/** Block ids known to the builder. */
export type IdsOf<S extends BuilderState> = S["blocks"]["id"] & string;
type BlockAt<S extends BuilderState, $Id extends string> = Extract<S["blocks"], { readonly id: $Id }>;
/** The output type of a known block. */
export type OutputAt<S extends BuilderState, $Id extends string> = OutputFrom<BlockAt<S, $Id>>;
/** What a known block must be given (its input schema's input type). */
export type InputArgAt<S extends BuilderState, $Id extends string> = InputArg<TypesFrom<BlockAt<S, $Id>>>;
/** What a block must be given. */
export type InputArgOf<B extends AnyBlock> = InputArg<TypesFrom<B>>;

/** Refs to the outputs of the known blocks (accumulated in the state, one {@link RefEntry} per block). */
export type BlockRefs<S extends BuilderState> = S["refs"];
/** What a block adds to the refs bindings functions receive: a ref to its output under its id. */
export type RefEntry<B extends AnyBlock> = { readonly [K in B["id"]]: Ref<OutputFrom<B>> };
/** A ref to the graph's input (as parsed by the graph's input schema). */
export type GraphInputRef<S extends BuilderState> = Ref<z.output<S["contract"]["input"]>>;

/**
 * A bindings function: given refs to the graph input and to block outputs, it returns where each
 * input field comes from. It runs once, when the graph is built, to record the wiring. `$R` is
 * what it returns, inferred as `const` so literals keep their literal types; the methods that take
 * one constrain it to `BindingFor<the target type>`.
 */
export type BindFn<S extends BuilderState, $R> = (input: GraphInputRef<S>, blocks: BlockRefs<S>) => $R;

/** Options of `add` and `then`. */
export interface AddOptions {
  /** With several incoming edges: start after all live ones fired (default) or at the first. */
  readonly join?: JoinMode;
  /** How failed attempts are retried (thrown errors and timeouts). */
  readonly retry?: RetryDef;
  /** What the graph's supervisor does when the block fails for good (after its retries). */
  readonly restart?: RestartDef;
}

/** Where a route case or edge leads: a block id, or a bounded edge for loops. */
export type Target<$Ids extends string> =
  | $Ids
  | {
      readonly to: $Ids;
      /** How many times this edge may be taken in one run. */
      readonly max: number;
      /** Where to go when the bound is exhausted (the run fails when absent). */
      readonly onExhausted?: $Ids;
    };

/** Options of `edge`. */
export interface EdgeOptions<$Ids extends string> {
  readonly max?: number;
  readonly onExhausted?: $Ids;
}

type IsLiteralUnion<T> = [T] extends [string | number | boolean | null]
  ? string extends T
    ? false
    : number extends T
      ? false
      : true
  : false;

/** Fields of an output whose type is a finite union of literals: the fields a route can switch on. */
export type DiscriminantOf<O> = O extends object
  ? keyof O extends infer K
    ? K extends keyof O & string
      ? IsLiteralUnion<O[K]> extends true
        ? K
        : never
      : never
    : never
  : never;

/** The record keys for the cases of a discriminant: strings as they are, other literals as text. */
export type CaseKey<V> = V extends string ? V : V extends number | boolean | null ? `${V}` : never;

type CasesOf<S extends BuilderState, $From extends string, $Field extends string> = CaseKey<
  OutputAt<S, $From>[$Field & keyof OutputAt<S, $From>]
>;

/** Every case of the discriminant mapped to a target (a route without `otherwise`). */
export type ExhaustiveCases<S extends BuilderState, $From extends string, $Field extends string> = {
  readonly [C in CasesOf<S, $From, $Field>]: Target<IdsOf<S>>;
};

/** Some cases mapped to targets (a route with `otherwise`). */
export type PartialCases<S extends BuilderState, $From extends string, $Field extends string> = {
  readonly [C in CasesOf<S, $From, $Field>]?: Target<IdsOf<S>>;
};

type HasError<B> = B extends AnyBlock ? (TypesFrom<B>["error"] extends AnySchema ? true : false) : false;

/** `from` of an error edge: only blocks whose contract declares an `error` schema. */
export type ErrorSource<S extends BuilderState, $From extends string> = HasError<BlockAt<S, $From>> extends true
  ? $From
  : ContractError<`block "${$From}" declares no error schema, so it has no typed errors to route on`>;

/**
 * Rejects a block whose id is already used. Any id is new to the "any state" (`BuilderState`, whose
 * ids are `any`), which is what a method's parameter types show when read without a receiver
 * (`Parameters<GraphBuilder<...>["then"]>`).
 */
export type NewId<S extends BuilderState, $Id extends string> = $Id extends IdsOf<S>
  ? 0 extends 1 & S["blocks"]
    ? unknown
    : ContractError<`block id "${$Id}" is already used in this graph; add it under another id with .as("...")`>
  : unknown;

/** The unbound ids after adding a block without bindings: it joins them if its input needs any field. */
// biome-ignore lint/complexity/noBannedTypes: `{} extends T` asks whether T has no required keys
export type UnboundAfter<S extends BuilderState, B extends AnyBlock> = {} extends InputArgOf<B> ? S["unbound"] : S["unbound"] | B["id"];

/** What `then` continues from: the last block's output, or the graph input before any block. */
export type ThenSource<S extends BuilderState> = S["last"] extends AnyBlock ? OutputFrom<S["last"]> : z.output<S["contract"]["input"]>;

/**
 * Rejects a block whose input cannot take the previous block's whole output.
 *
 * The check itself is in {@link FitsCheck}, over the two resolved types: a tuple such as
 * `[ThenSource<S>]` written here would keep `S` as an outer type parameter, and the compiler would
 * then walk the whole builder state (every block so far) at each call.
 */
export type Fits<S extends BuilderState, B extends AnyBlock> = FitsCheck<
  ThenSource<S>,
  InputArgOf<B>,
  `the ${S["last"] extends AnyBlock ? `output of block "${S["last"]["id"]}"` : "graph input"} does not fit the input of block "${B["id"]}"; pass a bindings function to then()`
>;
type FitsCheck<$Source, $Target, $Message extends string> = [$Source] extends [$Target] ? unknown : ContractError<$Message>;

/** Why `build` is not allowed yet, or `unknown` when it is (see {@link Fits} for why the check is a separate alias). */
export type BuildCheck<S extends BuilderState> = BuildCheckOf<S["unbound"], S["outputBound"]>;
type BuildCheckOf<$Unbound extends string, $OutputBound extends boolean> = [$Unbound] extends [never]
  ? $OutputBound extends true
    ? unknown
    : ContractError<"the graph output is not bound: call .output((input, blocks) => ...) before .build()">
  : ContractError<`the input of block "${$Unbound}" is not bound: pass a bindings function to add() or call .bind("${$Unbound}", ...)`>;

/** The block a finished builder produces. */
export type GraphFrom<S extends BuilderState> = GraphBlock<{
  id: S["contract"]["id"];
  input: S["contract"]["input"];
  output: S["contract"]["output"];
  error: S["contract"]["error"];
  resume: Unset;
}>;
