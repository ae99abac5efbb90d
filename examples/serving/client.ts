// Serving a graph and driving it with the unmodified LangGraph SDK client: a refund that waits for
// a person, answered with Command({ resume }). Run it with
//
//   npx tsx examples/serving/client.ts
//
// (it starts its own server on a free port; against `blockwork serve examples`, point apiUrl at it).
import { Client } from "@langchain/langgraph-sdk";
import { startServer } from "@blockwork/server";
import { refundGraph } from "../refund-approval/refund.graph.js";

/** Starts a server, runs a refund through it until a person approves it, and returns what it saw. */
export async function main(options: { store?: string; log?: (line: string) => void } = {}) {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const server = await startServer({ graphs: [refundGraph], store: options.store ?? "memory", port: 0, ui: false });
  try {
    const client = new Client({ apiUrl: server.url, apiKey: null });
    const [assistant] = await client.assistants.search({ graphId: "refund-approval" });
    log(`assistant ${assistant?.assistant_id} serves graph ${assistant?.graph_id}`);

    const thread = await client.threads.create({ metadata: { customer: "ada" } });
    const updates: string[] = [];
    for await (const chunk of client.runs.stream(thread.thread_id, "refund-approval", {
      input: { customer: "Ada Lovelace", order: "ORD-1042", amount: 240, reason: "The kettle arrived broken" },
      streamMode: "updates",
    })) {
      if (chunk.event === "updates") updates.push(Object.keys(chunk.data as object)[0] as string);
    }
    log(`streamed updates: ${updates.join(", ")}`);

    const waiting = await client.threads.get(thread.thread_id);
    log(`thread is ${waiting.status}, waiting at ${Object.keys(waiting.interrupts).join(", ")}`);

    const result = (await client.runs.wait(thread.thread_id, "refund-approval", { command: { resume: { approved: true, reason: "loyal customer" } } })) as { output: unknown };
    log(`output: ${JSON.stringify(result.output)}`);
    const history = await client.threads.getHistory(thread.thread_id);
    return { updates, status: waiting.status, output: result.output, checkpoints: history.length };
  } finally {
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
