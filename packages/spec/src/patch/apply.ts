import { match } from "ts-pattern";
import type { Catalogue } from "../catalogue/catalogue.js";
import { check } from "../check/check.js";
import type { Issue } from "../check/issues.js";
import type { GraphDef } from "../def/graph-def.js";
import { bind, bindOutput, unbind, unbindOutput } from "./bind-ops.js";
import type { OpContext, OpResult } from "./op-result.js";
import type { Patch, PatchOp } from "./patch-schema.js";
import type { PatchProblem } from "./problems.js";
import { replaceBlock } from "./replace-op.js";
import { addBlock, connect, disconnect, removeBlock, setCase, setContract, setEntry, setLoopBound, setOtherwise } from "./structure-ops.js";

/** What applying a patch gives. Nothing is applied anywhere: the caller decides what to do with `def`. */
export interface PatchResult {
  /**
   * The candidate GraphDef: every operation that could be applied, applied in order (an operation
   * with a problem is skipped). A new object; the input GraphDef is never changed.
   */
  readonly def: GraphDef;
  /** The checker's issues for `def`, exactly as `check(def)` returns them. */
  readonly issues: readonly Issue[];
  /** Operations that were not applied, with their index and why. */
  readonly problems: readonly PatchProblem[];
  /** No problems and no checker errors: `def` may be adopted. */
  readonly ok: boolean;
}

/**
 * Applies a patch to a GraphDef, purely: the result is a candidate GraphDef with the checker's
 * issues about it and the problems of the operations that could not be applied. A patch is never
 * half applied in place; a caller adopts `result.def` only when `result.ok` (and may be stricter
 * about warnings).
 *
 * @example
 * const result = applyPatch(graph.def, { ops: [{ op: "connect", from: "classify", to: "audit" }] }, catalogue);
 * if (!result.ok) console.log(formatPatchProblems(result.problems), formatIssues(result.issues));
 */
export function applyPatch(def: GraphDef, patch: Patch, catalogue?: Catalogue): PatchResult {
  const ctx: OpContext = { catalogue };
  const problems: PatchProblem[] = [];
  let current = def;
  patch.ops.forEach((op, index) => {
    const result = applyOp(current, op, ctx);
    if (result.ok) current = result.def;
    else for (const refusal of result.refusals) problems.push({ op: index, name: op.op, ...refusal });
  });
  const issues = check(current);
  return { def: current, issues, problems, ok: problems.length === 0 && !issues.some((i) => i.severity === "error") };
}

/** Applies one operation; every operation returns a new GraphDef or refuses. */
function applyOp(def: GraphDef, op: PatchOp, ctx: OpContext): OpResult {
  return match(op)
    .with({ op: "add_block" }, (o) => addBlock(def, o, ctx))
    .with({ op: "remove_block" }, (o) => removeBlock(def, o))
    .with({ op: "connect" }, (o) => connect(def, o))
    .with({ op: "disconnect" }, (o) => disconnect(def, o))
    .with({ op: "bind" }, (o) => bind(def, o))
    .with({ op: "unbind" }, (o) => unbind(def, o))
    .with({ op: "bind_output" }, (o) => bindOutput(def, o))
    .with({ op: "unbind_output" }, (o) => unbindOutput(def, o))
    .with({ op: "set_case" }, (o) => setCase(def, o))
    .with({ op: "set_otherwise" }, (o) => setOtherwise(def, o))
    .with({ op: "set_loop_bound" }, (o) => setLoopBound(def, o))
    .with({ op: "replace_block" }, (o) => replaceBlock(def, o, ctx))
    .with({ op: "set_contract" }, (o) => setContract(def, o))
    .with({ op: "set_entry" }, (o) => setEntry(def, o))
    .exhaustive();
}
