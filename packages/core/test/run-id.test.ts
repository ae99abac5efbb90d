/**
 * Run ids are validated where runs start, on every store (issue 20, part 4): an ~8 KB id used to be
 * accepted by submitRun and then broke NOTIFY forever, a NUL gave PostgreSQL's raw error 22021, and
 * an empty id was accepted.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGraph, defineContract } from "@blockwork/spec";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { MemoryStore, MAX_RUN_ID_LENGTH, run, runIdProblem, SqliteStore, submitRun } from "../src/index.js";
import { pgStore, requirePostgres } from "../../../test/pg.js";

const N = z.object({ n: z.number() });
const inc = defineContract({ id: "inc", input: N, output: N }).implement(async ({ n }) => ({ n: n + 1 }));
const graph = createGraph({ id: "run-ids", input: N, output: N }).then(inc).output((_input, b) => b.inc).build();

const BAD: readonly [string, string, RegExp][] = [
  ["empty", "", /must not be empty/],
  ["~8 KB", "r".repeat(8_000), /at most 200 characters \(this one has 8000\)/],
  ["201 characters", "r".repeat(MAX_RUN_ID_LENGTH + 1), /at most 200 characters/],
  ["a NUL byte", "run\u0000x", /control characters \(U\+0000 at position 3\)/],
  ["a newline", "run\nx", /control characters \(U\+000A/],
  ["a lone surrogate", "run\ud800", /lone surrogate/],
];

beforeAll(() => requirePostgres());

describe("run ids", () => {
  it("accepts UUIDs, 200 characters and non-ASCII text", () => {
    for (const id of ["0b9c2a8e-3f0e-4a57-9c1e-6a1c1f0f6a55", "r".repeat(MAX_RUN_ID_LENGTH), "commande-é-😀", "a b/c:d"]) expect(runIdProblem(id)).toBeNull();
  });

  it.each(BAD)("refuses %s with run_id_invalid on memory, SQLite and PostgreSQL stores", async (_name, id, message) => {
    const sqlite = new SqliteStore(join(mkdtempSync(join(tmpdir(), "bw-runid-")), "runs.sqlite"));
    for (const store of [new MemoryStore(), sqlite]) {
    await expect((async () => run(graph, { n: 1 }, { store, runId: id }))()).rejects.toMatchObject({ code: "run_id_invalid", message: expect.stringMatching(message) });
      expect(await store.listRuns()).toEqual([]);
    }
    sqlite.close();
    const pg = pgStore("runid");
    await expect(submitRun(pg, graph, { n: 1 }, { runId: id })).rejects.toMatchObject({ code: "run_id_invalid", message: expect.stringMatching(message) });
    await expect((async () => run(graph, { n: 1 }, { store: pg, runId: id }))()).rejects.toMatchObject({ code: "run_id_invalid" });
    // Looking a bad id up is "no such run", not PostgreSQL's error 22021.
    await expect(pg.getRun(id)).resolves.toBeUndefined();
  });

  it("runs with a valid 200-character id on PostgreSQL", async () => {
    const pg = pgStore("runid");
    {
      const id = `${"r".repeat(MAX_RUN_ID_LENGTH - 8)}${Date.now().toString(36).padStart(8, "0")}`;
      expect(await run(graph, { n: 1 }, { store: pg, runId: id }).result).toEqual({ n: 2 });
      expect((await pg.getRun(id))?.status).toBe("completed");
    }
  });
});
