import type { z } from "zod";
import type { AnyBlock } from "../contract/block.js";
import { assertId } from "../contract/block.js";
import type { AnySchema, Unset } from "../contract/contract.js";
import type { BindingDef, EdgeDef, SupervisionDef } from "../def/graph-def.js";
import { BlockworkError } from "../errors.js";
import { buildGraph, type Op } from "./build.js";
import { recordRoute, type RouteMatch } from "./match.js";
import { createBlockRefs, createRef, toBindingDef } from "./refs.js";
import type { BindingFor } from "./refs.js";
import type {
  AddOptions,
  BindFn,
  BuildCheck,
  BuilderState,
  DiscriminantOf,
  EdgeOptions,
  ErrorSource,
  ExhaustiveCases,
  Fits,
  GraphFrom,
  GraphState,
  IdsOf,
  InputArgAt,
  InputArgOf,
  NewId,
  OutputAt,
  PartialCases,
  RefEntry,
  Target,
  UnboundAfter,
} from "./types.js";

/**
 * An immutable graph builder: every call returns a new builder.
 *
 * The next state is written out as `GraphState<...>` in each return type on purpose: behind a type
 * alias, TypeScript keeps a chain of alias instantiations and a long chain of calls fails with
 * "type instantiation is excessively deep" (see docs/design/architecture.md). Block ids accumulate in the type,
 * so edges and bindings accept only known ids, and a miswired binding is a type error.
 *
 * Generic methods take the state from `this: GraphBuilder<$S>` rather than from `S`: mentioned next
 * to a method's own type parameters, `S` would be walked (every block so far) at each call, which
 * makes a long chain quadratic to type-check (see docs/design/architecture.md).
 */
export interface GraphBuilder<S extends BuilderState> {
  /**
   * Adds a block. Its input is bound by `bind` (or later with `.bind(id, ...)`); a block whose
   * input needs nothing may omit it. Nothing runs it until an edge, a route or `start` leads to it.
   *
   * @example
   * .add(classify, (input) => ({ text: input.text }))
   * .add(reply, (input, { classify }) => ({ text: input.text, kind: classify.kind }))
   * @see docs/cookbook.md (routes), docs/builder-mistakes.md
   */
  add<$S extends BuilderState, const $B extends AnyBlock>(this: GraphBuilder<$S>, block: $B & NewId<$S, $B["id"]>): GraphBuilder<GraphState<$S["contract"], $S["blocks"] | $B, $B, UnboundAfter<$S, $B>, $S["outputBound"], $S["refs"] & RefEntry<$B>>>;
  add<$S extends BuilderState, const $B extends AnyBlock, const $R extends BindingFor<InputArgOf<$B>>>(
    this: GraphBuilder<$S>,
    block: $B & NewId<$S, $B["id"]>,
    bind: BindFn<$S, $R>,
    options?: AddOptions,
  ): GraphBuilder<GraphState<$S["contract"], $S["blocks"] | $B, $B, $S["unbound"], $S["outputBound"], $S["refs"] & RefEntry<$B>>>;

  /**
   * Adds a block after the last one: an edge from it, and (without `bind`) its whole output as
   * the new block's input. The first `then` starts the graph and takes the graph's input.
   *
   * @example
   * createGraph({ id: "stats", input: z.object({ text: z.string() }), output: Totals })
   *   .then(split)                                  // the graph input { text } fits split's input
   *   .then(measureAll)                             // split's output { items } fits the map's input
   *   .then(total, (_, { measureAll }) => ({ results: measureAll.results }))
   * @see docs/cookbook.md (fan-out)
   */
  then<$S extends BuilderState, const $B extends AnyBlock, const $R extends BindingFor<InputArgOf<$B>>>(
    this: GraphBuilder<$S>,
    block: $B & NewId<$S, $B["id"]>,
    bind: BindFn<$S, $R>,
    options?: AddOptions,
  ): GraphBuilder<GraphState<$S["contract"], $S["blocks"] | $B, $B, $S["unbound"], $S["outputBound"], $S["refs"] & RefEntry<$B>>>;
  then<$S extends BuilderState, const $B extends AnyBlock>(this: GraphBuilder<$S>, block: $B & NewId<$S, $B["id"]> & Fits<$S, $B>, options?: AddOptions): GraphBuilder<GraphState<$S["contract"], $S["blocks"] | $B, $B, $S["unbound"], $S["outputBound"], $S["refs"] & RefEntry<$B>>>;

