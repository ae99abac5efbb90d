/**
 * Why an agent block failed to produce output that satisfies its contract. The runtime records
 * `kind` with the failure, so retry and supervision policies can tell them apart:
 *
 * - `syntax`: the answer was not JSON (after every repair attempt);
 * - `schema`: it was JSON but broke the output contract (the issues are in the message);
 * - `refusal`: the model declined;
 * - `truncated`: the answer was cut off at the output-token limit;
 * - `context_overflow`: the input does not fit the context budget (`details` says by how much);
 * - `budget_exceeded`: the cost budget ran out;
 * - `tool_error`: a tool failed and the block is set to fail on tool errors, or the model kept calling tools.
 *
 * Provider failures are `ModelError`s (`rate_limit`, `server`, `timeout`, `network`, ...).
 */
export type AgentErrorKind = "syntax" | "schema" | "refusal" | "truncated" | "context_overflow" | "budget_exceeded" | "tool_error";

/**
 * An agent block's failure to produce output that satisfies its contract; `kind` says why (see
 * {@link AgentErrorKind}) and `details` carries JSON-safe specifics. Recognise one with
 * {@link isAgentError}, which survives duplicate package copies.
 */
export class AgentError extends Error {
  override readonly name = "AgentError";
  readonly kind: AgentErrorKind;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(kind: AgentErrorKind, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.kind = kind;
    this.details = details;
  }
}

/** Brand-free check that survives duplicate package copies. */
export function isAgentError(value: unknown): value is AgentError {
  return value instanceof Error && value.name === "AgentError" && typeof (value as { kind?: unknown }).kind === "string";
}
