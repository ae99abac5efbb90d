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
  suspend_invalid: "A block suspended but cannot: its contract declares no resume schema, or its payload is not JSON.",
  resume_invalid: "The data given to resume a suspended block does not satisfy its resume schema.",
  not_suspended: "No suspended block matches what was asked to be resumed (or it was resumed already).",
  upgrade_refused: "A run cannot be moved to the new graph version: the message lists every reason (declare a migration, or keep the old version).",
  journal_mismatch: "The journal of a run does not fit the graph it is resumed on.",
  run_not_found: "No run with that id is in the store.",
  run_id_invalid: "A run id given to start a run is empty, longer than 200 characters, or holds control characters (NUL included) or lone surrogates.",
  graph_not_found: "The graph version a run was started on is not available to resume it.",
  store_unavailable: "The store (a PostgreSQL database) cannot be reached, or refused the connection.",
  store_invalid: "The store is misconfigured: a malformed connection string or schema name, or a schema written by a newer Blockwork.",
  store_not_found: "A store opened only to read (runs list, runs show, …) does not exist: the PostgreSQL schema is missing or holds no Blockwork tables. Nothing is created; check the path or ?schema=.",
  store_failed: "A write or read of the run's store failed while the run executed (disk full, I/O error, database gone, constraint violation): the run stopped in this process and stays resumable from its journal.",
  run_owned: "The run is being executed by another live process (named in the message): it is not resumed, upgraded or taken over here.",
  run_taken_over: "Another process took the run over (this one was considered dead): this process stops executing it.",
} as const;

/** The `code` of a {@link RunError} or a recorded failure: one of the keys of {@link RUNTIME_ERROR_CODES} (docs/errors.md explains each). */
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
  /**
   * What the block threw, as data: its name, message, stack and `cause` chain, cut to a bounded
   * size ({@link describeThrown}). Set when a block threw (`block_failed`).
   */
  readonly thrown?: ThrownError;
  /**
   * The failure class a block gave a thrown error (its `kind` property), e.g. `schema`, `refusal`,
   * `rate_limit` from agent blocks: what supervision and retry policies can act on.
   */
  readonly kind?: string;
  /**
   * How the failure travelled up, innermost block first: each supervisor that saw it, what it
   * had already restarted, and why it escalated instead of restarting again.
   */
  readonly trail?: readonly EscalationStep[];
  /** When the block had several attempts: each failed attempt's cause, oldest first. */
  readonly attempts?: readonly AttemptRecord[];
}

/**
 * A thrown value as JSON: what `runs show` prints and the journal keeps. Bounded: messages are cut
 * to {@link THROWN_LIMITS}`.message` characters, stacks to `.stackLines` lines and `.stack`
 * characters, and the `cause` chain to `.causes` links (cycles end it).
 */
export interface ThrownError {
  /** `TypeError`, `RangeError`, a custom class's name; `string`, `number`, ... for thrown non-errors. */
  readonly name: string;
  readonly message: string;
  /** The stack trace as V8 prints it (first line `Name: message`), when the value had one. */
  readonly stack?: string;
  /** A string or number `code` property (`ECONNREFUSED`, `ERR_MODULE_NOT_FOUND`). */
  readonly code?: string;
  /** The error's `cause`, described the same way. */
  readonly cause?: ThrownError;
  /** Set when the message, the stack or the cause chain was cut to fit the bounds. */
  readonly truncated?: true;
}

/** The bounds of {@link describeThrown}: a described error is at most about 13 KB of JSON. */
export const THROWN_LIMITS = { message: 1_000, stack: 2_000, stackLines: 16, causes: 4 } as const;

/**
 * Describes anything thrown as bounded JSON data, following its `cause` chain.
 *
 * @example
 * ```ts
 * const thrown = describeThrown(new TypeError("bad", { cause: new Error("root") }));
 * // { name: "TypeError", message: "bad", stack: "TypeError: bad\n    at ...", cause: { name: "Error", message: "root", ... } }
 * ```
 */
export function describeThrown(error: unknown): ThrownError {
  return describeLink(error, new Set(), 0);
}

function describeLink(error: unknown, seen: Set<unknown>, depth: number): ThrownError {
  seen.add(error);
  let truncated = false;
  const cut = (text: string, max: number) => {
    if (text.length <= max) return text;
    truncated = true;
    return `${text.slice(0, max - 1)}…`;
  };
  const isError = error instanceof Error;
  const rawName = isError ? safeString(() => error.name) : error === null ? "null" : typeof error;
  const name = cut(rawName || "Error", 200);
  const message = cut(messageOf(error), THROWN_LIMITS.message);
  let stack: string | undefined;
  const rawStack = isError ? safeString(() => error.stack) : "";
  if (rawStack) {
    const lines = rawStack.split("\n");
    if (lines.length > THROWN_LIMITS.stackLines) truncated = true;
    stack = cut(lines.slice(0, THROWN_LIMITS.stackLines).join("\n"), THROWN_LIMITS.stack);
  }
  const rawCode = typeof error === "object" && error !== null ? safeValue(() => (error as { code?: unknown }).code) : undefined;
  const code = typeof rawCode === "string" ? cut(rawCode, 200) : typeof rawCode === "number" ? String(rawCode) : undefined;
  const rawCause = isError ? safeValue(() => error.cause) : undefined;
  let cause: ThrownError | undefined;
  if (rawCause !== undefined && !seen.has(rawCause)) {
    if (depth + 1 >= THROWN_LIMITS.causes) truncated = true;
    else cause = describeLink(rawCause, seen, depth + 1);
  }
  return {
    name,
    message,
    ...(stack !== undefined ? { stack } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(cause !== undefined ? { cause } : {}),
    ...(truncated ? { truncated: true as const } : {}),
  };
}

function safeValue(read: () => unknown): unknown {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function safeString(read: () => unknown): string {
  const value = safeValue(read);
  return typeof value === "string" ? value : "";
}

/** `Name: message` of a thrown error, without the name when it is the plain `Error`. */
export function headlineOf(error: unknown): string {
  const message = messageOf(error);
  if (!(error instanceof Error)) return message;
  const name = safeString(() => error.name);
  return name === "" || name === "Error" ? message : `${name}: ${message}`;
}

/** One failed attempt of a block activation. */
export interface AttemptRecord {
  readonly attempt: number;
  readonly at: number;
  readonly message: string;
}

/** One supervisor's part in a failure that reached the top of the run. */
export interface EscalationStep {
  /** The block whose failure this supervisor handled (`review`, `review/approve`). */
  readonly path: string;
  /** Every failed activation of that block the supervisor saw, oldest first. */
  readonly failures: readonly FailureRecord[];
  /** Why it escalated: `not supervised`, `temporary`, `intensity`, `policy`, `typed failure`. */
  readonly reason: string;
}

/** One failed activation of a block: when, and what failed. */
export interface FailureRecord {
  readonly act: number;
  readonly at: number;
  readonly code: RuntimeErrorCode;
  readonly message: string;
  readonly kind?: string;
  /** Its failed attempts, when it had several. */
  readonly attempts?: readonly AttemptRecord[];
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

/** The failure class of a thrown error: its string `kind` property, when it has one. */
export function kindOf(error: unknown): string | undefined {
  const kind = (error as { kind?: unknown } | null)?.kind;
  return typeof error === "object" && typeof kind === "string" ? kind : undefined;
}

/** How long a thrown error asks to wait before the next attempt (`retryAfterMs`, e.g. a 429's Retry-After). */
export function retryAfterOf(error: unknown): number {
  const ms = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof error === "object" && typeof ms === "number" && Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return safeString(() => error.message);
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
