import type { AnyBlock, BlockTypes, GraphBlock } from "../contract/block.js";
import type { AnySchema, Contract } from "../contract/contract.js";
import { contractToDef } from "../contract/contract.js";
import { graphBlockOf } from "../contract/graph-block.js";
import type { BindingDef, ContractDef, EdgeDef, GraphDef, JoinMode, JsonSchema, NodeDef, RestartDef, RetryDef, SupervisionDef } from "../def/graph-def.js";
import { GRAPH_DEF_FORMAT } from "../def/graph-def.js";
import { BlockworkError } from "../errors.js";
import type { RecordedRoute } from "./match.js";
import { nodeDefOf } from "./node-def.js";
import type { Target } from "./types.js";

/** One recorded builder call. The builder keeps a chain of them; `build` folds it into a GraphDef. */
export type Op =
  | { readonly kind: "add"; readonly block: AnyBlock; readonly input?: BindingDef; readonly join?: JoinMode; readonly retry?: RetryDef; readonly restart?: RestartDef }
  | { readonly kind: "bind"; readonly id: string; readonly input: BindingDef }
  | { readonly kind: "start"; readonly ids: readonly string[] }
  | { readonly kind: "edge"; readonly edge: EdgeDef }
  | {
      readonly kind: "route";
      readonly from: string;
      readonly field: string;
      readonly cases: readonly (readonly [string, Target<string>])[];
      readonly otherwise?: Target<string>;
    }
  | { readonly kind: "match"; readonly from: string; readonly route: RecordedRoute }
  | { readonly kind: "output"; readonly output: BindingDef };

interface GraphHead {
  readonly id: string;
  readonly description?: string;
  readonly input: AnySchema;
  readonly output: AnySchema;
  readonly error?: AnySchema;
  readonly supervision?: SupervisionDef;
}

/** Folds the recorded calls into a GraphDef and the graph block that carries it. */
export function buildGraph(head: GraphHead, ops: readonly Op[]): GraphBlock {
  const nodes: NodeDef[] = [];
  const nodeIndex = new Map<string, number>();
  const blocks = new Map<string, AnyBlock>();
  const entry: string[] = [];
  const edges: EdgeDef[] = [];
  const guards = new Map<string, (value: unknown) => boolean>();
  let output: BindingDef | undefined;

  for (const op of ops) {
    switch (op.kind) {
      case "add": {
        registerImplementation(blocks, op.block.kind === "map" ? op.block.item : op.block, head.id);
        if (!nodeIndex.has(op.block.id)) nodeIndex.set(op.block.id, nodes.length);
        nodes.push(nodeDefOf(op.block, op));
        break;
      }
      case "bind": {
        const at = nodeIndex.get(op.id);
        // An unknown id is left for the checker to report as `unknown_block`.
        if (at === undefined) break;
        nodes[at] = { ...(nodes[at] as NodeDef), input: op.input };
        break;
      }
      case "start":
        for (const id of op.ids) if (!entry.includes(id)) entry.push(id);
        break;
      case "edge":
        edges.push(op.edge);
        break;
      case "route": {
        const source = nodes[nodeIndex.get(op.from) ?? -1];
        const fieldSchema = source ? propertySchema(source.contract.output, op.field) : undefined;
        for (const [key, target] of op.cases) {
          edges.push({ ...edgeTo(op.from, target), when: { kind: "case", field: op.field, equals: caseValue(key, fieldSchema) } });
        }
        if (op.otherwise !== undefined) edges.push({ ...edgeTo(op.from, op.otherwise), when: { kind: "otherwise" } });
        break;
      }
      case "match": {
        // Edges of an earlier .match() from the same block are replaced: one pattern route per block.
        for (let i = edges.length - 1; i >= 0; i--) if (edges[i]?.from === op.from && edges[i]?.when?.kind === "match") edges.splice(i, 1);
        op.route.cases.forEach((c, i) => {
          const name = c.guard ? `${op.from}#${i + 1}` : undefined;
          if (name !== undefined && c.guard) guards.set(name, c.guard);
          edges.push({ ...edgeTo(op.from, c.target), when: { kind: "match", pattern: c.pattern, ...(name !== undefined ? { guard: name } : {}) } });
        });
        if (op.route.otherwise !== undefined) edges.push({ ...edgeTo(op.from, op.route.otherwise), when: { kind: "otherwise" } });
        break;
      }
      case "output":
        output = op.output;
        break;
    }
  }

  const def: GraphDef = {
    format: GRAPH_DEF_FORMAT,
    id: head.id,
    ...(head.description !== undefined ? { description: head.description } : {}),
    contract: contractToDef({ input: head.input, output: head.output, error: head.error, resume: undefined } as Contract),
    entry,
    nodes,
    edges,
    ...(output ? { output } : {}),
    ...(head.supervision ? { supervision: { ...head.supervision } } : {}),
  };
  return graphBlockOf({ id: head.id, def, contract: { input: head.input, output: head.output, error: head.error, resume: undefined } as Contract<BlockTypes>, blocks, guards, description: head.description });
}


