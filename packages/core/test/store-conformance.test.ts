import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GRAPH_DEF_FORMAT, type GraphDef } from "@blockwork/spec";
import { beforeAll, describe, expect, it } from "vitest";
import { MemoryStore, type RunRecord, SqliteStore, type Store } from "../src/index.js";
import { pgStore, requirePostgres } from "../../../test/pg.js";

// One behaviour suite for every store: the runtime relies on exactly these guarantees.
const dir = mkdtempSync(join(tmpdir(), "blockwork-stores-"));
let n = 0;
const stores: [string, () => Store][] = [
  ["memory", () => new MemoryStore()],
  ["sqlite", () => new SqliteStore(join(dir, `conformance-${n++}.sqlite`))],
  // A fresh schema per store (dropped after the file), so that tests do not see each other's runs.
  ["postgres", () => pgStore("conformance")],
];

const def: GraphDef = { format: GRAPH_DEF_FORMAT, id: "g", contract: { input: {}, output: {} }, entry: [], nodes: [], edges: [] };
const record = (id: string, createdAt: number): RunRecord => ({
  id,
  graphId: "g",
  version: "v1",
  status: "running",
  input: { text: "hello", nested: [1, { a: null }] },
  source: { module: "/abs/graph.ts", exportName: "graph" },
  createdAt,
  updatedAt: createdAt,
});

describe.each(stores)("%s store", (name, make) => {
  beforeAll(() => (name === "postgres" ? requirePostgres() : undefined));

  it("keeps graphs by version (the first one written wins)", async () => {
    const store = make();
    await store.saveGraph("v1", def);
    await store.saveGraph("v1", { ...def, id: "other" });
    expect(await store.getGraph("v1")).toEqual(def);
    expect(await store.getGraph("nope")).toBeUndefined();
  });

  it("creates, reads, lists and finishes runs", async () => {
    const store = make();
    await store.createRun(record("r1", 1_000));
    await store.createRun(record("r2", 2_000));
    expect(await store.getRun("r1")).toEqual(record("r1", 1_000));
    expect((await store.listRuns()).map((r) => r.id)).toEqual(["r2", "r1"]);
    await store.finishRun("r1", { status: "completed", output: { ok: true }, updatedAt: 3_000 });
    expect(await store.getRun("r1")).toMatchObject({ status: "completed", output: { ok: true }, updatedAt: 3_000 });
    await store.finishRun("r2", { status: "failed", error: { code: "block_failed", message: "x", path: "a" }, updatedAt: 4_000 });
    expect((await store.listRuns({ status: "failed" })).map((r) => r.id)).toEqual(["r2"]);
    expect(await store.listRuns({ limit: 1 })).toHaveLength(1);
    await expect(async () => store.createRun(record("r1", 5_000))).rejects.toThrow();
    await expect(async () => store.finishRun("missing", { status: "completed", updatedAt: 1 })).rejects.toThrow(/missing/);
  });

  it("appends journal entries in order and never the same sequence number twice", async () => {
    const store = make();
    await store.createRun(record("r", 1));
    const entries = [
      { seq: 1, kind: "block.completed", path: "a", act: 1, attempt: 1, at: 10, output: { n: 1 } },
      { seq: 2, kind: "attempt.failed", path: "b", act: 1, attempt: 1, at: 11, delayMs: 100, error: { code: "block_failed", message: "boom", path: "b" } },
      { seq: 3, kind: "block.failed", path: "b", act: 1, attempt: 2, at: 12, error: { reason: "gone" } },
      { seq: 4, kind: "item.failed", path: "m/0", act: 1, attempt: 1, at: 13, error: { code: "block_timeout", message: "slow", path: "m/0" } },
    ] as const;
    for (const entry of entries) await store.append("r", entry);
    expect(await store.journal("r")).toEqual(entries);
    await expect(async () => store.append("r", { ...entries[0] })).rejects.toThrow();
    expect(await store.journal("r")).toHaveLength(4);
    expect(await store.journal("other")).toEqual([]);
  });
});

describe("sqlite store", () => {
  it("is durable across connections and reopens an existing file", () => {
    const file = join(dir, "reopen.sqlite");
    const a = new SqliteStore(file);
    a.createRun(record("r", 1));
    a.append("r", { seq: 1, kind: "block.completed", path: "a", act: 1, attempt: 1, at: 1, output: { n: 1 } });
    const b = new SqliteStore(file);
    expect(b.journal("r")).toHaveLength(1);
    a.close();
    b.close();
    expect(new SqliteStore(file).getRun("r")?.id).toBe("r");
  });
});
