import { isMatching, type match } from "ts-pattern";
import type { JsonSchema } from "../def/graph-def.js";
import { OPAQUE_KEYWORD } from "../contract/contract.js";
import { BlockworkError } from "../errors.js";
import { isSerialisable, patternSchema } from "../pattern/pattern.js";
import type { Target } from "./types.js";

/**
 * What the function given to `.match(from, (m) => ...)` receives: ts-pattern's own `Match` over the
 * block's output, whose handlers return the target of each case. Its types are ts-pattern's, so a
 * route that does not cover the output gives ts-pattern's `NonExhaustiveError` at `.exhaustive()`.
 */
export type RouteMatch<$Output, $Target> = ReturnType<typeof match<$Output, $Target>>;

/** One recorded case of a pattern route. */
export interface MatchCase {
  readonly pattern: JsonSchema;
  /** For a case the JSON Schema cannot fully describe: the predicate the runtime uses. */
  readonly guard?: (value: unknown) => boolean;
  readonly target: Target<string>;
}

/** The cases a `.match()` function recorded. */
export interface RecordedRoute {
  readonly cases: readonly MatchCase[];
  readonly otherwise?: Target<string>;
}

const END = Symbol("blockwork.route.end");

/**
 * Runs a `.match()` function against a recorder that implements ts-pattern's `Match` chain: each
 * `.with(pattern, () => target)` becomes a case (a handler is called once, here, with no value, to
 * learn its target), `.when(predicate, ...)` a guarded case, `.otherwise(...)` the otherwise edge.
 */
export function recordRoute(from: string, cases: (m: unknown) => unknown): RecordedRoute {
  if (typeof cases !== "function") {
    throw new BlockworkError("invalid_route", `match("${from}", cases): cases must be a function (m) => m.with(pattern, () => "target")....exhaustive(), got ${typeof cases}.`);
  }
  const recorded: MatchCase[] = [];
  let otherwise: Target<string> | undefined;
  const targetOf = (handler: unknown, what: string): Target<string> => {
    if (typeof handler !== "function") throw new BlockworkError("invalid_route", `match("${from}"): ${what} needs a handler () => "target", got ${typeof handler}.`);
    const target = (handler as (v: unknown, w: unknown) => unknown)(NO_VALUE, NO_VALUE);
    if (typeof target === "string" || (typeof target === "object" && target !== null && typeof (target as { to?: unknown }).to === "string")) return target as Target<string>;
    throw new BlockworkError("invalid_route", `match("${from}"): the handler of ${what} must return a block id or { to, max }, got ${JSON.stringify(target)}.`);
  };
  const recorder = {
    with(...args: unknown[]) {
      const handler = args[args.length - 1];
      const guarded = args.length === 3 && typeof args[1] === "function";
      const patterns = guarded ? [args[0]] : args.slice(0, -1);
      if (patterns.length === 0) throw new BlockworkError("invalid_route", `match("${from}"): .with() needs a pattern and a handler.`);
      const what = `case ${recorded.length + 1}`;
      const schema: JsonSchema = patterns.length === 1 ? patternSchema(patterns[0]) : { anyOf: patterns.map(patternSchema) };
      const predicate = guarded ? (args[1] as (v: unknown) => unknown) : undefined;
      const needsGuard = predicate !== undefined || !isSerialisable(schema);
      const guard = needsGuard ? (v: unknown) => patterns.some((p) => isMatching(p as never, v)) && (predicate === undefined || Boolean(predicate(v))) : undefined;
      const pattern: JsonSchema = predicate === undefined ? schema : { allOf: [schema, { [OPAQUE_KEYWORD]: "a guard function passed to .with(pattern, guard, handler)" }] };
      recorded.push({ pattern, ...(guard ? { guard } : {}), target: targetOf(handler, what) });
      return recorder;
    },
    when(predicate: unknown, handler: unknown) {
      if (typeof predicate !== "function") throw new BlockworkError("invalid_route", `match("${from}"): .when() needs a predicate function.`);
      recorded.push({ pattern: { [OPAQUE_KEYWORD]: "a .when(predicate) case" }, guard: (v) => Boolean((predicate as (v: unknown) => unknown)(v)), target: targetOf(handler, `case ${recorded.length + 1}`) });
      return recorder;
    },
    otherwise(handler: unknown) {
      otherwise = targetOf(handler, "otherwise");
      return END;
    },
    exhaustive() {
      return END;
    },
    narrow() {
      return recorder;
    },
    returnType() {
      return recorder;
    },
    run() {
      throw new BlockworkError("invalid_route", `match("${from}"): end the cases with .exhaustive() or .otherwise(() => "target"), not .run().`);
    },
  };
  const end = cases(recorder);
  if (end !== END) {
    throw new BlockworkError("invalid_route", `match("${from}", (m) => ...): the function must return m.with(...)....exhaustive() or ....otherwise(() => "target"), got ${typeof end === "string" ? JSON.stringify(end) : typeof end}.`);
  }
  if (recorded.length === 0) throw new BlockworkError("invalid_route", `match("${from}"): a pattern route needs at least one .with(...) case.`);
  return { cases: recorded, ...(otherwise !== undefined ? { otherwise } : {}) };
}

/** What a case handler is called with while the route is recorded: reading it is a mistake. */
const NO_VALUE: unknown = new Proxy(
  {},
  {
    get(_, key) {
      throw new BlockworkError(
        "invalid_route",
        `A pattern route's handler read the value (.${String(key)}): handlers are called once, when the graph is built, and must only return the target block id.`,
      );
    },
  },
);
