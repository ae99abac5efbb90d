import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { RetentionPolicy } from "@blockwork/spec";
import { beforeAll, describe, expect, it } from "vitest";
import { foldBatches, MEMORY_ERROR_CODES, type MemoryBackend, MemorySpace, MemoryStore, SQLITE_SCHEMA_VERSION, SqliteStore, type Store } from "../src/index.js";
import { pgStore, requirePostgres, schemaName } from "../../../test/pg.js";

// One behaviour suite for the memory of every store (docs/memory.md, "Storage").
const dir = mkdtempSync(join(tmpdir(), "blockwork-memory-"));
let n = 0;
const stores: [string, () => Store][] = [
  ["memory", () => new MemoryStore()],
  ["sqlite", () => new SqliteStore(join(dir, `m-${n++}.sqlite`))],
  ["postgres", () => pgStore("memory")],
];

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
const policy: RetentionPolicy = { core: { maxTokens: 20 }, recall: { maxItems: 100 } };
const open = (backend: MemoryBackend, attemptKey: string, scope = "thread:t:1", p = policy) =>
  MemorySpace.open({ backend, scope, policy: p, attemptKey, provenance: { runId: "r", path: "a", attempt: 1 }, tokensOf: words });

describe.each(stores)("%s store's memory", (name, make) => {
  beforeAll(() => (name === "postgres" ? requirePostgres() : undefined));

  it("applies a batch once: the same key again is a duplicate with the stored ops, a stale basis a conflict", async () => {
    const backend = make().memory as MemoryBackend;
    const put = { op: "tick" as const, steps: 1, tokens: 5, at: 10 };
    expect(await backend.apply("s", { key: "k1", basedOn: 0, ops: [put] })).toEqual({ status: "applied", seq: 1 });
    expect(await backend.apply("s", { key: "k1", basedOn: 0, ops: [] })).toEqual({ status: "duplicate", seq: 1, ops: [put] });
    expect(await backend.apply("s", { key: "k2", basedOn: 0, ops: [] })).toEqual({ status: "conflict", seq: 1 });
    expect((await backend.load("s")).clock).toMatchObject({ step: 1, tokens: 5, at: 10 });
    expect(await backend.seqOf("s", "k1")).toBe(1);
    expect(await backend.seqOf("s", "k")).toBeUndefined();
  });

  it("keeps the materialised items equal to the fold of the journal, and evicts by the policy with reasons", async () => {
    const backend = make().memory as MemoryBackend;
    const space = await open(backend, "run1/a#1.1");
    for (let i = 0; i < 12; i++) await space.commit((d) => d.remember({ kind: "fact", text: `fact number ${i} is about topic${i}` }));
    const state = await backend.load("thread:t:1");
    expect(state.items).toEqual(space.state.items);
    expect(foldBatches(await backend.batches("thread:t:1")).items).toEqual(state.items);
    // 6 words each, 20 tokens of core: three fit; the others went to recall, least recently used first.
    expect(space.tier("core").map((i) => i.text)).toEqual(["fact number 9 is about topic9", "fact number 10 is about topic10", "fact number 11 is about topic11"]);
    const moves = (await backend.batches("thread:t:1")).flatMap((b) => b.ops).filter((op) => op.op === "move");
    expect(moves).toHaveLength(9);
    expect(moves[0]).toMatchObject({ op: "move", tier: "recall", reason: "max_tokens", detail: "core holds 24 tokens, over its 20" });
  });

  it("finds items by key and by full text (any word, stemmed), filtered by tier", async () => {
    const backend = make().memory as MemoryBackend;
    const space = await open(backend, "run1/a#1.1");
    await space.commit((d) => {
      d.remember({ kind: "fact", key: "order", text: "The customer's order number is ORD-7731" });
      d.remember({ kind: "fact", text: "The customer uses Firefox on Linux", tier: "archival" });
      d.remember({ kind: "fact", text: "Shipping takes three days" });
    });
    expect((await space.search({ key: "order" })).map((i) => i.text)).toEqual(["The customer's order number is ORD-7731"]);
    expect((await space.search({ text: "which browser? firefox" })).map((i) => i.text)).toEqual(["The customer uses Firefox on Linux"]);
    expect((await space.search({ text: "orders numbers" })).map((i) => i.key)).toEqual(["order"]);
    expect(await space.search({ text: "firefox", tiers: ["core"] })).toEqual([]);
    // Query syntax is never interpreted: quotes, stars and operators are only words.
    expect(await space.search({ text: '" OR * NEAR( -:' })).toEqual([]);
  });

  it("lets two writers of one shared scope interleave without losing a write (each batch recomputed on conflict)", async () => {
    const storeA = make();
    // The second writer: another connection to the same database (the in-process store shares its object).
    const storeB = name === "sqlite" ? new SqliteStore((storeA as SqliteStore).file) : name === "postgres" ? pgStore("memory", { schema: (storeA as unknown as { schema: string }).schema }) : storeA;
    const a = await open(storeA.memory as MemoryBackend, "runA/x#1.1", "graph:shared");
    const b = await open(storeB.memory as MemoryBackend, "runB/x#1.1", "graph:shared");
    await Promise.all([
      (async () => {
        for (let i = 0; i < 15; i++) await a.commit((d) => d.remember({ kind: "note", key: `a${i}`, text: `a ${i}` }));
      })(),
      (async () => {
        for (let i = 0; i < 15; i++) await b.commit((d) => d.remember({ kind: "note", key: `b${i}`, text: `b ${i}` }));
      })(),
    ]);
    const state = await (storeA.memory as MemoryBackend).load("graph:shared");
    expect(state.seq).toBe(30);
    expect([...state.items.values()].map((i) => i.key).sort()).toEqual([...Array.from({ length: 15 }, (_, i) => `a${i}`), ...Array.from({ length: 15 }, (_, i) => `b${i}`)].sort());
    expect([...state.items.values()].filter((i) => i.tier === "core").reduce((t, i) => t + i.tokens, 0)).toBeLessThanOrEqual(20);
    expect(foldBatches(await (storeB.memory as MemoryBackend).batches("graph:shared")).items).toEqual(state.items);
  });
});

