import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { CliError, type Io } from "../io.js";
import { cliVersion } from "../version.js";

/** Options of `blockwork init`. */
export interface InitOptions {
  /** The package name (default: the directory's name, made a valid npm name). */
  readonly name?: string;
  /**
   * A directory holding the packed `@blockwork/*` tarballs (`npm pack`): the dependencies point at
   * them (`file:`) instead of the registry, until the packages are published.
   */
  readonly tarballs?: string;
}

/**
 * The exact versions a new project is pinned to: the tools this repository is tested with (a test
 * compares them with the repository's own pins). The `@blockwork/*` packages get the CLI's version.
 */
export const INIT_PINS = {
  zod: "4.6.7",
  typescript: "5.9.3",
  vitest: "4.1.12",
  "@types/node": "20.19.43",
} as const;

/** The `@blockwork/*` packages a new project depends on; `server` comes with the CLI. */
const RUNTIME_PACKAGES = ["spec", "core", "nodes"] as const;
const DEV_PACKAGES = ["cli"] as const;

/**
 * `blockwork init [dir]`: writes a new project — package.json with exact pins, a strict
 * tsconfig, one graph with an input file, a vitest test and a CI workflow — into `dir` (default:
 * the current directory). Refuses, writing nothing, when one of its files is already there.
 */
export async function runInit(dir: string | undefined, options: InitOptions, io: Io): Promise<number> {
  const target = resolve(io.cwd, dir ?? ".");
  if (existsSync(target) && !statSync(target).isDirectory()) throw new CliError(`init: ${shown(io, target)} is a file, not a directory. Give a new or empty directory: blockwork init my-workflows`);
  const name = options.name ?? packageName(basename(target));
  if (!/^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/.test(name) || name.length > 214) {
    throw new CliError(`init: ${JSON.stringify(name)} is not a valid npm package name (lowercase letters, digits, "-", "." and "_"). Pass one with --name my-workflows.`);
  }
  const files = scaffold(name, dependencies(options.tarballs === undefined ? undefined : resolve(io.cwd, options.tarballs), io));
  const taken = Object.keys(files).filter((file) => existsSync(join(target, file)));
  if (taken.length > 0) {
    throw new CliError(`init: ${shown(io, target)} already has ${taken.join(", ")}; nothing was written. Pick a new directory (blockwork init my-workflows) or move those files away.`);
  }
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(target, file)), { recursive: true });
    writeFileSync(join(target, file), text);
  }
  const where = shown(io, target);
  io.out(`Created ${name} in ${where}:\n${Object.keys(files).map((f) => `  ${f}\n`).join("")}\nNext:\n${where === "." ? "" : `  cd ${where}\n`}  npm install\n  npm start        # runs src/hello.graph.ts with src/hello.input.json\n  npm test         # type check, blockwork check, vitest\n`);
  return 0;
}

