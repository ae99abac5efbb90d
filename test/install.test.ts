import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Blockwork outside this repository: every package is packed (`npm pack`, as `npm publish` would),
// the tarballs are installed with `npm install` into a fresh project in the system's temp directory
// (only public dependencies from the registry), and that project type-checks and runs a graph with
// the `blockwork` command from node_modules/.bin. Slow (better-sqlite3 compiles from source): the
// timeouts are generous so that it passes on a loaded machine.

const root = fileURLToPath(new URL("..", import.meta.url));
const PACKAGES = ["spec", "core", "nodes", "server", "cli"] as const;
const INSTALL_TIMEOUT = 25 * 60_000;
const STEP_TIMEOUT = 5 * 60_000;
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

const work = mkdtempSync(join(tmpdir(), "blockwork-install-"));
const project = join(work, "project");
afterAll(() => rmSync(work, { recursive: true, force: true }), STEP_TIMEOUT);

interface Done {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

function exec(file: string, args: readonly string[], cwd: string, timeout = STEP_TIMEOUT): Promise<Done> {
  return new Promise((resolve) => {
    // The project must not see this repository's setup: no source condition, no workspace config.
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", NODE_OPTIONS: "" };
    // npm's own config (npm_config_*: the registry, nodedir for node-gyp, ...) stays; what npm tells
    // scripts about this repository's package does not.
    for (const key of Object.keys(env)) if (key.startsWith("npm_package_") || key.startsWith("npm_lifecycle_") || key.startsWith("npm_config_workspace") || key === "INIT_CWD" || key === "VITEST" || key.startsWith("VITEST_")) delete env[key];
    execFile(file, [...args], { cwd, env, timeout, maxBuffer: 64 * 1024 * 1024 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, out, err });
    });
  });
}

const tarballs = new Map<string, string>();

beforeAll(async () => {
  for (const name of PACKAGES) {
    const packed = await exec(npm, ["pack", "--json", "--pack-destination", work], join(root, "packages", name));
    expect(packed.code, packed.err).toBe(0);
    const [info] = JSON.parse(packed.out) as { filename: string }[];
    tarballs.set(name, join(work, (info as { filename: string }).filename));
  }
  // The project is the one `blockwork init --tarballs` scaffolds (run from this repository's
  // built CLI), with a second graph and a script that imports every package added.
  const init = await exec(process.execPath, [join(root, "packages/cli/bin/blockwork.js"), "init", project, "--tarballs", work], work);
  expect(init.err).toBe("");
  expect(init.code).toBe(0);
  writeFileSync(
    join(project, "src", "count.graph.ts"),
    `import { createGraph, defineContract } from "@blockwork/spec";
import { z } from "zod";

const count = defineContract({
  id: "count",
  input: z.object({ text: z.string() }),
  output: z.object({ words: z.number().int() }),
}).implement(({ text }) => ({ words: text.split(/\\s+/).filter(Boolean).length }));

export const wordCount = createGraph({ id: "word-count", input: z.object({ text: z.string() }), output: z.object({ words: z.number().int() }) })
  .then(count)
  .output((_, { count }) => count)
  .build();
`,
  );
  writeFileSync(
    join(project, "src", "main.ts"),
    `import { run, SqliteStore } from "@blockwork/core";
import { agentBlock } from "@blockwork/nodes";
import { scriptedModel } from "@blockwork/nodes/testing";
import { createService } from "@blockwork/server";
import { main } from "@blockwork/cli";
import { wordCount } from "./count.graph.js";

const store = new SqliteStore(process.argv[2] as string);
const words: { words: number } = await run(wordCount, { text: "one two three" }, { store }).result;
store.close();
console.log(JSON.stringify({ words, exports: [typeof agentBlock, typeof scriptedModel, typeof createService, typeof main] }));
`,
  );
  // One retry: a registry hiccup on a loaded machine is not what this test is about.
  let installed = await exec(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline"], project, INSTALL_TIMEOUT / 2);
  if (installed.code !== 0) installed = await exec(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline"], project, INSTALL_TIMEOUT / 2);
  expect(installed.code, installed.err).toBe(0);
}, INSTALL_TIMEOUT + 2 * STEP_TIMEOUT);

describe("the packed packages, installed into a project outside the monorepo", () => {
  it(
    "type-check with strict settings (no skipLibCheck) and run a graph",
    async () => {
      const tsc = await exec(process.execPath, [join(project, "node_modules/typescript/bin/tsc"), "-p", "."], project);
      expect(tsc.out + tsc.err).toBe("");
      expect(tsc.code).toBe(0);
      // tsx comes with @blockwork/cli (it loads TypeScript graph modules).
      const result = await exec(process.execPath, ["--import", "tsx", "src/main.ts", join(work, "main.sqlite")], project);
      expect(result.err).toBe("");
      expect(JSON.parse(result.out)).toEqual({ words: { words: 3 }, exports: ["function", "function", "function", "function"] });
    },
    2 * STEP_TIMEOUT,
  );

  it(
    "run the blockwork command from node_modules/.bin: --version, check and run",
    async () => {
      const bin = join(project, "node_modules/.bin/blockwork");
      const version = await exec(bin, ["--version"], project);
      expect(version.out).toBe(`${(JSON.parse(readFileSync(join(root, "packages/cli/package.json"), "utf8")) as { version: string }).version}\n`);
      const check = await exec(bin, ["check", "src"], project);
      expect(check.code).toBe(0);
      expect(check.out).toContain('ok   src/count.graph.ts (wordCount): graph "word-count", 1 block, 0 errors, 0 warnings');
      expect(check.out).toContain('ok   src/hello.graph.ts (hello): graph "hello", 2 blocks, 0 errors, 0 warnings');
      const ran = await exec(bin, ["run", "src/count.graph.ts", "--input", '{"text": "a b c d"}', "--store", join(work, "cli.sqlite"), "--quiet"], project);
      expect(ran.code).toBe(0);
      expect(JSON.parse(ran.out)).toEqual({ words: 4 });
    },
    2 * STEP_TIMEOUT,
  );

  it(
    "answer the scaffold's own scripts: npm test (tsc, blockwork check, vitest) and npm start",
    async () => {
      const tested = await exec(npm, ["test"], project);
      expect(tested.code, tested.out + tested.err).toBe(0);
      expect(tested.out).toMatch(/Tests {2}4 passed \(4\)/);
      const started = await exec(npm, ["start", "--silent", "--", "--quiet", "--store", join(work, "start.sqlite")], project);
      expect(started.code, started.err).toBe(0);
      expect(JSON.parse(started.out)).toEqual({ message: "The README has 7 words.", words: 7 });
    },
    2 * STEP_TIMEOUT,
  );

  it("installed only public dependencies: nothing resolved into this repository", () => {
    const lock = readFileSync(join(project, "package-lock.json"), "utf8");
    expect(lock).not.toContain(root.replace(/\/$/, ""));
    const packages = (JSON.parse(lock) as { packages: Record<string, { resolved?: string; link?: boolean }> }).packages;
    const local = Object.entries(packages).filter(([path, p]) => path !== "" && (p.link === true || (p.resolved !== undefined && !p.resolved.startsWith("https://") && !p.resolved.startsWith("file:"))));
    expect(local).toEqual([]);
    const files = Object.entries(packages).filter(([, p]) => p.resolved?.startsWith("file:")).map(([path]) => path).sort();
    expect(files).toEqual(PACKAGES.map((n) => `node_modules/@blockwork/${n}`).sort());
  });
});
