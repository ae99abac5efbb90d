import type { AnyBlock, BlockTypes, GraphBlock } from "./block.js";
import { assertId } from "./block.js";
import type { Contract } from "./contract.js";
import type { GraphDef } from "../def/graph-def.js";

/** What a graph block is made of: its GraphDef, its zod contract and its implementations. */
export interface GraphBlockParts {
  /** The block id (the graph's own id unless renamed with `.as`). */
  readonly id: string;
  readonly def: GraphDef;
  readonly contract: Contract<BlockTypes>;
  /** Implementations by the name the GraphDef refers to. */
  readonly blocks: ReadonlyMap<string, AnyBlock>;
  /** The predicates of `P.when` route cases, by guard name (left out when empty). */
  readonly guards?: ReadonlyMap<string, (value: unknown) => boolean> | undefined;
  readonly description?: string | undefined;
}

/**
 * The one constructor of graph blocks: the builder's `build()` and `graphFromDef` both make their
 * blocks here, so the two cannot disagree on what a graph block carries. Frozen; `.as(id)` makes
 * the same graph under another block id.
 */
export function graphBlockOf(parts: GraphBlockParts): GraphBlock {
  const { id, def, contract, blocks, guards, description } = parts;
  const graph: GraphBlock = {
    kind: "graph",
    id,
    ref: def.id,
    ...(description !== undefined ? { description } : {}),
    contract,
    def,
    blocks,
    ...(guards !== undefined && guards.size > 0 ? { guards } : {}),
    as(newId: string) {
      assertId(newId, `${id}.as`);
      return graphBlockOf({ ...parts, id: newId }) as never;
    },
  };
  return Object.freeze(graph);
}
