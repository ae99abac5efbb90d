import { Command, Option } from "commander";
import { reportError, wantsDetail } from "./boundary.js";
import type { FailOn } from "./commands/diff.js";
import type { ServeCommandOptions } from "./commands/serve.js";
import { CliError, type Io, processIo } from "./io.js";
import { defined, DRAFTS, positiveInt, STORE_HELP } from "./options.js";
import { cliVersion } from "./version.js";

// Only names, options and help texts are registered here: each command's module (and the runtime
// packages it needs) is imported inside its action, so `blockwork --help` and `blockwork check`
// load no more than they use. Keep it so: a test fails when this file imports a runtime package.

/**
 * Runs the `blockwork` command line with `argv` (without `node` and the script) and returns the
 * exit code (docs/errors.md lists them). Never throws: user mistakes are printed as one clear line
 * on stderr, stack traces only with `--verbose` or `DEBUG=blockwork`.
 *
 * @example
 * ```ts
 * import { main } from "@blockwork/cli";
 * const code = await main(["check", "src", "--format", "json"]);
 * ```
 */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let code = 0;
  const verbose = wantsDetail(argv, io.env);
  const program = buildProgram({ ...io, verbose }, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (error) {
    return reportError(error, io, verbose);
  }
}


function buildProgram(io: Io, setCode: (code: number) => void): Command {
  const program = new Command("blockwork")
    .description("Blockwork: workflows as graphs of contract-bound blocks.")
    .version(cliVersion(), "-V, --version", "print the version of blockwork")
    .option("--verbose", "print stack traces of errors (also: DEBUG=blockwork)", false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError("(run with --help for usage)")
    .showSuggestionAfterError(true);

  program
    .command("init")
    .description("Start a new project: package.json with exact pins, a strict tsconfig, a graph with its input, a vitest test, a CI workflow.")
    .argument("[dir]", "where to create it (default: the current directory); nothing is overwritten")
    .option("--name <name>", "the package name (default: the directory's name)")
    .option("--tarballs <dir>", "depend on packed @blockwork/* tarballs in this directory (file:) instead of the npm registry")
    .addHelpText(
      "after",
      `
Writes package.json, tsconfig.json, vitest.config.ts, src/hello.graph.ts, src/hello.input.json,
test/hello.test.ts, .github/workflows/ci.yml, .gitignore and README.md. Refuses (exit 2, nothing
written) when one of them exists. Until the packages are on the registry, pack them and pass
--tarballs (docs/getting-started.md#install).

Examples:
  blockwork init my-workflows && cd my-workflows && npm install && npm start && npm test
  blockwork init my-workflows --tarballs ../blockwork/dist-packs`,
    )
    .action(async (dir: string | undefined, opts: { name?: string; tarballs?: string }) => {
      const { runInit } = await import("./commands/init.js");
      setCode(await runInit(dir, opts, io));
    });

  program
    .command("check")
    .description("Check graphs statically: wiring, types, routes, loops, subgraph contracts.")
    .argument("<paths...>", "files, directories (searched for *.graph.{ts,js,json}) or globs")
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json", "sarif"]).default("text"))
    .option("--strict", "fail on warnings too", false)
    .option("--allow-missing", "declared blocks without an implementation yet are warnings, not errors", false)
    .addHelpText(
      "after",
      `
Loads TypeScript and JavaScript modules (no build step) and .graph.json files. Every exported
graph (createGraph(...).build()) or GraphDef is checked. Exit code 1 when any error is found.

Examples:
  blockwork check examples
  blockwork check "src/**/*.graph.ts" --format sarif > blockwork.sarif`,
    )
    .action(async (paths: string[], opts: { format: "text" | "json" | "sarif"; strict: boolean; allowMissing: boolean }) => {
      const { runCheck } = await import("./commands/check.js");
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
        const { runCompatPairs } = await import("./commands/compat.js");
        setCode(await runCompatPairs(opts.pairs, options, io));
        return;
      }
      if (a === undefined || b === undefined) throw new CliError("compat needs two schema files (blockwork compat a.json b.json) or --pairs <file.jsonl>.");
      const { runCompat } = await import("./commands/compat.js");
      setCode(await runCompat(a, b, options, io));
    });

  program
    .command("graph")
    .description("Print a graph as a Mermaid diagram, as its GraphDef (JSON), or as an XState machine config.")
    .argument("<file>", "a module exporting graphs, or a .graph.json file")
    .option("-e, --export <name>", "which export, when the module exports several graphs")
    .addOption(new Option("-f, --format <format>", "output format").choices(["mermaid", "json", "xstate"]).default("mermaid"))
    .addOption(new Option("--direction <dir>", "Mermaid direction").choices(["TD", "LR"]).default("TD"))
    .option("--run <id>", "draw the path this run took: blocks with pass counts, taken edges thick, failures marked")
    .option("-s, --store <path|url>", "where the run is (with --run): a SQLite file or postgres://... (default: .blockwork/runs.sqlite)")
    .addHelpText(
      "after",
      `
Examples:
  blockwork graph examples/support-triage/triage.graph.ts
  blockwork graph examples/release-notes/release-notes.graph.ts --export releaseNotesGraph --format json > release-notes.graph.json
  blockwork graph examples/refund-approval/refund.graph.ts --format xstate > refund.machine.json   (createMachine / Stately)`,
    )
    .action(async (file: string, opts: { export?: string; format: "mermaid" | "json" | "xstate"; direction: "TD" | "LR"; run?: string; store?: string }) => {
      const { runGraph } = await import("./commands/graph.js");
      setCode(
        await runGraph(
          file,
          { format: opts.format, direction: opts.direction, ...(opts.export ? { exportName: opts.export } : {}), ...(opts.run ? { run: opts.run } : {}), ...(opts.store ? { store: opts.store } : {}) },
          io,
        ),
      );
    });

  program
    .command("run")
    .description("Run a graph, with live progress, on a durable store; prints its output.")
    .argument("<file>", "a TypeScript or JavaScript module exporting the graph")
    .option("-e, --export <name>", "which export, when the module exports several graphs")
    .option("-i, --input <json|@file>", "the graph's input as JSON text, or @path to a JSON file", "{}")
    .option("-s, --store <path|memory|url>", `where the journal goes: ${STORE_HELP}; on PostgreSQL the run is submitted to the workers (blockwork worker)`)
    .option("-q, --quiet", "no progress display", false)
    .option("--summary", "print a summary of the journal after the run", false)
    .option("--otlp <url>", "export the run's OpenTelemetry spans to an OTLP/HTTP collector (e.g. http://127.0.0.1:4318; docs/observability.md)")
    .addHelpText(
      "after",
      `
Progress goes to stderr (a live status line on a terminal, one line per block otherwise); the
output goes to stdout as JSON. Exit code 1 when the run fails. A run that was interrupted (the
process died) can be resumed with: blockwork runs resume
With --otlp, the spans go to the collector as OTLP/HTTP JSON (service.name from OTEL_SERVICE_NAME,
default blockwork; headers from OTEL_EXPORTER_OTLP_HEADERS).

Examples:
  blockwork run examples/support-triage/triage.graph.ts --input @examples/support-triage/ticket.json
  blockwork run my.graph.ts --export pipeline --input '{"text": "hello"}' --store memory`,
    )
    .action(async (file: string, opts: { export?: string; input: string; store?: string; quiet: boolean; summary: boolean; otlp?: string }) => {
      const { runRun } = await import("./commands/run.js");
      setCode(
        await runRun(
          file,
          { input: opts.input, quiet: opts.quiet, summary: opts.summary, ...(opts.export ? { exportName: opts.export } : {}), ...(opts.store ? { store: opts.store } : {}), ...(opts.otlp ? { otlp: opts.otlp } : {}) },
          io,
        ),
      );
    });

  program
    .command("simulate")
    .description("Run a graph with agent blocks replaced by generated outputs that satisfy their contracts; report route coverage.")
    .argument("<file>", "a TypeScript or JavaScript module exporting the graph")
    .option("-e, --export <name>", "which export, when the module exports several graphs")
    .option("-n, --runs <n>", "how many runs", (v) => positiveInt(v, "--runs"), 20)
    .option("--seed <n>", "the seed: the same seed replays the same runs", (v) => positiveInt(v, "--seed"), 1)
    .option("--all", "replace every code block, not only agent blocks", false)
    .option("--paths", "print route-coverage paths (xstate's graph utilities over the graph's machine) instead of running", false)
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText(
      "after",
      `
Inputs and block outputs are generated from the contracts' JSON Schemas and checked with the
contracts themselves; nothing calls a model. Reports blocks never reached, edges never taken, loops
that hit their bound, and runtime failures (exit 1 when a run failed).

Examples:
  blockwork simulate examples/support-agent/support.graph.ts --runs 50 --seed 7
  blockwork simulate examples/support-triage/triage.graph.ts --all
  blockwork simulate examples/release-notes/release-notes.graph.ts --paths`,
    )
    .action(async (file: string, opts: { export?: string; runs: number; seed: number; all: boolean; paths: boolean; format: "text" | "json" }) => {
      if (opts.paths) {
        const { runPaths } = await import("./commands/paths.js");
        setCode(await runPaths(file, { format: opts.format, ...(opts.export ? { exportName: opts.export } : {}) }, io));
        return;
      }
      const { runSimulate } = await import("./commands/simulate.js");
      setCode(await runSimulate(file, { runs: opts.runs, seed: opts.seed, all: opts.all, format: opts.format, ...(opts.export ? { exportName: opts.export } : {}) }, io));
    });

  program
    .command("verify")
    .description("Property-test a graph's code blocks against their contracts, declared properties and examples.")
    .argument("<file>", "a TypeScript or JavaScript module exporting the graph")
    .option("-e, --export <name>", "which export, when the module exports several graphs")
    .option("-b, --block <id>", "only this block (repeatable; an id or a path like sub/id)", (v: string, all: string[]) => [...all, v], [] as string[])
    .option("-n, --runs <n>", "generated inputs per block", (v) => positiveInt(v, "--runs"), 100)
    .option("--seed <n>", "the seed: the same seed generates the same inputs and counterexamples", (v) => positiveInt(v, "--seed"), 1)
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText(
      "after",
      `
Inputs are generated from each block's input schema (fast-check over its JSON Schema, biased to
edge cases: empty strings, bounds, unicode). Every output must satisfy the output schema, every
declared property (declareBlock) must hold, every example must be reproduced. A failure prints its
counterexample, shrunk to a small input. Exit 1 when a block fails or is not implemented.

Examples:
  blockwork verify examples/lego/slug.graph.ts
  blockwork verify examples/lego/slug.graph.ts --block slugify --runs 1000`,
    )
    .action(async (file: string, opts: { export?: string; block: string[]; runs: number; seed: number; format: "text" | "json" }) => {
      const { runVerify } = await import("./commands/verify.js");
      setCode(await runVerify(file, { runs: opts.runs, seed: opts.seed, format: opts.format, blocks: opts.block, ...(opts.export ? { exportName: opts.export } : {}) }, io));
    });

  program
    .command("implement")
    .description("Have a block agent write declared blocks from their contracts; accept only code that type-checks and passes verify.")
    .argument("<file>", "a TypeScript or JavaScript module exporting the graph")
    .option("-e, --export <name>", "which export, when the module exports several graphs")
    .option("-b, --block <id>", "this declared block (repeatable), implemented or not", (v: string, all: string[]) => [...all, v], [] as string[])
    .option("--missing", "every declared block without an implementation (the default)", false)
    .option("--repair", "re-implement the declared blocks whose implementation fails verify (after a contract change)", false)
    .option("-a, --attempts <n>", "candidates per block before giving up", (v) => positiveInt(v, "--attempts"), 4)
    .option("-n, --runs <n>", "generated inputs verify runs each candidate on", (v) => positiveInt(v, "--runs"), 100)
    .option("--script <file>", "scripted replies (JSON: an array, or arrays by block id) instead of a model")
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText(
      "after",
      `
The block's agent sees only its purpose, its contract (as TypeScript types), its examples and
properties, and the one file it writes. A candidate is refused when it writes another file,
imports anything but its contract types, fails the type check (TypeScript compiler API, in
memory), or fails verify; the diagnostics go back to the agent until --attempts runs out.
Nothing is written until a candidate is accepted. The model: BLOCKWORK_MODEL=provider:model
(see docs/agents.md), or --script for scripted replies.

Examples:
  BLOCKWORK_MODEL=ollama:qwen2.5-coder blockwork implement examples/lego/slug.graph.ts --missing
  blockwork implement examples/lego/slug.graph.ts --block slugify --script examples/lego/implement.script.json
  blockwork implement examples/lego/slug.graph.ts --repair`,
    )
    .action(async (file: string, opts: { export?: string; block: string[]; missing: boolean; repair: boolean; attempts: number; runs: number; script?: string; format: "text" | "json" }) => {
      const { runImplement } = await import("./commands/implement.js");
      setCode(
        await runImplement(
          file,
          { blocks: opts.block, missing: opts.missing, repair: opts.repair, attempts: opts.attempts, runs: opts.runs, format: opts.format, ...(opts.script ? { script: opts.script } : {}), ...(opts.export ? { exportName: opts.export } : {}) },
          io,
        ),
      );
    });

  program
    .command("dev")
    .description("Watch a graph: on every save re-type-check, re-check, re-verify changed blocks and re-run an input; a REPL on stdin.")
    .argument("<file>", "a TypeScript or JavaScript module exporting the graph")
    .option("-e, --export <name>", "which export, when the module exports several graphs")
    .option("-i, --input <json>", "the input re-run after every change: JSON text or @file.json")
    .option("-n, --runs <n>", "generated inputs verify runs each changed block on", (v) => positiveInt(v, "--runs"), 50)
    .option("--no-typecheck", "skip the TypeScript check")
    .addHelpText(
      "after",
      `
Watches the graph's directory. After each save it prints, in one block: type errors (an
incremental TypeScript program), checker issues, the verify verdict of every block whose contract,
code or implementation module changed, and, with --input, the run's output diff and route
coverage. Implementations are hot-swapped: nothing restarts. Type .help for the REPL's commands
(.run, .resume, .simulate, .check, .block <id> <json>, .swap <id> <module>).

Examples:
  blockwork dev examples/lego/slug.graph.ts --input '{"title": "Hello", "body": "a b c"}'`,
    )
    .action(async (file: string, opts: { export?: string; input?: string; runs: number; typecheck: boolean }) => {
      const { runDev } = await import("./commands/dev-watch.js");
      setCode(await runDev(file, { runs: opts.runs, typecheck: opts.typecheck, ...(opts.input !== undefined ? { input: opts.input } : {}), ...(opts.export ? { exportName: opts.export } : {}) }, io));
    });

  program
    .command("diff")
    .description("Compare two versions of a graph: compatible or breaking, for callers and for runs in flight.")
    .argument("<old>", "the old graph: a module or .graph.json file (file.graph.ts#export picks an export), or a version kept in --store")
    .argument("<new>", "the new graph, likewise")
    .option("-e, --export <name>", "which export, when a module exports several graphs (both sides)")
    .option("-s, --store <path|url>", "where graph versions are read from: a SQLite file or postgres://... (default: .blockwork/runs.sqlite)")
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
    .addOption(new Option("--fail-on <what>", "what makes the exit code 1").choices(["any", "callers", "in-flight", "none"]).default("any"))
    .addHelpText(
      "after",
      `
Callers: the new input must accept every old input, new outputs and typed errors must satisfy the
old schemas. Runs in flight: for each block of the old graph, whether a run there can move to the
new graph. "Could not be proven" counts as breaking. See docs/versioning.md.

A graph version is the hash of its GraphDef (blockwork runs list shows the version of each run);
give it in full (16 hex digits) or as a unique prefix of at least 8.

Exit code: 1 when something --fail-on selects is breaking, 0 otherwise, 2 when a graph cannot be loaded.

Examples:
  blockwork diff old/triage.graph.json examples/support-triage/triage.graph.ts
  blockwork diff 3f9a2c1d 7be0441a --store .blockwork/runs.sqlite --fail-on in-flight
  blockwork diff base.graph.ts#pipeline pipeline.graph.ts --format json`,
    )
    .action(async (before: string, after: string, opts: { export?: string; store?: string; format: "text" | "json"; failOn: FailOn }) => {
      const { runDiff } = await import("./commands/diff.js");
      setCode(await runDiff(before, after, { format: opts.format, failOn: opts.failOn, ...(opts.export ? { exportName: opts.export } : {}), ...(opts.store ? { store: opts.store } : {}) }, io));
    });

  const runs = program.command("runs").description("List, show and resume runs in a store.");
  const storeOption = () => new Option("-s, --store <path|url>", STORE_HELP);
  runs
    .command("list")
    .description("The newest runs, with their status.")
    .addOption(storeOption())
    .addOption(new Option("--status <status>", "only runs with this status").choices(["running", "suspended", "completed", "failed", "cancelled"]))
    .option("-n, --limit <n>", "how many", (v) => positiveInt(v, "--limit"), 20)
    .option("--json", "print JSON", false)
    .action(async (opts: { store?: string; status?: "running"; limit: number; json: boolean }) => {
      const { runsList } = await import("./commands/runs.js");
      setCode(await runsList(opts, io));
    });
  runs
    .command("show")
    .description("A run's outcome and its journal as a timeline.")
    .argument("<id>", "the run id")
    .addOption(storeOption())
    .option("--json", "print the run record and the journal as JSON", false)
    .action(async (id: string, opts: { store?: string; json: boolean }) => {
      const { runsShow } = await import("./commands/runs.js");
      setCode(await runsShow(id, opts, io));
    });
  runs
    .command("resume")
    .description("Resume an unfinished run (or every one) from its journal; finished blocks are not run again.")
    .argument("[id]", "the run id (default: every run still marked running)")
    .addOption(storeOption())
    .option("-q, --quiet", "no progress display", false)
    .option("-c, --concurrency <n>", "runs resumed at once when resuming every run", (v) => positiveInt(v, "--concurrency"), 32)
    .option("--otlp <url>", "export the resumed runs' OpenTelemetry spans to an OTLP/HTTP collector; each continues its run's trace (docs/observability.md)")
    .addHelpText(
      "after",
      `
Every run: each graph module is loaded once, up to --concurrency runs are resumed at once, and one
progress line counts them. A run another live process executes is skipped (one owner per run); a
run whose process died is taken over.`,
    )
    .action(async (id: string | undefined, opts: { store?: string; quiet: boolean; concurrency: number; otlp?: string }) => {
      const { runsResume } = await import("./commands/runs.js");
      setCode(await runsResume(id, opts, io));
    });

  program
    .command("resume")
    .description("Resume a suspended block of a run with data (human in the loop), or a run interrupted by a crash.")
    .argument("<run>", "the run id")
    .option("-b, --block <id>", "the suspended block: its suspension id (review/approve#1), path or id")
    .option("-d, --data <json|@file>", "the data to resume it with, as JSON text or @path to a JSON file; it must satisfy the block's resume schema")
    .addOption(storeOption())
    .option("-q, --quiet", "no progress display", false)
    .option("--summary", "print a summary of the journal afterwards", false)
    .option("--otlp <url>", "export the run's OpenTelemetry spans to an OTLP/HTTP collector; they continue the run's trace (docs/observability.md)")
    .addHelpText(
      "after",
      `
The run then goes on until it ends or waits again. Exit code: 0 completed, 1 failed, 3 suspended
again (blockwork runs show <run> lists what it waits for). Without --block, resumes a run that was
interrupted (the same as blockwork runs resume <run>).

Examples:
  blockwork resume 0b6f... --block approve --data '{"approved": true}' --store .blockwork/main.sqlite
  blockwork resume 0b6f... --block review/approve#1 --data @decision.json`,
    )
    .action(async (id: string, opts: { block?: string; data?: string; store?: string; quiet: boolean; summary: boolean; otlp?: string }) => {
      const { resumeBlock } = await import("./commands/runs.js");
      setCode(await resumeBlock(id, opts, io));
    });

  program
    .command("upgrade")
    .description("Move a run in flight to a new version of its graph, at the block boundary where it stands.")
    .argument("<run>", "the run id")
    .argument("<graph>", "a TypeScript or JavaScript module exporting the new graph")
    .option("-e, --export <name>", "which export, when the module exports several graphs")
    .option("-m, --migration <module[#export]>", "a module exporting a Migration ({ input?, outputs? }) for data the new contracts no longer accept")
    .addOption(storeOption())
    .option("--resume", "go on running the run on the new version afterwards (not on PostgreSQL: the workers pick it up)", false)
    .option("-q, --quiet", "no progress display (with --resume)", false)
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText(
      "after",
      `
The run must not be running in another process (it is suspended, or was interrupted); on
PostgreSQL the move waits for the boundary where no worker holds one of its blocks. The new graph
is compared with the run's version (as blockwork diff does): the move is refused, with every
reason, when a finished block's output or the run's input no longer satisfies the new contracts
and no migration maps it. Exit code: 0 moved, 1 refused, 2 bad arguments. See docs/versioning.md.

Examples:
  blockwork upgrade 0b6f... examples/refund-approval/refund.graph.ts --store .blockwork/main.sqlite
  blockwork upgrade 0b6f... v2.graph.ts --migration migrate.ts#toV2 --resume`,
    )
    .action(async (id: string, file: string, opts: { export?: string; migration?: string; store?: string; resume: boolean; quiet: boolean; format: "text" | "json" }) => {
      const { runUpgrade } = await import("./commands/upgrade.js");
      setCode(
        await runUpgrade(
          id,
          file,
          { resume: opts.resume, quiet: opts.quiet, format: opts.format, ...(opts.export ? { exportName: opts.export } : {}), ...(opts.migration ? { migration: opts.migration } : {}), ...(opts.store ? { store: opts.store } : {}) },
          io,
        ),
      );
    });

  // PostgreSQL deployments: blockwork worker, blockwork runs watch.
  program
    .command("worker")
    .description("Run the blocks of runs submitted to a PostgreSQL store, alongside any number of other workers.")
    .requiredOption("-s, --store <url>", "the PostgreSQL database: postgres://user:password@host:5432/database[?schema=name]")
    .option("-c, --concurrency <n>", "blocks run at once by this process", (v) => positiveInt(v, "--concurrency"), 4)
    .option("--lease-ms <ms>", "how long a claimed block stays this worker's without a heartbeat", (v) => positiveInt(v, "--lease-ms"), 30_000)
    .option("--fail-fast", "exit with an error (code 2) when the database cannot be reached at start, instead of waiting for it", false)
    .option("-v, --verbose", "one line per block run and recorded", false)
    .addHelpText(
      "after",
      `
A worker started before its database waits for it (with backoff, one line per try) unless
--fail-fast. A block whose outcome cannot be recorded (the database away) is recorded when the
database answers again, however long that takes; if another worker took the block over meanwhile,
the journal still holds its outcome once. Each run's graph is loaded from the module it was submitted from (blockwork run records it), so
the same code must be deployed at the same path on every worker machine. A block's completion and
the blocks it makes ready are recorded in one transaction; a worker that dies loses nothing, and
its blocks run again elsewhere when their lease expires (with the same idempotency key). SIGTERM
or Ctrl-C: stop claiming, let running blocks finish (up to the lease), release the rest.

Examples:
  blockwork worker --store postgres://blockwork:secret@db.internal:5432/app --concurrency 8
  blockwork run my.graph.ts --input @in.json --store postgres://blockwork:secret@db.internal:5432/app`,
    )
    .action(async (opts: { store: string; concurrency: number; leaseMs: number; failFast: boolean; verbose: boolean }) => {
      const { runWorker } = await import("./commands/worker.js");
      // `--verbose` after the command name is parsed as the global option: it means the same here.
      setCode(await runWorker({ ...opts, verbose: opts.verbose || program.opts<{ verbose: boolean }>().verbose }, io));
    });

  runs
    .command("watch")
    .description("Follow a run that workers execute, from any machine, until it ends; prints its output.")
    .argument("<id>", "the run id")
    .addOption(new Option("-s, --store <url>", "the PostgreSQL database the run was submitted to").makeOptionMandatory())
    .option("-q, --quiet", "no progress display", false)
    .action(async (id: string, opts: { store: string; quiet: boolean }) => {
      const { runsWatch } = await import("./commands/worker.js");
      setCode(await runsWatch(id, opts, io));
    });

  // Graph edits by the coordinator agent: blockwork coordinate.
  program
    .command("coordinate")
    .description("Ask the coordinator agent for a checked patch to a graph: for a goal, or for a run's failure.")
    .argument("<graph>", "a module exporting the graph, or a .graph.json file")
    .option("-g, --goal <text>", "what the change should achieve")
    .option("--failure <json|@file>", 'a failure report instead of a goal: {"path": "block", "error": {"code": ..., "message": ...}}')
    .option("-c, --catalogue <module>", "a module exporting a catalogue (defineCatalogue) or an array of blocks; the graph's own blocks are always available")
    .option("-e, --export <name>", "which export, when the module exports several graphs")
    .option("-o, --out <file.graph.json>", "write the new GraphDef here")
    .option("--mermaid <file.mmd>", "write the new graph as Mermaid, with the change highlighted")
    .option("--script <file.json>", "take the answers from a script (an array of scripted replies) instead of a model: for tests and demos")
    .option("-n, --attempts <n>", "patches the model may propose", (v) => positiveInt(v, "--attempts"), 4)
    .option("--context-tokens <n>", "the context budget of one call (default 8000)", (v) => positiveInt(v, "--context-tokens"))
    .option("--tokens <n>", "the token budget of all calls (default 60000)", (v) => positiveInt(v, "--tokens"))
    .option("--implement", "then implement the declared blocks the patch added (as blockwork implement)", false)
    .option("--implement-script <file.json>", "scripted replies for those block agents instead of a model")
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText(
      "after",
      `
Needs a model: set BLOCKWORK_MODEL=<provider>:<model> (see docs/agents.md), or pass --script.
Every patch is checked; a rejected one goes back to the model with the checker's issues. Progress
goes to stderr; the change goes to stdout. Exit code 1 when no patch passed within the budget.

Examples:
  blockwork coordinate examples/text-digest/digest.graph.ts --goal "Also report the mood of the text" \\
    --catalogue examples/coordinator/catalogue.ts --out digest.graph.json
  blockwork coordinate examples/text-digest/digest.graph.ts --goal "..." --catalogue examples/coordinator/catalogue.ts \\
    --script examples/coordinator/session.json`,
    )
    .action(
      async (
        graph: string,
        opts: { goal?: string; failure?: string; catalogue?: string; export?: string; out?: string; mermaid?: string; script?: string; attempts: number; contextTokens?: number; tokens?: number; format: "text" | "json"; implement: boolean; implementScript?: string },
      ) => {
        const { runCoordinate } = await import("./commands/coordinate.js");
        const { export: exportName, ...rest } = opts;
        setCode(await runCoordinate(graph, { ...rest, ...defined("exportName", exportName) }, io));
      },
    );

  // Graphs as a service: blockwork serve (HTTP API, viewer, MCP over HTTP), blockwork mcp (stdio).
  const collect = (value: string, previous: string[]) => [...previous, value];
  program
    .command("doctor")
    .description("Check what Blockwork needs here: the Node.js version, the store, the model agent blocks use.")
    .option("-s, --store <path|url>", STORE_HELP)
    .addHelpText(
      "after",
      `
Reaches the store for real (a SQLite file that is not there yet is not created) and asks the model
endpoint named by BLOCKWORK_MODEL for its /models. Exit code 1 when something needed fails; no
model configured is only a warning.

Examples:
  blockwork doctor
  BLOCKWORK_MODEL=ollama:llama3.1 blockwork doctor --store postgres://postgres@127.0.0.1:5432/test`,
    )
    .action(async (opts: { store?: string }) => {
      const { runDoctor } = await import("./commands/doctor.js");
      setCode(await runDoctor(opts, io));
    });

  program
    .command("serve")
    .description("Serve graphs over HTTP: the LangGraph SDK-compatible API, the run viewer (/ui) and MCP (/mcp).")
    .argument("<paths...>", "modules exporting graphs, or directories (searched for *.graph.ts, ...)")
    .option("-s, --store <path|memory|url>", `where runs live: ${STORE_HELP}; on PostgreSQL runs execute on workers and servers can share the database`)
    .option("--host <address>", "the address to bind; anything but loopback needs --token", "127.0.0.1")
    .option("-p, --port <n>", "the port (0: any free one)", (v) => portNumber(v), 2024)
    .option("--token <token>", "the bearer token clients must send (default: BLOCKWORK_TOKEN)")
    .option("--allowed-host <name>", "a host name requests may address besides loopback (behind a proxy); repeatable", collect, [])
    .option("--cors <origin>", "an origin allowed to call the API from a browser; repeatable (default: none)", collect, [])
    .option("--body-limit <bytes>", "the largest request body", (v) => positiveInt(v, "--body-limit"), 1024 * 1024)
    .option("--workers <n>", "on PostgreSQL: blocks this server runs at once as a worker (0: leave it to blockwork worker)", (v) => (v === "0" ? 0 : positiveInt(v, "--workers")), 4)
    .option("--no-ui", "do not serve the viewer")
    .option("--no-mcp", "do not serve MCP over HTTP")
    .addHelpText(
      "after",
      `
Binds 127.0.0.1 by default. Requests must name this host (DNS-rebinding protection) and browsers may
call it only from its own origin unless --cors allows another. SIGTERM or Ctrl-C stops it; runs in
flight get 10 s to settle, and the next server on the store resumes the rest. See docs/serving.md.

Examples:
  blockwork serve examples --store .blockwork/runs.sqlite
  BLOCKWORK_TOKEN=$(openssl rand -hex 32) blockwork serve examples --host 0.0.0.0 --store postgres://blockwork:secret@db.internal:5432/app`,
    )
    .action(async (paths: string[], opts: ServeCommandOptions) => {
      const { runServe } = await import("./commands/serve.js");
      setCode(await runServe(paths, opts, io));
    });
  program
    .command("mcp")
    .description("Serve graphs as MCP tools over stdio (for an MCP client's config).")
    .argument("<paths...>", "modules exporting graphs, or directories")
    .addOption(new Option("-s, --store <path|memory|url>", STORE_HELP))
    .addHelpText(
      "after",
      `
Every graph is a tool whose input and output schemas are its contract; "resume" answers a run that
waits for a person. Logs go to stderr. See docs/serving.md.

Examples:
  blockwork mcp examples --store .blockwork/mcp.sqlite
  (client config) { "mcpServers": { "blockwork": { "command": "npx", "args": ["blockwork", "mcp", "examples"] } } }`,
    )
    .action(async (paths: string[], opts: { store?: string }) => {
      const { runMcp } = await import("./commands/serve.js");
      setCode(await runMcp(paths, opts, io));
    });

  program
    .command("completion")
    .description("Print a shell completion script for bash, zsh or fish: commands, options and their values.")
    .argument("<shell>", "bash, zsh or fish")
    .addHelpText(
      "after",
      `
The script is generated from the commands and options of this blockwork, so it matches its
version; load it again after an upgrade.

Examples:
  source <(blockwork completion bash)                                  (in ~/.bashrc)
  source <(blockwork completion zsh)                                   (in ~/.zshrc)
  blockwork completion fish > ~/.config/fish/completions/blockwork.fish`,
    )
    .action(async (shell: string) => {
      const { runCompletion } = await import("./commands/completion.js");
      setCode(await runCompletion(shell, program, io));
    });

  return program;
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new CliError(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(value)}.`);
  return n;
}
