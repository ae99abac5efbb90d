import type { GraphDef, NodeDef, ValuePath } from "../def/graph-def.js";
import { issue, type Issue } from "../check/issues.js";
import type { MemoryScopeDef, MemoryUseDef } from "./memory-def.js";

type At = (path: ValuePath, block?: string) => { path: ValuePath; graph: readonly string[]; block: string | undefined };

interface Use {
  readonly node: NodeDef;
  readonly use: MemoryUseDef;
  readonly path: ValuePath;
}

/**
 * The memory rules of one graph (the checker calls it for every graph it checks):
 *
 * - `memory_core_over_context`: the core budgets of the scopes a block reads add up to more than
 *   its context budget: core memory is always in the context, so it could never fit;
 * - `memory_policy_invalid`: a compaction summary bound larger than core itself, or `compact`
 *   without a compaction policy;
 * - `memory_scope_conflict`: two blocks declare one scope with different kinds or policies;
 * - `memory_scope_unwritten`: a block reads a scope no block of the graph writes (an error for
 *   block and graph scopes, which would stay empty; a warning for thread scopes, which other runs
 *   may write).
 */
export function checkMemory(def: GraphDef, at: At, report: (i: Issue) => void): void {
  const uses: Use[] = [];
  def.nodes.forEach((node, i) => {
    if (node.kind === "code" && node.memory) uses.push({ node, use: node.memory, path: ["nodes", i, "memory"] });
    if (node.kind === "map" && node.item.kind === "code" && node.item.memory) uses.push({ node, use: node.item.memory, path: ["nodes", i, "item", "memory"] });
  });
  if (uses.length === 0) return;

  const declared = new Map<string, { scope: MemoryScopeDef; by: string; text: string }>();
  const writers = new Map<string, string[]>();
  for (const { node, use, path } of uses) {
    let core = 0;
    use.scopes.forEach(({ scope, read, write }, s) => {
      const where = [...path, "scopes", s, "scope"];
      const key = scopeKey(scope, node.id);
      if (read) core += scope.policy.core.maxTokens;
      if (write) writers.set(key, [...(writers.get(key) ?? []), node.id]);
      checkPolicy(scope, at(where, node.id), report);
      if (scope.level === "block") return;
      const text = JSON.stringify({ kinds: scope.kinds, policy: scope.policy, threadFrom: scope.threadFrom });
      const first = declared.get(key);
      if (first === undefined) declared.set(key, { scope, by: node.id, text });
      else if (first.text !== text) {
        report(issue("memory_scope_conflict", at(where, node.id), `block "${node.id}" declares ${scope.level} memory "${scope.name}" with other kinds or another policy than block "${first.by}" does: a shared scope has one declaration. Declare it once with defineMemory and give both blocks the same scope.`));
      }
    });
    if (core > use.contextTokens) {
      report(
        issue(
          "memory_core_over_context",
          at([...path, "contextTokens"], node.id),
          `block "${node.id}" reads core memory of up to ${core} tokens (${use.scopes.filter((s) => s.read).map((s) => `${s.scope.name}: ${s.scope.policy.core.maxTokens}`).join(", ")}) but its context budget is ${use.contextTokens} tokens: core memory is always in the context, so it cannot fit. Lower policy.core.maxTokens or raise budget.contextTokens.`,
        ),
      );
    }
  }
  for (const { node, use, path } of uses) {
    use.scopes.forEach(({ scope, read }, s) => {
      if (!read || writers.has(scopeKey(scope, node.id))) return;
      const severity = scope.level === "thread" ? "warning" : "error";
      const why = scope.level === "thread" ? "unless another graph's runs write this thread scope, it stays empty" : "it will always be empty";
      report(issue("memory_scope_unwritten", at([...path, "scopes", s], node.id), `block "${node.id}" reads ${scope.level} memory "${scope.name}" but no block of graph "${def.id}" writes it: ${why}. Give a block write access (access: "readwrite") or drop the read.`, severity));
    });
  }
}

function scopeKey(scope: MemoryScopeDef, block: string): string {
  return scope.level === "block" ? `block:${block}:${scope.name}` : `${scope.level}:${scope.name}`;
}

function checkPolicy(scope: MemoryScopeDef, where: ReturnType<At>, report: (i: Issue) => void): void {
  const { policy } = scope;
  if (policy.onCoreOverflow === "compact" && policy.compaction === undefined) {
    report(issue("memory_policy_invalid", where, `memory "${scope.name}": onCoreOverflow is "compact" but the policy has no compaction (add compaction: { maxTokens }).`));
  }
  if (policy.compaction && policy.compaction.maxTokens > policy.core.maxTokens) {
    report(issue("memory_policy_invalid", where, `memory "${scope.name}": the compaction summary may have ${policy.compaction.maxTokens} tokens, more than core's budget of ${policy.core.maxTokens}: a summary that does not fit core cannot replace it. Lower compaction.maxTokens.`));
  }
  if (policy.archival?.onEvict === "demote") {
    report(issue("memory_policy_invalid", where, `memory "${scope.name}": archival is the last tier, so its onEvict can only be "drop".`));
  }
}
