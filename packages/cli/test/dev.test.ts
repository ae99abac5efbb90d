import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { root } from "./capture.js";

// `blockwork dev` as a real child process on a copy of examples/lego, with real file changes.
let dir: string;
let child: ChildProcessWithoutNullStreams | undefined;
let out = "";

beforeEach(async () => {
  dir = await mkdtemp(join(root, "packages/cli/test/fixtures/lego/tmp-dev-"));
  await cp(join(root, "examples/lego"), dir, { recursive: true });
  out = "";
});
afterEach(async () => {
  child?.kill("SIGKILL");
  child = undefined;
  await rm(dir, { recursive: true, force: true });
});

function start(args: string[]): ChildProcessWithoutNullStreams {
  const proc = spawn(process.execPath, ["--conditions=@blockwork/source", "--import", "tsx", join(root, "packages/cli/src/dev.ts"), "dev", ...args], { cwd: root, env: { ...process.env, NO_COLOR: "1" } });
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return proc;
}

/** Waits until the output (from `from` on) matches, or fails with what was printed. */
async function waitFor(pattern: RegExp, from = 0, timeoutMs = 90_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const seen = out.slice(from);
    if (pattern.test(seen)) return seen;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${pattern}; output was:\n${out}`);
}

describe("blockwork dev", () => {
  it("re-type-checks, re-verifies and re-runs after a real file change, and answers REPL commands", { timeout: 240_000 }, async () => {
    const graph = relative(root, join(dir, "slug.graph.ts"));
    child = start([graph, "--input", '{"title": "Hi There", "body": "a b"}']);
    await waitFor(/watching .*type \.help for commands/);
    await waitFor(/typecheck: /);
    expect(out).toMatch(/start: feedback in \d+/);
    expect(out).toContain("typecheck: 0 errors");
    expect(out).toContain("verify ok   slugify");
    expect(out).toContain('output: {"slug":"hi-there","minutes":1}');

    // A save that breaks the contract: the changed block alone is re-verified, the run's output diff shows it.
    let mark = out.length;
    const impl = join(dir, "slugify.impl.ts");
    await writeFile(impl, (await readFile(impl, "utf8")).replace(".toLowerCase();", ".toUpperCase();"));
    const broken = await waitFor(/changed .*slugify\.impl\.ts: feedback in \d+[\s\S]*run: failed[\s\S]*typecheck: /, mark);
    expect(broken).toContain("verify FAIL slugify: the output does not satisfy the output schema");
    expect(broken).toContain('output: {"slug":"HELLO-WORLD"}');
    expect(broken).not.toContain("readingTime");

    // A save with a type error is reported with its position.
    mark = out.length;
    await writeFile(impl, 'import type { Input, Output } from "./slugify.contract.js";\nexport default function run(input: Input): Output {\n  return { slug: input.title.length };\n}\n');
    const typed = await waitFor(/changed .*slugify\.impl\.ts: feedback in[\s\S]*run: [\s\S]*typecheck: /, mark);
    expect(typed).toMatch(/typecheck: 1 error .*\n.*slugify\.impl\.ts:3:\d+ TS2322/);

    // A fix: verify passes again and the output diff names the changed field.
    mark = out.length;
    await writeFile(impl, 'import type { Input, Output } from "./slugify.contract.js";\nexport default function run(input: Input): Output {\n  return { slug: input.title.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-+|-+$/g, "").toLowerCase() };\n}\n');
    const fixed = await waitFor(/changed .*slugify\.impl\.ts: feedback in[\s\S]*output[\s\S]*typecheck: /, mark);
    expect(fixed).toContain("verify ok   slugify");
    expect(fixed).toContain("typecheck: 0 errors");

    // The REPL runs one block and the whole graph on the hot-swapped implementation.
    mark = out.length;
    child.stdin.write('.block slugify {"title": "A  B"}\n');
    expect(await waitFor(/\{"slug":"a-b"\}/, mark)).toBeTruthy();
    mark = out.length;
    child.stdin.write('.run {"title": "Lego Loop", "body": ""}\n');
    expect(await waitFor(/run [\w-]+: \{"slug":"lego-loop","minutes":1\}\n {2}coverage: 2\/2 blocks/, mark)).toBeTruthy();
    mark = out.length;
    await writeFile(join(dir, "shout.ts"), 'export default function run(input: { title: string }) {\n  return { slug: input.title.toLowerCase().replace(/ /g, "") };\n}\n');
    await waitFor(/changed .*shout\.ts[\s\S]*typecheck: /, mark);
    mark = out.length;
    child.stdin.write(`.swap slugify ${relative(root, join(dir, "shout.ts"))}\n`);
    expect(await waitFor(/swapped/, mark)).toContain("swap slugify");
    mark = out.length;
    child.stdin.write('.block slugify {"title": "Ab Cd"}\n');
    expect(await waitFor(/\{"slug":"abcd"\}/, mark)).toBeTruthy();
    child.stdin.write(".check\n.exit\n");
    const code = await new Promise<number | null>((resolve) => child?.once("exit", resolve));
    expect(code).toBe(0);
  });
});
