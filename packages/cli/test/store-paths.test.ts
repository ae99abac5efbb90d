/**
 * Store paths checked at the edge (issue 20, part 4): read commands never create a store, and a
 * directory, a path under a file, a non-database file or an unwritable file is one line with exit
 * code 2 — they were stack traces with exit 70.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "./capture.js";

const dir = mkdtempSync(join(tmpdir(), "bw-store-paths-"));
mkdirSync(join(dir, "a-directory"));
writeFileSync(join(dir, "a-file"), "x");
writeFileSync(join(dir, "notes.sqlite"), "these are my notes, not a database\n");
const graph = ["examples/release-notes/release-notes.graph.ts", "--input", "@examples/release-notes/input.json"];

/** An immutable file (chattr +i), when the file system and privileges allow one. */
function immutable(): string | undefined {
  const file = join(dir, "immutable.sqlite");
  writeFileSync(file, "");
  try {
    execFileSync("chattr", ["+i", file], { stdio: "ignore" });
    return file;
  } catch {
    return undefined;
  }
}
const locked = immutable();
afterAll(() => {
  if (locked) execFileSync("chattr", ["-i", locked], { stdio: "ignore" });
});

describe("store paths", () => {
  it.each([
    ["a directory", "a-directory", /is a directory; give the path of a SQLite file inside it/],
    ["a path under a file", "a-file/runs.sqlite", /a part of the path is a file, not a directory/],
    ["a file that is not a database", "notes.sqlite", /is not a SQLite database \(it is some other file\)/],
    ["an unwritable place", "/proc/blockwork-test.sqlite", /cannot be opened for writing/],
  ])("run with --store at %s is one line, exit 2", async (_what, store, message) => {
    const { code, err } = await cli(["run", ...graph, "--store", store.startsWith("/") ? store : join(dir, store)]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).not.toMatch(/internal error|at .*\.js:\d+/);
  });

  it.skipIf(locked === undefined)("run with --store at an immutable file is one line, exit 2", async () => {
    const { code, err } = await cli(["run", ...graph, "--store", locked as string]);
    expect(code).toBe(2);
    expect(err).toMatch(/cannot be opened for writing \(attempt to write a readonly database\)/);
  });

  it.each([["runs", "list"], ["runs", "show", "some-run"], ["runs", "resume"]])("%s %s never creates the store it cannot find", async (...args) => {
    const store = join(dir, "typo.sqlite");
    const { code, err } = await cli([...args, "--store", store]);
    expect(code).toBe(2);
    expect(err).toMatch(/no such store \(the file does not exist, and this command only reads\)/);
    expect(existsSync(store)).toBe(false);
    for (const bad of ["a-directory", "notes.sqlite"]) expect((await cli([...args, "--store", join(dir, bad)])).code).toBe(2);
  });
});
