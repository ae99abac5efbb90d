import { Command, CommanderError, Option } from "commander";
import { runCheck } from "./commands/check.js";
import { runCompat, runCompatPairs } from "./commands/compat.js";
import { runGraph } from "./commands/graph.js";
import { runRun } from "./commands/run.js";
import { runsList, runsResume, runsShow } from "./commands/runs.js";
import { DEFAULT_STORE } from "./stores.js";
import { CliError, type Io, processIo } from "./io.js";

const DRAFTS = ["draft-04", "draft-06", "draft-07", "draft-2019-09", "draft-2020-12"] as const;

/**
 * Runs the `blockwork` command line with `argv` (without `node` and the script) and returns the
 * exit code. Never throws for user errors: they are printed as one clear line on stderr.
 */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof CliError) {
      io.err(`blockwork: ${error.message}\n`);
      return error.exitCode;
    }
    io.err(`blockwork: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 70;
  }
}

function buildProgram(io: Io, setCode: (code: number) => void): Command {
  const program = new Command("blockwork")
    .description("Blockwork: workflows as graphs of contract-bound blocks.")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError("(run with --help for usage)")
    .showSuggestionAfterError(true);

  program
    .command("check")
    .description("Check graphs statically: wiring, types, routes, loops, subgraph contracts.")
    .argument("<paths...>", "files, directories (searched for *.graph.{ts,js,json}) or globs")
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json", "sarif"]).default("text"))
    .option("--strict", "fail on warnings too", false)
    .addHelpText(
      "after",
      `
Loads TypeScript and JavaScript modules (no build step) and .graph.json files. Every exported
graph (createGraph(...).build()) or GraphDef is checked. Exit code 1 when any error is found.

Examples:
  blockwork check examples
  blockwork check "src/**/*.graph.ts" --format sarif > blockwork.sarif`,
    )
    .action(async (paths: string[], opts: { format: "text" | "json" | "sarif"; strict: boolean }) => {
      setCode(await runCheck(paths, opts, io));
    });

  program
    .command("compat")
    .description("Is every value valid for schema A also valid for schema B?")
    .argument("[a]", "JSON Schema file A")
    .argument("[b]", "JSON Schema file B")
    .option("--pairs <file>", 'JSON lines {"a": <schema>, "b": <schema>}; prints one verdict object per line')
    .addOption(new Option("--draft <draft>", "JSON Schema draft (default: from $schema, else 2020-12)").choices(DRAFTS))
    .addOption(new Option("-f, --format <format>", "output format for one pair").choices(["text", "json"]).default("text"))
    .addHelpText(
      "after",
      `
Verdicts: yes (proven), no (with the path and a counterexample where possible), unknown (with the
reason). Exit code for one pair: 0 yes, 1 no, 3 unknown.

Examples:
  blockwork compat out.schema.json in.schema.json
  blockwork compat --pairs pairs.jsonl --draft draft-04`,
    )
    .action(async (a: string | undefined, b: string | undefined, opts: { pairs?: string; draft?: (typeof DRAFTS)[number]; format: "text" | "json" }) => {
      const options = { format: opts.format, ...(opts.draft ? { draft: opts.draft } : {}) };
      if (opts.pairs !== undefined) {
        if (a !== undefined) throw new CliError("Give either two schema files or --pairs <file>, not both.");
        setCode(await runCompatPairs(opts.pairs, options, io));
        return;
      }
      if (a === undefined || b === undefined) throw new CliError("compat needs two schema files (blockwork compat a.json b.json) or --pairs <file.jsonl>.");
      setCode(await runCompat(a, b, options, io));
    });

  program
    .command("graph")
    .description("Print a graph as a Mermaid diagram or as its GraphDef (JSON).")
    .argument("<file>", "a module exporting graphs, or a .graph.json file")
    .option("-e, --export <name>", "which export, when the module exports several graphs")
    .addOption(new Option("-f, --format <format>", "output format").choices(["mermaid", "json"]).default("mermaid"))
    .addOption(new Option("--direction <dir>", "Mermaid direction").choices(["TD", "LR"]).default("TD"))
    .addHelpText(
      "after",
      `
Examples:
  blockwork graph examples/support-triage/triage.graph.ts
  blockwork graph examples/research/research.graph.ts --export researchGraph --format json > research.graph.json`,
    )
    .action(async (file: string, opts: { export?: string; format: "mermaid" | "json"; direction: "TD" | "LR" }) => {
      setCode(await runGraph(file, { format: opts.format, direction: opts.direction, ...(opts.export ? { exportName: opts.export } : {}) }, io));
    });

  program
    .command("run")
    .description("Run a graph, with live progress, on a durable store; prints its output.")
    .argument("<file>", "a TypeScript or JavaScript module exporting the graph")
    .option("-e, --export <name>", "which export, when the module exports several graphs")
    .option("-i, --input <json|@file>", "the graph's input as JSON text, or @path to a JSON file", "{}")
    .option("-s, --store <path|memory>", `where the journal goes: a SQLite file, or memory (default: ${DEFAULT_STORE})`)
    .option("-q, --quiet", "no progress display", false)
    .option("--summary", "print a summary of the journal after the run", false)
    .addHelpText(
      "after",
      `
Progress goes to stderr (a live status line on a terminal, one line per block otherwise); the
output goes to stdout as JSON. Exit code 1 when the run fails. A run that was interrupted (the
process died) can be resumed with: blockwork runs resume

Examples:
  blockwork run examples/support-triage/triage.graph.ts --input @examples/support-triage/ticket.json
  blockwork run my.graph.ts --export pipeline --input '{"text": "hello"}' --store memory`,
    )
    .action(async (file: string, opts: { export?: string; input: string; store?: string; quiet: boolean; summary: boolean }) => {
      setCode(
        await runRun(file, { input: opts.input, quiet: opts.quiet, summary: opts.summary, ...(opts.export ? { exportName: opts.export } : {}), ...(opts.store ? { store: opts.store } : {}) }, io),
      );
    });

  const runs = program.command("runs").description("List, show and resume runs in a store.");
  const storeOption = () => new Option("-s, --store <path>", `the SQLite file (default: ${DEFAULT_STORE})`);
  runs
    .command("list")
    .description("The newest runs, with their status.")
    .addOption(storeOption())
    .addOption(new Option("--status <status>", "only runs with this status").choices(["running", "completed", "failed", "cancelled"]))
    .option("-n, --limit <n>", "how many", (v) => positiveInt(v, "--limit"), 20)
    .option("--json", "print JSON", false)
    .action(async (opts: { store?: string; status?: "running"; limit: number; json: boolean }) => {
      setCode(await runsList(opts, io));
    });
  runs
    .command("show")
    .description("A run's outcome and its journal as a timeline.")
    .argument("<id>", "the run id")
    .addOption(storeOption())
    .option("--json", "print the run record and the journal as JSON", false)
    .action(async (id: string, opts: { store?: string; json: boolean }) => {
      setCode(await runsShow(id, opts, io));
    });
  runs
    .command("resume")
    .description("Resume an unfinished run (or every one) from its journal; finished blocks are not run again.")
    .argument("[id]", "the run id (default: every run still marked running)")
    .addOption(storeOption())
    .option("-q, --quiet", "no progress display", false)
    .action(async (id: string | undefined, opts: { store?: string; quiet: boolean }) => {
      setCode(await runsResume(id, opts, io));
    });

  return program;
}

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} must be a whole number of at least 1, got ${JSON.stringify(value)}.`);
  return n;
}

