import { graphVersion } from "@blockwork/core";
import { applyPatch, check, createGraph, defineCatalogue, defineContract, type GraphDef, type Patch } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { countContextTokens } from "../agent/prompt.js";
import { scriptedModel } from "../testing/scripted-model.js";
import { coordinate, previewContext } from "./coordinator.js";
import type { CoordinatorFailure, CoordinatorSuccess } from "./types.js";

const fetchPage = defineContract({
  id: "fetchPage",
  description: "Fetches a page.",
  input: z.object({ url: z.string() }),
  output: z.object({ text: z.string(), status: z.number().int() }),
}).implement(({ url }) => ({ text: url, status: 200 }));
const summarise = defineContract({
  id: "summarise",
  description: "Summarises a text.",
  input: z.object({ text: z.string() }),
  output: z.object({ summary: z.string() }),
}).implement(({ text }) => ({ summary: text.slice(0, 20) }));
const translate = defineContract({
  id: "translate",
  description: "Translates a text to German.",
  input: z.object({ text: z.string() }),
  output: z.object({ text: z.string() }),
}).implement(({ text }) => ({ text }));
const flagged = defineContract({
  id: "flagged",
  description: "A summary whose JSON Schema the checker cannot compare.",
  input: z.object({ text: z.string() }),
  output: z.object({ summary: z.string().transform((s) => s.trim()) }),
}).implement(({ text }) => ({ summary: text }));

const graph = createGraph({ id: "page", input: z.object({ url: z.string() }), output: z.object({ summary: z.string() }) })
  .then(fetchPage)
  .then(summarise, (_, { fetchPage }) => ({ text: fetchPage.text }))
  .output((_, { summarise }) => ({ summary: summarise.summary }))
  .build();
const catalogue = defineCatalogue([fetchPage, summarise, translate, flagged]);
const goal = { goal: "Summarise the German translation of the page." };

const invalid: Patch = { ops: [{ op: "add_block", block: "translate" }, { op: "bind", block: "summarise", field: "text", binding: { kind: "output", node: "translate", path: ["text"] } }] };
const valid: Patch = {
  reason: "Translate before summarising.",
  ops: [
    { op: "add_block", block: "translate", input: { kind: "object", fields: { text: { kind: "output", node: "fetchPage", path: ["text"] } } } },
    { op: "disconnect", from: "fetchPage", to: "summarise" },
    { op: "connect", from: "fetchPage", to: "translate" },
    { op: "connect", from: "translate", to: "summarise" },
    { op: "bind", block: "summarise", field: "text", binding: { kind: "output", node: "translate", path: ["text"] } },
  ],
};

