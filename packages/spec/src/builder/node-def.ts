import type { AnyBlock } from "../contract/block.js";
import { contractToDef } from "../contract/contract.js";
import type { BindingDef, CodeNodeDef, GraphNodeDef, JoinMode, NodeDef, RestartDef, RetryDef } from "../def/graph-def.js";
import { memoryUseOf } from "../memory/memory-def.js";
import { declaredInfo, declaredToDef } from "../contract/declare.js";

/** The per-node settings of `add(block, options)`. */
export interface NodeOptions {
  /** The node id; the block's id unless given (a catalogue adds a block under the id a patch names). */
  readonly id?: string | undefined;
  readonly input?: BindingDef | undefined;
  readonly join?: JoinMode | undefined;
  readonly retry?: RetryDef | undefined;
  readonly restart?: RestartDef | undefined;
}

/**
 * The node a block makes in a GraphDef: the builder's `add` and a catalogue's `nodeFor` both make
 * their nodes here. A map's item node has the item block's own id.
 */
export function nodeDefOf(block: AnyBlock, options: NodeOptions = {}): NodeDef {
  const common = {
    id: options.id ?? block.id,
    ...(block.description !== undefined ? { description: block.description } : {}),
    ...(options.input ? { input: options.input } : {}),
    ...(options.join ? { join: options.join } : {}),
    ...(options.retry ? { retry: { ...options.retry } } : {}),
    ...(options.restart ? { restart: { ...options.restart, ...(options.restart.on ? { on: { ...options.restart.on } } : {}) } } : {}),
  };
  switch (block.kind) {
    case "graph":
      return { ...common, kind: "graph", contract: block.def.contract, graph: block.def };
    case "code": {
      const memory = memoryUseOf(block);
      const declared = declaredInfo(block);
      return { ...common, kind: "code", block: block.ref, contract: contractToDef(block.contract), ...(memory ? { memory } : {}), ...(declared ? { declared: declaredToDef(declared) } : {}) };
    }
    case "map": {
      const item = nodeDefOf(block.item) as CodeNodeDef | GraphNodeDef;
      return { ...common, kind: "map", contract: contractToDef(block.contract), item, concurrency: block.concurrency, onItemError: block.onItemError };
    }
  }
}
