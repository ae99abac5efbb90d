import type { JsonValue } from "@blockwork/spec";

/** Every error code the runtime uses, with what it means. */
export const RUNTIME_ERROR_CODES = {
  graph_invalid: "The graph has checker errors, so it is not run.",
  missing_implementation: "A block of the graph has no implementation in the graph's block table.",
  input_invalid: "A value does not satisfy the input schema of a block or of the graph.",
  output_invalid: "A block or graph produced a value its output schema rejects (unknown fields included).",
  error_invalid: "A block failed with a typed error that its error schema rejects.",
  binding_failed: "A binding read a value that is not there (the graph changed, or the checker was bypassed).",
  block_failed: "A block threw an error, after all its attempts.",
  block_timeout: "An attempt of a block ran longer than its time budget, after all its attempts.",
  typed_failure: "A block failed with a typed error and has no error edge to handle it.",
  loop_bound_exceeded: "A bounded edge was taken more often than its max and names no onExhausted block.",
  run_cancelled: "The run was cancelled through its AbortSignal or handle.",
  journal_mismatch: "The journal of a run does not fit the graph it is resumed on.",
  run_not_found: "No run with that id is in the store.",
  graph_not_found: "The graph version a run was started on is not available to resume it.",
} as const;

export type RuntimeErrorCode = keyof typeof RUNTIME_ERROR_CODES;

/** An error as plain data: how failures are journaled, stored and put into events. */
export interface ErrorInfo {
  readonly code: RuntimeErrorCode;
  readonly message: string;
  /** Block path (`graph/block`, `map/3`) where it happened, when it was in a block. */
  readonly path?: string;
  /** The typed error value, for `typed_failure`. */
  readonly error?: JsonValue;
  /** The message of the underlying thrown error. */
  readonly cause?: string;
}

/**
 * The error a failed or cancelled run rejects with. `code` is stable; `path` names the block;
 * `runId` the run. `isRunError` recognises it across duplicate package copies.
 */
export class RunError extends Error {
  override readonly name = "RunError";
  readonly code: RuntimeErrorCode;
  readonly path: string | undefined;
  readonly runId: string | undefined;
  readonly info: ErrorInfo;

  constructor(info: ErrorInfo, options: { runId?: string; cause?: unknown } = {}) {
    super(describe(info, options.runId), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = info.code;
    this.path = info.path;
    this.runId = options.runId;
    this.info = info;
  }
}

function describe(info: ErrorInfo, runId: string | undefined): string {
  const where = [runId ? `run ${runId}` : undefined, info.path ? `block ${info.path}` : undefined].filter(Boolean).join(", ");
  return `${where ? `${where}: ` : ""}${info.message}`;
}

/** Brand-free check that survives duplicate copies of the package. */
export function isRunError(value: unknown): value is RunError {
  return value instanceof Error && value.name === "RunError" && typeof (value as { code?: unknown }).code === "string";
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