describe("coordinate", () => {
  it("never applies a rejected patch, and shows the model exactly the checker's issues", async () => {
    const model = scriptedModel([{ json: invalid }, { json: valid }]);
    const result = (await coordinate({ graph: graph.def, catalogue, task: goal, model })) as CoordinatorSuccess;
    expect(result.status).toBe("applied");
    expect(result.attempts.map((a) => a.outcome)).toEqual(["rejected", "applied"]);
    const candidate = applyPatch(graph.def, invalid, catalogue).def;
    const shown = JSON.parse((model.calls[1]?.messages[1]?.content ?? "").replace(/^Input:\n/, "")) as { attempts: { issues: unknown }[] };
    expect(shown.attempts[0]?.issues).toEqual(check(candidate));
    expect(check(candidate).map((i) => i.code)).toEqual(["unreachable_block", "unbound_input", "binding_may_not_run"]);
    expect(result.def).toEqual(applyPatch(graph.def, valid, catalogue).def);
    expect(result.version).toBe(graphVersion(result.def));
    expect(result.summary.replace(/[0-9a-f]{16}/g, "<version>").replace(/\d+ tokens/, "<n> tokens")).toMatchInlineSnapshot(`
      "Graph "page": version <version> → <version> (patch 2, 5 operations; 2 model calls, <n> tokens).
      Reason given: Translate before summarising.
      + block "translate" (translate): input {text: fetchPage.text}
      ~ block "summarise": input {text: translate.text}
      + edge fetchPage -> translate
      + edge translate -> summarise
      - edge fetchPage -> summarise"
    `);
  });

  it("repairs an answer that is not a patch within the attempt, and counts every call's tokens", async () => {
    const model = scriptedModel(["Sure! I would add a translate block.", { text: JSON.stringify(valid), usage: { outputTokens: 123 } }]);
    const result = (await coordinate({ graph: graph.def, catalogue, task: goal, model })) as CoordinatorSuccess;
    expect(result.status).toBe("applied");
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]?.calls.map((c) => c.outcome)).toEqual(["syntax", "ok"]);
    const [first, second] = result.attempts[0]?.calls ?? [];
    expect(first?.outputTokens).toBe(countContextTokens([{ role: "assistant", content: "Sure! I would add a translate block." }]) - 7);
    expect(second?.outputTokens).toBe(123);
    expect(result.usage).toEqual({ calls: 2, contextTokens: (first?.contextTokens ?? 0) + (second?.contextTokens ?? 0), outputTokens: (first?.outputTokens ?? 0) + 123, tokens: expect.any(Number) });
    expect(result.usage.tokens).toBe(result.usage.contextTokens + result.usage.outputTokens);
  });

  it("counts an answer that stays invalid after its repairs as an attempt, and tells the model next time", async () => {
    const model = scriptedModel([{ json: { ops: [{ op: "add", block: "translate" }] } }, { json: { ops: "none" } }, { json: valid }]);
    const result = await coordinate({ graph: graph.def, catalogue, task: goal, model, budget: { repairs: 1 } });
    expect(result.attempts.map((a) => a.outcome)).toEqual(["invalid_answer", "applied"]);
    expect(result.attempts[0]?.notes[0]).toMatch(/^coordinator: the answer breaks the output contract: ops: /);
    expect(model.calls[2]?.messages[1]?.content).toContain("Your answer was not a valid patch: coordinator: the answer breaks the output contract");
  });

  it("rejects a patch that changes nothing, and one that adds a checker warning unless told to accept it", async () => {
    const warn: Patch = { ops: [{ op: "replace_block", id: "summarise", block: "flagged" }] };
    const rejected = (await coordinate({ graph: graph.def, catalogue, task: goal, model: scriptedModel([{ json: { ops: [] } }, { json: warn }]), budget: { attempts: 2 } })) as CoordinatorFailure;
    expect(rejected.status).toBe("failed");
    expect(rejected.attempts.map((a) => a.notes)).toEqual([
      ["The patch changes nothing in the graph. Propose operations that do the task."],
      ["The patch adds 1 checker warning (compat_unknown) the graph did not have; a patch passes only without new warnings."],
    ]);
    const accepted = await coordinate({ graph: graph.def, catalogue, task: goal, model: scriptedModel([{ json: warn }]), acceptNewWarnings: true });
    expect(accepted).toMatchObject({ status: "applied", issues: [{ code: "compat_unknown" }] });
  });

  it("stops when the token budget is spent, when the model refuses, and when the provider fails", async () => {
    const spent = await coordinate({ graph: graph.def, catalogue, task: goal, model: scriptedModel([{ json: invalid }, { json: valid }]), budget: { tokens: 5_000 } });
    expect(spent).toMatchObject({ status: "failed", reason: "tokens_exhausted" });
    expect((spent as CoordinatorFailure).message).toMatch(/^The token budget \(5000\) is spent: \d+ used in 1 attempt, and the next call needs \d+ for its context alone\. The last attempt had: 3 checker errors/);
    const refused = await coordinate({ graph: graph.def, catalogue, task: goal, model: scriptedModel([{ refusal: "I cannot edit graphs." }]) });
    expect(refused).toMatchObject({ status: "failed", reason: "refused", message: "The model refused: coordinator: the model refused: I cannot edit graphs." });
    const down = await coordinate({ graph: graph.def, catalogue, task: goal, model: scriptedModel([{ error: "server", message: "503 from the provider" }]) });
    expect(down).toMatchObject({ status: "failed", reason: "model_error", message: "The model call failed (server): 503 from the provider" });
  });

  it("fits the context to its budget, trimming the catalogue before failing, and reports each part", async () => {
    const full = previewContext({ graph: graph.def, catalogue, task: goal }).report;
    expect(full.trimmed).toEqual([]);
    expect(full.tokens).toBe(countContextTokens(previewContext({ graph: graph.def, catalogue, task: goal }).messages));
    expect(Object.keys(full.sections)).toEqual(["system", "task", "graph", "catalogue", "attempts"]);
    const tight = previewContext({ graph: graph.def, catalogue, task: goal, budget: { contextTokens: full.tokens - 20 } }).report;
    expect(tight.trimmed).toEqual(["the catalogue's contracts (purposes kept)"]);
    expect(tight.tokens).toBeLessThanOrEqual(full.tokens - 20);
    const result = await coordinate({ graph: graph.def, catalogue, task: goal, model: scriptedModel([]), budget: { contextTokens: 1_000 } });
    expect(result).toMatchObject({ status: "failed", reason: "context_overflow", context: { budget: 1_000 } });
    expect((result as CoordinatorFailure).message).toMatch(/^The coordinator's context needs \d+ tokens even when trimmed \(the catalogue's contracts \(purposes kept\); schemas shortened to 120 characters; the catalogue\), over the budget of 1000 by \d+\./);
  });

  it("summarises the graph compactly: ids, contracts as types, bindings and edges, no implementations", () => {
    const [, user] = previewContext({ graph: graph.def, catalogue, task: goal }).messages;
    const input = JSON.parse(user?.content.replace(/^Input:\n/, "") ?? "{}") as { graph: unknown; catalogue: unknown };
    expect(input.graph).toEqual({
      id: "page",
      contract: { in: "{url: string}", out: "{summary: string}" },
      entry: ["fetchPage"],
      blocks: [
        { id: "fetchPage", in: "{url: string}", out: "{text: string, status: int}", input: "input" },
        { id: "summarise", in: "{text: string}", out: "{summary: string}", input: "{text: fetchPage.text}" },
      ],
      edges: ["fetchPage -> summarise"],
      output: "{summary: summarise.summary}",
    });
    expect(input.catalogue).toEqual([
      { id: "fetchPage", purpose: "Fetches a page.", sameContractAs: "fetchPage" },
      { id: "summarise", purpose: "Summarises a text.", sameContractAs: "summarise" },
      { id: "translate", purpose: "Translates a text to German.", in: "{text: string}", out: "{text: string}" },
      { id: "flagged", purpose: "A summary whose JSON Schema the checker cannot compare.", in: "{text: string}", out: "{summary: unknown}" },
    ]);
  });

  it("rejects a patch the checker cannot check (it crashes on it, see examples/coordinator/differential.test.ts) without applying it", async () => {
    const unreachableFirst: Patch = {
      ops: [
        { op: "add_block", block: "translate", input: { kind: "object", fields: { text: { kind: "input", path: ["url"] } } } },
        { op: "bind_output", field: "summary", binding: { kind: "first", of: [{ kind: "output", node: "translate", path: ["text"] }, { kind: "output", node: "summarise", path: ["summary"] }] } },
      ],
    };
    const result = await coordinate({ graph: graph.def, catalogue, task: goal, model: scriptedModel([{ json: unreachableFirst }]), budget: { attempts: 1 } });
    expect(result.status).toBe("failed");
    const [attempt] = result.attempts;
    expect(attempt?.outcome).toBe("rejected");
    // While the checker throws here, the attempt says so; once it is fixed, it reports the unreachable block.
    expect(attempt?.notes.some((n) => n.startsWith("Checking this patch failed (TypeError")) || attempt?.issues.some((i) => i.code === "unreachable_block")).toBe(true);
  });

  it("leaves the GraphDef it was given as it was", async () => {
    const before = JSON.stringify(graph.def);
    await coordinate({ graph: graph.def as GraphDef, catalogue, task: goal, model: scriptedModel([{ json: invalid }, { json: valid }]) });
    expect(JSON.stringify(graph.def)).toBe(before);
  });
});
