import { enumerateValues, validateValue } from "../compat/index.js";
import { CheckBudget } from "./budget.js";
import type { EdgeDef, GraphDef, JsonValue, NodeDef, ValuePath } from "../def/graph-def.js";
import { standalone } from "./bundle.js";
import { issue, type Issue } from "./issues.js";
import { lookupPath } from "./schema-path.js";
import { checkPatternRoute } from "./pattern-routes.js";

type At = (path: ValuePath, block?: string) => { path: ValuePath; graph: readonly string[]; block: string | undefined };

/**
 * Routes: every block that has case edges routes on one field; the cases are possible values of
 * it; and together with `otherwise` they cover every possible value. Error edges need an error schema.
 */
export function checkRoutes(def: GraphDef, index: ReadonlyMap<string, number>, nodeAt: readonly number[], at: At, report: (i: Issue) => void, budget: CheckBudget = new CheckBudget()): void {
  const bySource = new Map<string, { edge: EdgeDef; i: number }[]>();
  def.edges.forEach((edge, i) => {
    if (!index.has(edge.from)) return;
    const list = bySource.get(edge.from) ?? [];
    list.push({ edge, i });
    bySource.set(edge.from, list);
  });
  for (const [from, edges] of bySource) {
    const nodeIndex = nodeAt[index.get(from) as number] as number;
    const node = def.nodes[nodeIndex] as NodeDef;
    checkErrorEdges(node, edges, at, report);
    checkCases(node, nodeIndex, edges, { at, report, budget });
  }
}

function checkErrorEdges(node: NodeDef, edges: readonly { edge: EdgeDef; i: number }[], at: At, report: (i: Issue) => void): void {
  if (node.contract.error !== undefined) return;
  for (const { edge, i } of edges) {
    if (edge.when?.kind !== "error") continue;
    report(
      issue(
        "error_edge_without_error_schema",
        at(["edges", i], node.id),
        `The error edge ${edge.from} -> ${edge.to} can never be taken: block "${node.id}" declares no error schema, so it has no typed errors. Add an error schema to its contract or remove the edge.`,
      ),
    );
  }
}

function checkCases(node: NodeDef, nodeIndex: number, edges: readonly { edge: EdgeDef; i: number }[], { at, report, budget }: { at: At; report: (i: Issue) => void; budget: CheckBudget }): void {
  const cases = edges.filter(({ edge }) => edge.when?.kind === "case");
  const otherwise = edges.find(({ edge }) => edge.when?.kind === "otherwise");
  const matches = edges.filter(({ edge }) => edge.when?.kind === "match");
  if (matches.length > 0) {
    if (cases.length > 0) {
      report(
        issue(
          "conflicting_route_fields",
          at(["edges", (matches[0] as { i: number }).i], node.id),
          `Block "${node.id}" routes both on a discriminant ("${((cases[0] as (typeof cases)[number]).edge.when as { field: string }).field}") and with patterns (.match()); a block routes one way. Express the discriminant cases as patterns ({ ${((cases[0] as (typeof cases)[number]).edge.when as { field: string }).field}: "value" }) in the .match() route.`,
        ),
      );
      return;
    }
    checkPatternRoute(node, nodeIndex, { matches, otherwise }, at, report);
    return;
  }
  if (cases.length === 0) {
    if (otherwise) {
      report(
        issue(
          "otherwise_without_cases",
          at(["edges", otherwise.i], node.id),
          `Block "${node.id}" has an otherwise edge but no case edges, so the otherwise edge is always taken. Make it a plain edge or add cases.`,
        ),
      );
    }
    return;
  }
  const fields = [...new Set(cases.map(({ edge }) => (edge.when as { field: string }).field))];
  if (fields.length > 1) {
    report(
      issue(
        "conflicting_route_fields",
        at(["edges", (cases[0] as { i: number }).i], node.id),
        `Block "${node.id}" routes on several fields (${fields.map((f) => `"${f}"`).join(", ")}); a block routes on one discriminant. Route on one field, or add a block that combines them.`,
      ),
    );
    return;
  }
  const field = fields[0] as string;
  const found = lookupPath(node.contract.output, [field]);
  if (found.kind === "missing") {
    report(
      issue(
        "unknown_route_case",
        at(["edges", (cases[0] as { i: number }).i, "when", "field"], node.id),
        `Block "${node.id}" routes on "${field}", but its output ${found.reason}. Route on a field of its output.`,
      ),
    );
    return;
  }
  if (found.kind === "unknown") {
    report(issue("compat_unknown", at(["edges", (cases[0] as { i: number }).i], node.id), `Cannot tell the values of "${node.id}".${field}: ${found.reason}.`));
    return;
  }
  const fieldSchema = standalone(found.at);
  const seen: JsonValue[] = [];
  for (const { edge, i } of cases) {
    const value = (edge.when as { equals: JsonValue }).equals;
    seen.push(value);
    const valid = validateValue(value, fieldSchema, budget.options());
    if (valid.valid === false) {
      const values = enumerateValues(fieldSchema, { ...budget.options(), limit: 20 });
      const why =
        values.kind === "finite"
          ? `it is not a possible value of "${node.id}".${field} (${values.values.map((v) => JSON.stringify(v)).join(", ")})`
          : `${valid.reason}`;
      report(
        issue(
          "unknown_route_case",
          at(["edges", i, "when", "equals"], node.id),
          `The route case ${JSON.stringify(value)} of block "${node.id}" can never match: ${why}. Fix the case value.`,
        ),
      );
    }
  }
  if (otherwise) return;
  const missingAbsent = found.mayBeAbsent ? ` The field may also be absent; only otherwise catches that.` : "";
  const values = enumerateValues(fieldSchema, budget.options());
  if (values.kind === "finite") {
    const missing = values.values.filter((v) => !seen.some((s) => sameJson(s, v)));
    if (missing.length === 0 && !found.mayBeAbsent) return;
    report(
      issue(
        "non_exhaustive_route",
        at(["nodes", nodeIndex], node.id),
        `The route on "${node.id}".${field} does not cover ${missing.length ? missing.map((v) => JSON.stringify(v)).join(", ") : "every value"}.${missingAbsent} Add a case for ${missing.length === 1 ? "it" : "each"} or an otherwise edge.`,
      ),
    );
  } else if (values.kind === "infinite") {
    report(
      issue(
        "non_exhaustive_route",
        at(["nodes", nodeIndex], node.id),
        `The route on "${node.id}".${field} cannot cover every value: the field has infinitely many (or too many) possible values. Add an otherwise edge, or make the field an enum.`,
      ),
    );
  } else {
    report(issue("compat_unknown", at(["nodes", nodeIndex], node.id), `Cannot tell whether the route on "${node.id}".${field} covers every value: ${values.reason}. Add an otherwise edge to be sure.`));
  }
}

function sameJson(a: JsonValue, b: JsonValue): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
