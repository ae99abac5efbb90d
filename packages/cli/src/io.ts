/** Where a command reads and writes: the real process, or a capture in tests. */
export interface Io {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal (live progress, colours). */
  readonly isTTY: boolean;
  out(text: string): void;
  err(text: string): void;
}

/** The process's own streams. */
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

/** A user-facing failure: printed without a stack trace, exit code 2 by default. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
