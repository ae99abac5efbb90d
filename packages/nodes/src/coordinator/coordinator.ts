import { graphVersion } from "@blockwork/core";
import type { BlockContext, BlockReport, Catalogue, GraphChange, GraphDef, Issue, Patch, PatchProblem } from "@blockwork/spec";
import { applyPatch, changeOf, check, defineContract, describeChange, failure, isEmptyChange, PatchSchema, patchJsonSchema, toMermaid } from "@blockwork/spec";
import { z } from "zod";
import { agentBlock } from "../agent/agent-block.js";
import { isAgentError } from "../agent/errors.js";
import { buildMessages, countContextTokens } from "../agent/prompt.js";
import type { ChatMessage, Model } from "../model/model.js";
import { assembleContext, type ContextReport } from "./context.js";
import { COORDINATOR_INSTRUCTIONS } from "./instructions.js";
import type { AttemptFeedback, CoordinateOptions, CoordinatorAttempt, CoordinatorCall, CoordinatorFailure, CoordinatorFailureReason, CoordinatorResult, CoordinatorUsage } from "./types.js";

const COORDINATOR = defineContract({
  id: "coordinator",
  description: "Proposes a patch to a workflow graph; the patch is checked before anything is applied.",
  input: z.looseObject({}),
  output: PatchSchema,
});

const DEFAULTS = { attempts: 4, contextTokens: 8_000, tokens: 60_000, outputTokens: 2_000, repairs: 1 };

/**
 * The coordinator agent: proposes a patch to a graph for a goal (or a run's failure), from a
 * compact summary of the graph and the catalogue's contracts, assembled under a token budget. Each
 * patch is applied to a copy and checked; a patch with problems or checker errors (or warnings the
 * graph did not have) is never applied: its issues go back to the model, verbatim, and it tries
 * again within its budget of attempts and tokens. The result is the new GraphDef with its version,
 * a change summary and a Mermaid view of the change, or a typed failure with every attempt.
 *
 * Built on an agent block (`agentBlock`): the model's answer is validated against the patch
 * schema and repaired within `budget.repairs`; every call's tokens are counted with the agent
 * block's tokenizer.
 *
 * @example
 * const result = await coordinate({ graph: graph.def, catalogue, task: { goal: "Also report the mood of the text." }, model });
 * if (result.status === "applied") await writeFile("digest.graph.json", JSON.stringify(result.def, null, 2));
 * else console.error(result.message);
 */
export async function coordinate(options: CoordinateOptions): Promise<CoordinatorResult> {
  const budget = { ...DEFAULTS, ...options.budget };
  const graph = options.graph;
  const instructions = instructionsOf(options);
  const meter = meteredModel(options.model);
  const agent = agentBlock(COORDINATOR, { instructions, model: meter, budget: { contextTokens: budget.contextTokens, outputTokens: budget.outputTokens, attempts: budget.repairs + 1 } });
  const schema = patchJsonSchema();
  const knownWarnings = new Set(check(graph).filter((i) => i.severity === "warning").map(issueKey));
  const previousVersion = graphVersion(graph);
  const attempts: CoordinatorAttempt[] = [];
  const feedback: AttemptFeedback[] = [];
  const usage = () => usageOf(attempts);
  const fail = (reason: CoordinatorFailureReason, message: string, context?: ContextReport): CoordinatorFailure => ({
    status: "failed",
    reason,
    message,
    attempts,
    usage: usage(),
    ...(context ? { context } : {}),
  });

  for (let n = 1; n <= budget.attempts; n++) {
    if (options.signal?.aborted) return fail("cancelled", `The coordination was cancelled before attempt ${n}.`);
    const assembled = assembleContext({ def: graph, catalogue: options.catalogue, task: options.task, attempts: feedback, instructions, schema, budget: budget.contextTokens });
    if (!assembled.fits) {
      const { tokens, budget: limit } = assembled.report;
      return fail("context_overflow", `The coordinator's context needs ${tokens} tokens even when trimmed (${assembled.report.trimmed.join("; ")}), over the budget of ${limit} by ${tokens - limit}. Raise budget.contextTokens, or give a smaller catalogue.`, assembled.report);
    }
    const used = usage().tokens;
    if (used + assembled.report.tokens > budget.tokens) {
      return fail("tokens_exhausted", `The token budget (${budget.tokens}) is spent: ${used} used in ${n - 1} attempt${n === 2 ? "" : "s"}, and the next call needs ${assembled.report.tokens} for its context alone.${lastIssues(attempts)}`);
    }

    const reports: BlockReport[] = [];
    const callsBefore = meter.calls.length;
    const answer = await ask(agent, assembled.input, context(options, graph, n, reports));
    const base = { attempt: n, calls: callsOf(meter.calls.slice(callsBefore), reports), context: assembled.report };
    if (answer.kind !== "patch") {
      const attempt: CoordinatorAttempt = { ...base, outcome: "invalid_answer", problems: [], issues: [], notes: [answer.message] };
      attempts.push(attempt);
      if (answer.kind === "failed") return fail(answer.reason, answer.message);
      options.onAttempt?.(attempt);
      feedback.push({ attempt: n, notes: [`Your answer was not a valid patch: ${answer.message}`] });
      continue;
    }

    const { patch } = answer;
    const verdict = judge(graph, patch, { catalogue: options.catalogue, knownWarnings, acceptNewWarnings: options.acceptNewWarnings ?? false });
    const attempt: CoordinatorAttempt = {
      ...base,
      outcome: verdict.applied ? "applied" : "rejected",
      patch,
      ...(verdict.candidate ? { candidate: verdict.candidate } : {}),
      problems: verdict.problems,
      issues: verdict.issues,
      notes: verdict.notes,
    };
    attempts.push(attempt);
    options.onAttempt?.(attempt);
    if (verdict.applied && verdict.candidate && verdict.change) {
      const def = verdict.candidate;
      const version = graphVersion(def);
      const change = verdict.change;
      return {
        status: "applied",
        def,
        version,
        previousVersion,
        patch,
        change,
        summary: summaryOf({ before: graph, after: def, patch, change, version, previousVersion, attempt: n, usage: usage() }),
        mermaid: toMermaid(def, { highlight: change }),
        issues: verdict.issues,
        attempts,
        usage: usage(),
      };
    }
    feedback.push({ attempt: n, patch, problems: verdict.problems, issues: verdict.issues, ...(verdict.notes.length ? { notes: verdict.notes } : {}) });
  }
  return fail("attempts_exhausted", `No patch passed the checker in ${budget.attempts} attempt${budget.attempts === 1 ? "" : "s"}; the graph is unchanged.${lastIssues(attempts)}`);
}

