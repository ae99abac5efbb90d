/**
 * Why an rlm block ended without an answer. The runtime records `kind` with the failure (as it
 * does for agent blocks' `AgentError`), so retry and supervision policies can act on it:
 *
 * - `depth_exceeded`: code asked for a sub-call deeper than `budget.depth`;
 * - `model_calls_exceeded`: the model calls (the block's turns and every sub-call) reached `budget.modelCalls`;
 * - `tokens_exceeded`: the tokens of all calls (context and output) reached `budget.tokens`;
 * - `time_exceeded`: the block ran longer than `budget.wallMs`;
 * - `cpu_exceeded`: a cell ran longer than `budget.cpuMsPerCell` in the interpreter;
 * - `memory_exceeded`: a cell ran out of the sandbox's memory (`budget.memoryBytes`);
 * - `budget_exceeded`: the calls cost more than `budget.costUsd` (the same kind as agent blocks');
 * - `cells_exceeded`: `budget.cells` cells ran and no answer passed the output contract;
 * - `context_overflow`: the block's own context cannot be kept within `budget.contextTokens`;
 * - `sandbox_failed`: the sandbox could not start or its worker died.
 *
 * Provider failures of the model calls are `ModelError`s (`rate_limit`, `server`, ...), as in agent blocks.
 */
export type RlmErrorKind =
  | "depth_exceeded"
  | "model_calls_exceeded"
  | "tokens_exceeded"
  | "time_exceeded"
  | "cpu_exceeded"
  | "memory_exceeded"
  | "budget_exceeded"
  | "cells_exceeded"
  | "context_overflow"
  | "sandbox_failed";

/**
 * The failure of an rlm block: `kind` says which limit (see {@link RlmErrorKind}), `details` the numbers.
 *
 * @example
 * if (isRlmError(error) && error.kind === "tokens_exceeded") console.log(error.details);
 */
export class RlmError extends Error {
  override readonly name = "RlmError";
  readonly kind: RlmErrorKind;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(kind: RlmErrorKind, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.kind = kind;
    this.details = details;
  }
}

/**
 * Brand-free check that survives duplicate package copies.
 *
 * @example
 * isRlmError(new RlmError("cpu_exceeded", "slow")); // true
 */
export function isRlmError(value: unknown): value is RlmError {
  return value instanceof Error && value.name === "RlmError" && typeof (value as { kind?: unknown }).kind === "string";
}