  /**
   * Binds (or rebinds) a block's input; refs may name any block, also ones added later (loops).
   *
   * @example
   * .bind("draft", (input, { review }) => ({ topic: input.topic, feedback: maybe(review.remarks) }))
   * @see docs/cookbook.md (loops)
   */
  bind<$S extends BuilderState, $Id extends IdsOf<$S>, const $R extends BindingFor<InputArgAt<$S, $Id>>>(
    this: GraphBuilder<$S>,
    id: $Id,
    bind: BindFn<$S, $R>,
  ): GraphBuilder<GraphState<$S["contract"], $S["blocks"], $S["last"], Exclude<$S["unbound"], $Id>, $S["outputBound"], $S["refs"]>>;

  /**
   * The blocks that start when the graph starts (a graph built with `then` starts at its first block).
   *
   * @example
   * .start("leftTokens", "rightTokens")   // both run at once
   */
  start(...ids: [IdsOf<S>, ...IdsOf<S>[]]): GraphBuilder<S>;

  /**
   * Control flow: `to` runs after `from` succeeds. A bounded edge (`max`) closes a loop.
   *
   * @example
   * .edge("leftTokens", "overlap").edge("rightTokens", "overlap")   // overlap waits for both
   * .edge("count", "count", { max: 3 })                              // a loop of at most 3 passes
   */
  edge(from: IdsOf<S>, to: IdsOf<S>, options?: EdgeOptions<IdsOf<S>>): GraphBuilder<S>;

  /**
   * Routes on a discriminant field of `from`'s output (an enum, literals or a boolean); every case
   * must lead somewhere (a type error otherwise). A case `{ to, max, onExhausted }` is a bounded loop.
   *
   * @example
   * .route("classify", "kind", { billing: "billingReply", tech: "techReply", other: "genericReply" })
   * .route("review", "verdict", { approve: "publish", revise: { to: "draft", max: 2, onExhausted: "publish" } })
   * @see docs/cookbook.md (routes, loops)
   */
  route<$S extends BuilderState, $From extends IdsOf<$S>, $Field extends DiscriminantOf<OutputAt<$S, $From>>>(
    this: GraphBuilder<$S>,
    from: $From,
    field: $Field,
    cases: ExhaustiveCases<$S, $From, $Field>,
  ): GraphBuilder<$S>;
  /**
   * Routes on a discriminant field; cases not listed go to `otherwise`.
   *
   * @example
   * .route("classify", "kind", { billing: "billingReply" }, "genericReply")
   */
  route<$S extends BuilderState, $From extends IdsOf<$S>, $Field extends DiscriminantOf<OutputAt<$S, $From>>>(
    this: GraphBuilder<$S>,
    from: $From,
    field: $Field,
    cases: PartialCases<$S, $From, $Field>,
    otherwise: Target<IdsOf<$S>>,
  ): GraphBuilder<$S>;

  /**
   * A pattern route: selects the case with ts-pattern patterns over `from`'s output, tried in
   * order (the first that matches is taken). `cases` receives ts-pattern's `Match`; each handler
   * returns the case's target, and the chain ends with `.exhaustive()` (a type error when the
   * cases do not cover the output) or `.otherwise(() => target)`. Use `P` from `@blockwork/spec`
   * so that the checker can read the patterns; `P.when` and guards work, but make the route
   * "unknown" to the checker.
   *
   * @example
   * .match("classify", (m) => m
   *   .with({ kind: "refund", amount: P.number.gte(100) }, () => "review")
   *   .with({ kind: P.union("refund", "question") }, () => "answer")
   *   .exhaustive())
   */
  match<$From extends IdsOf<S>>(from: $From, cases: (m: RouteMatch<OutputAt<S, $From>, Target<IdsOf<S>>>) => Target<IdsOf<S>>): GraphBuilder<S>;

