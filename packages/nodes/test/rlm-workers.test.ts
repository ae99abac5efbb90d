import { handleOf, startWorker, submitRun, waitForRun } from "@blockwork/core";
import { beforeAll, describe, expect, it } from "vitest";
import { scriptedModel } from "../src/testing/index.js";
import { pgStore, requirePostgres } from "../../../test/pg.js";
import { cell, isSubCall, rlmGraph } from "./rlm-helpers.js";

beforeAll(() => requirePostgres());

describe("an rlm block on workers sharing a PostgreSQL store", () => {
  it("reads its input's blob from the shared store, and its steps are journaled with its outcome", async () => {
    const store = pgStore("rlmworkers");
    const corpus = handleOf(await store.putBlob(`${"hay ".repeat(50_000)}the needle is here${" hay".repeat(50_000)}`, { mediaType: "text/plain" }));
    const model = scriptedModel({
      rules: [
        { when: isSubCall, reply: "found it" },
        { when: /Cell 1 output/, reply: cell("answer = { content: { answer: said, evidence: [at] }, ready: true }") },
        { when: () => true, reply: cell(`const at = blob_search(corpus, "needle").matches[0].offset; const said = llm_query("Is it there?", blob_slice(corpus, at, at + 20)); print(at, said);`) },
      ],
    });
    const graph = rlmGraph(model);
    const worker = await startWorker({ store, graphs: [graph], pollMs: 50 });
    try {
      const id = await submitRun(store, graph, { corpus, question: "Where is the needle?" });
      expect(await waitForRun(store, id)).toEqual({ answer: "found it", evidence: [200_000 + 4] });
      const steps = (await store.journal(id)).flatMap((e) => (e.kind === "step.completed" ? [e.step] : [e.kind]));
      expect(steps).toEqual(["t1", "c1.q1", "c1", "t2", "c2", "block.completed"]);
      expect(await store.blobsOf(id)).toEqual([corpus.$blob]);
    } finally {
      await worker.stop({ graceMs: 0 });
    }
  });
});
