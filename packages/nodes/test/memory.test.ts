import { type BlockReport, check, type JsonValue } from "@blockwork/spec";
import { defineMemory, createGraph, defineContract } from "@blockwork/spec";
import { InProcessMemory, isMemoryError, MemorySpace, MemoryStore, isRunError, run, type MemoryItem } from "@blockwork/core";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { agentBlock, compact, compactionContract, textTokens, type ModelRequest } from "../src/index.js";
import { scriptedModel } from "../src/testing/index.js";
import { pgStore, requirePostgres } from "../../../test/pg.js";

const strip = (o: unknown) => JSON.parse(JSON.stringify(o, (_k, v) => (v instanceof Map ? [...v.entries()] : v)));

// What a compaction block may do wrong: nothing (a good summary), drop everything, drop a pinned
// fact, write too much, throw, answer outside its schema.
type Behaviour = "good" | "empty" | "drops_pinned" | "too_long" | "throws" | "bad_schema";
const behaviour = fc.constantFrom<Behaviour>("good", "empty", "drops_pinned", "too_long", "throws", "bad_schema");

function compactorOf(plan: readonly Behaviour[]) {
  let call = 0;
  return compactionContract.implement(({ mustKeep }) => {
    const b = plan[Math.min(call++, plan.length - 1)] as Behaviour;
    const kept = mustKeep.map((f) => f.text).join(". ");
    if (b === "empty") return { summary: "" };
    if (b === "drops_pinned") return { summary: "Various facts were discussed." };
    if (b === "too_long") return { summary: `${kept}. ${"and so on ".repeat(200)}` };
    if (b === "throws") throw new Error("the compaction model is down");
    if (b === "bad_schema") return { text: kept } as never;
    return { summary: kept === "" ? "Facts were discussed." : kept };
  });
}

const ctxOf = (reports: BlockReport[]) => ({ signal: new AbortController().signal, runId: "r", path: ["a"], attempt: 1, idempotencyKey: "r:a#1", fail: (e: unknown) => e, report: (r: BlockReport) => reports.push(r) }) as never;

