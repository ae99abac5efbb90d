import type { ValuePath } from "../def/graph-def.js";
import type { Issue } from "./issues.js";

/** Options of {@link formatIssues}. */
export interface FormatOptions {
  /** ANSI colours (the CLI turns them on for terminals, honouring NO_COLOR). */
  readonly color?: boolean;
  /** A file name to print above the issues. */
  readonly source?: string;
}

/**
 * Formats issues as text for people: one block per issue with its severity, code, location
 * and message. Pure; the CLI, tests and editors share the same `Issue` data.
 */
export function formatIssues(issues: readonly Issue[], options: FormatOptions = {}): string {
  const paint = options.color ? ansi : plain;
  const lines: string[] = [];
  if (options.source !== undefined) lines.push(paint.bold(options.source));
  for (const i of issues) {
    const severity = i.severity === "error" ? paint.red("error") : paint.yellow("warning");
    lines.push(`  ${severity} ${paint.bold(i.code)}  ${paint.dim(formatLocation(i))}`);
    lines.push(`    ${i.message}`);
  }
  return lines.join("\n");
}

/** `graph "a" › graph "b" › block "c" (nodes[2].input.fields.text)` */
export function formatLocation(i: Pick<Issue, "graph" | "block" | "path">): string {
  const parts = i.graph.map((g) => `graph "${g}"`);
  if (i.block !== undefined) parts.push(`block "${i.block}"`);
  return `${parts.join(" › ")} (${formatDefPath(i.path) || "graph"})`;
}

/** `nodes[2].input.fields.text` for a GraphDef path. */
export function formatDefPath(path: ValuePath): string {
  let out = "";
  for (const segment of path) out += typeof segment === "number" ? `[${segment}]` : out ? `.${segment}` : segment;
  return out;
}

/** Counts by severity: `2 errors, 1 warning`. */
export function summarizeIssues(issues: readonly Issue[]): string {
  const errors = issues.filter((i) => i.severity === "error").length;
  const warnings = issues.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${plural(errors, "error")}, ${plural(warnings, "warning")}`;
}

type Painter = Record<"bold" | "dim" | "red" | "yellow", (s: string) => string>;
const plain: Painter = { bold: (s) => s, dim: (s) => s, red: (s) => s, yellow: (s) => s };
const ansi: Painter = {
  bold: (s) => `\u001b[1m${s}\u001b[22m`,
  dim: (s) => `\u001b[2m${s}\u001b[22m`,
  red: (s) => `\u001b[31m${s}\u001b[39m`,
  yellow: (s) => `\u001b[33m${s}\u001b[39m`,
};
