import { describe, expect, it } from "vitest";
import { type ErrorInfo, foldRun, type JournalEntry, MemoryStore, newRunRecord, resume, type RunEvent, type RunRecord, run, runTask, trackBlocks } from "../src/index.js";
import { fanIn, nested, pipeline, script } from "./fixtures/supervised.js";

const fast = { initialDelayMs: 0, jitter: 0 } as const;

function events(): { list: RunEvent[]; onEvent: (e: RunEvent) => void } {
  const list: RunEvent[] = [];
  return { list, onEvent: (e) => list.push(e) };
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; info: ErrorInfo; message: string }> {
  const error = await promise.then(
    () => {
      throw new Error("expected the run to fail");
    },
    (e: unknown) => e,
  );
  return error as { code: string; info: ErrorInfo; message: string };
}

describe("supervision: restart policies", () => {
  it("restarts a failed block as a new activation, journals each restart, and does not run its predecessors again", async () => {
    const s = script({ b: ["throw", "throw"] });
    const store = new MemoryStore();
    const ev = events();
    const h = run(pipeline(s, { restart: { type: "permanent", intensity: 3, ...fast } }), { n: 0 }, { store, onEvent: ev.onEvent });
    await expect(h.result).resolves.toEqual({ n: 3 });
    expect(s.trace).toEqual(["a#1", "b#1", "b#2", "b#3", "c#1"]);
    expect(store.journal(h.id).map((e) => `${e.kind} ${e.path}#${e.act}`)).toEqual([
      "block.completed a#1",
      "block.restarted b#1",
      "block.restarted b#2",
      "block.completed b#3",
      "block.completed c#1",
    ]);
    const restarts = ev.list.filter((e) => e.type === "block.restarted");
    expect(restarts).toMatchObject([
      { path: "b", act: 1, restart: 1, restarted: ["b"], error: { code: "block_failed", cause: "b failed on call 1" } },
      { path: "b", act: 2, restart: 2, restarted: ["b"] },
    ]);
  });

  it("escalates once the restarts within the period exceed the intensity: the run fails with the trail of every failure", async () => {
    const s = script({ b: ["throw", "throw", "throw", "throw"] });
    const ev = events();
    const error = await failure(run(pipeline(s, { restart: { type: "permanent", intensity: 2, periodMs: 60_000, ...fast } }), { n: 0 }, { onEvent: ev.onEvent }).result);
    expect(s.trace).toEqual(["a#1", "b#1", "b#2", "b#3"]);
    expect(error.code).toBe("block_failed");
    expect(error.info.path).toBe("b");
    expect(error.info.trail).toHaveLength(1);
    const [step] = error.info.trail ?? [];
    expect(step?.path).toBe("b");
    expect(step?.reason).toBe("intensity: 2 restarts within 60 s (the most allowed is 2)");
    expect(step?.failures.map((f) => [f.act, f.code, f.message])).toEqual([
      [1, "block_failed", "threw: b failed on call 1"],
      [2, "block_failed", "threw: b failed on call 2"],
      [3, "block_failed", "threw: b failed on call 3"],
    ]);
    expect(error.message).toMatch(/\[b escalated: intensity: 2 restarts within 60 s/);
    expect(ev.list.filter((e) => e.type === "block.escalated")).toMatchObject([{ path: "b", act: 3 }]);
  });

  it("counts only the restarts within the period", async () => {
    // Three failures 30 ms apart with a 20 ms window: never more than one restart in the window.
    const s = script({ b: ["throw", { wait: 30, then: "throw" }, { wait: 30, then: "throw" }] });
    const h = run(pipeline(s, { restart: { type: "permanent", intensity: 1, periodMs: 20, ...fast } }), { n: 0 });
    await expect(h.result).resolves.toEqual({ n: 3 });
    expect(s.trace.filter((t) => t.startsWith("b"))).toEqual(["b#1", "b#2", "b#3", "b#4"]);
  });

  it("records each attempt's cause when a block had retries before its supervisor gave up", async () => {
    const s = script({ b: ["throw", "throw", "throw", "throw"] });
    const error = await failure(run(pipeline(s, { restart: { type: "permanent", intensity: 1, ...fast }, retry: { attempts: 2, initialDelayMs: 0, jitter: 0 } }), { n: 0 }).result);
    const [step] = error.info.trail ?? [];
    expect(step?.failures.map((f) => f.attempts?.map((a) => a.message))).toEqual([
      ["threw: b failed on call 1", "threw: b failed on call 2"],
      ["threw: b failed on call 3", "threw: b failed on call 4"],
    ]);
  });

  it("transient restarts a throw but not a typed failure the block returned on purpose; permanent restarts both", async () => {
    const transient = await failure(run(pipeline(script({ b: ["typed"] }), { restart: { type: "transient", ...fast } }), { n: 0 }).result);
    expect(transient.code).toBe("typed_failure");
    expect(transient.info.trail?.[0]?.reason).toMatch(/^transient: a typed failure/);

    const thrown = script({ b: ["throw"] });
    await expect(run(pipeline(thrown, { restart: { type: "transient", ...fast } }), { n: 0 }).result).resolves.toEqual({ n: 3 });

    const typed = script({ b: ["typed"] });
    await expect(run(pipeline(typed, { restart: { type: "permanent", ...fast } }), { n: 0 }).result).resolves.toEqual({ n: 3 });
    expect(typed.trace).toEqual(["a#1", "b#1", "b#2", "c#1"]);
  });

  it("temporary, and no policy at all, never restart", async () => {
    const temporary = await failure(run(pipeline(script({ b: ["throw"] }), { restart: { type: "temporary" } }), { n: 0 }).result);
    expect(temporary.info.trail?.[0]?.reason).toBe("temporary: never restarted");
    const none = await failure(run(pipeline(script({ b: ["throw"] })), { n: 0 }).result);
    expect(none.info.trail?.[0]?.reason).toBe("not supervised (the block has no restart policy)");
    // Without a policy the message is the block's own: supervision adds nothing to read.
    expect(none.message).toMatch(/block b: threw: b failed on call 1$/);
  });

  it("maps failure classes to actions: a rate limit restarts, a refusal escalates, whatever the type says", async () => {
    const restart = { type: "permanent", on: { refusal: "escalate", rate_limit: "restart" }, ...fast } as const;
    const limited = script({ b: [{ throw: "429", kind: "rate_limit" }] });
    await expect(run(pipeline(limited, { restart }), { n: 0 }).result).resolves.toEqual({ n: 3 });
    const refused = await failure(run(pipeline(script({ b: [{ throw: "no", kind: "refusal" }] }), { restart }), { n: 0 }).result);
    expect(refused.info).toMatchObject({ kind: "refusal", trail: [{ reason: "policy: refusal failures escalate" }] });
    // An error code works as a key too, and the kind wins over the code.
    const byCode = { type: "temporary", on: { block_failed: "restart" }, ...fast } as const;
    await expect(run(pipeline(script({ b: ["throw"] }), { restart: byCode }), { n: 0 }).result).resolves.toEqual({ n: 3 });
  });

  it("waits the backoff before a restart", async () => {
    const s = script({ b: ["throw"] });
    const ev = events();
    await run(pipeline(s, { restart: { type: "permanent", initialDelayMs: 80, jitter: 0 } }), { n: 0 }, { onEvent: ev.onEvent }).result;
    const restarted = ev.list.find((e) => e.type === "block.restarted");
    const again = ev.list.find((e) => e.type === "block.started" && e.path === "b" && e.act === 2);
    expect(restarted).toMatchObject({ delayMs: 80 });
    expect((again?.at ?? 0) - (restarted?.at ?? 0)).toBeGreaterThanOrEqual(79);
  });
});

describe("supervision: strategies", () => {
  // x, y and z start together; y fails after x completed and while z runs.
  const steps = { x: ["ok"], y: [{ wait: 20, then: "throw" }], z: [{ wait: 60 }] } as const;
  const restart = { type: "permanent", ...fast } as const;

  it("one_for_one restarts only the failed block", async () => {
    const s = script(steps as never);
    await expect(run(fanIn(s, "one_for_one", restart), { n: 0 }).result).resolves.toEqual({ n: 3 });
    expect(s.trace.sort()).toEqual(["join", "x#1", "y#1", "y#2", "z#1"]);
  });

  it("one_for_all restarts every block of the graph, the completed and the running ones", async () => {
    const s = script(steps as never);
    const store = new MemoryStore();
    const h = run(fanIn(s, "one_for_all", restart), { n: 0 }, { store });
    await expect(h.result).resolves.toEqual({ n: 3 });
    expect(s.trace.sort()).toEqual(["join", "x#1", "x#2", "y#1", "y#2", "z#1", "z#2"]);
    const entry = store.journal(h.id).find((e) => e.kind === "block.restarted");
    expect(entry).toMatchObject({ path: "y", restarted: ["x", "y", "z"] });
    // The abandoned first run of z wrote nothing: its activation 1 has no entry.
    expect(store.journal(h.id).filter((e) => e.path === "z").map((e) => e.act)).toEqual([2]);
  });

  it("rest_for_one restarts the failed block and the blocks that started after it", async () => {
    const s = script(steps as never);
    const store = new MemoryStore();
    const h = run(fanIn(s, "rest_for_one", restart), { n: 0 }, { store });
    await expect(h.result).resolves.toEqual({ n: 3 });
    expect(s.trace.sort()).toEqual(["join", "x#1", "y#1", "y#2", "z#1", "z#2"]);
    expect(store.journal(h.id).find((e) => e.kind === "block.restarted")).toMatchObject({ path: "y", restarted: ["y", "z"] });
  });

  it("aborts the signal of a running block that a restart takes along", async () => {
    const s = script({ y: [{ wait: 10, then: "throw" }], z: [{ wait: 5_000 }] });
    const started = Date.now();
    await expect(run(fanIn(s, "one_for_all", restart), { n: 0 }).result).resolves.toEqual({ n: 3 });
    // z's first call waited on its signal: the restart aborted it instead of waiting 5 s.
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});

describe("supervision: escalation through subgraphs", () => {
  it("a failure the inner graph cannot handle escalates to the outer graph, which restarts the whole subgraph", async () => {
    const s = script({ b: ["throw"] });
    const store = new MemoryStore();
    const h = run(nested(s, { outer: { type: "permanent", ...fast } }), { n: 0 }, { store });
    await expect(h.result).resolves.toEqual({ n: 5 });
    expect(s.trace).toEqual(["before#1", "a#1", "b#1", "a#2", "b#2", "c#1", "after#1"]);
    const journal = store.journal(h.id).map((e) => `${e.kind} ${e.path}#${e.act}`);
    expect(journal).toEqual([
      "block.completed before#1",
      "block.completed inner/a#1",
      "block.restarted inner#1",
      // The second activation of the subgraph has its own paths.
      "block.completed inner@2/a#1",
      "block.completed inner@2/b#1",
      "block.completed inner@2/c#1",
      "block.completed after#1",
    ]);
  });

  it("the inner supervisor acts first; only what it gives up on reaches the outer one", async () => {
    const s = script({ b: ["throw", "throw", "throw"] });
    const h = run(nested(s, { inner: { type: "permanent", intensity: 1, ...fast }, outer: { type: "permanent", intensity: 1, ...fast } }), { n: 0 });
    await expect(h.result).resolves.toEqual({ n: 5 });
    // inner: b#1 fails and is restarted; b#2 fails once too often, so inner escalates and outer
    // restarts it; the new inner has a fresh supervisor: b#3 fails and is restarted, b#4 succeeds.
    expect(s.trace).toEqual(["before#1", "a#1", "b#1", "b#2", "a#2", "b#3", "b#4", "c#1", "after#1"]);
  });

  it("names every supervisor on the way up in the trail when the top gives up", async () => {
    const s = script({ b: ["throw", "throw", "throw", "throw", "throw"] });
    const error = await failure(run(nested(s, { inner: { type: "permanent", intensity: 1, ...fast }, outer: { type: "permanent", intensity: 1, ...fast } }), { n: 0 }).result);
    expect(error.info.path).toBe("inner@2/b");
    expect(error.info.trail?.map((t) => [t.path, t.failures.length, t.reason.split(":")[0]])).toEqual([
      ["inner@2/b", 2, "intensity"],
      ["inner", 2, "intensity"],
    ]);
  });
});

describe("supervision: lifecycle", () => {
  it("every event of a run with restarts is a step the block lifecycle machine allows", async () => {
    const s = script({ y: [{ wait: 10, then: "throw" }], z: [{ wait: 40 }] });
    const tracker = trackBlocks();
    const h = run(fanIn(s, "rest_for_one", { type: "permanent", ...fast }), { n: 0 }, { onEvent: (e) => tracker.apply(e) });
    await h.result;
    expect(tracker.violations).toEqual([]);
    expect(Object.fromEntries(tracker.states())).toEqual({ x: "completed", y: "completed", z: "completed", join: "completed" });
  });
});

describe("supervision across processes (foldRun / runTask)", () => {
  it("a task that fails for good yields the restart entry, and the fold then has the block ready after its backoff", async () => {
    const s = script({ a: ["throw"] });
    const graph = pipeline(s, { restart: { type: "permanent", initialDelayMs: 500, jitter: 0 } });
    const record = newRunRecord(graph, { n: 0 });
    const first = foldRun(graph, record, []);
    expect(first.ready.map((t) => t.key)).toEqual(["a#1"]);
    const result = await runTask(graph, record, [], "a#1");
    expect(result.outcome).toBeUndefined();
    expect(result.entries).toMatchObject([{ kind: "block.restarted", path: "a", act: 1, delayMs: 500, restarted: ["a"] }]);
    const journal = result.entries.map((e, i) => ({ ...e, seq: i + 1 })) as never;
    const next = foldRun(graph, record, journal);
    const at = (result.entries[0] as { at: number }).at;
    expect(next.ready).toEqual([{ key: "a#2", path: "a", act: 2, attempt: 1, notBefore: at + 500 }]);
  });
});

/**
 * Runs a graph until the first restart is journaled and takes a copy of the store at that moment:
 * what a process that died right then would leave behind.
 */
async function snapshotAtRestart(start: (store: MemoryStore, onEvent: (e: RunEvent) => void) => { id: string; result: Promise<unknown> }) {
  const store = new MemoryStore();
  let copy: { record: RunRecord; journal: JournalEntry[] } | undefined;
  const h = start(store, (e) => {
    if (e.type === "block.restarted" && copy === undefined) {
      queueMicrotask(() => {
        copy = { record: store.getRun(h.id) as RunRecord, journal: store.journal(h.id) };
      });
    }
  });
  await h.result;
  if (copy === undefined) throw new Error("no restart happened");
  const crashed = new MemoryStore();
  crashed.createRun(copy.record);
  for (const entry of copy.journal) crashed.append(copy.record.id, entry);
  return { store: crashed, runId: copy.record.id, journal: copy.journal };
}

describe("supervision: resuming a run whose journal holds restarts", () => {
  it("replays a one_for_all restart: the abandoned activations never run again, the new ones do", async () => {
    const restart = { type: "permanent", initialDelayMs: 30, jitter: 0 } as const;
    const steps = { y: [{ wait: 10, then: "throw" }], z: [{ wait: 40 }] } as const;
    const { store, runId, journal } = await snapshotAtRestart((st, onEvent) => run(fanIn(script(steps as never), "one_for_all", restart), { n: 0 }, { store: st, onEvent }));
    expect(journal.map((e) => `${e.kind} ${e.path}#${e.act}`)).toEqual(["block.completed x#1", "block.restarted y#1"]);
    const s = script();
    const ev = events();
    const h = await resume(runId, { store, graph: fanIn(s, "one_for_all", restart), onEvent: ev.onEvent });
    await expect(h.result).resolves.toEqual({ n: 3 });
    expect(s.trace.sort()).toEqual(["join", "x#1", "y#1", "z#1"]);
    expect(ev.list.filter((e) => e.type === "block.started").map((e) => `${(e as { path: string }).path}#${(e as { act: number }).act}`).sort()).toEqual(["join#1", "x#2", "y#2", "z#2"]);
    expect(store.journal(runId).map((e) => `${e.kind} ${e.path}#${e.act}`).slice(2).sort()).toEqual([
      "block.completed join#1",
      "block.completed x#2",
      "block.completed y#2",
      "block.completed z#2",
    ]);
  });

  it("replays the restart of a subgraph: the resumed run goes on in its new activation", async () => {
    const outer = { type: "permanent", initialDelayMs: 20, jitter: 0 } as const;
    const { store, runId, journal } = await snapshotAtRestart((st, onEvent) => run(nested(script({ b: ["throw"] }), { outer }), { n: 0 }, { store: st, onEvent }));
    expect(journal.map((e) => `${e.kind} ${e.path}#${e.act}`)).toEqual(["block.completed before#1", "block.completed inner/a#1", "block.restarted inner#1"]);
    const s = script();
    const h = await resume(runId, { store, graph: nested(s, { outer }) });
    await expect(h.result).resolves.toEqual({ n: 5 });
    expect(s.trace).toEqual(["a#1", "b#1", "c#1", "after#1"]);
    expect(store.journal(runId).slice(3).map((e) => e.path)).toEqual(["inner@2/a", "inner@2/b", "inner@2/c", "after"]);
  });
});
