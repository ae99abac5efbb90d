/**
 * Agent blocks: orchestration overhead per model call, and the size of each call's context.
 *
 * - 10,000 agent calls (a map over an agent block, concurrency 500) to a fake OpenAI-compatible
 *   server in another process answering after 50 ms, against 10,000 raw fetch calls with the same
 *   body at the same concurrency, in the same run: wall time, and client CPU time per call.
 * - Context tokens per call in the support-agent example, against one monolithic prompt holding
 *   every block's instructions, contracts and data.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MemoryStore, run, type RunEvent } from "@blockwork/core";
import { agentBlock, countContextTokens, openAICompatible } from "@blockwork/nodes";
import { scriptedModel } from "@blockwork/nodes/testing";
import { createGraph, defineContract, mapOf } from "@blockwork/spec";
import { z } from "zod";
import { makeSupportAgent } from "../examples/support-agent/support.graph.js";
import type { Row } from "./table.js";

const here = dirname(fileURLToPath(import.meta.url));

async function startServer(delayMs: number): Promise<{ url: string; child: ChildProcess }> {
  // The same loader flags as this process (tsx, and the source condition in development).
  const child = spawn(process.execPath, [...process.execArgv, join(here, "fake-server.child.ts"), String(delayMs)], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once("exit", (code) => reject(new Error(`the fake server exited with ${code}`)));
  });
  return { url, child };
}

/** Runs `count` jobs, `concurrency` at a time. */
async function pool(count: number, concurrency: number, job: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

function measure<T>(fn: () => Promise<T>): Promise<{ wallMs: number; cpuUs: number; value: T }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  return fn().then((value) => {
    const used = process.cpuUsage(cpu);
    return { wallMs: performance.now() - start, cpuUs: used.user + used.system, value };
  });
}

async function calls(quick: boolean): Promise<Row[]> {
  const count = quick ? 500 : 10_000;
  const concurrency = quick ? 50 : 500;
  const { url, child } = await startServer(50);
  try {
    const Item = z.object({ text: z.string() });
    const label = agentBlock(defineContract({ id: "label", input: Item, output: z.object({ label: z.string(), score: z.number() }) }), {
      instructions: "Label the text.",
      model: openAICompatible({ baseURL: url, model: "fake", provider: "fake" }),
    });
    const graph = createGraph({ id: "batch", input: z.object({ items: z.array(Item) }), output: z.object({ results: z.array(z.object({ label: z.string(), score: z.number() })) }) })
      .then(mapOf(label, { id: "each", concurrency }), (input) => ({ items: input.items }))
      .output((_, { each }) => each)
      .build();
    const items = Array.from({ length: count }, (_, i) => ({ text: `item number ${i}` }));
    const body = JSON.stringify({ model: "fake", messages: [{ role: "system", content: "Label the text." }, { role: "user", content: "Input:\n{}" }] });
    // Warm both paths up (JIT, connection pools) before measuring.
    await run(graph, { items: items.slice(0, concurrency) }, { store: new MemoryStore() }).result;
    await pool(concurrency, concurrency, () => fetch(`${url}/chat/completions`, { method: "POST", body, headers: { "content-type": "application/json" } }).then((r) => r.json()));
    const raw = await measure(() => pool(count, concurrency, () => fetch(`${url}/chat/completions`, { method: "POST", body, headers: { "content-type": "application/json" } }).then((r) => r.json())));
    const ours = await measure(() => run(graph, { items }, { store: new MemoryStore() }).result);
    const point = (v: number) => ({ median: v, min: v, max: v });
    const label10k = count.toLocaleString("en");
    return [
      { name: `${label10k} model calls, 50 ms each, ${concurrency} at once: raw fetch`, unit: "ms wall", ...point(raw.wallMs) },
      { name: `${label10k} model calls: agent blocks in a map`, unit: "ms wall", ...point(ours.wallMs), baselineName: "raw fetch", ratio: ours.wallMs / raw.wallMs },
      { name: "  client CPU per call: raw fetch", unit: "µs", ...point(raw.cpuUs / count) },
      {
        name: "  client CPU per call: agent block",
        unit: "µs",
        ...point(ours.cpuUs / count),
        baselineName: "raw fetch",
        ratio: ours.cpuUs / raw.cpuUs,
        note: `orchestration overhead ≈ ${Math.round((ours.cpuUs - raw.cpuUs) / count)} µs/call (prompt, token count, AI SDK, parse, contract, journal)`,
      },
    ];
  } finally {
    child.kill("SIGTERM");
  }
}

/** Context tokens per call in the support-agent example against one prompt holding everything. */
async function context(): Promise<Row[]> {
  const events: RunEvent[] = [];
  const model = scriptedModel({
    rules: [
      { when: /^Classify the customer's support ticket/, reply: { json: { category: "billing", urgency: "low", summary: "The customer was charged twice for the last invoice." } } },
      {
        when: /^Write the reply to the customer/,
        reply: (request) =>
          request.messages.some((m) => m.role === "tool")
            ? { json: { reply: "Hello Jo, invoice INV-2041 (1290 EUR) was charged once and is paid; no duplicate charge reached us. The Support Team" } }
            : { toolCalls: [{ name: "lookup_invoice", input: { customer: "acme" } }] },
      },
      { when: /^Review a support reply/, reply: [{ json: { verdict: "revise", issues: ["quote the invoice number"] } }, { json: { verdict: "approve", issues: [] } }] },
    ],
  });
  const ticket = { customer: "acme", subject: "Charged twice?", body: "Hi, our last invoice seems to have been charged twice. Can you check and refund the duplicate? Thanks, Jo" };
  await run(makeSupportAgent(model), ticket, { onEvent: (e) => events.push(e) }).result;
  const perCall = events.filter((e): e is Extract<RunEvent, { type: "block.usage" }> => e.type === "block.usage").map((e) => e.contextTokens);
  const mean = perCall.reduce((a, b) => a + b, 0) / perCall.length;
  // One prompt for the whole job: every block's system prompt (instructions and contract) and all
  // the data the blocks exchanged, as a single agent would need it.
  const systems = [...new Set(model.calls.map((c) => c.messages[0]?.content ?? ""))];
  const data = model.calls.flatMap((c) => c.messages.slice(1).map((m) => m.content));
  const monolithic = countContextTokens([
    { role: "system", content: systems.join("\n\n") },
    { role: "user", content: [...new Set(data)].join("\n") },
  ]);
  const point = (v: number) => ({ median: v, min: Math.min(...perCall), max: Math.max(...perCall) });
  return [
    { name: "support-agent: one monolithic prompt (all instructions, contracts, data)", unit: "tokens", median: monolithic, min: monolithic, max: monolithic },
    { name: `support-agent: context per agent call (${perCall.length} calls)`, unit: "tokens", ...point(Math.round(mean)), baselineName: "monolithic prompt", ratio: mean / monolithic },
  ];
}

export async function agentRows(quick: boolean): Promise<Row[]> {
  return [...(await calls(quick)), ...(await context())];
}
