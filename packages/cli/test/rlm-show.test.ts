import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "@blockwork/core";
import { describe, expect, it } from "vitest";
import { ask, setupCorpus } from "../../../examples/rlm-corpus/demo.js";
import { QUESTIONS, scriptedCorpusModels } from "../../../examples/rlm-corpus/scripted.js";
import { cli } from "./capture.js";

describe("blockwork runs show, for an rlm block", () => {
  it("renders every model turn, cell (code and output) and sub-call with its context size and tokens", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "blockwork-rlm-show-")), "runs.sqlite");
    const store = new SqliteStore(file);
    const { handle } = await setupCorpus(store, 512 * 1024);
    const asked = await ask(store, handle, QUESTIONS.complaints, scriptedCorpusModels());
    store.close();
    const show = await cli(["runs", "show", asked.runId, "--store", file]);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/step {7}ask {2}t1 {2}model turn: \d+ context tokens → \d+ out, \d+ ms \(scripted:rlm-corpus-cells\)/);
    expect(show.out).toMatch(/step {7}ask {2}c1 {2}cell: \d+ tokens of output shown, [\d.]+ ms cpu, 0 sub-calls, answer: none\n +code: +const needle = "status=complaint product=widget-7";/);
    expect(show.out).toMatch(/step {7}ask {2}c2\.q1 {2}sub-call: \d+ context tokens → \d+ out/);
    expect(show.out).toMatch(/step {7}ask {2}c3 {2}cell: .*answer: valid/);
    expect(show.out).toMatch(/completed {2}ask {2}→ \{"answer":"Of the first/);
  });
});
