import { readFileSync } from "node:fs";
import { join } from "node:path";
import { check } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { fences, root } from "../../test/docs-snippets.js";
import * as agent from "./agent.js";
import * as fanOut from "./fan-out.js";
import * as human from "./human.js";
import * as loop from "./loop.js";
import * as route from "./route.js";
import * as subgraph from "./subgraph.js";

// docs/cookbook.md shows these files; this test runs each recipe, checks its graphs, and holds
// the page to the files: every `ts file=...` block is the file's text, and every file is shown.
const PAGE = "docs/cookbook.md";

describe("the cookbook's recipes run", () => {
  it("fan-out: mapOf runs a block per item, results in item order", async () => {
    expect(check(fanOut.paragraphStats.def)).toEqual([]);
    expect(await fanOut.demo()).toEqual({ perParagraph: [3, 2, 1], words: 6 });
  });

  it("route: each ticket takes its branch, merged with firstOf", async () => {
    expect(check(route.triage.def)).toEqual([]);
    expect(await route.demo()).toEqual([
      { reply: "Our billing team will look at your invoice.", kind: "billing" },
      { reply: "Please send us the error message.", kind: "tech" },
      { reply: "Thanks, we will get back to you.", kind: "other" },
    ]);
  });

  it("loop: the review sends the draft back once, then approves", async () => {
    expect(check(loop.writeUp.def)).toEqual([]);
    expect(await loop.demo()).toEqual({ text: "Loops: add an example.", approved: true });
  });

  it("subgraph: one graph used twice as a block", async () => {
    expect(check(subgraph.compare.def)).toEqual([]);
    expect(await subgraph.demo()).toEqual({ shared: ["contracts", "have"] });
  });

  it("human: the run waits for the person and ends with their answer", async () => {
    expect(check(human.review.def)).toEqual([]);
    expect(await human.demo()).toEqual({ waitedFor: [{ question: 'Publish "Cookbook"?' }], output: { approved: true, note: "ship it" } });
  });

  it("agent: a contract-breaking answer is sent back, the second is accepted (scripted model)", async () => {
    expect(check(agent.makeSentiment().def)).toEqual([]);
    expect(await agent.demo()).toEqual({ output: { mood: "positive", because: "works well" }, modelCalls: 2 });
  });
});

describe(PAGE, () => {
  const shown = fences(PAGE).filter((f) => f.lang === "ts");

  it("shows each recipe file exactly as it is", () => {
    const files = shown.map((f) => f.tags.find((t) => t.startsWith("file="))?.slice("file=".length));
    expect(files.every((f) => f !== undefined), "every ts block names its file (```ts file=examples/cookbook/x.ts)").toBe(true);
    for (const [i, file] of files.entries()) expect(`${shown[i]?.text}\n`, file).toBe(readFileSync(join(root, file as string), "utf8"));
  });

  it("shows every recipe of examples/cookbook", () => {
    const files = shown.map((f) => f.tags.find((t) => t.startsWith("file="))?.slice("file=".length)).sort();
    expect(files).toEqual(["agent", "fan-out", "human", "loop", "route", "subgraph"].map((n) => `examples/cookbook/${n}.ts`).sort());
  });
});
