import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { declaredInfo, type GraphBlock } from "@blockwork/spec";

/**
 * The implementation names of the declared blocks (`declareBlock`) of a graph, nested graphs and
 * map items included, whose implementation does not exist: none given in code and no module at the
 * declared `implementation` URL. Only looks at the file system; nothing is imported.
 */
export function unimplementedBlocks(graph: GraphBlock): Set<string> {
  const missing = new Set<string>();
  const visit = (g: GraphBlock) => {
    for (const [name, block] of g.blocks) {
      if (block.kind === "graph") visit(block);
      const info = declaredInfo(block);
      if (info === undefined || info.inline !== undefined) continue;
      if (info.file === undefined || !fileExists(info.file)) missing.add(name);
    }
  };
  visit(graph);
  return missing;
}

function fileExists(url: string): boolean {
  try {
    return existsSync(fileURLToPath(url));
  } catch {
    return false;
  }
}

/** Whether a graph (nested graphs included) has a declared block. */
export function hasDeclaredBlocks(graph: GraphBlock): boolean {
  for (const block of graph.blocks.values()) {
    if (declaredInfo(block) !== undefined) return true;
    if (block.kind === "graph" && hasDeclaredBlocks(block)) return true;
  }
  return false;
}