/** `path` relative to the working directory when it is under it, else absolute. */
function shown(io: Io, path: string): string {
  const rel = relative(io.cwd, path);
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

/** A directory name as an npm package name: lowercase, other characters as "-". */
function packageName(dir: string): string {
  return (
    dir
      .toLowerCase()
      .replace(/[^a-z0-9-._~]+/g, "-")
      .replace(/^[-._]+|-+$/g, "") || "my-workflows"
  );
}

interface Dependencies {
  readonly dependencies: Record<string, string>;
  readonly devDependencies: Record<string, string>;
}

function dependencies(tarballs: string | undefined, io: Io): Dependencies {
  const version = cliVersion();
  if (tarballs === undefined) {
    return {
      dependencies: { ...Object.fromEntries(RUNTIME_PACKAGES.map((p) => [`@blockwork/${p}`, version])), zod: INIT_PINS.zod },
      devDependencies: { ...Object.fromEntries(DEV_PACKAGES.map((p) => [`@blockwork/${p}`, version])), ...devTools() },
    };
  }
  // Every package is named with its tarball, also server (which only the CLI needs): npm takes a
  // package from a tarball only when it is named so, and @blockwork/server is not on the registry.
  const tarball = (p: string) => {
    const file = join(tarballs, `blockwork-${p}-${version}.tgz`);
    if (!existsSync(file)) {
      const there = existsSync(tarballs) && statSync(tarballs).isDirectory() ? readdirSync(tarballs).filter((f) => f.endsWith(".tgz")) : undefined;
      throw new CliError(
        `init: --tarballs ${shown(io, tarballs)} has no blockwork-${p}-${version}.tgz (${there === undefined ? "no such directory" : there.length === 0 ? "no tarballs there" : `found ${there.join(", ")}`}). Pack them in the Blockwork repository: for p in spec core nodes server cli; do (cd packages/$p && npm pack --pack-destination <dir>); done`,
      );
    }
    return `file:${file}`;
  };
  return {
    dependencies: { ...Object.fromEntries(RUNTIME_PACKAGES.map((p) => [`@blockwork/${p}`, tarball(p)])), zod: INIT_PINS.zod },
    devDependencies: { ...Object.fromEntries([...DEV_PACKAGES, "server"].map((p) => [`@blockwork/${p}`, tarball(p)])), ...devTools() },
  };
}

function devTools(): Record<string, string> {
  return { "@types/node": INIT_PINS["@types/node"], typescript: INIT_PINS.typescript, vitest: INIT_PINS.vitest };
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The files of a new project, by path. */
function scaffold(name: string, deps: Dependencies): Record<string, string> {
  return {
    "package.json": json({
      name,
      version: "0.1.0",
      private: true,
      type: "module",
      engines: { node: ">=20.11" },
      scripts: {
        start: "blockwork run src/hello.graph.ts --input @src/hello.input.json",
        check: "blockwork check src",
        typecheck: "tsc -p tsconfig.json",
        test: "npm run typecheck && npm run check && vitest run",
      },
      dependencies: deps.dependencies,
      devDependencies: deps.devDependencies,
      // npm 11 runs install scripts only for packages allowed here: better-sqlite3 (the SQLite
      // store) compiles or downloads its binary, esbuild (tsx) fetches its platform binary.
      allowScripts: { "better-sqlite3": true, esbuild: true },
    }),
    "tsconfig.json": json({
      compilerOptions: {
        strict: true,
        noUncheckedIndexedAccess: true,
        noImplicitOverride: true,
        verbatimModuleSyntax: true,
        isolatedModules: true,
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2022",
        types: ["node"],
        noEmit: true,
      },
      include: ["src", "test", "vitest.config.ts"],
    }),
    "vitest.config.ts": `import { defineConfig } from "vitest/config";

export default defineConfig({ test: { include: ["test/**/*.test.ts"] } });
`,
    "src/hello.graph.ts": `import { createGraph, defineContract } from "@blockwork/spec";
import { z } from "zod";

// A block: a contract (zod schemas for input and output) and an implementation whose types come
// from the contract.
export const count = defineContract({
  id: "count",
  description: "Counts the words of a text.",
  input: z.object({ text: z.string() }),
  output: z.object({ words: z.number().int().nonnegative() }),
}).implement(({ text }) => ({ words: text.split(/\\s+/).filter(Boolean).length }));

export const describe = defineContract({
  id: "describe",
  input: z.object({ name: z.string(), words: z.number().int().nonnegative() }),
  output: z.object({ message: z.string() }),
}).implement(({ name, words }) => ({ message: \`\${name} has \${words} word\${words === 1 ? "" : "s"}.\` }));

// A graph: its own contract, then blocks wired by bindings (where each input field comes from).
// \`blockwork check src\` and the TypeScript compiler both refuse a miswired graph.
export const hello = createGraph({
  id: "hello",
  input: z.object({ name: z.string().min(1), text: z.string() }),
  output: z.object({ message: z.string(), words: z.number().int() }),
})
  .then(count, (input) => ({ text: input.text }))
  .then(describe, (input, { count }) => ({ name: input.name, words: count.words }))
  .output((_, { count, describe }) => ({ message: describe.message, words: count.words }))
  .build();
`,
    "src/hello.input.json": json({ name: "The README", text: "Blocks have contracts and graphs are checked." }),
    "test/hello.test.ts": `import { MemoryStore, run } from "@blockwork/core";
import { check, createGraph } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { count, hello } from "../src/hello.graph.js";

describe("hello", () => {
  it("passes the static checker", () => {
    expect(check(hello.def).filter((issue) => issue.severity === "error")).toEqual([]);
  });

  it("counts the words and says so", async () => {
    const result = await run(hello, { name: "It", text: "one two three" }, { store: new MemoryStore() }).result;
    expect(result).toEqual({ message: "It has 3 words.", words: 3 });
  });

  it("refuses input that breaks the graph's contract, before anything runs", () => {
    expect(() => run(hello, { name: "", text: "x" }, { store: new MemoryStore() })).toThrow(/does not satisfy the contract of graph "hello"/);
  });

  it("runs one block on its own, as a graph of one block", async () => {
    const words = createGraph({ id: "words", input: z.object({ text: z.string() }), output: z.object({ words: z.number() }) })
      .then(count)
      .output((_, { count }) => count)
      .build();
    expect(await run(words, { text: "a b" }, { store: new MemoryStore() }).result).toEqual({ words: 2 });
  });
});
`,
    ".github/workflows/ci.yml": `name: ci
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - run: npm ci
      - run: npm test
`,
    ".gitignore": "node_modules/\n.blockwork/\n",
    "README.md": `# ${name}

Workflows as [Blockwork](https://github.com/blockwork/blockwork) graphs.

\`\`\`bash
npm install
npm start      # run src/hello.graph.ts on src/hello.input.json (journal in .blockwork/runs.sqlite)
npm test       # tsc, blockwork check src, vitest
\`\`\`

\`npx blockwork graph src/hello.graph.ts\` draws the graph (Mermaid); \`npx blockwork runs list\` shows the runs.
`,
  };
}
