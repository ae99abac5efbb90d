import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "@blockwork/core";
import { describe, expect, it } from "vitest";
import { converse, toCsv } from "./conversation.js";
import { scriptedSupportModel } from "./scripted.js";

const dir = mkdtempSync(join(tmpdir(), "memory-support-"));

describe("examples/memory-support (a scripted model that answers from its context only)", () => {
  it("keeps the context within budget over 1,000 turns and still answers turn 3's fact at turn 900", async () => {
    const store = new SqliteStore(join(dir, "support.sqlite"));
    const { calls, replies, evictions } = await converse(store, scriptedSupportModel(), 1000);
    expect(replies.get(900)).toBe("Your order number is ORD-7731.");
    // Turn 5's fact left core (unused for 40 turns) and recall (300 turns): found by search_archive.
    expect(replies.get(901)).toBe("You use Firefox on Linux.");
    expect(calls.filter((c) => c.turn === 900)).toHaveLength(1); // the pinned fact was in core: no tool call
    // recall finds nothing (an empty list, 1 token); search_archive finds the fact.
    expect(calls.filter((c) => c.turn === 901).map((c) => c.fetched > 10)).toEqual([false, false, true]);
    expect(Math.max(...calls.map((c) => c.total))).toBeLessThanOrEqual(2_000);
    expect(Math.max(...calls.map((c) => c.core))).toBeLessThanOrEqual(300);
    expect(evictions).toBeGreaterThan(600);
    // The CSV next to the example is what this run produces (run.ts writes it).
    expect(toCsv(calls)).toBe(readFileSync(new URL("./context-tokens.csv", import.meta.url), "utf8"));
    store.close();
  }, 300_000);

  it("does not know the order number in a thread that was never told it (the answer comes from memory)", async () => {
    const store = new SqliteStore(join(dir, "other.sqlite"));
    const model = scriptedSupportModel();
    const { replies } = await converse(store, model, 2, "cust-new");
    expect(replies.get(1)).toMatch(/setting/);
    const { supportGraph } = await import("./support.graph.js");
    const { run } = await import("@blockwork/core");
    const asked = await run(supportGraph(model), { customerId: "cust-new", turn: 900, message: "What is my order number again?" }, { store }).result;
    expect(asked).toEqual({ reply: "I do not know your order number." });
    store.close();
  }, 60_000);
});
