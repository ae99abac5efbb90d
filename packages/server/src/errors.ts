import type { z } from "zod";

/** One problem with a value, as the contract's schema reported it. */
export interface Issue {
  /** Where in the value (`["items", 0, "price"]`); empty for the value itself. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly code: string;
}

/**
 * An error the API answers with: an HTTP status and a JSON body `{ error, message, ...details }`
 * (`error` is a stable code; `message` says what failed and how to fix it).
 */
export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** The response body. */
  body(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.details };
  }
}

/** A zod error's issues, as plain data. */
export function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)), message: i.message, code: i.code }));
}
