import type { Catalogue, GraphChange, GraphDef, Issue, Patch, PatchProblem } from "@blockwork/spec";
import type { Model } from "../model/model.js";

/**
 * What the coordinator is asked to do: reach a goal, or deal with a run's failure (a failure that
 * escalated to the top of a run: the path of the block and its error, as the runtime reports it).
 */
export type CoordinatorTask = { readonly goal: string } | { readonly failure: FailureReport };

/** A failure as the runtime reports it (`RunError.info` fits): where, and what. */
export interface FailureReport {
  /** The path of the block that failed (`classify`, `digest/normalise`). */
  readonly path: string;
  readonly error: { readonly code: string; readonly message: string; readonly kind?: string; readonly [detail: string]: unknown };
  readonly runId?: string;
}

/** Limits of one coordination. */
export interface CoordinatorBudget {
  /** Patches the model may propose (each checked). Default 4. */
  readonly attempts?: number;
  /** Tokens the context of one call may hold: instructions, the patch schema, graph, catalogue, task, attempts. Default 8,000. */
  readonly contextTokens?: number;
  /** Tokens of all calls together (context plus output). Default 60,000. */
  readonly tokens?: number;
  /** Tokens the model may write per call. Default 2,000. */
  readonly outputTokens?: number;
  /** Repairs of an answer that is not a valid patch (not JSON, or breaks the patch schema), per attempt. Default 1. */
  readonly repairs?: number;
}

/** Options of `coordinate`. */
export interface CoordinateOptions {
  /** The graph as it is. It is never changed: the result carries the new GraphDef. */
  readonly graph: GraphDef;
  /** The blocks the coordinator may add or swap in (contracts only are shown). */
  readonly catalogue?: Catalogue;
  readonly task: CoordinatorTask;
  readonly model: Model;
  readonly budget?: CoordinatorBudget;
  /**
   * Accept a patch whose graph has checker warnings the original did not have (for example
   * `compat_unknown`: the checker could not tell). Default false: such a patch is rejected too.
   */
  readonly acceptNewWarnings?: boolean;
  /** Appended to the coordinator's instructions (house rules, naming conventions). */
  readonly instructions?: string;
  readonly signal?: AbortSignal;
  /** Called after every attempt (for progress). */
  readonly onAttempt?: (attempt: CoordinatorAttempt) => void;
}

/** One model call of the coordinator (an attempt has one, plus one per repair). */
export interface CoordinatorCall {
  readonly contextTokens: number;
  /** As the provider reported them, else counted from the answer with the same tokenizer. */
  readonly outputTokens: number;
  /** `ok`, or why the answer was not a patch (`syntax`, `schema`, `truncated`, ...). */
  readonly outcome: string;
}

/** One proposed patch and what became of it. */
export interface CoordinatorAttempt {
  readonly attempt: number;
  /**
   * `applied`: the patch passed; `rejected`: it had problems or the checker found errors (or new
   * warnings); `invalid_answer`: the model's answer was not a valid patch, even after repairs.
   */
  readonly outcome: "applied" | "rejected" | "invalid_answer";
  readonly patch?: Patch;
  /** The candidate GraphDef the patch produced (never adopted unless `applied`). */
  readonly candidate?: GraphDef;
  /** Operations that could not be applied. */
  readonly problems: readonly PatchProblem[];
  /** The checker's issues for the candidate, exactly as `check(candidate)` returned them. */
  readonly issues: readonly Issue[];
  /** Why the coordinator rejected a patch besides problems and issues (no change, new warnings), or why an answer was invalid. */
  readonly notes: readonly string[];
  readonly calls: readonly CoordinatorCall[];
  readonly context: ContextReport;
}

/** Token use of a coordination. */
export interface CoordinatorUsage {
  readonly calls: number;
  readonly contextTokens: number;
  readonly outputTokens: number;
  /** Context plus output: what `budget.tokens` limits. */
  readonly tokens: number;
}

/** A patch that passed the checker: the new graph version. */
export interface CoordinatorSuccess {
  readonly status: "applied";
  readonly def: GraphDef;
  /** `graphVersion(def)`. */
  readonly version: string;
  readonly previousVersion: string;
  readonly patch: Patch;
  readonly change: GraphChange;
  /** For people: what changed, line by line, and the reason the model gave. */
  readonly summary: string;
  /** The new graph as Mermaid, with the change highlighted. */
  readonly mermaid: string;
  /** The checker's warnings that remain (errors are impossible here). */
  readonly issues: readonly Issue[];
  readonly attempts: readonly CoordinatorAttempt[];
  readonly usage: CoordinatorUsage;
}

/** Why a coordination gave up. */
export type CoordinatorFailureReason = "attempts_exhausted" | "tokens_exhausted" | "context_overflow" | "refused" | "model_error" | "cancelled";

/** No patch passed: the graph stays as it was. Every attempt is listed with its issues. */
export interface CoordinatorFailure {
  readonly status: "failed";
  readonly reason: CoordinatorFailureReason;
  readonly message: string;
  readonly attempts: readonly CoordinatorAttempt[];
  readonly usage: CoordinatorUsage;
  /** The context of the call that could not be made, when the failure is `context_overflow`. */
  readonly context?: ContextReport;
}

/** What the coordinator returns: a checked patch that passed, or why none did within the budget. */
export type CoordinatorResult = CoordinatorSuccess | CoordinatorFailure;

/** What the model is shown about one earlier attempt. */
export interface AttemptFeedback {
  readonly attempt: number;
  readonly patch?: Patch;
  readonly problems?: readonly PatchProblem[];
  /** Verbatim from the checker. */
  readonly issues?: readonly Issue[];
  readonly notes?: readonly string[];
}

/** How big the coordinator's context was, part by part, in tokens (the agent block's tokenizer). */
export interface ContextReport {
  /** The whole context of the call, as the agent block counts it. */
  readonly tokens: number;
  readonly budget: number;
  /** Tokens of each part: `system` (instructions and the patch schema), `task`, `graph`, `catalogue`, `attempts`. */
  readonly sections: Readonly<Record<"system" | "task" | "graph" | "catalogue" | "attempts", number>>;
  /** What was left out or shortened to fit the budget (empty when everything fitted). */
  readonly trimmed: readonly string[];
}
