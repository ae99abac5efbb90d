import { formatZodIssues } from "@blockwork/spec";
import { randomUUID } from "node:crypto";
import { checkRunId } from "./run-id.js";
import type { GraphBlock, JsonValue } from "@blockwork/spec";
import { RunError } from "../errors.js";
import type { GraphPlan } from "../plan/plan.js";
import type { RunRecord, RunSource } from "../store/store.js";

/**
 * A new run's record, and its input parsed by the graph's strict input schema (unknown fields
 * rejected): what `run` starts in this process and `submitRun` hands to workers.
 * Throws `input_invalid` with the first issues.
 */
export function prepareRun(plan: GraphPlan, graph: GraphBlock, input: unknown, options: { readonly runId?: string | undefined; readonly source?: RunSource | undefined } = {}): { readonly record: RunRecord; readonly input: unknown } {
  if (options.runId !== undefined) checkRunId(options.runId);
  const parsed = plan.strictInput.safeParse(input);
  if (!parsed.success) {
    throw new RunError({ code: "input_invalid", message: `the input does not satisfy the contract of graph "${graph.def.id}": ${formatZodIssues(parsed.error, { max: 5 })}` });
  }
  const now = Date.now();
  const record: RunRecord = {
    id: options.runId ?? newRunId(),
    graphId: graph.def.id,
    version: plan.version,
    status: "running",
    input: input as JsonValue,
    createdAt: now,
    updatedAt: now,
    ...(options.source ? { source: options.source } : {}),
  };
  return { record, input: parsed.data };
}

/**
 * A random UUID as a flat string. Node builds `randomUUID()` from pieces, and V8 keeps the pieces
 * as a tree of ~16 string objects until something flattens it; a run keeps its id for its whole
 * life, so the tree would cost ~0.5 KB per run in flight. Reading a character flattens it.
 */
function newRunId(): string {
  const id = randomUUID();
  id.charCodeAt(0);
  return id;
}
