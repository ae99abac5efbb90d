import type { SupervisionStrategy } from "@blockwork/spec";
import { and, assign, initialTransition, setup, transition } from "xstate";
import type { ErrorInfo, FailureRecord } from "../errors.js";
import type { RestartPlan } from "../plan/plan.js";

/**
 * The supervisor of one graph scope, as an XState machine. It only ever sees failures: a block
 * that completes never reaches it, so supervision costs nothing on the happy path.
 *
 * When a block fails for good (after its retries), the scope sends `child.failed`. The machine
 * decides from the block's restart policy, the failure's class and the block's restart history
 * (the intensity window) whether to restart it (action `restart`, with the restart number that
 * sets the backoff) or to give up (action `escalate`, with the reason, and the final state
 * `escalated`): the scope then fails, and the parent graph's supervisor decides in turn.
 *
 * The machine is used through XState's pure `transition()`: no actor is created, no timer runs in
 * it; the scope carries out the actions (journals the restart, resets the blocks, waits the
 * backoff). Replaying a run's journal sends the same events with the journaled times, so the
 * history, and every decision, comes out the same after a crash.
 */
export interface SupervisorContext {
  readonly strategy: SupervisionStrategy;
  /** Failed activations per block index: the restarted ones, for the intensity window and the trail. */
  readonly history: Readonly<Record<number, readonly FailureRecord[]>>;
}

export type SupervisorEvent =
  | {
      readonly type: "child.failed";
      /** The block's index in its graph. */
      readonly child: number;
      readonly act: number;
      readonly failure: ErrorInfo;
      readonly policy: RestartPlan | undefined;
      /** Epoch milliseconds of the failure (journaled, so replay decides the same). */
      readonly at: number;
    }
  /** The scope finished or was cancelled: nothing left to supervise. */
  | { readonly type: "stop" };

type ChildFailed = Extract<SupervisorEvent, { type: "child.failed" }>;

/** What the policy of a block says about one failure, before the intensity window is counted. */
export function policyAction(policy: RestartPlan | undefined, failure: Pick<ErrorInfo, "code" | "kind">): { readonly restart: boolean; readonly reason: string } {
  if (policy === undefined) return { restart: false, reason: "not supervised (the block has no restart policy)" };
  const override = (failure.kind !== undefined ? policy.on[failure.kind] : undefined) ?? policy.on[failure.code];
  if (override !== undefined) {
    const key = failure.kind !== undefined && policy.on[failure.kind] !== undefined ? failure.kind : failure.code;
    return { restart: override === "restart", reason: `policy: ${key} failures ${override === "restart" ? "restart" : "escalate"}` };
  }
  switch (policy.type) {
    case "permanent":
      return { restart: true, reason: "permanent" };
    case "transient":
      return failure.code === "typed_failure"
        ? { restart: false, reason: "transient: a typed failure the block returned on purpose is not restarted" }
        : { restart: true, reason: "transient" };
    case "temporary":
      return { restart: false, reason: "temporary: never restarted" };
  }
}

/** The restarts of `child` within the policy's period before `at`. */
function restartsInWindow(context: SupervisorContext, event: ChildFailed): number {
  const period = event.policy?.periodMs ?? 0;
  return (context.history[event.child] ?? []).filter((f) => f.at > event.at - period).length;
}

function recordOf(event: ChildFailed): FailureRecord {
  const { code, message, kind, attempts } = event.failure;
  return { act: event.act, at: event.at, code, message, ...(kind !== undefined ? { kind } : {}), ...(attempts !== undefined ? { attempts } : {}) };
}

/**
 * The supervisor of one graph, as an XState machine: it receives `child.failed` events and decides,
 * by the graph's strategy (`one_for_one`, `one_for_all`, `rest_for_one`) and each child's restart
 * policy and intensity window, which blocks restart and when the failure escalates. The runtime
 * runs it for every supervised graph; docs/supervision.md draws it.
 */
export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
    input: {} as { readonly strategy: SupervisionStrategy },
  },
  guards: {
    policyRestarts: ({ event }) => event.type === "child.failed" && policyAction(event.policy, event.failure).restart,
    withinIntensity: ({ context, event }) => event.type === "child.failed" && restartsInWindow(context, event) < (event.policy?.intensity ?? 0),
  },
  actions: {
    recordRestart: assign({
      history: ({ context, event }) => {
        const failed = event as ChildFailed;
        return { ...context.history, [failed.child]: [...(context.history[failed.child] ?? []), recordOf(failed)] };
      },
    }),
    // Carried out by the scope: these only describe what to do.
    restart: (_, _params: { child: number; act: number; restart: number; strategy: SupervisionStrategy }) => {},
    escalate: (_, _params: { child: number; reason: string; failures: readonly FailureRecord[] }) => {},
  },
}).createMachine({
  id: "supervisor",
  context: ({ input }) => ({ strategy: input.strategy, history: {} }),
  initial: "supervising",
  states: {
    supervising: {
      on: {
        "child.failed": [
          {
            guard: and(["policyRestarts", "withinIntensity"]),
            actions: [
              "recordRestart",
              {
                type: "restart",
                params: ({ context, event }) => ({
                  child: event.child,
                  act: event.act,
                  // The history already holds this failure: restart n of the block.
                  restart: (context.history[event.child] ?? []).length,
                  strategy: context.strategy,
                }),
              },
            ],
          },
          {
            target: "escalated",
            actions: {
              type: "escalate",
              params: ({ context, event }) => {
                const policy = policyAction(event.policy, event.failure);
                const reason = policy.restart
                  ? `intensity: ${restartsInWindow(context, event)} restart${restartsInWindow(context, event) === 1 ? "" : "s"} within ${formatMs(event.policy?.periodMs ?? 0)} (the most allowed is ${event.policy?.intensity ?? 0})`
                  : policy.reason;
                return { child: event.child, reason, failures: [...(context.history[event.child] ?? []), recordOf(event)] };
              },
            },
          },
        ],
        stop: "stopped",
      },
    },
    escalated: { type: "final" },
    stopped: { type: "final" },
  },
});

export type SupervisorSnapshot = ReturnType<typeof initialTransition<typeof supervisorMachine>>[0];

/** What the scope must do after a failure. */
export type SupervisorDecision =
  | { readonly action: "restart"; readonly restart: number; readonly strategy: SupervisionStrategy }
  | { readonly action: "escalate"; readonly reason: string; readonly failures: readonly FailureRecord[] };

/** A new supervisor for a scope. */
export function startSupervisor(strategy: SupervisionStrategy): SupervisorSnapshot {
  return initialTransition(supervisorMachine, { strategy })[0];
}

/** Feeds one failure to the supervisor: the next snapshot and what to do. */
export function superviseFailure(snapshot: SupervisorSnapshot, event: ChildFailed): [SupervisorSnapshot, SupervisorDecision] {
  const [next, actions] = transition(supervisorMachine, snapshot, event);
  for (const action of actions) {
    const params = action.params as Record<string, unknown> | undefined;
    if (action.type === "restart") return [next, { action: "restart", restart: params?.["restart"] as number, strategy: params?.["strategy"] as SupervisionStrategy }];
    if (action.type === "escalate") return [next, { action: "escalate", reason: params?.["reason"] as string, failures: params?.["failures"] as FailureRecord[] }];
  }
  // A stopped or escalated supervisor ignores further failures: the scope is already closed.
  return [next, { action: "escalate", reason: `the supervisor is ${String(next.value)}`, failures: [recordOf(event)] }];
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
