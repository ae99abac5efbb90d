import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { wantsDetail } from "../src/boundary.js";
import { EXIT_CODES, type Io } from "../src/io.js";
import { main } from "../src/main.js";
import { root } from "./capture.js";

/** An Io whose stdout breaks: a failure that is Blockwork's own, not the user's. */
function brokenIo(env: Record<string, string> = {}): Io & { readonly errors: string[] } {
  const errors: string[] = [];
  return {
    cwd: root,
    env: { NO_COLOR: "1", ...env },
    isTTY: false,
    out: () => {
      throw new TypeError("stdout.write is not a function");
    },
    err: (text) => void errors.push(text),
    errors,
  };
}

describe("the CLI's error boundary", () => {
  it("reports an internal error in one line, says it is a bug and how to see the stack, exits 70", async () => {
    const io = brokenIo();
    expect(await main(["--version"], io)).toBe(70);
    expect(io.errors.join("")).toBe(
      "blockwork: internal error: TypeError: stdout.write is not a function\n" +
        "This is a bug in Blockwork, not a mistake in your graph. Run the command again with --verbose (or DEBUG=blockwork) to see the stack trace, and report it with that output.\n",
    );
  });

  it("prints the stack trace with --verbose or DEBUG=blockwork", async () => {
    const verbose = brokenIo();
    expect(await main(["--verbose", "--version"], verbose)).toBe(70);
    expect(verbose.errors.join("")).toMatch(/^blockwork: internal error: TypeError: stdout\.write is not a function\nTypeError: stdout\.write is not a function\n {4}at /);
    const debug = brokenIo({ DEBUG: "express,blockwork" });
    await main(["--version"], debug);
    expect(debug.errors.join("")).toMatch(/\n {4}at /);
  });

  it("reads DEBUG as the debug package does", () => {
    expect(wantsDetail([], { DEBUG: "blockwork" })).toBe(true);
    expect(wantsDetail([], { DEBUG: "blockwork:*" })).toBe(true);
    expect(wantsDetail([], { DEBUG: "block*" })).toBe(true);
    expect(wantsDetail([], { DEBUG: "*" })).toBe(true);
    expect(wantsDetail([], { DEBUG: "*,-blockwork" })).toBe(false);
    expect(wantsDetail([], { DEBUG: "express" })).toBe(false);
    expect(wantsDetail([], {})).toBe(false);
    expect(wantsDetail(["run", "x.ts", "--verbose"], {})).toBe(true);
  });

  it("documents every exit code in docs/errors.md", () => {
    const doc = readFileSync(join(root, "docs/errors.md"), "utf8");
    const table = /<!-- cli-exit-codes:start -->\n([\s\S]*?)<!-- cli-exit-codes:end -->/.exec(doc)?.[1] ?? "";
    const expected = ["| exit code | meaning |", "| --- | --- |", ...Object.values(EXIT_CODES).map((e) => `| ${e.code} | ${e.meaning} |`)].join("\n");
    expect(table.trim()).toBe(expected);
  });
});
