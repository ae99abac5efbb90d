import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "./capture.js";

// The completion scripts, run by the real shells: bash always (it is everywhere), zsh and fish
// where they are installed (`apt-get install zsh fish`; the test says when it skips them).
const work = mkdtempSync(join(tmpdir(), "blockwork-completion-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const has = (shell: string) => spawnSync(shell, ["-c", "true"]).status === 0;

async function script(shell: string): Promise<string> {
  const result = await cli(["completion", shell]);
  expect(result.err).toBe("");
  expect(result.code).toBe(0);
  const file = join(work, `blockwork.${shell}`);
  writeFileSync(file, result.out);
  return file;
}

/** What bash (or zsh through bashcompinit) offers after `words` (the last one is being typed). */
function offered(shell: "bash" | "zsh", file: string, words: readonly string[]): string {
  const array = words.map((w) => `'${w}'`).join(" ");
  const body = `source ${file}; ${shell === "zsh" ? "setopt ksharrays; " : ""}COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _blockwork_complete; echo "\${COMPREPLY[*]}"`;
  return execFileSync(shell, shell === "zsh" ? ["-f", "-c", body] : ["--norc", "-c", body], { encoding: "utf8", cwd: work }).trim();
}

/** The commands `blockwork [args] --help` lists under "Commands:". */
const commandsOfHelp = async (args: string[]) =>
  [...((await cli([...args, "--help"])).out.split("Commands:")[1] ?? "").matchAll(/^ {2}([a-z][a-z-]*) /gm)].map((m) => m[1] as string).filter((c) => c !== "help");

describe.each(["bash", "zsh"] as const)("blockwork completion %s", (shell) => {
  it.skipIf(!has(shell))(`completes commands, subcommands, options and option values (${shell} runs the script)`, async () => {
    const file = await script(shell);
    expect(offered(shell, file, ["blockwork", ""]).split(" ")).toEqual(await commandsOfHelp([]));
    expect(offered(shell, file, ["blockwork", "ch"])).toBe("check");
    expect(offered(shell, file, ["blockwork", "runs", ""]).split(" ")).toEqual(await commandsOfHelp(["runs"]));
    expect(offered(shell, file, ["blockwork", "runs", "sh"])).toBe("show");
    expect(offered(shell, file, ["blockwork", "check", "--format", ""])).toBe("text json sarif");
    expect(offered(shell, file, ["blockwork", "check", "examples", "--f"])).toBe("--format");
    expect(offered(shell, file, ["blockwork", "runs", "show", "0b6f", "--"])).toBe("--store --json --help");
    expect(offered(shell, file, ["blockwork", "resume", "0b6f", "--b"])).toBe("--block");
    expect(offered(shell, file, ["blockwork", "graph", "x.ts", "-f", "x"])).toBe("xstate");
    // A file argument or a free value: nothing from the script, so the shell offers file names.
    expect(offered(shell, file, ["blockwork", "run", ""])).toBe("");
    expect(offered(shell, file, ["blockwork", "run", "x.ts", "--store", ""])).toBe("");
  });

  it.skipIf(!has(shell))("registers the function for the blockwork command, falling back to file names", async () => {
    const file = await script(shell);
    const registered = execFileSync(shell, shell === "zsh" ? ["-f", "-c", `source ${file}; print -r -- $_comps[blockwork]`] : ["--norc", "-c", `source ${file}; complete -p blockwork`], { encoding: "utf8" }).trim();
    expect(registered).toBe(shell === "zsh" ? "_bash_complete -o default -F _blockwork_complete" : "complete -o default -F _blockwork_complete blockwork");
  });
});

describe("blockwork completion fish", () => {
  it.skipIf(!has("fish"))("completes commands with their descriptions, options and values (fish runs the script)", async () => {
    const file = await script("fish");
    const complete = (line: string) => execFileSync("fish", ["--no-config", "-c", `source ${file}; complete -C '${line}'`], { encoding: "utf8" }).trim().split("\n");
    expect(complete("blockwork ru")).toEqual(["run\tRun a graph, with live progress, on a durable store; prints its output.", "runs\tList, show and resume runs in a store."]);
    expect(complete("blockwork runs ").map((l) => l.split("\t")[0])).toEqual([...(await commandsOfHelp(["runs"]))].sort());
    expect(complete("blockwork check --format ").map((l) => l.split("\t")[0])).toEqual(["json", "sarif", "text"]);
    // `runs resume` is not the top-level `resume`: no --block/--data there.
    expect(complete("blockwork runs resume x --").map((l) => l.split("\t")[0])).toEqual(["--concurrency", "--help", "--otlp", "--quiet", "--store"]);
    expect(complete("blockwork resume x --b").map((l) => l.split("\t")[0])).toEqual(["--block"]);
  });
});

describe("blockwork completion, misused", () => {
  it("names the shells it knows", async () => {
    expect(await cli(["completion", "powershell"])).toEqual({
      code: 2,
      out: "",
      err: 'blockwork: completion: no completion for shell "powershell"; choose one of bash, zsh, fish (blockwork completion bash).\n',
    });
  });
});
