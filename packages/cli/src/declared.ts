import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { declaredInfo, type GraphBlock, unimplementedBlocks as unimplementedIn } from "@blockwork/spec";

/**
 * The implementation names of the declared blocks of a graph whose implementation does not exist
 * (spec's `unimplementedBlocks`, asking the file system). Only looks at files; nothing is imported.
 */
export function unimplementedBlocks(graph: GraphBlock): Set<string> {
  return unimplementedIn(graph, fileExists);
}

/** Whether a graph (nested graphs included) has a declared block. */
export function hasDeclaredBlocks(graph: GraphBlock): boolean {
  for (const block of graph.blocks.values()) {
    if (declaredInfo(block) !== undefined) return true;
    if (block.kind === "graph" && hasDeclaredBlocks(block)) return true;
  }
  return false;
}

function fileExists(url: string): boolean {
  try {
    return existsSync(fileURLToPath(url));
  } catch {
    return false;
  }
}