  /**
   * Where to go when `from` fails with a typed error (one satisfying its `error` schema, returned
   * with `ctx.fail(...)`); a block without an `error` schema is a type error here.
   *
   * @example
   * .onError("fetchDoc", "apologise")
   */
  onError<$S extends BuilderState, $From extends IdsOf<$S>>(this: GraphBuilder<$S>, from: ErrorSource<$S, $From>, to: IdsOf<$S>): GraphBuilder<$S>;

  /**
   * How the graph's output is assembled from its input and block outputs when the run ends.
   *
   * @example
   * .output((_, { classify, billingReply, techReply }) => ({ reply: firstOf(billingReply.reply, techReply.reply), kind: classify.kind }))
   */
  output<$S extends BuilderState, const $R extends BindingFor<z.input<$S["contract"]["output"]>>>(this: GraphBuilder<$S>, bind: BindFn<$S, $R>): GraphBuilder<GraphState<$S["contract"], $S["blocks"], $S["last"], $S["unbound"], true, $S["refs"]>>;

  /**
   * Finishes the graph: a block with the graph's contract, usable in other graphs (`.as(id)` to
   * use it twice). A type error while a block input or the output is unbound.
   *
   * @example
   * export const compare = createGraph({ ... }).add(...).output((_, { overlap }) => overlap).build();
   */
  build(this: GraphBuilder<S> & BuildCheck<S>): GraphFrom<S>;
}

/** What `createGraph` takes: the graph's id and its own contract. */
export interface GraphSpec<$Id extends string, $In extends AnySchema, $Out extends AnySchema, $Err extends AnySchema | Unset> {
  readonly id: $Id;
  readonly description?: string;
  readonly input: $In;
  readonly output: $Out;
  readonly error?: $Err extends AnySchema ? $Err : never;
  /** How the graph supervises its blocks when one fails for good. Default `one_for_one`. */
  readonly supervision?: SupervisionDef;
}

/**
 * Starts a graph: its id and its own contract. The result is an immutable builder.
 *
 * @example
 * const pipeline = createGraph({ id: "count", input: z.object({ text: z.string() }), output: z.object({ words: z.number() }) })
 *   .then(wordCount)
 *   .output((_, { wordCount }) => wordCount)
 *   .build();
 */
export function createGraph<
  const $Id extends string,
  $In extends AnySchema,
  $Out extends AnySchema,
  $Err extends AnySchema | Unset = Unset,
>(
  spec: GraphSpec<$Id, $In, $Out, $Err>,
// biome-ignore lint/complexity/noBannedTypes: `{} extends T` asks whether T has no required keys
): GraphBuilder<GraphState<{ id: $Id; input: $In; output: $Out; error: $Err }, never, Unset, never, {} extends z.input<$Out> ? true : false, {}>> {
  assertId(spec.id, "createGraph");
  return new Builder(spec as GraphSpec<string, AnySchema, AnySchema, Unset>, undefined, undefined, undefined) as never;
}

type AnySpec = GraphSpec<string, AnySchema, AnySchema, Unset>;
type LooseBind = (input: unknown, blocks: unknown) => unknown;

/** The loosely typed implementation behind every `GraphBuilder` (the interface is the precise one). */
class Builder {
  constructor(
    private readonly spec: AnySpec,
    private readonly prev: Builder | undefined,
    private readonly op: Op | undefined,
    private readonly last: string | undefined,
  ) {}

  private next(op: Op, last = this.last): Builder {
    return new Builder(this.spec, this, op, last);
  }

  add(block: AnyBlock, bind?: LooseBind, options?: AddOptions): Builder {
    assertBlock(block, "add");
    const input = bind ? bindingOf(bind, `of block "${block.id}"`) : undefined;
    return this.next(addOp(block, input, options), block.id);
  }

