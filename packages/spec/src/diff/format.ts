import { formatIssues } from "../check/format.js";
import type { DiffChange, GraphDiff, DiffVerdict } from "./types.js";

/** Options of {@link formatDiff}. */
export interface DiffFormatOptions {
  /** ANSI colours (the CLI turns them on for terminals, honouring NO_COLOR). */
  readonly color?: boolean;
  /** Lines to print first, e.g. which files or versions were compared. */
  readonly header?: readonly string[];
}

/**
 * Formats a diff as text for people, grouped as callers, changes, and runs in flight, ending with
 * one result line. Pure; the CLI prints it, and `--format json` prints the `GraphDiff` itself.
 *
 * @example
 * console.log(formatDiff(diffGraphs(v1.def, v2.def), { color: process.stdout.isTTY }));
 */
export function formatDiff(diff: GraphDiff, options: DiffFormatOptions = {}): string {
  const paint = options.color ? ansi : plain;
  const verdict = (v: DiffVerdict) => (v === "breaking" ? paint.red(v) : v === "compatible" ? paint.green(v) : paint.dim(v));
  const status = (c: DiffChange) => (isBreaking(c) ? paint.red("breaking  ") : paint.green("compatible"));
  const where = (path: string) => paint.dim(path === "" ? "(graph)" : path);
  const lines: string[] = [...(options.header ?? [])];
  if (lines.length) lines.push("");

  lines.push(paint.bold(`Callers: `) + verdict(diff.callers));
  for (const c of diff.changes.filter((c) => c.callers !== "none")) {
    lines.push(`  ${c.callers === "breaking" ? paint.red("breaking  ") : paint.green("compatible")}  ${paint.bold(c.code)}  ${where(c.path)}`);
    lines.push(`      ${c.message}`);
    for (const reason of c.reasons ?? []) lines.push(`      - ${reason}`);
  }

  lines.push("", paint.bold(`Changes: ${diff.changes.length}`) + (diff.changes.length ? ` (${diff.changes.filter(isBreaking).length} breaking)` : ""));
  for (const c of diff.changes) {
    lines.push(`  ${status(c)}  ${paint.bold(c.code)}  ${where(c.path)}`);
    lines.push(`      ${c.message}`);
    if (c.callers === "none") for (const reason of c.reasons ?? []) lines.push(`      - ${reason}`);
    const inFlight = c.inFlight === "breaking" ? `breaking at ${c.unsafeAt.join(", ")}` : "compatible";
    lines.push(paint.dim(`      callers: ${c.callers} · flow: ${c.flow} · in flight: ${inFlight}`));
  }

  const unsafe = diff.positions.filter((p) => !p.safe);
  const safe = diff.positions.filter((p) => p.safe);
  lines.push("", `${paint.bold(`Runs in flight: `) + verdict(diff.inFlight)} (${safe.length} of ${diff.positions.length} positions safe)`);
  if (safe.length) lines.push(`  ${paint.green("safe")}    ${safe.map((p) => p.block).join(", ")}`);
  for (const p of unsafe) {
    lines.push(`  ${paint.red("unsafe")}  ${paint.bold(p.block)}`);
    for (const reason of p.reasons) lines.push(`      - ${reason}`);
  }

  if (diff.issues.length) {
    lines.push("", paint.bold("New checker issues in the new graph:"));
    lines.push(formatIssues(diff.issues, options.color ? { color: true } : {}));
  }
  const axes = [diff.callers === "breaking" && "callers", diff.flow === "breaking" && "flow", diff.inFlight === "breaking" && "in flight"].filter(Boolean);
  const result = diff.changes.length === 0 ? paint.dim("unchanged") : diff.breaking ? paint.red(`breaking (${axes.join(", ")})`) : paint.green("compatible");
  lines.push("", paint.bold("Result: ") + result);
  return lines.join("\n");
}

function isBreaking(c: DiffChange): boolean {
  return c.callers === "breaking" || c.flow === "breaking" || c.inFlight === "breaking";
}

type Painter = Record<"bold" | "dim" | "red" | "green", (s: string) => string>;
const plain: Painter = { bold: (s) => s, dim: (s) => s, red: (s) => s, green: (s) => s };
const ansi: Painter = {
  bold: (s) => `\u001b[1m${s}\u001b[22m`,
  dim: (s) => `\u001b[2m${s}\u001b[22m`,
  red: (s) => `\u001b[31m${s}\u001b[39m`,
  green: (s) => `\u001b[32m${s}\u001b[39m`,
};
