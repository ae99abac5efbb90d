import { standalone } from "../check/bundle.js";
import { check } from "../check/check.js";
import type { Issue } from "../check/issues.js";
import { lookupPath } from "../check/schema-path.js";
import { compat } from "../compat/index.js";
import type { BindingDef, GraphDef, NodeDef, ValuePath } from "../def/graph-def.js";
import { done, nodeIndex, type OpContext, type OpResult, refuse, type Refusal, unknownCatalogueBlock, unknownIds, withNode } from "./op-result.js";
import type { PatchOp } from "./patch-schema.js";

type ReplaceOp = Extract<PatchOp, { op: "replace_block" }>;

/**
 * Replaces a block by a catalogue block, keeping its id, edges, bindings, join, retry and restart
 * policy. The replacement must fit where the block is used, decided with `compat` (soundly: an
 * undecided comparison does not count as a fit):
 *
 * 1. At the contract level: it accepts every input the old block accepted (unless the operation
 *    gives a new `input` binding); at every path of its output that a binding or a route reads it
 *    produces only values the old block could produce there, and never leaves out one the old
 *    block always had; when error edges leave the block, its typed errors fit the old block's.
 *    Then it is a drop-in replacement.
 * 2. Otherwise, precisely: it accepts what the old block was given (its binding) and produces what
 *    its readers read, which is what the checker finds on the graph with the block swapped: any
 *    checker error the swap adds refuses the operation, with the checker's message.
 */
export function replaceBlock(def: GraphDef, op: ReplaceOp, ctx: OpContext): OpResult {
  const unknown = unknownIds(def, [op.id], "replace_block");
  if (unknown.length) return refuse(...unknown);
  const index = nodeIndex(def, op.id);
  const old = def.nodes[index] as NodeDef;
  const fresh = ctx.catalogue?.nodeFor(op.block, op.id);
  if (fresh === undefined) return refuse(unknownCatalogueBlock(ctx, op.block, "replace_block"));
  const input = op.input ?? old.input;
  const node = {
    ...fresh,
    ...(input !== undefined ? { input } : {}),
    ...(old.join !== undefined ? { join: old.join } : {}),
    ...(old.retry !== undefined ? { retry: old.retry } : {}),
    ...(old.restart !== undefined ? { restart: old.restart } : {}),
  } as NodeDef;
  const swapped = withNode(def, index, node);
  const dropIn = (op.input === undefined && old.input !== undefined ? inputFits(old, fresh) : true) && outputFits(def, old, fresh) && errorsFit(def, old, fresh);
  if (dropIn) return done(swapped);
  const known = new Set(errorsOf(def).map(issueKey));
  const added = errorsOf(swapped).filter((i) => !known.has(issueKey(i)));
  if (added.length === 0) return done(swapped);
  return refuse(...added.map((i): Refusal => ({ code: "incompatible_replacement", message: `replace_block: "${op.block}" cannot replace block "${op.id}": ${i.message}` })));
}

function errorsOf(def: GraphDef): Issue[] {
  return check(def).filter((i) => i.severity === "error");
}

function issueKey(i: Issue): string {
  return `${i.code}\u0000${i.block ?? ""}\u0000${i.message}`;
}

function inputFits(old: NodeDef, fresh: NodeDef): boolean {
  return compat(old.contract.input, fresh.contract.input).verdict === "yes";
}

/** Every path of the output that is read holds, in the replacement, only what it held before, as surely. */
function outputFits(def: GraphDef, old: NodeDef, fresh: NodeDef): boolean {
  for (const path of readPaths(def, old.id)) {
    const before = lookupPath(old.contract.output, path);
    if (before.kind !== "found") continue; // already wrong or undecided in the graph: the checker says so
    const after = lookupPath(fresh.contract.output, path);
    if (after.kind !== "found" || (after.mayBeAbsent && !before.mayBeAbsent)) return false;
    if (compat(standalone(after.at), standalone(before.at)).verdict !== "yes") return false;
  }
  return true;
}

function errorsFit(def: GraphDef, old: NodeDef, fresh: NodeDef): boolean {
  if (!def.edges.some((e) => e.from === old.id && e.when?.kind === "error")) return true;
  if (fresh.contract.error === undefined) return false;
  return old.contract.error === undefined || compat(fresh.contract.error, old.contract.error).verdict === "yes";
}

/** The paths of a block's output that bindings and route cases read. */
function readPaths(def: GraphDef, id: string): ValuePath[] {
  const reads = new Map<string, ValuePath>();
  const add = (path: ValuePath) => reads.set(JSON.stringify(path), path);
  const visit = (binding: BindingDef | undefined): void => {
    if (binding === undefined) return;
    switch (binding.kind) {
      case "output":
        if (binding.node === id) add(binding.path);
        return;
      case "object":
        for (const b of Object.values(binding.fields)) visit(b);
        return;
      case "first":
        for (const b of binding.of) visit(b);
        return;
      default:
        return;
    }
  };
  for (const node of def.nodes) visit(node.input);
  visit(def.output);
  for (const edge of def.edges) if (edge.from === id && edge.when?.kind === "case") add([edge.when.field]);
  return [...reads.values()];
}
