import { describe, expect, it } from "vitest";
import { main } from "./client.js";

describe("serving: the LangGraph SDK client drives a graph with a person in the loop", () => {
  it("streams until the run waits, then resumes it with Command({ resume })", async () => {
    const lines: string[] = [];
    const seen = await main({ log: (line) => lines.push(line) });
    expect(seen).toEqual({
      updates: ["assess", "__interrupt__"],
      status: "interrupted",
      output: { order: "ORD-1042", refunded: 240, decision: { approved: true, by: "human", reason: "loyal customer" } },
      checkpoints: 6,
    });
    expect(lines.at(-1)).toMatch(/^output: /);
  });
});
