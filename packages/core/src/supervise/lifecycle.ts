import { initialTransition, setup, transition } from "xstate";
import type { RunEvent } from "../events.js";

/**
 * The lifecycle of one block in a run, as an XState machine over the run's own events: the
 * single definition of which block events may follow which. It is drawn in docs/supervision.md,
 * every path through it is driven against the real runtime in the model-based tests, and
 * {@link trackBlocks} folds a run's events through it to tell, per block, where it stands.
 *
 * The runtime does not interpret the machine on its hot path (a step costs about a microsecond;
 * interpreting a statechart per step would cost more than the step); the model-based tests hold
 * the runtime to it instead.
 *
 * - `idle`: not started yet (or ruled out by a route; that is not an event).
 * - `running`: an attempt runs. A retry (`block.retried`) waits in `retrying`.
 * - `suspended`: it waits for a human or outside event (`block.suspended`); once resumed
 *   (`resumed`), its next attempt starts with the data.
 * - `completed`: done; a loop may start it again (a new activation).
 * - `failed`: it failed for good (after its retries), or with a typed error an error edge routes.
 *   Its supervisor then restarts it (`restarting`) or escalates (`escalated`); without a restart
 *   policy the graph around it fails and nothing more happens to it.
 * - `restarting`: a restart reset it (its own, or a sibling's under `one_for_all` / `rest_for_one`)
 *   and it waits for its backoff; it starts again as a new activation.
 */
export type LifecycleEvent =
  | { readonly type: "block.started" }
  | { readonly type: "block.completed" }
  | { readonly type: "block.failed" }
  | { readonly type: "block.retried" }
  | { readonly type: "block.restarted" }
  | { readonly type: "block.escalated" }
  | { readonly type: "block.suspended" }
  | { readonly type: "block.resumed" };

/**
 * The lifecycle of one block as an XState machine over its run events (the states are described at
 * {@link LifecycleEvent}); {@link trackBlocks} folds a run's events through it.
 */
export const blockLifecycle = setup({
  types: { events: {} as LifecycleEvent },
}).createMachine({
  id: "block",
  initial: "idle",
  states: {
    idle: {
      on: { "block.started": "running" },
    },
    running: {
      on: {
        "block.completed": "completed",
        "block.failed": "failed",
        "block.retried": "retrying",
        "block.suspended": "suspended",
        // Taken along by a sibling's restart.
        "block.restarted": "restarting",
      },
    },
    retrying: {
      on: { "block.started": "running", "block.restarted": "restarting" },
    },
    suspended: {
      on: { "block.resumed": "resumed", "block.restarted": "restarting" },
    },
    resumed: {
      // Its next attempt starts at once (in the same tick), with the data it was resumed with.
      on: { "block.started": "running" },
    },
    completed: {
      // A loop came back to it, or a sibling's restart takes it along.
      on: { "block.started": "running", "block.restarted": "restarting" },
    },
    failed: {
      // A typed failure routed by an error edge: a loop may start it again.
      on: { "block.restarted": "restarting", "block.escalated": "escalated", "block.started": "running" },
    },
    restarting: {
      on: { "block.started": "running", "block.restarted": "restarting" },
    },
    escalated: { type: "final" },
  },
});

/** One block's step through its lifecycle. */
export interface BlockChange {
  readonly path: string;
  readonly from: BlockState;
  readonly event: LifecycleEvent["type"];
  readonly state: BlockState;
}

/** Where a block stands in its lifecycle: a state of {@link blockLifecycle}. */
export type BlockState = "idle" | "running" | "retrying" | "suspended" | "resumed" | "completed" | "failed" | "restarting" | "escalated";

type LifecycleSnapshot = ReturnType<typeof initialTransition<typeof blockLifecycle>>[0];

/** Per block path: where each block of a run stands, from the run's events. */
export interface BlockTracker {
  /** Applies one run event; returns the blocks whose state it changed. */
  apply(event: RunEvent): readonly BlockChange[];
  state(path: string): BlockState;
  /** Every block seen so far, in the order first seen. */
  states(): ReadonlyMap<string, BlockState>;
  /** Events the lifecycle does not allow (a runtime bug if ever non-empty). */
  readonly violations: readonly string[];
}

/**
 * Folds a run's events through the block lifecycle machine (XState's pure `transition`), for
 * progress displays and `runs show`. Events the lifecycle does not allow are collected in
 * `violations` rather than thrown, so a display never breaks a run.
 */
export function trackBlocks(): BlockTracker {
  const snapshots = new Map<string, LifecycleSnapshot>();
  const violations: string[] = [];
  const initial = initialTransition(blockLifecycle)[0];
  const step = (path: string, type: LifecycleEvent["type"]) => {
    const before = snapshots.get(path) ?? initial;
    if (!before.can({ type })) {
      violations.push(`${path}: ${type} in state ${String(before.value)}`);
      return undefined;
    }
    const [after] = transition(blockLifecycle, before, { type });
    snapshots.set(path, after);
    return { path, from: before.value as BlockState, event: type, state: after.value as BlockState };
  };
  return {
    apply(event) {
      switch (event.type) {
        case "block.started":
        case "block.completed":
        case "block.failed":
        case "block.retried":
        case "block.escalated":
        case "block.suspended":
        case "block.resumed": {
          const changed = step(event.path, event.type);
          return changed ? [changed] : [];
        }
        case "block.restarted": {
          // The failed block and the siblings its graph's strategy takes along.
          const prefix = event.path.slice(0, event.path.lastIndexOf("/") + 1);
          const paths = new Set([event.path, ...event.restarted.map((id) => `${prefix}${id}`)]);
          return [...paths].filter((p) => p === event.path || snapshots.has(p)).flatMap((p) => step(p, "block.restarted") ?? []);
        }
        default:
          return [];
      }
    },
    state(path) {
      return (snapshots.get(path)?.value as BlockState | undefined) ?? "idle";
    },
    states() {
      return new Map([...snapshots].map(([path, s]) => [path, s.value as BlockState]));
    },
    violations,
  };
}
