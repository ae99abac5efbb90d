// The public entry points of the packages (their package.json `exports` that point at TypeScript
// sources), shared by the doc-comment check and `npm run docs:api`.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** One public entry: its import specifier and its source file. */
export interface PublicEntry {
  /** What a user imports: `@blockwork/nodes/testing`. */
  readonly specifier: string;
  /** The entry's TypeScript source, relative to the repository root. */
  readonly file: string;
}

/** The packages, in dependency order. */
export const PACKAGES = ["spec", "core", "nodes", "server", "cli"] as const;

/** Every public entry of every package, read from the `@blockwork/source` condition of its exports map. */
export function publicEntries(root: string): PublicEntry[] {
  const entries: PublicEntry[] = [];
  for (const name of PACKAGES) {
    const pkg = JSON.parse(readFileSync(join(root, "packages", name, "package.json"), "utf8")) as { name: string; exports: Record<string, unknown> };
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const source = typeof target === "object" && target !== null ? (target as Record<string, unknown>)["@blockwork/source"] : undefined;
      if (typeof source !== "string" || !source.endsWith(".ts")) continue;
      entries.push({ specifier: subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, file: join("packages", name, source) });
    }
  }
  return entries;
}
