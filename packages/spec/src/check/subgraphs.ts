import { compat } from "../compat/index.js";
import { CheckBudget } from "./budget.js";
import type { GraphNodeDef, JsonSchema, ValuePath } from "../def/graph-def.js";
import { issue, type Issue } from "./issues.js";

/**
 * A subgraph is a black box: the contract its node declares in the parent must agree with the
 * subgraph's own contract. Callers may pass only what the subgraph accepts, and may rely only on
 * what it promises.
 */
export function checkSubgraphContract(
  node: GraphNodeDef,
  at: { path: ValuePath; graph: readonly string[]; block: string | undefined },
  report: (i: Issue) => void,
  budget: CheckBudget = new CheckBudget(),
): void {
  const declared = node.contract;
  const own = node.graph.contract;
  if (declared === own) return;
  const pairs: [string, JsonSchema | undefined, JsonSchema | undefined, string][] = [
    ["input", declared.input, own.input, `what block "${node.id}" may be given (A) must be accepted by graph "${node.graph.id}" (B)`],
    ["output", own.output, declared.output, `what graph "${node.graph.id}" produces (A) must satisfy the output block "${node.id}" declares (B)`],
    ["error", own.error, declared.error, `the typed errors of graph "${node.graph.id}" (A) must satisfy the error schema block "${node.id}" declares (B)`],
  ];
  for (const [part, a, b, rule] of pairs) {
    if (a === undefined || b === undefined || a === b || JSON.stringify(a) === JSON.stringify(b)) {
      if (part === "error" && a !== undefined && b === undefined) {
        report(
          issue(
            "subgraph_contract_mismatch",
            { ...at, path: [...at.path, "contract", part] },
            `Graph "${node.graph.id}" can fail with typed errors, but block "${node.id}" declares no error schema. Declare the subgraph's error schema on the block.`,
          ),
        );
      }
      continue;
    }
    const result = compat(a, b, budget.options());
    if (result.verdict === "yes") continue;
    const path = [...at.path, "contract", part];
    if (result.verdict === "no") {
      const example = result.counterexample === undefined ? "" : ` Counterexample: ${JSON.stringify(result.counterexample)}.`;
      report(
        issue(
          "subgraph_contract_mismatch",
          { ...at, path },
          `Subgraph block "${node.id}" is used against its own contract (${part}): ${rule}, but ${result.reason}.${example} Use the subgraph's contract (rebuild the parent) or change the graph.`,
        ),
      );
    } else {
      report(issue("compat_unknown", { ...at, path }, `Cannot tell whether subgraph block "${node.id}" keeps its own contract (${part}): ${result.reason}.`));
    }
  }
}