describe("SQLite memory migration", () => {
  it("migrates a version 2 file (blobs, no owners, no memory) to version 4 with its runs intact", () => {
    const file = join(dir, "v2.sqlite");
    const first = new SqliteStore(file);
    first.createRun({ id: "old", graphId: "g", version: "v", status: "running", input: {}, createdAt: 1, updatedAt: 1 });
    first.close();
    // Take the file back to version 2, as the previous release left it.
    const db = new Database(file);
    db.exec("DROP TABLE memory_scopes; DROP TABLE memory_batches; DROP TABLE memory_items; DROP TABLE memory_fts; DROP TABLE run_owners; DROP TABLE processes; ALTER TABLE runs DROP COLUMN trace; PRAGMA user_version = 2;");
    db.close();
    const store = new SqliteStore(file);
    expect(store.getRun("old")?.id).toBe("old");
    expect(store.memory.apply("s", { key: "k", basedOn: 0, ops: [] })).toEqual({ status: "applied", seq: 1 });
    store.close();
    expect(SQLITE_SCHEMA_VERSION).toBe(5);
  });
});

describe("PostgreSQL memory", () => {
  it("is in migration 4 of the store's own schema", async () => {
    await requirePostgres();
    const schema = schemaName("memmig");
    const store = pgStore("memmig", { schema });
    await store.memory.apply("s", { key: "k", basedOn: 0, ops: [] });
    const rows = await store.query<{ name: string }>(`SELECT name FROM "${schema}".migrations WHERE version = 4`);
    expect(rows).toEqual([{ name: "agent memory" }]);
  });
});

describe("docs/errors.md", () => {
  it("lists every memory error code with the meaning the code gives it", () => {
    const errors = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    const table = /<!-- memory-codes:start -->\n([\s\S]*?)<!-- memory-codes:end -->/.exec(errors)?.[1] ?? "";
    const rows = Object.entries(MEMORY_ERROR_CODES).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`);
    expect(table).toBe(["| code | meaning |", "| --- | --- |", ...rows, ""].join("\n"));
  });
});
