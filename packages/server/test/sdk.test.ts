import { Command } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { broken, gate, gated, refund, shout } from "./fixtures/graphs.js";
import { sdk, serve } from "./helpers.js";

// The real, unmodified @langchain/langgraph-sdk Client against a real server on 127.0.0.1.

type Chunk = { id?: string; event: string; data: unknown };

async function collect(stream: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  for await (const chunk of stream) chunks.push(chunk as Chunk);
  return chunks;
}

describe("the LangGraph SDK client", async () => {
  const server = await serve({ graphs: [shout, gated, refund, broken] });
  const client = sdk(server);

  it("finds assistants, their graphs and their schemas (the contracts)", async () => {
    const all = await client.assistants.search({ limit: 100 });
    expect(all.map((a) => a.graph_id).sort()).toEqual(["broken", "gated", "refund", "shout"]);
    const byGraph = await client.assistants.search({ graphId: "shout" });
    expect(byGraph).toHaveLength(1);
    const assistant = await client.assistants.get(byGraph[0]!.assistant_id);
    expect(assistant).toMatchObject({ graph_id: "shout", version: 1, name: "shout", description: "Shouts a text and counts it" });
    expect((await client.assistants.get("shout")).assistant_id).toBe(assistant.assistant_id);

    const schemas = await client.assistants.getSchemas(assistant.assistant_id);
    expect(schemas.input_schema).toEqual(shout.def.contract.input);
    expect(schemas.output_schema).toEqual(shout.def.contract.output);
    expect(schemas.state_schema).toMatchObject({ type: "object", properties: { input: shout.def.contract.input } });

    const graph = await client.assistants.getGraph(assistant.assistant_id);
    expect(graph.nodes.map((n) => n.id)).toEqual(["__start__", "upper", "exclaim", "count", "__end__"]);
    expect(graph.edges).toEqual([
      { source: "__start__", target: "upper" },
      { source: "upper", target: "exclaim" },
      { source: "exclaim", target: "count" },
      { source: "count", target: "__end__" },
    ]);
  });

  it("creates, reads, searches, patches and deletes threads", async () => {
    const thread = await client.threads.create({ metadata: { owner: "ada" } });
    expect(thread).toMatchObject({ status: "idle", metadata: { owner: "ada" }, values: {} });
    expect((await client.threads.get(thread.thread_id)).thread_id).toBe(thread.thread_id);
    const patched = await client.threads.update(thread.thread_id, { metadata: { team: "x" } });
    expect(patched.metadata).toEqual({ owner: "ada", team: "x" });
    const found = await client.threads.search({ metadata: { owner: "ada" } });
    expect(found.map((t) => t.thread_id)).toContain(thread.thread_id);
    expect(await client.threads.count({ metadata: { owner: "ada", team: "x" } })).toBe(1);
    expect(await client.assistants.count({ graphId: "shout" })).toBe(1);
    await client.threads.delete(thread.thread_id);
    await expect(client.threads.get(thread.thread_id)).rejects.toMatchObject({ status: 404 });
  });

  it("streams a run: metadata first, then each block's update and the values, in journal order", async () => {
    const thread = await client.threads.create();
    let created: { run_id: string; thread_id?: string } | undefined;
    const chunks = await collect(
      client.runs.stream(thread.thread_id, "shout", { input: { text: "hi" }, streamMode: ["updates", "values", "debug", "events"], onRunCreated: (meta) => (created = meta) }),
    );
    expect(chunks[0]?.event).toBe("metadata");
    expect(chunks[0]?.data).toMatchObject({ run_id: created?.run_id, thread_id: thread.thread_id });
    expect(created?.thread_id).toBe(thread.thread_id);
    const updates = chunks.filter((c) => c.event === "updates").map((c) => c.data);
    expect(updates).toEqual([{ upper: { text: "HI" } }, { exclaim: { text: "HI!" } }, { count: { length: 3 } }]);
    const values = chunks.filter((c) => c.event === "values").map((c) => c.data as { blocks: object; output?: unknown });
    expect(values[0]).toEqual({ input: { text: "hi" }, blocks: {} });
    expect(values.at(-1)).toEqual({ input: { text: "hi" }, blocks: { upper: { text: "HI" }, exclaim: { text: "HI!" }, count: { length: 3 } }, output: { text: "HI!", length: 3 } });
    expect(chunks.filter((c) => c.event === "debug").map((c) => (c.data as { type: string }).type)).toEqual(["checkpoint", "task_result", "task_result", "task_result"]);
    const events = chunks.filter((c) => c.event === "events").map((c) => `${(c.data as { event: string }).event}:${(c.data as { name: string }).name}`);
    expect(events).toEqual(["on_chain_start:shout", "on_chain_end:upper", "on_chain_end:exclaim", "on_chain_end:count", "on_chain_end:shout"]);
    // Ids are unique and increasing, so a client can reconnect after any of them.
    const ids = chunks.map((c) => c.id as string);
    expect(new Set(ids).size).toBe(ids.length);

    const state = await client.threads.getState(thread.thread_id);
    expect(state.values).toMatchObject({ output: { text: "HI!", length: 3 } });
    expect(state.next).toEqual([]);
    const history = await client.threads.getHistory(thread.thread_id, { limit: 10 });
    expect(history.map((h) => Object.keys(h.values as object).length > 0)).toEqual([true, true, true, true]);
    expect(history.map((h) => (h.metadata as { step: number }).step)).toEqual([3, 2, 1, 0]);
    expect((history[1]?.values as { blocks: object }).blocks).toEqual({ upper: { text: "HI" }, exclaim: { text: "HI!" } });
    const older = await client.threads.getHistory(thread.thread_id, { limit: 2, before: { configurable: { checkpoint_id: history[1]!.checkpoint.checkpoint_id } } as never });
    expect(older.map((h) => (h.metadata as { step: number }).step)).toEqual([1, 0]);
    expect((await client.threads.get(thread.thread_id)).status).toBe("idle");
  });

  it("runs in the background; join waits for the values; get and list show the run", async () => {
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, "gated", { input: { key: "bg" } });
    expect(["pending", "running"]).toContain(run.status);
    expect((await client.threads.get(thread.thread_id)).status).toBe("busy");
    await expect(client.runs.create(thread.thread_id, "gated", { input: { key: "bg2" } })).rejects.toMatchObject({ status: 409 });
    gate("bg").open();
    const values = (await client.runs.join(thread.thread_id, run.run_id)) as { output: unknown };
    expect(values.output).toEqual({ done: true });
    expect((await client.runs.get(thread.thread_id, run.run_id)).status).toBe("success");
    expect((await client.runs.list(thread.thread_id)).map((r) => r.run_id)).toEqual([run.run_id]);
    await client.runs.delete(thread.thread_id, run.run_id);
    await expect(client.runs.get(thread.thread_id, run.run_id)).rejects.toMatchObject({ status: 404 });
  });

  it("cancels a run", async () => {
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, "gated", { input: { key: "never" } });
    await client.runs.cancel(thread.thread_id, run.run_id, true);
    const after = await client.runs.get(thread.thread_id, run.run_id);
    expect(after.status).toBe("interrupted");
    await expect(client.runs.join(thread.thread_id, run.run_id)).resolves.toMatchObject({ __error__: { error: "run_cancelled" } });
  });

  it("interrupts at a suspension and resumes with Command({ resume }); wrong resume data is a 422 with the contract's issues", async () => {
    const thread = await client.threads.create();
    const chunks = await collect(client.runs.stream(thread.thread_id, "refund", { input: { amount: 240 }, streamMode: ["updates", "values"] }));
    const interrupt = chunks.find((c) => c.event === "updates" && "__interrupt__" in (c.data as object));
    expect(interrupt?.data).toEqual({ __interrupt__: [{ id: "approve#1", value: { question: "Refund 240 EUR?" }, when: "during", resumable: true, ns: ["approve"] }] });
    const interrupted = await client.threads.get(thread.thread_id);
    expect(interrupted.status).toBe("interrupted");
    expect(interrupted.interrupts).toEqual({ "approve#1": [expect.objectContaining({ id: "approve#1", value: { question: "Refund 240 EUR?" } })] });
    const state = await client.threads.getState(thread.thread_id);
    expect(state.next).toEqual(["approve"]);
    expect(state.tasks[0]?.interrupts[0]?.id).toBe("approve#1");

    const wrong = client.runs.wait(thread.thread_id, "refund", { command: { resume: { approved: "yes" } } });
    const error = (await wrong.catch((e: unknown) => e)) as { status: number; text: string };
    expect(error.status).toBe(422);
    const body = JSON.parse(error.text) as { error: string; issues: { path: string[] }[] };
    expect(body.error).toBe("resume_invalid");
    expect(body.issues.map((i) => i.path.join("."))).toEqual(expect.arrayContaining(["approved", "reason"]));
    expect((await client.threads.get(thread.thread_id)).status).toBe("interrupted");

    const command = new Command({ resume: { approved: true, reason: "loyal customer" } });
    const result = (await client.runs.wait(thread.thread_id, "refund", { command: { resume: command.resume } })) as { output: unknown };
    expect(result.output).toEqual({ refunded: 240 });
    expect((await client.threads.get(thread.thread_id)).status).toBe("idle");
    const runs = await client.runs.list(thread.thread_id);
    expect(runs.map((r) => r.status)).toEqual(["success", "interrupted"]);
  });

  it("rejoins a stream with Last-Event-ID: exactly the events after it, none lost or repeated", async () => {
    const thread = await client.threads.create();
    const runP = client.runs.create(thread.thread_id, "shout", { input: { text: "abc" }, streamMode: ["updates", "values", "debug"] });
    const run = await runP;
    await client.runs.join(thread.thread_id, run.run_id);
    const all = await collect(client.runs.joinStream(thread.thread_id, run.run_id));
    expect(all.length).toBeGreaterThan(6);
    for (let k = 0; k < all.length; k++) {
      const rest = await collect(client.runs.joinStream(thread.thread_id, run.run_id, { lastEventId: all[k]!.id as string }));
      expect(rest.map((c) => c.id)).toEqual(all.slice(k + 1).map((c) => c.id));
    }
  });

  it("reconnects by itself after the connection drops mid-stream, with Last-Event-ID", async () => {
    // A fetch that cuts the first stream response after three events: the SDK reconnects to the
    // Location the server gave, with the last id it saw.
    const requests: { url: string; lastEventId: string | null }[] = [];
    let cutNow: (() => void) | undefined;
    const flaky: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      requests.push({ url: String(input), lastEventId: headers.get("last-event-id") });
      const response = await fetch(input, init);
      if (cutNow !== undefined || !response.headers.get("content-type")?.includes("text/event-stream")) return response;
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          cutNow = () => {
            void reader.cancel();
            controller.error(new TypeError("terminated"));
          };
        },
        async pull(controller) {
          const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
          if (done) return;
          controller.enqueue(value as Uint8Array);
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const flakyClient = sdk(server, { fetch: flaky });
    const thread = await client.threads.create();
    const key = "reconnect";
    const chunks: Chunk[] = [];
    for await (const chunk of flakyClient.runs.stream(thread.thread_id, "gated", { input: { key }, streamMode: ["updates", "values"] })) {
      chunks.push(chunk as Chunk);
      // The connection drops right after the client has seen the third event; then the run goes on.
      if (chunks.length === 3) {
        cutNow?.();
        gate(key).open();
      }
    }
    expect(requests.filter((r) => r.lastEventId !== null), JSON.stringify(requests)).toHaveLength(1);
    const reference = await collect(client.runs.joinStream(thread.thread_id, (chunks[0]!.data as { run_id: string }).run_id));
    expect(chunks.map((c) => c.id)).toEqual(reference.map((c) => c.id));
    expect(chunks.filter((c) => c.event === "updates").map((c) => Object.keys(c.data as object)[0])).toEqual(["before", "hold", "after"]);
  });

  it("surfaces errors as SDK errors: unknown graph, bad input, a failing run", async () => {
    const thread = await client.threads.create();
    await expect(client.runs.wait(thread.thread_id, "nope", { input: {} })).rejects.toMatchObject({ status: 404 });
    const bad = (await client.runs.wait(thread.thread_id, "shout", { input: { text: 3 } }).catch((e: unknown) => e)) as { status: number; text: string };
    expect(bad.status).toBe(422);
    expect(JSON.parse(bad.text)).toMatchObject({ error: "input_invalid", issues: [{ path: ["text"] }] });
    await expect(client.runs.wait(thread.thread_id, "broken", { input: { text: "x" } })).rejects.toThrow(/block_failed: .*cannot handle x/);
    const chunks = await collect(client.runs.stream(thread.thread_id, "broken", { input: { text: "y" } }));
    expect(chunks.at(-1)).toMatchObject({ event: "error", data: { error: "block_failed", message: expect.stringContaining("cannot handle y") } });
    expect((await client.threads.get(thread.thread_id)).status).toBe("error");
    await expect(client.threads.get("not-a-uuid")).rejects.toMatchObject({ status: 422 });
    await expect(client.runs.get(thread.thread_id, "00000000-0000-4000-8000-000000000000")).rejects.toMatchObject({ status: 404 });
  });

  it("runs without a thread: runs.stream(null) and runs.wait(null)", async () => {
    const chunks = await collect(client.runs.stream(null, "shout", { input: { text: "no thread" }, streamMode: "updates" }));
    expect(chunks.map((c) => c.event)).toEqual(["metadata", "updates", "updates", "updates"]);
    const result = (await client.runs.wait(null, "shout", { input: { text: "x" } })) as { output: unknown };
    expect(result.output).toEqual({ text: "X!", length: 2 });
    expect(z.string().uuid().safeParse((chunks[0]!.data as { thread_id: string }).thread_id).success).toBe(true);
  });
});
