// The CLI's error boundary: every error a command throws ends here and becomes one clear message
// and a documented exit code. Stack traces only with --verbose or DEBUG=blockwork. Light on
// purpose: it runs for `--help` too.
import { CommanderError } from "commander";
import { CliError, EXIT, type Io } from "./io.js";

/** How deep a `cause` chain is followed when printing it. */
const MAX_CAUSES = 8;

/**
 * Whether the user asked for stack traces: `--verbose` anywhere, or DEBUG naming blockwork as the
 * `debug` package reads it (comma-separated patterns, `*` wildcards, `-name` excludes):
 * `DEBUG=blockwork`, `DEBUG=blockwork:*`, `DEBUG=*`.
 */
export function wantsDetail(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): boolean {
  if (argv.includes("--verbose")) return true;
  const patterns = (env["DEBUG"] ?? "").split(/[\s,]+/).filter(Boolean);
  const matches = (pattern: string) => {
    const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
    return NAMESPACES.some((name) => regex.test(name));
  };
  if (patterns.some((p) => p.startsWith("-") && matches(p.slice(1)))) return false;
  return patterns.some((p) => !p.startsWith("-") && matches(p));
}

/** The debug namespaces the CLI answers to. */
const NAMESPACES = ["blockwork", "blockwork:cli"];

/**
 * Prints an error that reached the top of a command and returns the exit code. Usage errors are
 * already printed by commander; a `CliError` is one line; errors that name a stable code
 * (`RunError`, `BlockworkError`) print their message and code; anything else is a bug in
 * Blockwork and says so.
 */
export function reportError(error: unknown, io: Io, verbose: boolean): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (isCliError(error)) {
    io.err(`blockwork: ${error.message}\n`);
    if (verbose && error.cause !== undefined) io.err(`${stackOf(error.cause)}\n`);
    return error.exitCode;
  }
  const coded = codeOf(error);
  if (coded !== undefined) {
    const message = (error as Error).message;
    io.err(`blockwork: ${message}${message.includes(coded) ? "" : ` (${coded}; see docs/errors.md)`}\n`);
    if (verbose) io.err(`${stackOf(error)}\n`);
    return EXIT.usage;
  }
  io.err(`blockwork: internal error: ${headline(error)}\n`);
  io.err(
    verbose
      ? `${stackOf(error)}\n`
      : "This is a bug in Blockwork, not a mistake in your graph. Run the command again with --verbose (or DEBUG=blockwork) to see the stack trace, and report it with that output.\n",
  );
  return EXIT.internal;
}

/** `Name: message` of anything thrown. */
function headline(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error === "string" ? error : safeJson(error);
}

/** The stack of an error and of each `cause` after it ("Caused by: ..."), as Node prints them. */
export function stackOf(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && parts.length < MAX_CAUSES && !seen.has(current)) {
    seen.add(current);
    const text = current instanceof Error ? (current.stack ?? headline(current)) : headline(current);
    parts.push(parts.length === 0 ? text : `Caused by: ${text}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join("\n");
}

function isCliError(error: unknown): error is CliError {
  return error instanceof CliError || (error instanceof Error && error.name === "CliError" && typeof (error as { exitCode?: unknown }).exitCode === "number");
}

/** The stable code of a Blockwork error (RunError, BlockworkError), without importing those packages. */
function codeOf(error: unknown): string | undefined {
  if (!(error instanceof Error) || (error.name !== "RunError" && error.name !== "BlockworkError")) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
