import { relative } from "node:path";
import { check, formatIssues, summarizeIssues } from "@blockwork/spec";
import { stackOf } from "../boundary.js";
import { unimplementedBlocks } from "../declared.js";
import { CliError, type Io, useColor } from "../io.js";
import { expandPaths, loadFile, type FileProblem, type LoadedFile, type LoadedGraph, positionOfIssue } from "../load.js";
import { toSarif } from "../sarif.js";
import type { CheckReport, GraphReport } from "../check-report.js";

export type { CheckReport, GraphReport } from "../check-report.js";

export interface CheckCommandOptions {
  readonly format: "text" | "json" | "sarif";
  /** Warnings fail the check too. */
  readonly strict: boolean;
  /** Declared blocks without an implementation are warnings, not errors. */
  readonly allowMissing?: boolean;
}

/** `blockwork check <paths...>`: loads every graph, checks it, reports; exit 1 on errors. */
export async function runCheck(paths: readonly string[], options: CheckCommandOptions, io: Io): Promise<number> {
  const files = await expandPaths(paths, io.cwd);
  if (files.length === 0) {
    io.err(`No graph files found in ${paths.join(", ")} (a directory is searched for *.graph.ts, *.graph.js and *.graph.json files).\n`);
    return 2;
  }
  const color = useColor(io);
  const graphs: GraphReport[] = [];
  const problems: FileProblem[] = [];
  const texts = new Map<string, string>();
  const live = options.format === "text";
  for (const [n, file] of files.entries()) {
    const shown = relative(io.cwd, file) || file;
    if (live && io.isTTY) io.err(`\u001b[2K\rchecking ${n + 1}/${files.length} ${shown}`);
    // One file that cannot be read, loaded or checked never hides the report for the others.
    let loaded: LoadedFile;
    let reports: GraphReport[];
    try {
      loaded = await loadFile(file, io.cwd);
      reports = loaded.graphs.map((g) => checkOne(g, options.allowMissing === true));
    } catch (error) {
      const message = error instanceof CliError ? error.message : `internal error (a bug in Blockwork; run with --verbose and report it): ${error instanceof Error ? error.message : String(error)}`;
      loaded = { file, text: "", graphs: [], problems: [{ file, problems: [{ path: [], message }] }] };
      reports = [];
    }
    texts.set(file, loaded.text);
    problems.push(...loaded.problems);
    const text = loaded.text;
    graphs.push(...reports);
    if (live) {
      if (io.isTTY) io.err("\u001b[2K\r");
      io.out(textForFile(shown, reports, loaded.problems, color, io.verbose === true, text));
    }
  }
  const report: CheckReport = { graphs, problems, texts };
  const issues = graphs.flatMap((g) => g.issues);
  const errors = issues.filter((i) => i.severity === "error").length + problems.length;
  const warnings = issues.length - issues.filter((i) => i.severity === "error").length;
  if (options.format === "json") io.out(`${JSON.stringify(toJson(report, io.cwd), null, 2)}\n`);
  else if (options.format === "sarif") io.out(`${JSON.stringify(toSarif(report, io.cwd), null, 2)}\n`);
  else {
    const loadNote = problems.length ? `, ${problems.length} file${problems.length === 1 ? "" : "s"} that could not be loaded` : "";
    io.out(`\nChecked ${graphs.length} graph${graphs.length === 1 ? "" : "s"} in ${files.length} file${files.length === 1 ? "" : "s"}: ${summarizeIssues(issues)}${loadNote}.\n`);
  }
  return errors > 0 || (options.strict && warnings > 0) ? 1 : 0;
}

function checkOne(graph: LoadedGraph, allowMissing: boolean): GraphReport {
  const unimplemented = graph.graph ? unimplementedBlocks(graph.graph) : undefined;
  return {
    file: graph.file,
    ...(graph.exportName !== undefined ? { exportName: graph.exportName } : {}),
    graph: graph.def.id,
    blocks: graph.def.nodes.length,
    issues: check(graph.def, unimplemented ? { unimplemented, allowMissing } : {}),
  };
}

function textForFile(shown: string, reports: readonly GraphReport[], problems: readonly FileProblem[], color: boolean, verbose: boolean, text: string): string {
  const lines: string[] = [];
  for (const r of reports) {
    const name = r.exportName ? `${shown} (${r.exportName})` : shown;
    const head = `${r.issues.length === 0 ? ok(color) : r.issues.some((i) => i.severity === "error") ? bad(color) : warn(color)} ${name}: graph "${r.graph}", ${r.blocks} block${r.blocks === 1 ? "" : "s"}, ${summarizeIssues(r.issues)}`;
    lines.push(head);
    for (const i of r.issues) {
      lines.push(formatIssues([i], { color }));
      const at = positionOfIssue(text, r.file, i);
      if (at !== undefined) lines.push(`    at ${shown}:${at.line}:${at.column}`);
    }
  }
  for (const p of problems) {
    lines.push(`${bad(color)} ${shown}${p.exportName ? ` (${p.exportName})` : ""}: cannot be loaded`);
    for (const problem of p.problems) {
      const where = problem.line !== undefined ? `${shown}:${problem.line}:${problem.column ?? 1} ` : "";
      const path = problem.path.length ? `at ${(problem.path.length > 8 ? [...problem.path.slice(0, 4), `…(${problem.path.length - 6} more)…`, ...problem.path.slice(-2)] : problem.path).join(".")}: ` : "";
      lines.push(`    ${where}${path}${problem.message}`);
    }
    if (p.frame !== undefined) lines.push(...p.frame.split("\n").map((l) => `    ${l}`));
    if (verbose && p.error !== undefined) lines.push(...stackOf(p.error).split("\n").map((l) => `    ${l}`));
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}

function toJson(report: CheckReport, cwd: string): unknown {
  const issues = report.graphs.flatMap((g) => g.issues);
  return {
    graphs: report.graphs.map((g) => ({ ...g, file: relative(cwd, g.file) })),
    loadProblems: report.problems.map(({ error: _error, ...p }) => ({ ...p, file: relative(cwd, p.file), ...(p.location ? { location: { ...p.location, file: relative(cwd, p.location.file) } } : {}) })),
    summary: {
      graphs: report.graphs.length,
      errors: issues.filter((i) => i.severity === "error").length,
      warnings: issues.filter((i) => i.severity === "warning").length,
      loadProblems: report.problems.length,
    },
  };
}

const ok = (color: boolean) => (color ? "\u001b[32m✓\u001b[39m" : "ok  ");
const bad = (color: boolean) => (color ? "\u001b[31m✗\u001b[39m" : "FAIL");
const warn = (color: boolean) => (color ? "\u001b[33m!\u001b[39m" : "warn");