interface Verdict {
  readonly applied: boolean;
  readonly candidate?: GraphDef;
  readonly change?: GraphChange;
  readonly problems: readonly PatchProblem[];
  readonly issues: readonly Issue[];
  readonly notes: readonly string[];
}

/**
 * Applies a patch to a copy of the graph and decides: it passes with no operation problems, no
 * checker errors, no warning the graph did not have (unless accepted), and a change.
 */
function judge(graph: GraphDef, patch: Patch, o: { catalogue: Catalogue | undefined; knownWarnings: ReadonlySet<string>; acceptNewWarnings: boolean }): Verdict {
  let result: ReturnType<typeof applyPatch>;
  try {
    result = applyPatch(graph, patch, o.catalogue);
  } catch (error) {
    // A checker that throws is a bug in Blockwork, not in the patch; either way nothing is applied.
    const crash = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { applied: false, problems: [], issues: [], notes: [`Checking this patch failed (${crash}); nothing was applied. Try another way to do the task.`] };
  }
  const change = changeOf(graph, result.def);
  const notes: string[] = [];
  if (isEmptyChange(change)) notes.push("The patch changes nothing in the graph. Propose operations that do the task.");
  const fresh = o.acceptNewWarnings ? [] : result.issues.filter((i) => i.severity === "warning" && !o.knownWarnings.has(issueKey(i)));
  if (fresh.length) {
    notes.push(`The patch adds ${fresh.length} checker warning${fresh.length === 1 ? "" : "s"} (${[...new Set(fresh.map((i) => i.code))].join(", ")}) the graph did not have; a patch passes only without new warnings.`);
  }
  const applied = result.problems.length === 0 && !result.issues.some((i) => i.severity === "error") && notes.length === 0;
  return { applied, candidate: result.def, change, problems: result.problems, issues: result.issues, notes };
}

type Answer =
  | { readonly kind: "patch"; readonly patch: Patch }
  | { readonly kind: "invalid"; readonly message: string }
  | { readonly kind: "failed"; readonly reason: CoordinatorFailureReason; readonly message: string };

/** Asks the agent block for a patch (validated against the patch schema, repaired within its attempts). */
async function ask(agent: { readonly run: (input: never, ctx: BlockContext<never, never>) => unknown }, input: unknown, ctx: BlockContext<never, never>): Promise<Answer> {
  try {
    const patch = (await agent.run(input as never, ctx)) as Patch;
    return { kind: "patch", patch };
  } catch (error) {
    if (ctx.signal.aborted) return { kind: "failed", reason: "cancelled", message: "The coordination was cancelled during a model call." };
    if (isAgentError(error)) {
      if (error.kind === "refusal") return { kind: "failed", reason: "refused", message: `The model refused: ${error.message}` };
      return { kind: "invalid", message: error.message };
    }
    const kind = (error as { kind?: unknown } | null)?.kind;
    const message = error instanceof Error ? error.message : String(error);
    return { kind: "failed", reason: "model_error", message: `The model call failed${typeof kind === "string" ? ` (${kind})` : ""}: ${message}` };
  }
}

