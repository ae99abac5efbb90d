import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { cli, root } from "./capture.js";

// `blockwork --help` answers at once and a one-file `check` stays under a second because the CLI
// loads only what a command uses (bench/cli.bench.ts measures both). These tests keep that true
// without timing anything: they follow the static imports (the ones Node loads before any code
// runs; `import type` is erased, `import()` is lazy) from an entry through the CLI's sources.
const src = join(root, "packages/cli/src");

/** The bare specifiers (packages) `entry` loads statically, with the local file that imports each. */
function staticPackages(entry: string): Map<string, string> {
  const found = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, false);
    for (const statement of source.statements) {
      let specifier: string | undefined;
      if (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly) specifier = (statement.moduleSpecifier as ts.StringLiteral).text;
      if (ts.isExportDeclaration(statement) && !statement.isTypeOnly && statement.moduleSpecifier) specifier = (statement.moduleSpecifier as ts.StringLiteral).text;
      if (specifier === undefined) continue;
      if (specifier.startsWith(".")) {
        const target = resolve(dirname(file), specifier.replace(/\.js$/, ".ts"));
        if (!existsSync(target)) throw new Error(`${relative(root, file)} imports ${specifier}, which does not exist`);
        visit(target);
      } else if (!specifier.startsWith("node:")) {
        if (!found.has(specifier)) found.set(specifier, relative(root, file));
      }
    }
  };
  visit(entry);
  return found;
}

describe("the CLI loads only what a command uses", () => {
  it("main.ts (every command's name, options and help) loads commander and nothing else", () => {
    expect([...staticPackages(join(src, "index.ts")).keys()]).toEqual(["commander"]);
  });

  it("check loads the checker, not the runtime, the block library or the AI SDK", () => {
    const packages = [...staticPackages(join(src, "commands/check.ts")).entries()].map(([p, by]) => `${p} (from ${by})`);
    expect(packages.filter((p) => /^(@blockwork\/(core|nodes)|ai|@ai-sdk\/|better-sqlite3|pg|xstate|tsx)\b/.test(p))).toEqual([]);
  });

  it("run loads the OpenTelemetry SDK and exporter only for --otlp (a dynamic import)", () => {
    const packages = [...staticPackages(join(src, "commands/run.ts")).keys()];
    expect(packages.filter((p) => p.startsWith("@opentelemetry/"))).toEqual([]);
    expect(readFileSync(join(src, "otlp.ts"), "utf8")).toMatch(/await Promise\.all\(\[\s*import\("@opentelemetry\/sdk-trace-base"\)/);
  });

  it("every command module is imported lazily by main.ts", () => {
    const main = readFileSync(join(src, "main.ts"), "utf8");
    const lazy = [...main.matchAll(/await import\("\.\/commands\/([a-z-]+)\.js"\)/g)].map((m) => m[1]);
    expect(lazy.length).toBeGreaterThan(0);
    for (const name of lazy) expect(existsSync(join(src, "commands", `${name}.ts`)), `commands/${name}.ts`).toBe(true);
  });
});

describe("--version and --help", () => {
  it("prints the package's version", async () => {
    const pkg = JSON.parse(readFileSync(join(root, "packages/cli/package.json"), "utf8")) as { version: string };
    expect(await cli(["--version"])).toEqual({ code: 0, out: `${pkg.version}\n`, err: "" });
    expect((await cli(["-V"])).out).toBe(`${pkg.version}\n`);
  });

  it("names only examples that exist, in every command's help", async () => {
    const top = await cli(["--help"]);
    expect(top.code).toBe(0);
    const commands = [...top.out.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1] as string).filter((c) => c !== "help");
    expect(commands).toContain("check");
    const runs = await cli(["runs", "--help"]);
    const sub = [...runs.out.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => `runs ${m[1]}`).filter((c) => c !== "runs help");
    for (const command of [...commands, ...sub]) {
      const help = await cli([...command.split(" "), "--help"]);
      expect(help.code, command).toBe(0);
      for (const [, path] of help.out.matchAll(/\b(examples\/[\w./-]+\.(?:ts|json))/g)) expect(existsSync(join(root, path as string)), `${command} --help names ${path}`).toBe(true);
      for (const [, path, name] of help.out.matchAll(/(examples\/[\w./-]+\.ts) --export (\w+)/g)) {
        expect(readFileSync(join(root, path as string), "utf8"), `${command} --help: ${path} exports ${name}`).toMatch(new RegExp(`export const ${name}\\b`));
      }
    }
  });
});