describe("compaction (property tests)", () => {
  it("runs whenever core would overflow; a summary that breaks its contract is retried, and when all fail memory is unchanged and the overflow escalates", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ words: fc.integer({ min: 1, max: 8 }), pin: fc.integer({ min: 0, max: 5 }).map((x) => x === 0) }), { minLength: 1, maxLength: 25 }),
        fc.array(behaviour, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 3 }),
        async (facts, plan, attempts) => {
          const policy = { core: { maxTokens: 30 }, onCoreOverflow: "compact" as const, compaction: { maxTokens: 30, attempts } };
          const space = await MemorySpace.open({ backend: new InProcessMemory(), scope: "s", policy, attemptKey: "r:a#1.1", provenance: { runId: "r", path: "a", attempt: 1 }, tokensOf: textTokens });
          const reports: BlockReport[] = [];
          const compactor = compactorOf(plan);
          let count = 0;
          const pinnedTexts: string[] = [];
          for (const [n, fact] of facts.entries()) {
            const text = Array.from({ length: fact.words }, (_, w) => `f${n}w${w}`).join(" ");
            const before = strip(space.state);
            const wouldOverflow = space.tokens("core") + textTokens(text) > 30;
            const compactionsBefore = reports.filter((r) => r.type === "step" && r.step === "memory.compaction").length;
            try {
              const result = await space.commit((d) => void d.remember({ kind: "fact", text, pinned: fact.pin }), (request) => compact({ request, compactor, policy: policy.compaction, ctx: ctxOf(reports), scope: "s", count: ++count, tokensOf: textTokens }));
              if (fact.pin) pinnedTexts.push(text);
              // Never silently over budget, and compaction did run when core overflowed.
              expect(space.tokens("core")).toBeLessThanOrEqual(30);
              if (wouldOverflow) expect(result.compacted || space.tier("core").every((i) => i.pinned)).toBe(true);
            } catch (error) {
              expect(isMemoryError(error)).toBe(true);
              const code = (error as { code: string }).code;
              expect(["compaction_failed", "memory_overflow"]).toContain(code);
              if (code === "compaction_failed") expect(reports.filter((r) => r.type === "step" && r.step === "memory.compaction").length - compactionsBefore).toBe(attempts);
              // A summary never wipes memory: it is exactly as before the write.
              expect(strip(space.state)).toEqual(before);
            }
            // Every pinned fact is still in core: as itself, or word for word inside a summary.
            const core = space.tier("core").map((i: MemoryItem) => i.text).join("\n");
            for (const t of pinnedTexts) expect(core).toContain(t);
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it("escalates an overflow that cannot be compacted (pinned facts larger than any allowed summary) without touching memory", async () => {
    const policy = { core: { maxTokens: 10 }, onCoreOverflow: "compact" as const, compaction: { maxTokens: 10, attempts: 2 } };
    const space = await MemorySpace.open({ backend: new InProcessMemory(), scope: "s", policy, attemptKey: "k", provenance: { runId: "r", path: "a", attempt: 1 }, tokensOf: textTokens });
    await space.commit((d) => void d.remember({ kind: "fact", text: "alpha beta gamma delta epsilon", pinned: true }));
    await space.commit((d) => void d.remember({ kind: "fact", text: "one two" }));
    const before = strip(space.state);
    const reports: BlockReport[] = [];
    const error = await space
      .commit((d) => void d.remember({ kind: "fact", text: "zeta eta theta iota kappa", pinned: true }), (request) => compact({ request, compactor: compactorOf(["good"]), policy: policy.compaction, ctx: ctxOf(reports), scope: "s", count: 1, tokensOf: textTokens }))
      .catch((e: unknown) => e);
    expect(isMemoryError(error) && error.code).toBe("compaction_failed");
    expect((error as Error).message).toMatch(/the summary has \d+ tokens, over its bound of 10/);
    expect(strip(space.state)).toEqual(before);
  });
});

const Notes = defineMemory({ name: "team", level: "thread", threadFrom: "team", kinds: { note: z.object({ by: z.string() }) }, policy: { core: { maxTokens: 2_000 }, recall: { maxItems: 1_000 } } });
const Ask = z.object({ team: z.string(), who: z.string(), count: z.number().int() });

/** An agent that remembers `count` notes, recalls one, forgets it, and answers with what its context held. */
function noteTaker() {
  const reply = (request: ModelRequest) => {
    const input = JSON.parse((request.messages[1]?.content ?? "").replace(/^Input:\n/, "")) as z.output<typeof Ask>;
    const tools = request.messages.filter((m) => m.role === "tool");
    if (tools.length < input.count) return { toolCalls: [{ name: "remember", input: { kind: "note", text: `${input.who} note number${tools.length}`, data: { by: input.who } } }] };
    if (tools.length === input.count) return { toolCalls: [{ name: "recall", input: { query: `number0 ${input.who}` } }] };
    if (tools.length === input.count + 1) {
      const found = JSON.parse(tools[tools.length - 1]?.content ?? "[]") as { id: string; text: string }[];
      if (found[0]) return { toolCalls: [{ name: "forget", input: { id: found[0].id } }] };
    }
    return { json: { inCore: (request.messages[0]?.content.match(/note number\d+/g) ?? []).length } };
  };
  return agentBlock(defineContract({ id: "notes", input: Ask, output: z.object({ inCore: z.number() }) }), {
    instructions: "Take notes.",
    model: scriptedModel({ rules: [{ when: () => true, reply }] }),
    budget: { contextTokens: 4_000, toolCalls: 40 },
    memory: { scopes: [Notes] },
  });
}
const notesGraph = () => createGraph({ id: "notes", input: Ask, output: z.object({ inCore: z.number() }) }).then(noteTaker()).output((_, { notes }) => notes).build();

