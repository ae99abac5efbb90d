import type { Catalogue, ContractDef, GraphDef, NodeDef } from "@blockwork/spec";
import { formatBinding, formatEdge, formatSchema } from "@blockwork/spec";

/** How much of each schema a summary keeps (characters of its compact text). */
export interface Detail {
  readonly schemaChars: number;
  /** Catalogue entries with contracts (`true`) or with their purpose only. */
  readonly catalogueContracts: boolean;
}

export const FULL_DETAIL: Detail = { schemaChars: 600, catalogueContracts: true };

/** A block as the coordinator sees it: ids, implementation, contract summarised, input binding. */
export interface BlockSummary {
  readonly id: string;
  /** The implementation it runs, when it is not named like the block. */
  readonly uses?: string;
  readonly in: string;
  readonly out: string;
  readonly error?: string;
  readonly input: string;
  readonly join?: "any";
}

/** A GraphDef as the coordinator sees it: no implementations, contracts as compact types. */
export interface GraphSummary {
  readonly id: string;
  readonly description?: string;
  readonly contract: { readonly in: string; readonly out: string; readonly error?: string };
  readonly entry: readonly string[];
  readonly blocks: readonly BlockSummary[];
  readonly edges: readonly string[];
  readonly output: string;
}

/**
 * A compact summary of a GraphDef: block ids, their contracts as TypeScript-like types, their
 * input bindings, the edges and the output binding, in a fraction of the GraphDef's size.
 */
export function summarizeGraph(def: GraphDef, detail: Detail = FULL_DETAIL): GraphSummary {
  return {
    id: def.id,
    ...(def.description !== undefined ? { description: def.description } : {}),
    contract: contractSummary(def.contract, detail),
    entry: def.entry,
    blocks: def.nodes.map((node) => blockSummary(node, detail)),
    edges: def.edges.map(formatEdge),
    output: formatBinding(def.output),
  };
}

/** A catalogue entry as the coordinator sees it. */
export interface CatalogueSummary {
  readonly id: string;
  readonly purpose: string;
  readonly in?: string;
  readonly out?: string;
  readonly error?: string;
  /** A block of the graph with the same contract, instead of repeating it. */
  readonly sameContractAs?: string;
}

/**
 * The catalogue by id, purpose and contract summary. An entry whose contract is that of a block
 * already in `def` names the block instead of repeating the contract.
 */
export function summarizeCatalogue(catalogue: Catalogue | undefined, detail: Detail = FULL_DETAIL, def?: GraphDef): CatalogueSummary[] {
  const inGraph = new Map<string, string>();
  for (const node of def?.nodes ?? []) {
    const key = JSON.stringify(node.contract);
    if (!inGraph.has(key)) inGraph.set(key, node.id);
  }
  return (catalogue?.describe() ?? []).map((entry) => {
    const same = inGraph.get(JSON.stringify(entry.contract));
    return {
      id: entry.id,
      purpose: entry.purpose,
      ...(!detail.catalogueContracts ? {} : same !== undefined ? { sameContractAs: same } : contractSummary(entry.contract, detail)),
    };
  });
}

function blockSummary(node: NodeDef, detail: Detail): BlockSummary {
  const uses = node.kind === "code" ? node.block : node.kind === "graph" ? `graph ${node.graph.id}` : `map of ${node.item.kind === "code" ? node.item.block : `graph ${node.item.graph.id}`}`;
  const { in: input, out, error } = contractSummary(node.contract, detail);
  return {
    id: node.id,
    ...(uses !== node.id ? { uses } : {}),
    in: input,
    out,
    ...(error !== undefined ? { error } : {}),
    input: formatBinding(node.input),
    ...(node.join === "any" ? { join: "any" as const } : {}),
  };
}

function contractSummary(contract: ContractDef, detail: Detail): { in: string; out: string; error?: string } {
  const text = (schema: ContractDef["input"]) => formatSchema(schema, { maxLength: detail.schemaChars });
  return { in: text(contract.input), out: text(contract.output), ...(contract.error !== undefined ? { error: text(contract.error) } : {}) };
}
