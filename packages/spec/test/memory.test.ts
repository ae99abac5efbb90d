import { describe, expect, it } from "vitest";
import { z } from "zod";
import { check, defineMemory, GRAPH_DEF_FORMAT, type GraphDef, isBlockworkError, type MemoryScopeDef, parseGraphDef } from "../src/index.js";

const scope = (over: Partial<MemoryScopeDef> = {}): MemoryScopeDef => ({ name: "notes", level: "thread", threadFrom: "user", kinds: { note: {} }, policy: { core: { maxTokens: 100 } }, ...over });
const graphWith = (uses: { read: boolean; write: boolean; scope: MemoryScopeDef }[][]): GraphDef => ({
  format: GRAPH_DEF_FORMAT,
  id: "g",
  contract: { input: { type: "object" }, output: { type: "object" } },
  entry: ["b0"],
  nodes: uses.map((scopes, i) => ({ id: `b${i}`, kind: "code" as const, block: `b${i}`, contract: { input: { type: "object" }, output: { type: "object" } }, memory: { contextTokens: 1_000, scopes } })),
  edges: uses.slice(1).map((_, i) => ({ from: `b${i}`, to: `b${i + 1}` })),
});

describe("defineMemory", () => {
  it("refuses a thread scope without threadFrom, and a policy with a misspelt field, saying which (invalid_memory)", () => {
    const thrown = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const a = thrown(() => defineMemory({ name: "x", level: "thread", kinds: {}, policy: { core: { maxTokens: 10 } } }));
    expect(isBlockworkError(a) && a.code).toBe("invalid_memory");
    expect((a as Error).message).toMatch(/needs threadFrom/);
    const b = thrown(() => defineMemory({ name: "x", level: "graph", kinds: {}, policy: { core: { maxTokens: 10, maxToken: 5 } } as never }));
    expect((b as Error).message).toMatch(/policy\.core: Unrecognized key: "maxToken"/);
    expect(defineMemory({ name: "x", level: "graph", kinds: { fact: z.object({ topic: z.string() }) }, policy: { core: { maxTokens: 10 } } }).def.kinds["fact"]).toMatchObject({ type: "object" });
  });
});

describe("the checker's memory rules", () => {
  it("accepts a GraphDef with memory (the loader keeps it) and finds nothing wrong in a consistent one", () => {
    const def = graphWith([[{ read: true, write: true, scope: scope() }], [{ read: true, write: false, scope: scope() }]]);
    const parsed = parseGraphDef(def);
    expect(parsed.ok).toBe(true);
    expect(check(def)).toEqual([]);
  });

  it("reports an unwritten thread scope as a warning, an unwritten graph scope as an error", () => {
    const thread = check(graphWith([[{ read: true, write: false, scope: scope() }]]));
    expect(thread.map((i) => [i.code, i.severity])).toEqual([["memory_scope_unwritten", "warning"]]);
    const graph = check(graphWith([[{ read: true, write: false, scope: scope({ level: "graph" }) }]]));
    expect(graph.map((i) => [i.code, i.severity])).toEqual([["memory_scope_unwritten", "error"]]);
  });

  it("adds up the core budgets of every scope a block reads against its context budget", () => {
    const two = [
      { read: true, write: true, scope: scope({ name: "a", policy: { core: { maxTokens: 600 } } }) },
      { read: true, write: true, scope: scope({ name: "b", policy: { core: { maxTokens: 600 } } }) },
    ];
    expect(check(graphWith([two])).map((i) => i.message)).toEqual([expect.stringContaining("reads core memory of up to 1200 tokens (a: 600, b: 600) but its context budget is 1000 tokens")]);
  });
});
