/**
 * The one error class of @blockwork/spec, for mistakes made while defining blocks and graphs
 * (problems in a graph's wiring are not thrown: the checker returns them as issues).
 */
export const SPEC_ERROR_CODES = {
  invalid_id: "An id does not match the id pattern.",
  invalid_binding: "A binding function returned something that is not a binding, a literal or an object of them.",
  invalid_block: "Something that is not a block was given where a block is expected.",
  conflicting_block: "Two different blocks share one implementation name in a graph.",
  invalid_route: "A route was declared with a bad field or case.",
  xstate_unsupported: "A graph cannot be exported as an XState machine (several entry blocks, or a fan-out whose branches do not meet at one block).",
  invalid_memory: "A memory scope was declared with a bad name, level or retention policy.",
  invalid_declaration: "declareBlock got a bad purpose or examples list.",
  invalid_example: "An example of a declared block does not satisfy its contract or one of its properties.",
  not_implemented: "A declared block was run but its implementation does not exist yet.",
} as const;

/** The `code` of a {@link BlockworkError}: one of the keys of {@link SPEC_ERROR_CODES} (docs/errors.md explains each). */
export type SpecErrorCode = keyof typeof SPEC_ERROR_CODES;

const DOCS = "docs/errors.md";

/** Thrown for definition mistakes; `code` is stable, `details` is JSON-safe. */
export class BlockworkError extends Error {
  override readonly name = "BlockworkError";
  readonly code: SpecErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: SpecErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(`${message}\n(${code}; see ${DOCS}#${code})`, options);
    this.code = code;
    this.details = details;
  }
}

/** Brand-free check that survives duplicate copies of the package. */
export function isBlockworkError(value: unknown): value is BlockworkError {
  return value instanceof Error && value.name === "BlockworkError" && typeof (value as { code?: unknown }).code === "string";
}