function context(options: CoordinateOptions, graph: GraphDef, attempt: number, reports: BlockReport[]): BlockContext<never, never> {
  return {
    signal: options.signal ?? new AbortController().signal,
    runId: "coordinate",
    path: ["coordinator"],
    attempt,
    idempotencyKey: `coordinate:${graph.id}:${attempt}`,
    fail: failure as never,
    report: (report) => reports.push(report),
  };
}

/** The model, counting every call's context and output tokens (the provider's output count when it gives one). */
function meteredModel(model: Model): Model & { readonly calls: { contextTokens: number; outputTokens: number }[] } {
  const calls: { contextTokens: number; outputTokens: number }[] = [];
  return {
    get id() {
      return model.id;
    },
    calls,
    async generate(request) {
      const response = await model.generate(request);
      const written = response.text + response.toolCalls.map((c) => c.name + c.input).join("");
      calls.push({
        contextTokens: countContextTokens(request.messages, request.tools ?? []),
        outputTokens: response.usage?.outputTokens ?? (written ? countContextTokens([{ role: "assistant", content: written }]) - 7 : 0),
      });
      return response;
    },
  };
}

function callsOf(metered: readonly { contextTokens: number; outputTokens: number }[], reports: readonly BlockReport[]): CoordinatorCall[] {
  const outcomes = reports.filter((r): r is Extract<BlockReport, { type: "usage" }> => r.type === "usage").map((r) => r.outcome);
  return metered.map((call, i) => ({ ...call, outcome: outcomes[i] ?? "error" }));
}

function usageOf(attempts: readonly CoordinatorAttempt[]): CoordinatorUsage {
  const calls = attempts.flatMap((a) => a.calls);
  const contextTokens = calls.reduce((sum, c) => sum + c.contextTokens, 0);
  const outputTokens = calls.reduce((sum, c) => sum + c.outputTokens, 0);
  return { calls: calls.length, contextTokens, outputTokens, tokens: contextTokens + outputTokens };
}

function issueKey(issue: Issue): string {
  return `${issue.code}\u0000${issue.block ?? ""}\u0000${issue.message}`;
}

function lastIssues(attempts: readonly CoordinatorAttempt[]): string {
  const last = attempts[attempts.length - 1];
  if (last === undefined) return "";
  const errors = last.issues.filter((i) => i.severity === "error");
  const parts = [
    last.problems.length ? `${last.problems.length} operation problem${last.problems.length === 1 ? "" : "s"}` : "",
    errors.length ? `${errors.length} checker error${errors.length === 1 ? "" : "s"} (${[...new Set(errors.map((i) => i.code))].join(", ")})` : "",
    ...last.notes,
  ].filter(Boolean);
  return parts.length ? ` The last attempt had: ${parts.join("; ")}.` : "";
}

function summaryOf(o: {
  before: GraphDef;
  after: GraphDef;
  patch: Patch;
  change: GraphChange;
  version: string;
  previousVersion: string;
  attempt: number;
  usage: CoordinatorUsage;
}): string {
  const lines = [
    `Graph "${o.after.id}": version ${o.previousVersion} → ${o.version} (patch ${o.attempt}, ${o.patch.ops.length} operation${o.patch.ops.length === 1 ? "" : "s"}; ${o.usage.calls} model call${o.usage.calls === 1 ? "" : "s"}, ${o.usage.tokens} tokens).`,
  ];
  if (o.patch.reason) lines.push(`Reason given: ${o.patch.reason}`);
  lines.push(describeChange(o.change, o.before, o.after));
  return lines.join("\n");
}

/**
 * The context the coordinator's first call would have, without calling a model: the messages and
 * their size, part by part. For budgeting, and for seeing what a model is shown.
 *
 * @example
 * const { report } = previewContext({ graph: graph.def, catalogue, task: { goal: "..." } });
 * console.log(report.tokens, report.sections);
 */
export function previewContext(options: Pick<CoordinateOptions, "graph" | "catalogue" | "task" | "instructions" | "budget">): { readonly messages: ChatMessage[]; readonly report: ContextReport } {
  const instructions = instructionsOf(options);
  const schema = patchJsonSchema();
  const assembled = assembleContext({ def: options.graph, catalogue: options.catalogue, task: options.task, attempts: [], instructions, schema, budget: options.budget?.contextTokens ?? DEFAULTS.contextTokens });
  const input = assembled.fits ? assembled.input : undefined;
  return { messages: input === undefined ? [] : buildMessages({ instructions, output: schema, error: undefined, hasTools: false, input }), report: assembled.report };
}

function instructionsOf(options: { readonly instructions?: string | undefined }): string {
  return options.instructions ? `${COORDINATOR_INSTRUCTIONS}\n\n${options.instructions.trim()}` : COORDINATOR_INSTRUCTIONS;
}
