import { beforeAll, describe, expect, it } from "vitest";
import { pgStore, requirePostgres } from "../../../test/pg.js";
import { gate, gated, refund, shout } from "./fixtures/graphs.js";
import { sdk, serve } from "./helpers.js";

// Two servers on one PostgreSQL schema: runs execute on the workers each server starts, threads
// and runs live in the database, so either server answers for anything the other started.

type Chunk = { id?: string; event: string; data: unknown };

async function collect(stream: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  for await (const chunk of stream) chunks.push(chunk as Chunk);
  return chunks;
}

describe("two servers sharing one PostgreSQL schema", () => {
  beforeAll(() => requirePostgres());

  it("share threads and runs: start on one, follow, stream, rejoin and resume on the other", async () => {
    const storeA = pgStore("server");
    const storeB = pgStore("server", { schema: storeA.schema });
    const graphs = [shout, gated, refund];
    const a = sdk(await serve({ graphs, store: storeA, workers: 2, pollMs: 50 }));
    const b = sdk(await serve({ graphs, store: storeB, workers: 2, pollMs: 50 }));

    const thread = await a.threads.create({ metadata: { by: "a" } });
    expect((await b.threads.get(thread.thread_id)).metadata).toEqual({ by: "a" });

    const result = (await a.runs.wait(thread.thread_id, "shout", { input: { text: "pg" } })) as { output: unknown };
    expect(result.output).toEqual({ text: "PG!", length: 3 });
    const state = await b.threads.getState(thread.thread_id);
    expect((state.values as { output: unknown }).output).toEqual({ text: "PG!", length: 3 });

    // A stream from A; the same run's stream from B has the same events with the same ids.
    const streamed = await collect(a.runs.stream(thread.thread_id, "shout", { input: { text: "ab" }, streamMode: ["updates", "values"] }));
    const runId = (streamed[0]?.data as { run_id: string }).run_id;
    expect(streamed.filter((c) => c.event === "updates").map((c) => Object.keys(c.data as object)[0])).toEqual(["upper", "exclaim", "count"]);
    const fromB = await collect(b.runs.joinStream(thread.thread_id, runId));
    expect(fromB.map((c) => c.id)).toEqual(streamed.map((c) => c.id));
    const rejoined = await collect(b.runs.joinStream(thread.thread_id, runId, { lastEventId: streamed[3]?.id as string }));
    expect(rejoined.map((c) => c.id)).toEqual(streamed.slice(4).map((c) => c.id));

    // A run in progress on A: B refuses a second one on the thread, and B's join sees it end.
    const busy = await a.runs.create(thread.thread_id, "gated", { input: { key: "pg-busy" } });
    await expect(b.runs.create(thread.thread_id, "shout", { input: { text: "no" } })).rejects.toMatchObject({ status: 409 });
    const joined = b.runs.join(thread.thread_id, busy.run_id);
    gate("pg-busy").open();
    expect(((await joined) as { output: unknown }).output).toEqual({ done: true });
    expect((await a.runs.get(thread.thread_id, busy.run_id)).status).toBe("success");

    // Suspended through A, resumed through B.
    const waiting = await a.threads.create();
    const interrupted = (await a.runs.wait(waiting.thread_id, "refund", { input: { amount: 30 } })) as { __interrupt__: { id: string }[] };
    expect(interrupted.__interrupt__.map((i) => i.id)).toEqual(["approve#1"]);
    expect((await b.threads.get(waiting.thread_id)).status).toBe("interrupted");
    await expect(b.runs.wait(waiting.thread_id, "refund", { command: { resume: { approved: 1 } } })).rejects.toMatchObject({ status: 422 });
    const resumed = (await b.runs.wait(waiting.thread_id, "refund", { command: { resume: { approved: true, reason: "ok" } } })) as { output: unknown };
    expect(resumed.output).toEqual({ refunded: 30 });
    expect((await a.threads.get(waiting.thread_id)).status).toBe("idle");
  }, 120_000);

  it("is stateless: a run started on a server that then stops is finished by the workers and followed from the other", async () => {
    const storeA = pgStore("stateless");
    const storeB = pgStore("stateless", { schema: storeA.schema });
    const serverA = await serve({ graphs: [gated], store: storeA, workers: 0, pollMs: 50 });
    const b = sdk(await serve({ graphs: [gated], store: storeB, workers: 2, pollMs: 50 }));
    const a = sdk(serverA);
    const thread = await a.threads.create();
    const run = await a.runs.create(thread.thread_id, "gated", { input: { key: "pg-stateless" } });
    await serverA.close();
    gate("pg-stateless").open();
    expect(((await b.runs.join(thread.thread_id, run.run_id)) as { output: unknown }).output).toEqual({ done: true });
    expect((await b.runs.get(thread.thread_id, run.run_id)).status).toBe("success");
  }, 120_000);
});
