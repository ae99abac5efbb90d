import { z } from "zod";
import type { BlockTypes, CodeBlock, GraphBlock, MapBlock } from "../contract/block.js";
import { assertId } from "../contract/block.js";
import type { Contract, Unset } from "../contract/contract.js";
import type { ItemErrorMode } from "../def/graph-def.js";
import { BlockworkError } from "../errors.js";

/** How a failed item is reported when a map collects failures instead of failing. */
export const ItemFailureSchema = z.object({
  /** A stable code: `block_failed`, `block_timeout`, `output_invalid`, ... */
  code: z.string(),
  message: z.string(),
  /** The typed error, when the item failed with `ctx.fail(...)`. */
  error: z.unknown().optional(),
});

// biome-ignore lint: any item block.
type ItemBlock = CodeBlock<any> | GraphBlock<any>;
type In<B extends ItemBlock> = NonNullable<B["~types"]>["input"];
type Out<B extends ItemBlock> = NonNullable<B["~types"]>["output"];

type CollectedResult<B extends ItemBlock> = z.ZodDiscriminatedUnion<
  [z.ZodObject<{ ok: z.ZodLiteral<true>; value: Out<B> }>, z.ZodObject<{ ok: z.ZodLiteral<false>; error: typeof ItemFailureSchema }>]
>;

/** The contract types of a map over block `B`. */
export type MapTypes<$Id extends string, B extends ItemBlock, $Mode extends ItemErrorMode> = {
  id: $Id;
  input: z.ZodObject<{ items: z.ZodArray<In<B>> }>;
  output: $Mode extends "collect"
    ? z.ZodObject<{ results: z.ZodArray<CollectedResult<B>>; failed: z.ZodNumber }>
    : z.ZodObject<{ results: z.ZodArray<Out<B>> }>;
  error: Unset;
  resume: Unset;
};

/** Options of {@link mapOf}. */
export interface MapOptions<$Id extends string, $Mode extends ItemErrorMode> {
  readonly id: $Id;
  readonly description?: string;
  /** How many items run at once. Default 8. */
  readonly concurrency?: number;
  /**
   * `fail` (default): the first failed item fails the map (the others are cancelled).
   * `collect`: every item runs; `results` holds `{ ok: true, value }` or `{ ok: false, error }`.
   */
  readonly onItemError?: $Mode;
}

/**
 * A fan-out block: runs `block` for every element of its input's `items`, at most `concurrency` at
 * a time, and outputs the `results` in item order. Each item is journaled on its own, so a resumed
 * run does not redo finished items.
 *
 * @example
 * const summariseAll = mapOf(summarise, { id: "summariseAll", concurrency: 4 });
 * // input { items: SummariseInput[] } -> output { results: SummariseOutput[] }
 */
export function mapOf<B extends ItemBlock, const $Id extends string, const $Mode extends ItemErrorMode = "fail">(
  block: B,
  options: MapOptions<$Id, $Mode>,
): MapBlock<MapTypes<$Id, B, $Mode>> {
  assertId(options.id, "mapOf");
  if (!block || (block.kind !== "code" && block.kind !== "graph")) {
    throw new BlockworkError("invalid_block", `mapOf(block, ...): the item block must be a code block or a built graph (not a ${String((block as { kind?: unknown })?.kind)}).`);
  }
  const concurrency = options.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new BlockworkError("invalid_block", `mapOf(${block.id}, { id: "${options.id}" }): concurrency must be a whole number of at least 1, got ${concurrency}.`);
  }
  const mode: ItemErrorMode = options.onItemError ?? "fail";
  const itemOut = block.contract.output as z.ZodType;
  const output =
    mode === "collect"
      ? z.object({
          results: z.array(
            z.discriminatedUnion("ok", [z.object({ ok: z.literal(true), value: itemOut }), z.object({ ok: z.literal(false), error: ItemFailureSchema })]),
          ),
          failed: z.number().int().nonnegative(),
        })
      : z.object({ results: z.array(itemOut) });
  const contract = { input: z.object({ items: z.array(block.contract.input as z.ZodType) }), output, error: undefined, resume: undefined } as Contract<BlockTypes>;
  return makeMap(options.id, { item: block, concurrency, mode, contract, description: options.description }) as never;
}

function makeMap(
  id: string,
  parts: { item: ItemBlock; concurrency: number; mode: ItemErrorMode; contract: Contract<BlockTypes>; description: string | undefined },
): MapBlock {
  const map: MapBlock = {
    kind: "map",
    id,
    ref: id,
    ...(parts.description !== undefined ? { description: parts.description } : {}),
    contract: parts.contract,
    item: parts.item,
    concurrency: parts.concurrency,
    onItemError: parts.mode,
    as(newId: string) {
      assertId(newId, `${id}.as`);
      return makeMap(newId, parts) as never;
    },
  };
  return Object.freeze(map);
}
