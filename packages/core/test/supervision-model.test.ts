import type { RestartDef } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { getSimplePaths } from "xstate/graph";
import { type ErrorInfo, MemoryStore, run, supervisorMachine } from "../src/index.js";
import { restartPlanOf } from "../src/plan/plan.js";
import { pipeline, type Step, script } from "./fixtures/supervised.js";

// Model-based tests of supervision: XState's graph utilities walk every simple path of the
// supervisor machine (each a sequence of failures of one block), and each path is then played
// against the real runtime, which must restart and escalate exactly as the path says.

/** The failures a block can have, as the machine sees them and as a scripted block produces them. */
const failures = {
  throw: { failure: { code: "block_failed", message: "threw" }, step: "throw" },
  typed: { failure: { code: "typed_failure", message: "typed" }, step: "typed" },
  refusal: { failure: { code: "block_failed", message: "refused", kind: "refusal" }, step: { throw: "refused", kind: "refusal" } },
  rate_limit: { failure: { code: "block_failed", message: "429", kind: "rate_limit" }, step: { throw: "429", kind: "rate_limit" } },
} as const satisfies Record<string, { failure: Pick<ErrorInfo, "code" | "message" | "kind">; step: Step }>;

const failureOf = (v: Variant): Pick<ErrorInfo, "code" | "message" | "kind"> => failures[v].failure;

type Variant = keyof typeof failures;

const policies: Record<string, RestartDef | undefined> = {
  none: undefined,
  temporary: { type: "temporary" },
  transient: { type: "transient", intensity: 2 },
  "permanent, refusals escalate": { type: "permanent", intensity: 2, on: { refusal: "escalate" } },
  "temporary, rate limits restart": { type: "temporary", intensity: 1, on: { rate_limit: "restart" } },
};

describe.each(Object.entries(policies))("supervisor model: %s", (_name, restart) => {
  const policy = restart === undefined ? undefined : restartPlanOf(restart);
  const paths = getSimplePaths(supervisorMachine, {
    input: { strategy: "one_for_one" },
    events: (snapshot) => {
      const seen = Object.values(snapshot.context.history).flat().length;
      return (Object.keys(failures) as Variant[]).map((v) => ({ type: "child.failed" as const, child: 1, act: seen + 1, failure: { ...failureOf(v), variant: v } as ErrorInfo, policy, at: seen + 1 }));
    },
  }).filter((path) => path.steps.length > 1);

  it("has paths to walk", () => {
    expect(paths.length).toBeGreaterThan(3);
  });

  it.each(paths.map((path) => [path.steps.slice(1).map((s) => (s.event as unknown as { failure: { variant: Variant } }).failure.variant).join(" → "), path] as const))(
    "%s",
    async (_label, path) => {
      const variants = path.steps.slice(1).map((s) => (s.event as unknown as { failure: { variant: Variant } }).failure.variant);
      const s = script({ b: variants.map((v) => failures[v].step) });
      const store = new MemoryStore();
      const handle = run(pipeline(s, restart ? { restart: { ...restart, initialDelayMs: 0, jitter: 0 } } : {}), { n: 0 }, { store });
      const outcome = await handle.result.then(
        (output) => ({ output }),
        (error: { info: ErrorInfo }) => ({ error: error.info }),
      );
      const restarts = store.journal(handle.id).filter((e) => e.kind === "block.restarted");
      if (path.state.value === "escalated") {
        // The runtime gave up where the model did, for the model's reason, after the model's restarts.
        expect("error" in outcome).toBe(true);
        const trail = (outcome as { error: ErrorInfo }).error.trail ?? [];
        expect(trail).toHaveLength(1);
        expect(trail[0]?.failures).toHaveLength(variants.length);
        expect(trail[0]?.failures.map((f) => f.kind ?? f.code)).toEqual(variants.map((v) => failureOf(v).kind ?? failureOf(v).code));
        expect(restarts).toHaveLength(variants.length - 1);
      } else {
        // Every failure on the path was restarted; the next call succeeds and the run completes.
        expect(outcome).toEqual({ output: { n: 3 } });
        expect(restarts.map((e) => e.restart)).toEqual(variants.map((_, i) => i + 1));
        expect(s.trace.filter((t) => t.startsWith("b"))).toHaveLength(variants.length + 1);
      }
    },
  );
});
