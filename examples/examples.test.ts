import { readFileSync } from "node:fs";
import { MemoryStore, run } from "@blockwork/core";
import { check } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { compose, digestGraph, normalise, rankSentences } from "./text-digest/digest.graph.js";
import { groupCommits, releaseNotesGraph, review } from "./release-notes/release-notes.graph.js";
import { billingReply, classify, technicalReply, triageGraph } from "./support-triage/triage.graph.js";
import { runBlock } from "./test-helpers.js";

describe("the example graphs", () => {
  it.each([
    ["text-digest", digestGraph],
    ["support-triage", triageGraph],
    ["release-notes", releaseNotesGraph],
  ])("%s passes the checker with no errors and no warnings", (_, graph) => {
    expect(check(graph.def)).toEqual([]);
  });

  it("text-digest runs end to end", async () => {
    const text = "Graphs are made of blocks. Blocks have contracts. Contracts are checked. The sky is blue.";
    await expect(run(digestGraph, { text, maxSentences: 2 }).result).resolves.toEqual({
      // "blocks" and "contracts" occur twice: the sentences with both rank first.
      summary: "Blocks have contracts. Contracts are checked.",
      keywords: ["blocks", "contracts", "blue", "checked", "graphs"],
      sentenceCount: 4,
    });
  });

  it("support-triage runs each kind of ticket down its own branch", async () => {
    const ticket = JSON.parse(readFileSync(new URL("./support-triage/ticket.json", import.meta.url), "utf8")) as never;
    await expect(run(triageGraph, ticket).result).resolves.toMatchObject({ queue: "billing", kind: "billing" });
    await expect(run(triageGraph, { customer: "x", subject: "App crash", body: "It crashes on start" }).result).resolves.toEqual({
      reply: "Please update to version 4.2, which fixes the crash on startup.",
      queue: "technical",
      kind: "technical",
    });
    await expect(run(triageGraph, { customer: "x", subject: "Hi", body: "Nice product" }).result).resolves.toMatchObject({ queue: "general", kind: "other" });
  });

  it("release-notes loops once through review and publishes approved notes", async () => {
    const input = JSON.parse(readFileSync(new URL("./release-notes/input.json", import.meta.url), "utf8")) as never;
    const store = new MemoryStore();
    const handle = run(releaseNotesGraph, input, { store });
    const output = await handle.result;
    expect(output.approved).toBe(true);
    expect(output.markdown).toMatch(/^# v0\.2\.0\n\nresume runs from the journal after a crash\./);
    // The loop's second pass is journaled (loop.pass, act = the pass) before its blocks run.
    expect(store.journal(handle.id).map((e) => `${e.kind === "loop.pass" ? "pass " : ""}${e.path}#${e.act}`)).toEqual([
      "groupCommits#1",
      "digest/normalise#1",
      "digest/rankSentences#1",
      "digest/compose#1",
      "draftNotes#1",
      "review#1",
      "pass draftNotes#2",
      "draftNotes#2",
      "review#2",
      "publish#1",
    ]);
  });

  it("release-notes uses the text-digest graph as a black-box block", () => {
    const node = releaseNotesGraph.def.nodes.find((n) => n.id === "digest");
    expect(node).toMatchObject({ kind: "graph", graph: digestGraph.def, contract: digestGraph.def.contract });
    expect(releaseNotesGraph.def.edges).toContainEqual({
      from: "review",
      to: "draftNotes",
      max: 3,
      onExhausted: "publish",
      when: { kind: "case", field: "verdict", equals: "revise" },
    });
  });
});

describe("text-digest blocks", () => {
  const text = "Blocks have contracts. Contracts make blocks safe to compose. Graphs of blocks are checked before they run. The weather was nice.";

  it("splits, ranks and composes an extractive digest", async () => {
    const { sentences } = await runBlock(normalise, { text: `  ${text.replace(/ /g, "  ")}\n` });
    expect(sentences).toHaveLength(4);
    const ranked = await runBlock(rankSentences, { sentences });
    expect(ranked.keywords.slice(0, 2)).toEqual(["blocks", "contracts"]);
    const digest = await runBlock(compose, { ...ranked, maxSentences: 2 });
    expect(digest.sentenceCount).toBe(4);
    expect(digest.summary).not.toContain("weather");
    expect(digest.summary.split(". ")).toHaveLength(2);
  });
});

describe("support-triage blocks", () => {
  it("classifies by keywords and urgency", async () => {
    await expect(runBlock(classify, { customer: "acme", subject: "Refund", body: "Please refund the double charge ASAP" })).resolves.toEqual({
      kind: "billing",
      urgency: "high",
      matched: ["refund", "charge"],
    });
    await expect(runBlock(classify, { customer: "x", subject: "Hello", body: "Just saying hi" })).resolves.toMatchObject({ kind: "other" });
  });

  it("answers from the invoice table and the known issues", async () => {
    await expect(runBlock(billingReply, { customer: "ACME", urgency: "high" })).resolves.toEqual({
      reply: "Your last invoice is INV-2041 (1290 EUR). A billing specialist will follow up today.",
      queue: "billing",
    });
    const tech = await runBlock(technicalReply, { body: "Export fails with a timeout", matched: ["timeout"] });
    expect(tech.reply).toMatch(/known issue/);
  });
});

describe("release-notes blocks", () => {
  it("groups conventional commits and reviews the notes", async () => {
    const grouped = await runBlock(groupCommits, {
      commits: [
        { hash: "a1b2c3d4", message: "feat(cli): add graph command" },
        { hash: "b2c3d4e5", message: "fix: handle empty input" },
        { hash: "c3d4e5f6", message: "chore: bump deps" },
      ],
    });
    expect(grouped.features).toEqual(["add graph command (a1b2c3d)"]);
    expect(grouped.fixes).toEqual(["handle empty input (b2c3d4e)"]);
    expect(grouped.other).toEqual(["chore: bump deps (c3d4e5f)"]);
    const verdict = await runBlock(review, { notes: "# v1.0.0\n\n## Features\n- add graph command (a1b2c3d)", features: grouped.features });
    expect(verdict).toEqual({ verdict: "revise", remarks: ["add a one-paragraph summary"] });
  });
});
