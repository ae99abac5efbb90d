import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// Dependencies point one way: spec ← core ← nodes ← server ← cli, examples; the server and the CLI use public entry points.
// (Import cycles inside packages are checked by `npm run lint:cycles`.)
const root = fileURLToPath(new URL("..", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.ts$/.test(entry.name) && !/\.test(-d)?\.ts$/.test(entry.name) ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/g)].map((m) => m[1] as string);
}

function violations(pkg: string, allowed: (specifier: string) => boolean): string[] {
  return sources(join(root, "packages", pkg, "src")).flatMap((file) =>
    imports(file)
      .filter((s) => !s.startsWith(".") && !s.startsWith("node:") && !allowed(s))
      .map((s) => `${relative(root, file)} imports ${s}`),
  );
}

/** Whether a specifier names an entry point a package declares in its `exports` (`@blockwork/nodes`, `@blockwork/nodes/testing`). */
function isPublicEntry(specifier: string): boolean {
  const match = /^@blockwork\/([a-z]+)(\/[a-z-]+)?$/.exec(specifier);
  if (match === null) return false;
  const exports = (JSON.parse(readFileSync(join(root, "packages", match[1] as string, "package.json"), "utf8")) as { exports: Record<string, unknown> }).exports;
  return `.${match[2] ?? ""}` in exports;
}

describe("package boundaries", () => {
  it("spec depends on zod and ts-pattern only", () => {
    expect(violations("spec", (s) => s === "zod" || s === "ts-pattern")).toEqual([]);
  });

  it("the server imports only public entry points of spec, core and nodes, never the CLI", () => {
    expect(violations("server", (s) => !s.startsWith("@blockwork/") || /^@blockwork\/(spec|core|nodes)$/.test(s))).toEqual([]);
  });

  it("the CLI imports only public entry points of other packages", () => {
    expect(violations("cli", (s) => !s.startsWith("@blockwork/") || isPublicEntry(s))).toEqual([]);
  });
});
