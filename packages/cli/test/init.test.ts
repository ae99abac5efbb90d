import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { INIT_PINS } from "../src/commands/init.js";
import { cli, root } from "./capture.js";

// `blockwork init` for real: a project is scaffolded into the temp directory, its node_modules are
// links to this repository's packages (installing from the registry is test/install.test.ts's job,
// `npm run test:install`, which installs a scaffolded project from the packed tarballs), and then
// the project is used as its README says: the graph checked and run by the CLI, its own test run
// by vitest in a child process, its sources type-checked by tsc.
const work = mkdtempSync(join(tmpdir(), "blockwork-init-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const FILES = ["package.json", "tsconfig.json", "vitest.config.ts", "src/hello.graph.ts", "src/hello.input.json", "test/hello.test.ts", ".github/workflows/ci.yml", ".gitignore", "README.md"];

function linkModules(project: string): void {
  for (const dep of ["@blockwork/spec", "@blockwork/core", "@blockwork/nodes", "@blockwork/server", "@blockwork/cli", "zod", "vitest", "typescript", "@types/node"]) {
    const at = join(project, "node_modules", dep);
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(join(root, "node_modules", dep), at, "dir");
  }
}

function exec(file: string, args: readonly string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    // The project is not this repository: no source condition, no vitest worker settings.
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", NODE_OPTIONS: "", CI: "1" };
    for (const key of Object.keys(env)) if (key === "VITEST" || key.startsWith("VITEST_") || key.startsWith("npm_")) delete env[key];
    execFile(file, [...args], { cwd, env, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, out, err });
    });
  });
}

describe("blockwork init", () => {
  const project = join(work, "My Workflows");

  it("writes a project and says what to do next", async () => {
    const made = await cli(["init", "My Workflows"], { cwd: work });
    expect(made.err).toBe("");
    expect(made.code).toBe(0);
    expect(made.out).toBe(`Created my-workflows in My Workflows:\n${FILES.map((f) => `  ${f}\n`).join("")}
Next:
  cd My Workflows
  npm install
  npm start        # runs src/hello.graph.ts with src/hello.input.json
  npm test         # type check, blockwork check, vitest
`);
    for (const file of FILES) expect(existsSync(join(project, file)), file).toBe(true);
  });

  it("pins every dependency exactly, to the versions this repository is tested with", () => {
    const pkg = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { name: string; dependencies: Record<string, string>; devDependencies: Record<string, string>; scripts: Record<string, string> };
    const cliVersion = (JSON.parse(readFileSync(join(root, "packages/cli/package.json"), "utf8")) as { version: string }).version;
    const rootPins = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies;
    const specZod = (JSON.parse(readFileSync(join(root, "packages/spec/package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["zod"];
    const vitest = (JSON.parse(readFileSync(join(root, "node_modules/vitest/package.json"), "utf8")) as { version: string }).version;
    expect(pkg.name).toBe("my-workflows");
    expect(pkg.dependencies).toEqual({ "@blockwork/spec": cliVersion, "@blockwork/core": cliVersion, "@blockwork/nodes": cliVersion, zod: specZod });
    expect(pkg.devDependencies).toEqual({ "@blockwork/cli": cliVersion, "@types/node": rootPins["@types/node"], typescript: rootPins["typescript"], vitest: rootPins["vitest"] });
    expect(INIT_PINS.vitest).toBe(vitest);
    for (const version of [...Object.values(pkg.dependencies), ...Object.values(pkg.devDependencies)]) expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("refuses to overwrite anything, and writes nothing then", async () => {
    writeFileSync(join(work, "taken.txt"), "");
    const again = await cli(["init", "My Workflows", "--name", "other"], { cwd: work });
    expect(again).toEqual({
      code: 2,
      out: "",
      err: `blockwork: init: My Workflows already has ${FILES.join(", ")}; nothing was written. Pick a new directory (blockwork init my-workflows) or move those files away.\n`,
    });
    expect(await cli(["init", "taken.txt"], { cwd: work })).toEqual({
      code: 2,
      out: "",
      err: "blockwork: init: taken.txt is a file, not a directory. Give a new or empty directory: blockwork init my-workflows\n",
    });
    expect((await cli(["init", "x", "--name", "Not Valid"], { cwd: work })).err).toBe(
      'blockwork: init: "Not Valid" is not a valid npm package name (lowercase letters, digits, "-", "." and "_"). Pass one with --name my-workflows.\n',
    );
    expect(existsSync(join(work, "x"))).toBe(false);
    const missing = await cli(["init", "y", "--tarballs", "packs"], { cwd: work });
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^blockwork: init: --tarballs .*packs has no blockwork-spec-\d+\.\d+\.\d+\.tgz \(no such directory\)\. Pack them in the Blockwork repository: /);
    expect(existsSync(join(work, "y"))).toBe(false);
  });

  it("with --tarballs, depends on the packed packages, server included", async () => {
    const packs = join(work, "packs");
    mkdirSync(packs);
    const version = (JSON.parse(readFileSync(join(root, "packages/cli/package.json"), "utf8")) as { version: string }).version;
    for (const p of ["spec", "core", "nodes", "server", "cli"]) writeFileSync(join(packs, `blockwork-${p}-${version}.tgz`), "");
    expect((await cli(["init", "from-packs", "--tarballs", "packs"], { cwd: work })).code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(work, "from-packs/package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.dependencies["@blockwork/core"]).toBe(`file:${join(packs, `blockwork-core-${version}.tgz`)}`);
    expect(pkg.devDependencies["@blockwork/server"]).toBe(`file:${join(packs, `blockwork-server-${version}.tgz`)}`);
    expect(pkg.devDependencies["@blockwork/cli"]).toBe(`file:${join(packs, `blockwork-cli-${version}.tgz`)}`);
  });

  it(
    "makes a project whose graph passes blockwork check and runs with its input file",
    async () => {
    linkModules(project);
    const checked = await cli(["check", "src"], { cwd: project });
    expect(checked.code).toBe(0);
    expect(checked.out).toContain('ok   src/hello.graph.ts (hello): graph "hello", 2 blocks, 0 errors, 0 warnings');
    const ran = await cli(["run", "src/hello.graph.ts", "--input", "@src/hello.input.json", "--store", join(work, "runs.sqlite"), "--quiet"], { cwd: project });
    expect(ran.err).toBe("");
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.out)).toEqual({ message: "The README has 7 words.", words: 7 });
    },
    120_000,
  );

  it(
    "makes a project whose own test passes under vitest and whose sources type-check strictly",
    async () => {
      const tested = await exec(process.execPath, [join(project, "node_modules/vitest/vitest.mjs"), "run"], project);
      expect(tested.out + tested.err).toMatch(/Tests {2}4 passed \(4\)/);
      expect(tested.code).toBe(0);
      // Libraries' .d.ts files are checked too (no skipLibCheck) by the install test.
      const tsc = await exec(process.execPath, [join(project, "node_modules/typescript/bin/tsc"), "-p", ".", "--skipLibCheck"], project);
      expect(tsc.out + tsc.err).toBe("");
      expect(tsc.code).toBe(0);
    },
    300_000,
  );
});