describe("agent blocks with memory", () => {
  it("put their memory use in the GraphDef (checked: no issues) and list the memory tools", () => {
    const graph = notesGraph();
    expect(graph.def.nodes[0]).toMatchObject({ memory: { contextTokens: 4_000, scopes: [{ read: true, write: true, scope: { name: "team", level: "thread" } }] } });
    expect(check(graph.def)).toEqual([]);
  });

  it("remember, recall and forget through zod-typed tools, report each part's share of the context", async () => {
    const store = new MemoryStore();
    const steps: { step: string; detail: Record<string, JsonValue> }[] = [];
    const out = await run(notesGraph(), { team: "t1", who: "ann", count: 3 }, { store, onEvent: (e) => void (e.type === "block.step" && steps.push({ step: e.step, detail: e.detail as never })) }).result;
    expect(out).toEqual({ inCore: 0 });
    const items = [...store.memory.load("thread:team:t1").items.values()];
    expect(items.map((i) => i.text).sort()).toEqual(["ann note number1", "ann note number2"]);
    expect(items.every((i) => i.provenance.path === "notes" && i.kind === "note")).toBe(true);
    // A second run of the same thread sees the two notes in core.
    expect(await run(notesGraph(), { team: "t1", who: "bob", count: 0 }, { store }).result).toEqual({ inCore: 2 });
    const shares = steps.filter((s) => s.step.startsWith("memory.context.")).map((s) => s.detail);
    expect(shares[0]).toMatchObject({ core: 0, fetched: 0 });
    expect((shares.at(-2) as { fetched: number }).fetched).toBeGreaterThan(0); // the recall result
    for (const s of shares) expect((s["instructions"] as number) + (s["contract"] as number) + (s["input"] as number) + (s["core"] as number) + (s["fetched"] as number) + (s["other"] as number)).toBe(s["total"]);
  });

  it("fail with memory_invalid when a thread scope is keyed by an input field the input lacks", async () => {
    const bad = agentBlock(defineContract({ id: "bad", input: z.object({ x: z.string() }), output: z.object({ ok: z.boolean() }) }), {
      instructions: "x",
      model: scriptedModel([{ json: { ok: true } }]),
      memory: { scopes: [Notes] },
    });
    const graph = createGraph({ id: "bad", input: z.object({ x: z.string() }), output: z.object({ ok: z.boolean() }) }).then(bad).output((_, { bad }) => bad).build();
    const error = await run(graph, { x: "y" }, { store: new MemoryStore() }).result.catch((e: unknown) => e);
    expect(isRunError(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(/keyed by the input field "team", which is missing/);
  });
});

describe("two runs writing one shared scope at once", () => {
  beforeAll(() => requirePostgres());

  it("lose no write: on PostgreSQL, through two stores (two pools), every note of both runs is in the thread's memory", async () => {
    const a = pgStore("shared");
    const b = pgStore("shared", { schema: a.schema });
    await a.connect();
    const [ra, rb] = await Promise.all([run(notesGraph(), { team: "t2", who: "ann", count: 12 }, { store: a }).result, run(notesGraph(), { team: "t2", who: "bob", count: 12 }, { store: b }).result]);
    expect(ra).toBeDefined();
    expect(rb).toBeDefined();
    const state = await a.memory.load("thread:team:t2");
    // Each run forgot its own note 0 (found by recall); the other 22 notes are all there.
    expect([...state.items.values()].map((i) => i.text).sort()).toEqual([...Array.from({ length: 11 }, (_, i) => `ann note number${i + 1}`), ...Array.from({ length: 11 }, (_, i) => `bob note number${i + 1}`)].sort());
    const batches = await b.memory.batches("thread:team:t2");
    expect(batches.map((x) => x.seq)).toEqual(Array.from({ length: batches.length }, (_, i) => i + 1));
  }, 120_000);
});
