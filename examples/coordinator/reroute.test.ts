import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunEvent, run, SqliteStore } from "@blockwork/core";
import { type CoordinatorResult, coordinatorReroute } from "@blockwork/nodes";
import { scriptedModel } from "@blockwork/nodes/testing";
import type { Patch } from "@blockwork/spec";
import { describe, expect, it } from "vitest";
import { priceReport, rerouteCatalogue } from "./rerouting.js";

// The coordinator rerouting a failed run. Its answers are scripted (a test of the mechanics, never
// presented as a model's): first a wrong replacement, then the right one. The checking, the
// feedback, the upgrade rules and the run are real.
const wrong: Patch = { reason: "Count words instead.", ops: [{ op: "replace_block", id: "rates", block: "wordCount" }] };
const right: Patch = { reason: "The rates service is down: use yesterday's cached rates.", ops: [{ op: "replace_block", id: "rates", block: "cachedRates" }] };
const input = { amount: 100, currencies: ["USD", "GBP"] };

describe("rerouting a failed run through the coordinator", () => {
  it("moves the run to a patched version that the checker and the upgrade rules accept; the rejected patch is never applied", async () => {
    const model = scriptedModel([{ json: wrong }, { json: right }]);
    const results: CoordinatorResult[] = [];
    const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), "bw-reroute-")), "runs.sqlite"));
    const events: RunEvent[] = [];
    const handle = run(priceReport, input, {
      store,
      reroute: coordinatorReroute({ model, catalogue: rerouteCatalogue, onCoordinate: (r) => results.push(r) }),
      onEvent: (e) => events.push(e),
    });
    await expect(handle.result).resolves.toEqual({ prices: { USD: 108, GBP: 85 }, asOf: "yesterday" });

    // The coordinator was told where and how the run failed, and rejected the wrong patch with the checker's issues.
    const result = results[0];
    expect(result?.status).toBe("applied");
    expect(result?.attempts.map((a) => a.outcome)).toEqual(["rejected", "applied"]);
    expect(result?.attempts[0]?.problems.map((p) => p.code)).toContain("incompatible_replacement");
    expect(result?.attempts[0]?.problems[0]?.message).toMatch(/"wordCount" cannot replace block "rates": The required input field "text"/);
    const firstCall = model.calls[0]?.messages.find((m) => m.role === "user")?.content ?? "";
    expect(firstCall).toMatch(/rates service unavailable \(HTTP 503\)/);

    // The journal: rates failed (not journaled as an outcome), the run moved, then went on.
    const journal = await store.journal(handle.id);
    expect(journal.map((e) => `${e.kind} ${e.path}`)).toEqual(["run.upgraded ", "block.completed rates", "block.completed convert"]);
    const rerouted = events.find((e) => e.type === "run.rerouted");
    expect(rerouted).toMatchObject({ error: { path: "rates", code: "block_failed" }, summary: expect.stringMatching(/version .* → .*rates/s) });
    // Both versions are in the store, and the run is pinned to the new one.
    const record = await store.getRun(handle.id);
    expect(record?.version).toBe(rerouted?.type === "run.rerouted" ? rerouted.to : "");
    expect(await store.getGraph(rerouted?.type === "run.rerouted" ? rerouted.from : "")).toBeDefined();
    store.close();
  });

  it("waits for a person to approve the new version, with the change summary in the suspension", async () => {
    const model = scriptedModel([{ json: right }]);
    const handle = run(priceReport, input, { reroute: coordinatorReroute({ model, catalogue: rerouteCatalogue, approval: "approve" }) });
    const settled = await handle.settled();
    expect(settled.status).toBe("suspended");
    const [waiting] = handle.suspensions();
    expect(waiting?.id).toBe("reroute#1");
    expect(JSON.stringify(waiting?.payload)).toMatch(/cachedRates/);
    await handle.resume("reroute#1", { approved: true });
    await expect(handle.result).resolves.toMatchObject({ asOf: "yesterday" });
  });

  it("fails with the original error when the coordinator finds no acceptable patch", async () => {
    const model = scriptedModel([{ json: wrong }, { json: wrong }]);
    const handle = run(priceReport, input, { reroute: coordinatorReroute({ model, catalogue: rerouteCatalogue, budget: { attempts: 2 } }) });
    const error = (await handle.result.catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/rates service unavailable[\s\S]*not rerouted: the reroute policy failed: the coordinator found no patch the checker accepts \(attempts_exhausted\)/);
  });
});
