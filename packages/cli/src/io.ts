/** Where a command reads and writes: the real process, or a capture in tests. */
export interface Io {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal (live progress, colours). */
  readonly isTTY: boolean;
  /** Whether the user asked for stack traces (`--verbose`, `DEBUG=blockwork`); set by `main`. */
  readonly verbose?: boolean;
  out(text: string): void;
  err(text: string): void;
}

/**
 * The process's own streams.
 *
 * @example
 * ```ts
 * process.exitCode = await main(["check", "src"], processIo());
 * ```
 */
export function processIo(): Io {
  return {
    cwd: process.cwd(),
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
}

/** Colours only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(io: Io): boolean {
  const noColor = io.env["NO_COLOR"];
  return io.isTTY && (noColor === undefined || noColor === "") && io.env["TERM"] !== "dumb";
}

/**
 * The exit codes of the `blockwork` command (docs/errors.md lists them; a test keeps both in sync).
 * Each command's help says which of them it uses.
 */
export const EXIT_CODES = {
  ok: { code: 0, meaning: "Success: the graphs passed the check, the run completed, the schemas are compatible." },
  failed: { code: 1, meaning: "The command worked and the answer is no: the check found errors, the run failed, the diff is breaking, compat says no, the upgrade was refused." },
  usage: { code: 2, meaning: "A mistake in what was asked: a bad option or argument, a file that cannot be read or loaded as a graph, invalid JSON, an unknown run id, a store that cannot be reached. The message says what to fix." },
  waiting: { code: 3, meaning: "Neither yes nor no: the run is suspended and waits for `blockwork resume`, or compat could not decide (unknown)." },
  internal: { code: 70, meaning: "A bug in Blockwork (not in your graph): run the command again with --verbose (or DEBUG=blockwork) for the stack trace and report it." },
} as const;

/** The exit code for a kind of outcome, e.g. `EXIT.usage` (2). */
export const EXIT = {
  ok: EXIT_CODES.ok.code,
  failed: EXIT_CODES.failed.code,
  usage: EXIT_CODES.usage.code,
  waiting: EXIT_CODES.waiting.code,
  internal: EXIT_CODES.internal.code,
} as const;

/**
 * A user-facing failure: printed as one line (`blockwork: <message>`) without a stack trace, exit
 * code 2 by default. The message says what failed, where, and how to fix it; `cause` (shown with
 * `--verbose`) keeps the underlying error.
 *
 * @example
 * ```ts
 * throw new CliError("--input is not valid JSON (Unexpected token). Pass JSON text or @file.json.");
 * ```
 */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}
