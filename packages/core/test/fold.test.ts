import { createGraph, defineContract, type GraphBlock } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { foldRun, type JournalEntry, newRunRecord, run, type RunOutcome, runTask } from "../src/index.js";
import { fanOut, loop, mapGraph, N, routed } from "./fixtures/graphs.js";
import { joinInLoop } from "./fixtures/loop-graphs.js";

/**
 * A single "worker" that runs a run task by task through foldRun/runTask, the way workers sharing a
 * store do, picking ready tasks in the order `pick` chooses. Returns the outcome and the journal.
 */
async function drive(graph: GraphBlock, input: unknown, pick: (n: number) => number = () => 0) {
  const record = newRunRecord(graph, input);
  const journal: JournalEntry[] = [];
  for (let steps = 0; steps < 1_000; steps++) {
    const fold = foldRun(graph, record, journal);
    if (fold.outcome) return { outcome: fold.outcome, journal };
    expect(fold.ready.length).toBeGreaterThan(0);
    const task = fold.ready[pick(fold.ready.length)] as (typeof fold.ready)[number];
    const result = await runTask(graph, record, journal, task.key);
    for (const entry of result.entries) journal.push({ ...entry, seq: journal.length + 1 } as JournalEntry);
    if (result.outcome) return { outcome: result.outcome, journal };
  }
  throw new Error("the run did not end");
}

async function inProcess(graph: GraphBlock, input: unknown): Promise<RunOutcome> {
  try {
    return { status: "completed", output: (await run(graph, input as never).result) as never };
  } catch (error) {
    return { status: "failed", error: (error as { info: never }).info };
  }
}

describe("foldRun and runTask (running a run task by task)", () => {
  it("runs loop passes task by task as run() does: a pass's entry is written with the task that ends the pass", async () => {
    for (const pick of [() => 0, (n: number) => n - 1]) {
      const { outcome, journal } = await drive(joinInLoop([], { slowMs: 0 }), {}, pick);
      expect(outcome).toEqual({ status: "completed", output: { rounds: 3, pair: "A3/K3" } });
      expect(journal.filter((e) => e.kind === "loop.pass").map((e) => [e.act, e.path, (e as { from?: string }).from])).toEqual([
        [2, "b0", "b4"],
        [3, "b0", "b4"],
      ]);
      const pairs = journal.flatMap((e) => (e.kind === "block.completed" && e.path === "b6" ? [(e.output as { pair: string }).pair] : []));
      expect(pairs).toEqual(["A1/K1", "A2/K2", "A3/K3"]);
    }
  });

  const items = [1, 2, 3, 4, 5].map((n) => ({ n }));
  const cases: [string, () => GraphBlock, unknown][] = [
    ["a route and a merge", () => routed([]), { n: 3 }],
    ["parallel branches and a join", () => fanOut([], 1), { n: 0 }],
    ["a bounded loop", () => loop([], { max: 5, onExhausted: false, passAt: 3 }), {}],
    ["a loop that exhausts into onExhausted", () => loop([], { max: 2, onExhausted: true, passAt: 99 }), {}],
    ["a map", () => mapGraph({ concurrency: 2, delayMs: 0 }).graph, { items }],
    ["a collecting map with a failure", () => mapGraph({ concurrency: 2, delayMs: 0, collect: true, failOn: 3 }).graph, { items }],
    ["a map that fails", () => mapGraph({ concurrency: 2, delayMs: 0, failOn: 3 }).graph, { items }],
  ];

  it.each(cases)("%s ends as it does in one process", async (_, make, input) => {
    const graph = make();
    const expected = await inProcess(graph, input);
    const { outcome } = await drive(graph, input);
    if (expected.status === "failed") expect(outcome).toMatchObject({ status: "failed", error: { code: expected.error.code } });
    else expect(outcome).toEqual(expected);
  });

  it("gives the same outcome whatever order ready tasks are taken in", async () => {
    for (let seed = 1; seed <= 5; seed++) {
      let x = seed;
      const random = (n: number) => ((x = (x * 1103515245 + 12345) % 2 ** 31), x % n);
      const { outcome } = await drive(mapGraph({ concurrency: 3, delayMs: 0 }).graph, { items }, random);
      expect(outcome).toEqual({ status: "completed", output: { out: { results: items.map(({ n }) => ({ n: n * n })) } } });
    }
  });

  it("reports a failed attempt with its delay and lets the next attempt run later", async () => {
    let calls = 0;
    const flaky = defineContract({ id: "flaky", input: N, output: N }).implement(({ n }) => {
      if (++calls < 3) throw new Error(`try ${calls}`);
      return { n };
    });
    const graph = createGraph({ id: "retry", input: N, output: N })
      .then(flaky, (input) => input, { retry: { attempts: 3, initialDelayMs: 1_000, jitter: 0 } })
      .output((_, { flaky }) => flaky)
      .build();
    const record = newRunRecord(graph, { n: 7 });
    const journal: JournalEntry[] = [];
    const first = await runTask(graph, record, journal, "flaky#1");
    expect(first.entries).toMatchObject([{ kind: "attempt.failed", attempt: 1, delayMs: 1_000 }]);
    journal.push({ ...first.entries[0], seq: 1 } as JournalEntry);
    const fold = foldRun(graph, record, journal);
    expect(fold.ready).toEqual([{ key: "flaky#1", path: "flaky", act: 1, attempt: 2, notBefore: (journal[0] as JournalEntry).at + 1_000 }]);
    const { outcome } = await drive(graph, { n: 7 });
    expect(outcome).toEqual({ status: "completed", output: { n: 7 } });
  });

  it("refuses a task that is not ready", async () => {
    const graph = routed([]);
    const record = newRunRecord(graph, { n: 1 });
    await expect(runTask(graph, record, [], "done#1")).rejects.toMatchObject({ code: "journal_mismatch", message: expect.stringContaining("ready: classify#1") });
    expect(() => newRunRecord(graph, { n: "x" })).toThrow(/input does not satisfy/);
  });
});