function registerImplementation(blocks: Map<string, AnyBlock>, block: AnyBlock, graphId: string): void {
  const existing = blocks.get(block.ref);
  if (existing === undefined) {
    blocks.set(block.ref, block);
    return;
  }
  const same =
    (block.kind === "code" && existing.kind === "code" && existing.run === block.run) ||
    (block.kind === "graph" && existing.kind === "graph" && existing.def === block.def);
  if (!same) {
    throw new BlockworkError(
      "conflicting_block",
      `Graph "${graphId}": two different blocks are both named "${block.ref}". Give one of them another id in defineContract() (.as() renames a block within the graph, not its implementation).`,
      { graph: graphId, block: block.ref },
    );
  }
}

function edgeTo(from: string, target: Target<string>): EdgeDef {
  if (typeof target === "string") return { from, to: target };
  return {
    from,
    to: target.to,
    max: target.max,
    ...(target.onExhausted !== undefined ? { onExhausted: target.onExhausted } : {}),
  };
}

function propertySchema(schema: JsonSchema, field: string): JsonSchema | undefined {
  if (typeof schema !== "object") return undefined;
  const properties = schema["properties"] as Record<string, JsonSchema> | undefined;
  return properties?.[field];
}

/**
 * Route cases are written as record keys (text); the GraphDef stores the JSON value they stand for.
 * `"true"` on a boolean field is `true`, `"3"` on a numeric literal is `3`, and so on.
 */
function caseValue(key: string, fieldSchema: JsonSchema | undefined): string | number | boolean | null {
  const candidates = literalsIn(fieldSchema);
  if (candidates.some((c) => c === key)) return key;
  const match = candidates.find((c) => String(c) === key);
  return match === undefined ? key : match;
}

function literalsIn(schema: JsonSchema | undefined): (string | number | boolean | null)[] {
  if (typeof schema !== "object") return [];
  const found: (string | number | boolean | null)[] = [];
  const visit = (s: unknown): void => {
    if (typeof s !== "object" || s === null) return;
    const o = s as Record<string, unknown>;
    if ("const" in o) found.push(o["const"] as string);
    if (Array.isArray(o["enum"])) found.push(...(o["enum"] as string[]));
    if (o["type"] === "boolean" || (Array.isArray(o["type"]) && o["type"].includes("boolean"))) found.push(true, false);
    if (o["type"] === "null") found.push(null);
    for (const key of ["anyOf", "oneOf", "allOf"]) if (Array.isArray(o[key])) (o[key] as unknown[]).forEach(visit);
  };
  visit(schema);
  return found.filter((v) => v === null || ["string", "number", "boolean"].includes(typeof v));
}

export type { ContractDef };
