import type { PatchOpName } from "./patch-schema.js";

/**
 * Why an operation of a patch was not applied. The checker's issues (about the graph the patch
 * produces) are separate: these are about the operation itself.
 */
export const PATCH_PROBLEM_CODES = {
  unknown_block: "The operation names a block that is not in the graph.",
  unknown_catalogue_block: "The operation names a block that is not in the catalogue.",
  duplicate_id: "add_block would give two blocks the same id.",
  duplicate_edge: "connect would add an edge that is already there.",
  no_such_edge: "No edge matches the operation.",
  ambiguous_edge: "Several edges match; say which with `when`.",
  no_such_binding: "unbind names a binding that is not there.",
  cannot_expand_binding: "One field of a whole-value binding cannot be set or removed on its own.",
  incompatible_replacement: "replace_block: the replacement does not fit where the block is used.",
} as const;

/** The `code` of a {@link PatchProblem}: one of the keys of {@link PATCH_PROBLEM_CODES}. */
export type PatchProblemCode = keyof typeof PATCH_PROBLEM_CODES;

/** An operation that was not applied: which one (its index in `ops`), and why. */
export interface PatchProblem {
  /** The index of the operation in the patch's `ops`. */
  readonly op: number;
  /** The operation's name (`add_block`, `connect`, ...). */
  readonly name: PatchOpName;
  readonly code: PatchProblemCode;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/** Formats problems for people: `ops[2] connect: ...`, one per line. */
export function formatPatchProblems(problems: readonly PatchProblem[]): string {
  return problems.map((p) => `  ops[${p.op}] ${p.name} (${p.code}): ${p.message}`).join("\n");
}
