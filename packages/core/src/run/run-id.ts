import { RunError } from "../errors.js";

/** The longest run id accepted: ids travel in PostgreSQL NOTIFY payloads (8,000 bytes at most), URLs and logs. */
export const MAX_RUN_ID_LENGTH = 200;

/**
 * Why `id` cannot be a run id, or null when it can: 1 to {@link MAX_RUN_ID_LENGTH} characters, no
 * control characters (NUL included: PostgreSQL text cannot hold it) and no lone UTF-16 surrogates
 * (they are not UTF-8).
 */
export function runIdProblem(id: unknown): string | null {
  if (typeof id !== "string") return `a run id must be a string, not ${id === null ? "null" : typeof id}`;
  if (id.length === 0) return "a run id must not be empty";
  if (id.length > MAX_RUN_ID_LENGTH) return `a run id must be at most ${MAX_RUN_ID_LENGTH} characters (this one has ${id.length})`;
  // biome-ignore lint: control characters are what is looked for.
  const control = /[\u0000-\u001f\u007f-\u009f]/.exec(id);
  if (control) return `a run id must not contain control characters (U+${(control[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")} at position ${control.index})`;
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(id)) return "a run id must be well-formed Unicode (it has a lone surrogate)";
  return null;
}

/** Throws `run_id_invalid` unless `id` is a valid run id (see {@link runIdProblem}). */
export function checkRunId(id: unknown): asserts id is string {
  const problem = runIdProblem(id);
  if (problem !== null) throw new RunError({ code: "run_id_invalid", message: `${problem}. Pass another runId, or none for a random UUID.` });
}
