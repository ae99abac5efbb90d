/** The codes of {@link MemoryError}, with what each means (docs/errors.md lists them; a test keeps the two equal). */
export const MEMORY_ERROR_CODES = {
  memory_overflow: "A tier is over its limits and neither eviction nor compaction can bring it back (for example pinned items alone exceed core's budget); memory is left unchanged.",
  compaction_failed: "The compaction block failed or broke its contract on every attempt; memory is left unchanged and the overflow escalates to the block's supervisor.",
  memory_conflict: "Other writers kept changing a shared scope: a batch was recomputed too many times without getting in.",
  memory_undeclared: "A block used a memory scope it does not declare (a block reads and writes only the scopes it declares).",
  memory_unavailable: "The run's store has no memory (a custom store without `memory`), or the block runs outside a run.",
  memory_invalid: "An item does not fit its scope: an unknown kind, data its kind's schema rejects, or an unknown item id.",
} as const;

/** A {@link MemoryError}'s code. */
export type MemoryErrorCode = keyof typeof MEMORY_ERROR_CODES;

/**
 * A failure of agent memory: `code` says which (see {@link MEMORY_ERROR_CODES}), `details` the
 * numbers (JSON-safe). Thrown from a block, it fails the block like any error, so its supervisor
 * restarts it or escalates.
 *
 * @example
 * if (isMemoryError(error) && error.code === "compaction_failed") console.log(error.details.issues);
 */
export class MemoryError extends Error {
  override readonly name = "MemoryError";
  readonly code: MemoryErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: MemoryErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(`${message} (${code}; see docs/errors.md#memory)`, options);
    this.code = code;
    this.details = details;
  }
}

/**
 * Brand-free check that survives duplicate package copies.
 *
 * @example
 * isMemoryError(new MemoryError("memory_overflow", "full")); // true
 */
export function isMemoryError(value: unknown): value is MemoryError {
  return value instanceof Error && value.name === "MemoryError" && typeof (value as { code?: unknown }).code === "string";
}
