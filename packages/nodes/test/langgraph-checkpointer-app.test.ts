import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type PostgresStore, run, SqliteStore } from "@blockwork/core";
import { createGraph, defineContract } from "@blockwork/spec";
import { Annotation, Command, interrupt, StateGraph } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { pgStore, requirePostgres, schemaName } from "../../../test/pg.js";
import { BlockworkCheckpointSaver, type CheckpointStore } from "../src/langgraph/index.js";

// A real LangGraph app (LangGraph's own engine) keeping its threads in a Blockwork store, next to
// Blockwork runs, and continuing a thread after the store was closed and opened again.

const State = Annotation.Root({
  topic: Annotation<string>,
  notes: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  approved: Annotation<boolean>,
});

function app(store: CheckpointStore, calls: string[]) {
  return new StateGraph(State)
    .addNode("research", async (s) => {
      calls.push("research");
      return { notes: [`${s.topic} is old`] };
    })
    .addNode("review", async () => {
      calls.push("review");
      return { approved: (interrupt({ question: "publish?" }) as { ok: boolean }).ok };
    })
    .addEdge("__start__", "research")
    .addEdge("research", "review")
    .addEdge("review", "__end__")
    .compile({ checkpointer: new BlockworkCheckpointSaver(store) });
}

const echo = createGraph({ id: "echo", input: z.object({ n: z.number() }), output: z.object({ n: z.number() }) })
  .then(defineContract({ id: "double", input: z.object({ n: z.number() }), output: z.object({ n: z.number() }) }).implement(({ n }) => ({ n: n * 2 })))
  .output((_, r) => r.double)
  .build();

const stores: { name: string; open: () => { store: CheckpointStore; again: () => CheckpointStore } }[] = [
  {
    name: "SqliteStore",
    open: () => {
      const file = join(mkdtempSync(join(tmpdir(), "bw-lg-app-")), "app.sqlite");
      return { store: new SqliteStore(file), again: () => new SqliteStore(file) };
    },
  },
  {
    name: "PostgresStore",
    open: () => {
      const schema = schemaName("lgapp");
      return { store: pgStore("lgapp", { schema }), again: () => pgStore("lgapp", { schema }) as PostgresStore };
    },
  },
];

describe.each(stores)("a LangGraph app on BlockworkCheckpointSaver($name)", ({ name, open }) => {
  it("interrupts, survives the store being closed, resumes without re-running finished nodes, and shares the store with Blockwork runs", async () => {
    if (name === "PostgresStore") await requirePostgres();
    const { store, again } = open();
    const calls: string[] = [];
    const thread = { configurable: { thread_id: "thread-a" } };
    await app(store, calls).invoke({ topic: "tea" }, thread);
    expect(calls).toEqual(["research", "review"]);
    const waiting = await app(store, calls).getState(thread);
    expect(waiting.next).toEqual(["review"]);
    expect(waiting.tasks[0]?.interrupts[0]?.value).toEqual({ question: "publish?" });
    // A Blockwork run in the same store.
    await expect(run(echo, { n: 21 }, { store }).result).resolves.toEqual({ n: 42 });
    await store.close();

    const reopened = again();
    const resumed = await app(reopened, calls).invoke(new Command({ resume: { ok: true } }), thread);
    expect(resumed).toEqual({ topic: "tea", notes: ["tea is old"], approved: true });
    expect(calls).toEqual(["research", "review", "review"]);
    const history = [];
    for await (const snapshot of app(reopened, calls).getStateHistory(thread)) history.push(snapshot.metadata?.source);
    expect(history).toEqual(["loop", "loop", "loop", "input"]);
    expect(await reopened.listRuns()).toHaveLength(1);
    await new BlockworkCheckpointSaver(reopened).deleteThread("thread-a");
    expect((await app(reopened, calls).getState(thread)).values).toEqual({});
    await reopened.close();
  });
});
