import type { EdgeDef, JsonSchema, NodeDef, ValuePath } from "../def/graph-def.js";
import { preview } from "../compat/json.js";
import { analyseCases } from "../pattern/cover.js";
import { issue, type Issue } from "./issues.js";

type At = (path: ValuePath, block?: string) => { path: ValuePath; graph: readonly string[]; block: string | undefined };
type Edges = readonly { edge: EdgeDef; i: number }[];

/**
 * A pattern route (`.match()`): cases tried in edge order over the block's output. Reports cases
 * that can never be taken, cases that overlap without one containing the other (the order decides
 * which one wins), and — without `otherwise` — a value of the output no case matches. A case the
 * checker cannot read (`P.when`, a guard) makes the route `compat_unknown`.
 */
export function checkPatternRoute(node: NodeDef, nodeIndex: number, route: { matches: Edges; otherwise: { edge: EdgeDef; i: number } | undefined }, at: At, report: (i: Issue) => void): void {
  const { matches, otherwise } = route;
  const patterns = matches.map(({ edge }) => (edge.when as { pattern: JsonSchema }).pattern);
  const analysis = analyseCases(node.contract.output, patterns, matches.map(({ edge }) => edge.to));
  const name = (k: number) => `case ${k + 1} (-> ${(matches[k] as { edge: EdgeDef }).edge.to})`;
  analysis.cases.forEach((verdict, k) => {
    const where = at(["edges", (matches[k] as { i: number }).i, "when", "pattern"], node.id);
    if (verdict.kind === "unreachable") {
      const why = verdict.why === "never" ? `no output of "${node.id}" matches its pattern` : `every output of "${node.id}" it matches is taken by an earlier case`;
      report(issue("unreachable_route_case", where, `The pattern route of block "${node.id}": ${name(k)} can never be taken: ${why}. Remove it, fix its pattern, or move it before the cases that shadow it.`));
    } else if (verdict.kind === "unknown") {
      report(issue("compat_unknown", where, `Cannot tell whether ${name(k)} of the pattern route of block "${node.id}" can be taken: ${verdict.reason}.`));
    }
  });
  for (const o of analysis.overlaps) {
    report(
      issue(
        "overlapping_route_cases",
        at(["edges", (matches[o.second] as { i: number }).i, "when", "pattern"], node.id),
        `The pattern route of block "${node.id}": ${name(o.first)} and ${name(o.second)} overlap (both match ${preview(o.witness, 80)}), and neither contains the other, so their order decides where such outputs go (the first wins). Make them disjoint, or put the more specific one first.`,
      ),
    );
  }
  if (otherwise) return;
  const ex = analysis.exhaustive;
  if (ex.kind === "no") {
    report(
      issue(
        "non_exhaustive_route",
        at(["nodes", nodeIndex], node.id),
        `The pattern route of block "${node.id}" does not cover every output: no case matches ${preview(ex.counterexample, 120)}. Add a case for it or an .otherwise(() => "target").`,
      ),
    );
  } else if (ex.kind === "unknown") {
    report(issue("compat_unknown", at(["nodes", nodeIndex], node.id), `Cannot tell whether the pattern route of block "${node.id}" covers every output: ${ex.reason}. Add an .otherwise(() => "target") to be sure.`));
  }
}
