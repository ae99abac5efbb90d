import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type AnyBlock, declaredInfo, type DeclaredInfo, type GraphBlock } from "@blockwork/spec";

/** Imports a module by its absolute path (the CLI passes one that compiles TypeScript with tsx). */
export type ModuleImporter = (file: string) => Promise<Record<string, unknown>>;

/** A declared block of a graph, found by {@link declaredBlocks}. */
export interface DeclaredEntry {
  /** `sub/slugify` for a block of a nested graph. */
  readonly path: string;
  /** The implementation name (a code node's `block`). */
  readonly name: string;
  readonly block: AnyBlock;
  readonly info: DeclaredInfo;
  /** The implementation module's path on disk, when one is declared. */
  readonly file?: string;
  /** Whether an implementation exists (given in code, or the module is on disk). */
  readonly implemented: boolean;
}

/** Every declared block (`declareBlock`) of a graph, nested graphs included. */
export function declaredBlocks(graph: GraphBlock, prefix = ""): DeclaredEntry[] {
  const found: DeclaredEntry[] = [];
  for (const [name, block] of graph.blocks) {
    if (block.kind === "graph") found.push(...declaredBlocks(block, `${prefix}${name}/`));
    const info = declaredInfo(block);
    if (info === undefined) continue;
    const file = info.file?.startsWith("file:") ? fileURLToPath(info.file) : undefined;
    found.push({ path: `${prefix}${name}`, name, block, info, ...(file ? { file } : {}), implemented: info.inline !== undefined || (file !== undefined && existsSync(file)) });
  }
  return found;
}

/**
 * A copy of the graph (same GraphDef) whose declared blocks carry their implementation, imported
 * with `importer` from their module (those without a module on disk are left as they are and
 * listed in `missing`). `replace` swaps in other implementations by path, for hot swaps.
 */
export async function withImplementations(
  graph: GraphBlock,
  options: { readonly importer?: ModuleImporter; readonly replace?: ReadonlyMap<string, (input: never, ctx: never) => unknown> } = {},
): Promise<{ graph: GraphBlock; missing: string[] }> {
  const importer = options.importer ?? ((file: string) => import(/* @vite-ignore */ file) as Promise<Record<string, unknown>>);
  const missing: string[] = [];
  const rebuild = async (g: GraphBlock, prefix: string): Promise<GraphBlock> => {
    const blocks = new Map<string, AnyBlock>();
    for (const [name, block] of g.blocks) {
      if (block.kind === "graph") {
        blocks.set(name, await rebuild(block, `${prefix}${name}/`));
        continue;
      }
      const info = declaredInfo(block);
      const path = `${prefix}${name}`;
      const swapped = options.replace?.get(path);
      if (info === undefined) {
        blocks.set(name, swapped && block.kind === "code" ? ({ ...block, run: swapped } as AnyBlock) : block);
        continue;
      }
      const implement = (run: unknown) => (block as unknown as { implement(run: unknown): AnyBlock }).implement(run);
      if (swapped) blocks.set(name, implement(swapped));
      else if (info.inline !== undefined) blocks.set(name, block);
      else {
        const file = info.file?.startsWith("file:") ? fileURLToPath(info.file) : undefined;
        if (file === undefined || !existsSync(file)) {
          missing.push(path);
          blocks.set(name, block);
          continue;
        }
        const namespace = await importer(file);
        const run = namespace["default"] ?? namespace["run"];
        if (typeof run !== "function") throw new Error(`${file} does not export the implementation of block "${path}": export the run function as its default export.`);
        blocks.set(name, implement(run));
      }
    }
    return { ...g, blocks } as GraphBlock;
  };
  return { graph: await rebuild(graph, ""), missing };
}