  then(block: AnyBlock, bindOrOptions?: LooseBind | AddOptions, maybeOptions?: AddOptions): Builder {
    assertBlock(block, "then");
    const bind = typeof bindOrOptions === "function" ? bindOrOptions : undefined;
    const options = typeof bindOrOptions === "object" ? bindOrOptions : maybeOptions;
    const from = this.last;
    const whole: BindingDef =
      from === undefined ? { kind: "input", path: [] } : { kind: "output", node: from, path: [] };
    const input = bind ? bindingOf(bind, `of block "${block.id}"`) : whole;
    const added = this.next(addOp(block, input, options), block.id);
    return from === undefined
      ? added.next({ kind: "start", ids: [block.id] })
      : added.next({ kind: "edge", edge: { from, to: block.id } });
  }

  bind(id: string, bind: LooseBind): Builder {
    return this.next({ kind: "bind", id, input: bindingOf(bind, `of block "${id}"`) });
  }

  start(...ids: string[]): Builder {
    return this.next({ kind: "start", ids });
  }

  edge(from: string, to: string, options?: EdgeOptions<string>): Builder {
    return this.next({ kind: "edge", edge: { from, to, ...boundOf(options) } });
  }

  route(from: string, field: string, cases: Record<string, Target<string>>, otherwise?: Target<string>): Builder {
    if (typeof field !== "string" || field.length === 0) {
      throw new BlockworkError("invalid_route", `route("${from}", ...): the field to route on must be a non-empty string.`);
    }
    return this.next({
      kind: "route",
      from,
      field,
      cases: Object.entries(cases).filter((entry): entry is [string, Target<string>] => entry[1] !== undefined),
      ...(otherwise !== undefined ? { otherwise } : {}),
    });
  }

  match(from: string, cases: (m: unknown) => unknown): Builder {
    return this.next({ kind: "match", from, route: recordRoute(from, cases) });
  }

  onError(from: string, to: string): Builder {
    return this.next({ kind: "edge", edge: { from, to, when: { kind: "error" } } });
  }

  output(bind: LooseBind): Builder {
    return this.next({ kind: "output", output: bindingOf(bind, "of the graph output") });
  }

  build(): unknown {
    const ops: Op[] = [];
    for (let b: Builder | undefined = this; b?.op; b = b.prev) ops.push(b.op);
    return buildGraph(this.spec, ops.reverse());
  }
}

function addOp(block: AnyBlock, input: BindingDef | undefined, options: AddOptions | undefined): Op {
  return {
    kind: "add",
    block,
    ...(input ? { input } : {}),
    ...(options?.join ? { join: options.join } : {}),
    ...(options?.retry ? { retry: options.retry } : {}),
    ...(options?.restart ? { restart: options.restart } : {}),
  };
}

function bindingOf(bind: LooseBind, where: string): BindingDef {
  if (typeof bind !== "function") {
    throw new BlockworkError(
      "invalid_binding",
      `The binding ${where} must be a function (input, blocks) => ({ field: ... }), got ${typeof bind}.`,
    );
  }
  return toBindingDef(bind(createRef({ kind: "input" }), createBlockRefs()), where);
}

function boundOf(options: EdgeOptions<string> | undefined): Pick<EdgeDef, "max" | "onExhausted"> {
  if (!options) return {};
  return {
    ...(options.max !== undefined ? { max: options.max } : {}),
    ...(options.onExhausted !== undefined ? { onExhausted: options.onExhausted } : {}),
  };
}

function assertBlock(block: unknown, method: string): asserts block is AnyBlock {
  const b = block as Partial<AnyBlock> | undefined;
  if (!b || (b.kind !== "code" && b.kind !== "graph" && b.kind !== "map") || typeof b.id !== "string") {
    throw new BlockworkError(
      "invalid_block",
      `${method}() takes a block (defineContract(...).implement(...), mapOf(...)) or a built graph (createGraph(...).build()), got ${block === null ? "null" : typeof block}.`,
    );
  }
}
