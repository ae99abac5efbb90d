/** The part of a zod issue that a message shows. */
interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** How issues are written: how many, and the name of the whole value (an issue with an empty path). */
export interface ZodIssueFormat {
  /** At most this many issues (default: all of them). */
  readonly max?: number | undefined;
  /** What an issue at the root is said to be about (default `(value)`). */
  readonly root?: string | undefined;
}

/**
 * Each issue of a zod error as `path.to.field: message` (the root as `(value)`), the form every
 * Blockwork message about a value that breaks its schema uses. Symbol keys are written with
 * `String`. Accepts anything with zod's `issues` (a `ZodError`, or an error of another zod copy).
 *
 * @example
 * const parsed = schema.safeParse(value);
 * if (!parsed.success) throw new Error(`bad input: ${formatZodIssues(parsed.error, { max: 5 })}`);
 */
export function zodIssueTexts(error: { readonly issues: readonly IssueLike[] }, format: ZodIssueFormat = {}): string[] {
  const root = format.root ?? "(value)";
  const issues = format.max === undefined ? error.issues : error.issues.slice(0, format.max);
  return issues.map((i) => `${i.path.length > 0 ? i.path.map(String).join(".") : root}: ${i.message}`);
}

/** {@link zodIssueTexts} joined with `; `: one line for an error message. */
export function formatZodIssues(error: { readonly issues: readonly IssueLike[] }, format: ZodIssueFormat = {}): string {
  return zodIssueTexts(error, format).join("; ");
}
