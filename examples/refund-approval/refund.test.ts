import { readFileSync } from "node:fs";
import { MemoryStore, run } from "@blockwork/core";
import { check } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { refundGraph } from "./refund.graph.js";

const request = JSON.parse(readFileSync(new URL("./request.json", import.meta.url), "utf8")) as { customer: string; order: string; amount: number; reason: string };

describe("refund-approval: a person in the loop", () => {
  it("passes the checker", () => {
    expect(check(refundGraph.def)).toEqual([]);
  });

  it("approves a small refund by policy without asking anyone", async () => {
    await expect(run(refundGraph, { ...request, amount: 30 }).result).resolves.toEqual({
      order: "ORD-1042",
      refunded: 30,
      decision: { approved: true, by: "policy", reason: "30 EUR is within the 100 EUR limit" },
    });
  });

  it("waits for a person above the limit, and settles with their decision", async () => {
    const store = new MemoryStore();
    const handle = run(refundGraph, request, { store });
    await expect(handle.settled()).resolves.toMatchObject({
      status: "suspended",
      suspensions: [{ id: "approve#1", payload: { question: "Refund 240 EUR on ORD-1042 to Ada Lovelace? (limit 100 EUR)", reason: "The kettle arrived broken" } }],
    });
    await expect(handle.resume("approve", { approved: false, reason: "" })).rejects.toMatchObject({ code: "resume_invalid" });
    await handle.resume("approve", { approved: false, reason: "outside the return window" });
    await expect(handle.result).resolves.toEqual({
      order: "ORD-1042",
      refunded: 0,
      decision: { approved: false, by: "human", reason: "outside the return window" },
    });
  });
});
