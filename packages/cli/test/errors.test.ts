import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "@blockwork/core";
import { describe, expect, it } from "vitest";
import { root } from "./capture.js";

// The CLI error-message suite: each mistake a newcomer makes (issue 18) gives one exact message, the
// documented exit code, and no stack trace, from the real `blockwork` command in a child process.
// Stack traces appear only with --verbose or DEBUG=blockwork.

const tmp = mkdtempSync(join(tmpdir(), "blockwork-errors-"));
const bin = join(root, "packages/cli/bin/blockwork.js");
const fixtures = "packages/cli/test/fixtures/errors";
/** Child processes on a loaded machine: generous. */
const SLOW = 120_000;

function blockwork(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const childEnv: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...env };
    if (!("DEBUG" in env)) delete childEnv["DEBUG"];
    execFile(process.execPath, [bin, ...args], { cwd: root, env: childEnv, timeout: SLOW - 10_000 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, out, err });
    });
  });
}

/** A V8 stack frame line. */
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

describe("CLI error messages (child processes)", () => {
  it(
    "a block that throws: name, message, where it was thrown and the cause chain; its stack with --verbose",
    async () => {
      const store = join(tmp, "throwing.sqlite");
      const ran = await blockwork(["run", "packages/cli/test/fixtures/throwing.graph.ts", "--input", '{"id": "A-1"}', "--store", store, "--quiet"]);
      expect(ran.code).toBe(1);
      const id = /run ([0-9a-f-]{36}) failed/.exec(ran.err)?.[1] as string;
      expect(ran.err).toBe(
        [
          `blockwork: run ${id} failed at block price (block_failed): threw: cannot price order A-1`,
          "  thrown at packages/cli/test/fixtures/throwing.graph.ts:17:11",
          "  caused by: TypeError: Cannot read properties of undefined (reading 'price') (at packages/cli/test/fixtures/throwing.graph.ts:10:47)",
          `  (its stack trace: blockwork runs show ${id.slice(0, 8)} --verbose --store ${store})`,
          "",
        ].join("\n"),
      );

      // The hint works: a prefix of the id, and the stacks of the error and of its cause.
      const show = await blockwork(["runs", "show", id.slice(0, 8), "--store", store]);
      expect(show.code).toBe(0);
      expect(show.out).toContain(
        [
          "error    block_failed at price: threw: cannot price order A-1",
          "         thrown at packages/cli/test/fixtures/throwing.graph.ts:17:11",
          "         caused by: TypeError: Cannot read properties of undefined (reading 'price') (at packages/cli/test/fixtures/throwing.graph.ts:10:47)",
          "         (stack traces: add --verbose)",
        ].join("\n"),
      );
      expect(show.out).not.toMatch(STACK_FRAME);
      const verbose = await blockwork(["runs", "show", id.slice(0, 8), "--store", store, "--verbose"]);
      expect(verbose.out).toMatch(/^ {9}Error: cannot price order A-1\n {13}at .*throwing\.graph\.ts:17:11\)$/m);
      expect(verbose.out).toMatch(/^ {9}caused by: TypeError: Cannot read properties of undefined \(reading 'price'\)\n {13}at readPrice \(.*throwing\.graph\.ts:10:47\)$/m);

      const json = JSON.parse((await blockwork(["runs", "show", id, "--store", store, "--json"])).out) as { run: { error: { thrown: Record<string, unknown> } } };
      expect(json.run.error.thrown).toMatchObject({ name: "Error", message: "cannot price order A-1", cause: { name: "TypeError", message: "Cannot read properties of undefined (reading 'price')" } });
      expect(json.run.error.thrown["stack"]).toMatch(/^Error: cannot price order A-1\n {4}at /);
    },
    SLOW,
  );

  it(
    "a module with a syntax error: file:line:column and a code frame (check: exit 1; run: exit 2); the stack only with DEBUG=blockwork",
    async () => {
      const frame = [
        "   6 | ",
        '   7 | export const graph = createGraph({ id: "syntax", input: N, output: N })',
        ">  8 |   .then(inc, (input) => ({ n: input.n + }))",
        "     |                                         ^",
        "   9 |   .output((_, { inc }) => inc)",
        "  10 |   .build();",
      ];
      const check = await blockwork(["check", `${fixtures}/syntax.graph.ts`]);
      expect(check.code).toBe(1);
      expect(check.out).toBe(
        [
          `FAIL ${fixtures}/syntax.graph.ts: cannot be loaded`,
          `    syntax error at ${fixtures}/syntax.graph.ts:8:41: Unexpected "}".`,
          ...frame.map((l) => `    ${l}`),
          "",
          "Checked 0 graphs in 1 file: 0 errors, 0 warnings, 1 file that could not be loaded.",
          "",
        ].join("\n"),
      );
      const run = await blockwork(["run", `${fixtures}/syntax.graph.ts`, "--store", "memory"]);
      expect(run.code).toBe(2);
      expect(run.err).toBe(`blockwork: cannot load a graph from ${fixtures}/syntax.graph.ts: syntax error at ${fixtures}/syntax.graph.ts:8:41: Unexpected "}".\n${frame.join("\n")}\n`);
      const debug = await blockwork(["run", `${fixtures}/syntax.graph.ts`, "--store", "memory"], { DEBUG: "blockwork" });
      expect(debug.code).toBe(2);
      expect(debug.err).toMatch(STACK_FRAME);
      expect(debug.err).toContain("Transform failed with 1 error");

      const sarif = JSON.parse((await blockwork(["check", `${fixtures}/syntax.graph.ts`, "--format", "sarif"])).out) as { runs: { results: { ruleId: string; locations: { physicalLocation: unknown }[] }[] }[] };
      expect(sarif.runs[0]?.results[0]).toMatchObject({
        ruleId: "load_error",
        locations: [{ physicalLocation: { artifactLocation: { uri: `${fixtures}/syntax.graph.ts` }, region: { startLine: 8, startColumn: 41 } } }],
      });
    },
    SLOW,
  );

  it(
    "a JavaScript module with a syntax error: located although Node does not say where",
    async () => {
      const check = await blockwork(["check", `${fixtures}/syntax.graph.mjs`]);
      expect(check.code).toBe(1);
      expect(check.out).toContain(
        [`    syntax error at ${fixtures}/syntax.graph.mjs:2:15: Unexpected ",".`, "      1 | export const settings = {", "    > 2 |   retries: 3 +,", "        |               ^"].join("\n"),
      );
      expect(check.out).not.toMatch(STACK_FRAME);
    },
    SLOW,
  );

  it(
    "a module that throws while it is imported: what it threw and the line",
    async () => {
      const check = await blockwork(["check", `${fixtures}/throws-at-import.graph.ts`]);
      expect(check.code).toBe(1);
      expect(check.out).toContain(
        [
          `    the module threw while it was being imported: TypeError: Cannot read properties of null (reading 'retries') (${fixtures}/throws-at-import.graph.ts:5:27). Code at the top level of a graph module runs on every load: move it into a block, or guard it.`,
          "      3 | ",
          '      4 | const settings = JSON.parse(process.env["BLOCKWORK_FIXTURE_SETTINGS"] ?? "null") as { retries: number } | null;',
          "    > 5 | const retries = settings!.retries;",
          "        |                           ^",
        ].join("\n"),
      );
      expect(check.out).not.toMatch(STACK_FRAME);
    },
    SLOW,
  );

  it(
    "a module that imports a package or file that is not there: which import, where, and the fix",
    async () => {
      const pkg = await blockwork(["run", `${fixtures}/missing-package.graph.ts`, "--store", "memory"]);
      expect(pkg.code).toBe(2);
      expect(pkg.err.split("\n")[0]).toBe(
        `blockwork: cannot load a graph from ${fixtures}/missing-package.graph.ts: cannot import "blockwork-no-such-package" (${fixtures}/missing-package.graph.ts:3:26): install it (npm install blockwork-no-such-package) or correct the name.`,
      );
      expect(pkg.err).toContain('> 3 | import { slugify } from "blockwork-no-such-package";');
      expect(pkg.err).not.toMatch(STACK_FRAME);
      const file = await blockwork(["check", `${fixtures}/missing-file.graph.ts`]);
      expect(file.code).toBe(1);
      expect(file.out).toContain(
        `    cannot import "./no-such-helper.js" (${fixtures}/missing-file.graph.ts:3:25): no such file; correct the path (imports of TypeScript files are written with .js, as tsc expects).`,
      );
      expect(file.out).not.toMatch(STACK_FRAME);
    },
    SLOW,
  );

  it(
    "run with a file that is not a graph module; unknown commands and options",
    async () => {
      const json = await blockwork(["run", "package.json"]);
      expect(json).toEqual({
        code: 2,
        out: "",
        err: "blockwork: package.json is not a graph: blockwork run takes a TypeScript or JavaScript module that exports a built graph, e.g. blockwork run examples/text-digest/digest.graph.ts.\n",
      });
      const def = await blockwork(["run", "examples/broken/missing_entry.json"]);
      expect(def.err).toBe(
        "blockwork: examples/broken/missing_entry.json is a GraphDef without implementations (plain JSON), so it cannot run; run the TypeScript or JavaScript module that builds the graph (createGraph(...).build()) instead.\n",
      );
      const unknown = await blockwork(["chek", "examples"]);
      expect(unknown.code).toBe(2);
      expect(unknown.err).toContain("error: unknown command 'chek'\n(Did you mean check?)");
      expect(unknown.err).not.toMatch(STACK_FRAME);
      const version = await blockwork(["--version"]);
      expect(version).toMatchObject({ code: 0, out: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
    },
    SLOW,
  );

  it(
    "run ids: a unique prefix is enough; an ambiguous one lists the matches; an unknown one says how to list them",
    async () => {
      const file = join(tmp, "ids.sqlite");
      const store = new SqliteStore(file);
      const base = { graphId: "g", version: "v1", status: "completed" as const, input: {}, createdAt: 1_764_000_000_000, updatedAt: 1_764_000_000_100 };
      store.createRun({ ...base, id: "abcd1111-0000-4000-8000-000000000001" });
      store.createRun({ ...base, id: "abcd2222-0000-4000-8000-000000000002", createdAt: 1_764_000_001_000 });
      store.close();
      const one = await blockwork(["runs", "show", "abcd2", "--store", file]);
      expect(one.code).toBe(0);
      expect(one.out).toMatch(/^run {6}abcd2222-0000-4000-8000-000000000002$/m);
      const both = await blockwork(["runs", "show", "abcd", "--store", file]);
      expect(both).toEqual({
        code: 2,
        out: "",
        err: [
          `blockwork: run id prefix abcd is ambiguous: 2 runs in ${file} start with it. Give more characters:`,
          "  abcd2222-0000-4000-8000-000000000002  g  completed  2025-11-24T16:00:01.000Z",
          "  abcd1111-0000-4000-8000-000000000001  g  completed  2025-11-24T16:00:00.000Z",
          "",
        ].join("\n"),
      });
      const none = await blockwork(["resume", "ffff9", "--store", file]);
      expect(none).toEqual({ code: 2, out: "", err: `blockwork: no run ffff9 in ${file} (no run id starts with it; list them with: blockwork runs list --store ${file}).\n` });
      const short = await blockwork(["runs", "show", "ab", "--store", file]);
      expect(short.err).toBe(`blockwork: no run ab in ${file}; give the full id or at least 4 of its first characters (list them with: blockwork runs list --store ${file}).\n`);
    },
    SLOW,
  );
});
