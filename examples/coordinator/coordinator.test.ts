import { readFileSync } from "node:fs";
import { graphVersion, run } from "@blockwork/core";
import { type CoordinatorInput, coordinate, type CoordinatorSuccess } from "@blockwork/nodes";
import { type ScriptedReply, scriptedModel } from "@blockwork/nodes/testing";
import { applyPatch, check, graphFromDef, type GraphDef, type Patch } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { digestGraph } from "../text-digest/digest.graph.js";
import { catalogue } from "./catalogue.js";
import { contextSizes } from "./context-size.js";

// The scripted session: two wrong patches, then a right one. The answers are scripted (a test of
// the mechanics, never presented as a model's); the checking, the feedback and the result are real.
const session = JSON.parse(readFileSync(new URL("./session.json", import.meta.url), "utf8")) as ScriptedReply[];
const goal = "Also report the mood of the text: add a field mood to the output.";

/** The input the coordinator showed the model in call n (the agent block sends it as JSON). */
function shown(model: ReturnType<typeof scriptedModel>, n: number): CoordinatorInput {
  const user = model.calls[n]?.messages.find((m) => m.role === "user")?.content ?? "";
  return JSON.parse(user.replace(/^Input:\n/, "")) as CoordinatorInput;
}

describe("the coordinator on the text-digest graph, with a scripted session", () => {
  it("rejects two invalid patches, shows the checker's own issues back, and applies the third", async () => {
    const before = JSON.stringify(digestGraph.def);
    const model = scriptedModel(session);
    const result = await coordinate({ graph: digestGraph.def, catalogue, task: { goal }, model });

    expect(result.status).toBe("applied");
    expect(result.attempts.map((a) => a.outcome)).toEqual(["rejected", "rejected", "applied"]);
    // The graph it was given is untouched; nothing rejected was ever adopted.
    expect(JSON.stringify(digestGraph.def)).toBe(before);
    const patches = session.map((s) => (s as { json: Patch }).json);
    for (const [i, attempt] of result.attempts.entries()) {
      // The candidate and the issues are exactly what applying the patch and check() give.
      const applied = applyPatch(digestGraph.def, patches[i] as Patch, catalogue);
      expect(attempt.candidate).toEqual(applied.def);
      expect(attempt.issues).toEqual(check(applied.def));
      expect(attempt.problems).toEqual(applied.problems);
    }
    const [first, second] = result.attempts;
    expect(first?.problems.map((p) => `${p.op}:${p.code}`)).toEqual(["1:unknown_block"]);
    expect(first?.issues.map((i) => i.code)).toEqual(["unreachable_block", "unbound_input", "unknown_input_field", "binding_may_not_run"]);
    expect(second?.issues.map((i) => i.code)).toEqual(["binding_type_mismatch"]);

    // What the model was shown after each rejection: its patch and, verbatim, the checker's issues.
    expect(shown(model, 0).attempts).toEqual([]);
    const afterFirst = shown(model, 1).attempts as { patch: Patch; issues: unknown; problems: unknown }[];
    expect(afterFirst).toHaveLength(1);
    expect(afterFirst[0]?.patch).toEqual(patches[0]);
    expect(afterFirst[0]?.issues).toEqual(check(first?.candidate as GraphDef));
    expect(afterFirst[0]?.problems).toEqual(first?.problems);
    const afterSecond = shown(model, 2).attempts as { issues: unknown }[];
    expect(afterSecond.map((a) => a.issues)).toEqual([check(first?.candidate as GraphDef), check(second?.candidate as GraphDef)]);

    const success = result as CoordinatorSuccess;
    expect(success.def).toEqual(result.attempts[2]?.candidate);
    expect(check(success.def)).toEqual([]);
    expect(success.version).toBe(graphVersion(success.def));
    expect(success.previousVersion).toBe(graphVersion(digestGraph.def));
    expect(success.summary).toContain('+ block "sentiment" (sentiment): input {text: input.text}');
    expect(success.summary).toContain("+ edge normalise -> sentiment");
    expect(success.mermaid).toContain("class sentiment added");
    expect(success.usage.calls).toBe(3);
    expect(result.attempts.every((a) => a.context.tokens <= a.context.budget && a.calls[0]?.contextTokens === a.context.tokens)).toBe(true);
  });

  it("gives a graph that runs: the patched GraphDef with the catalogue's implementations", async () => {
    const result = (await coordinate({ graph: digestGraph.def, catalogue, task: { goal }, model: scriptedModel(session) })) as CoordinatorSuccess;
    const patched = graphFromDef(result.def, [catalogue, digestGraph], { reuse: digestGraph });
    const output = await run(patched, { text: "Blocks are great. Contracts are nice. The old way was slow.", maxSentences: 1 } as never).result;
    expect(output).toEqual({ summary: expect.any(String), keywords: expect.any(Array), sentenceCount: 3, mood: "positive" });
  });

  it("fails with every attempt's issues when the budget runs out, and the graph stays as it was", async () => {
    const result = await coordinate({ graph: digestGraph.def, catalogue, task: { goal }, model: scriptedModel(session.slice(0, 2)), budget: { attempts: 2 } });
    expect(result.status).toBe("failed");
    if (result.status !== "failed") return;
    expect(result.reason).toBe("attempts_exhausted");
    expect(result.message).toMatch(/No patch passed the checker in 2 attempts; the graph is unchanged\. The last attempt had: 1 checker error \(binding_type_mismatch\)\./);
    expect(result.attempts.map((a) => a.issues.map((i) => i.code))).toEqual([["unreachable_block", "unbound_input", "unknown_input_field", "binding_may_not_run"], ["binding_type_mismatch"]]);
    expect("def" in result).toBe(false);
  });

  it("takes a failure report instead of a goal", async () => {
    const model = scriptedModel([{ json: { reason: "Skip ranking: compose the sentences as they come.", ops: [] } }]);
    const failure = { path: "rankSentences", error: { code: "block_failed", message: "threw: out of memory" } };
    const result = await coordinate({ graph: digestGraph.def, catalogue, task: { failure }, model, budget: { attempts: 1 } });
    expect(shown(model, 0).task).toEqual({ failure });
    expect(result).toMatchObject({ status: "failed", reason: "attempts_exhausted" });
    expect(result.attempts[0]?.notes).toEqual(["The patch changes nothing in the graph. Propose operations that do the task."]);
  });

  it("shows the model the graph and the catalogue in a fraction of the tokens of their source", () => {
    for (const size of contextSizes()) {
      const { system, graph, catalogue: blocks } = size.context.sections;
      // What depends on the graph: its summary and the catalogue's contracts.
      expect(graph + blocks).toBeLessThan(size.sourceTokens / 2);
      // The rest is fixed (instructions and the patch schema), the same for every graph.
      expect(system).toBe(contextSizes()[0]?.context.sections.system);
      expect(size.context.trimmed).toEqual([]);
    }
  });
});
