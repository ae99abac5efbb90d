import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GRAPH_DEF_FORMAT, type GraphDef } from "@blockwork/spec";
import { beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import { CHUNK_BYTES, MemoryStore, type RunRecord, SQLITE_SCHEMA_VERSION, SqliteStore, type Store } from "../src/index.js";
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

  it("keeps a run's trace context (created, claimed with create, finished and updated)", async () => {
    const store = make();
    const trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    await store.createRun({ ...record("t1", 1_000), trace });
    expect(await store.getRun("t1")).toEqual({ ...record("t1", 1_000), trace });
    if (store.claimRun) {
      await store.claimRun("t2", { ...record("t2", 2_000), trace });
      expect((await store.getRun("t2"))?.trace).toBe(trace);
    }
    await store.updateRun("t1", { status: "suspended", updatedAt: 2_000 });
    await store.finishRun("t1", { status: "completed", output: 1, updatedAt: 3_000 });
    expect((await store.getRun("t1"))?.trace).toBe(trace);
    expect((await store.listRuns()).find((r) => r.id === "t1")?.trace).toBe(trace);
    // A run without one has none.
    await store.createRun(record("t3", 4_000));
    expect(await store.getRun("t3")).not.toHaveProperty("trace");
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

  it("journals block steps with their results", async () => {
    const store = make();
    await store.createRun(record("r", 1));
    const step = { seq: 1, kind: "step.completed", path: "rlm", act: 1, attempt: 1, at: 5, step: "cell#1", result: { code: "print(1)", output: "1\n", tokens: 2 } } as const;
    await store.append("r", step);
    expect(await store.journal("r")).toEqual([step]);
  });

  // --- blobs --------------------------------------------------------------------------------

  it("stores blobs by content address, chunked, and streams byte ranges", async () => {
    const store = make();
    // 2.5 chunks of bytes that differ per position, so a wrong offset shows.
    const bytes = patterned(Math.floor(CHUNK_BYTES * 2.5));
    const record = await store.putBlob(bytes, { mediaType: "text/plain" });
    expect(record).toMatchObject({ hash: sha(bytes), size: bytes.length, mediaType: "text/plain", chunks: 3 });
    expect(record.preview.length).toBeLessThanOrEqual(240);
    // Binary content: the preview shows control characters as U+FFFD (PostgreSQL text cannot hold NUL).
    expect(record.preview).not.toMatch(/[\u0000-\u0008]/);
    expect(record.preview).toContain("\uFFFD");
    expect(await store.blobInfo(record.hash)).toEqual(record);
    expect(Buffer.compare(await collect(store.readBlob(record.hash)), Buffer.from(bytes))).toBe(0);
    // Ranges inside a chunk, across chunk boundaries, at the end, past the end, empty.
    for (const [start, end] of [[0, 10], [CHUNK_BYTES - 5, CHUNK_BYTES + 5], [CHUNK_BYTES * 2 - 1, bytes.length], [bytes.length - 3, bytes.length + 100], [7, 7], [bytes.length + 5, bytes.length + 9]] as const) {
      const got = await collect(store.readBlob(record.hash, { start, end }));
      expect(Buffer.compare(got, Buffer.from(bytes.subarray(start, Math.min(end, bytes.length)))), `range ${start}-${end}`).toBe(0);
    }
    await expect(collect(store.readBlob(`sha256:${"0".repeat(64)}`))).rejects.toThrow(/no blob/);
    await expect(collect(store.readBlob("nope"))).rejects.toThrow(/not a blob address/);
    expect(await store.blobInfo(`sha256:${"0".repeat(64)}`)).toBeUndefined();
  });

  it("reads a slice chunk by chunk, never the whole blob at once", async () => {
    const store = make();
    const bytes = patterned(CHUNK_BYTES * 3);
    const { hash } = await store.putBlob(bytes);
    const sizes: number[] = [];
    for await (const chunk of store.readBlob(hash, { start: 100, end: CHUNK_BYTES * 2 + 100 })) sizes.push(chunk.length);
    // The slice overlaps three chunks: three pieces, none bigger than a chunk.
    expect(sizes).toEqual([CHUNK_BYTES - 100, CHUNK_BYTES, 100]);
  });

  it("deduplicates: equal content is one blob, equal chunks are stored once", async () => {
    const store = make();
    const a = await store.putBlob("hello blobs", { mediaType: "text/plain" });
    const b = await store.putBlob(new TextEncoder().encode("hello blobs"), { mediaType: "application/json" });
    expect(b).toEqual(a); // the first media type wins
    // Streams, in pieces that do not line up with chunks, give the same address as bytes.
    const bytes = patterned(CHUNK_BYTES + 17);
    async function* pieces() {
      for (let i = 0; i < bytes.length; i += 333_333) yield bytes.subarray(i, i + 333_333);
    }
    const streamed = await store.putBlob(pieces());
    expect(streamed.hash).toBe(sha(bytes));
    // Two blobs that share their first chunk: the collection of one leaves the other intact.
    const other = new Uint8Array(bytes.length);
    other.set(bytes);
    other[other.length - 1] = (other[other.length - 1] ?? 0) ^ 0xff;
    const second = await store.putBlob(other, { runId: "keep" });
    const gone = await store.collectBlobs({ graceMs: 0, now: Date.now() + 1000 });
    expect(gone.blobs).toBe(2); // "hello blobs" (one blob for both puts) and the streamed one; not the linked one
    // The shared first chunk stays (the kept blob uses it); the unshared tail of the first goes.
    expect(gone.chunks).toBe(2);
    expect(Buffer.compare(await collect(store.readBlob(second.hash)), Buffer.from(other))).toBe(0);
  });

  it("refuses to finish a put whose chunks a collection took while they streamed in", async () => {
    const store = make();
    const now = 5_000;
    // 17 chunks: more than a store may buffer before it writes (SQLite writes 4 MiB at a time).
    const first = patterned(CHUNK_BYTES * 17);
    async function* slowly() {
      yield first;
      // A collection runs between two chunks of the stream, with no grace: the first chunk is unreferenced.
      await store.collectBlobs({ graceMs: 0, now: now + 1 });
      yield patterned(100);
    }
    await expect(store.putBlob(slowly(), { now })).rejects.toThrow(/was collected while the blob was written; put it again/);
    // Put again, it is whole.
    const again = await store.putBlob((async function* () { yield first; yield patterned(100); })(), { now });
    expect(again.size).toBe(first.length + 100);
    expect((await collect(store.readBlob(again.hash))).length).toBe(first.length + 100);
  });

  it("stores an empty blob", async () => {
    const store = make();
    const empty = await store.putBlob("");
    expect(empty).toMatchObject({ hash: sha(new Uint8Array(0)), size: 0, chunks: 0, preview: "" });
    expect((await collect(store.readBlob(empty.hash))).length).toBe(0);
  });

  it("keeps blobs while a run references them and collects them after", async () => {
    const store = make();
    const now = 1_000_000;
    const input = await store.putBlob("the corpus", { now });
    const put = await store.putBlob("a block's result", { runId: "r", now });
    const loose = await store.putBlob("nobody's", { now });
    // The run's input references the first blob: creating the run links it.
    await store.createRun({ ...record("r", now), input: { corpus: { $blob: input.hash, size: input.size, mediaType: input.mediaType, preview: input.preview } } });
    expect(await store.blobsOf("r")).toEqual([input.hash, put.hash].sort());
    // Within the grace period nothing goes, linked or not.
    expect(await store.collectBlobs({ graceMs: 60_000, now: now + 1_000 })).toEqual({ blobs: 0, chunks: 0, bytes: 0 });
    // After it, only the unlinked blob goes, with its chunk.
    expect(await store.collectBlobs({ graceMs: 60_000, now: now + 120_000 })).toEqual({ blobs: 1, chunks: 1, bytes: "nobody's".length });
    expect(await store.blobInfo(loose.hash)).toBeUndefined();
    expect(await store.blobInfo(input.hash)).toBeDefined();
    // Released, the run's blobs go at the next collection.
    expect(await store.releaseBlobs("r")).toBe(2);
    expect(await store.blobsOf("r")).toEqual([]);
    const collected = await store.collectBlobs({ graceMs: 60_000, now: now + 120_000 });
    expect(collected.blobs).toBe(2);
    expect(await store.blobInfo(input.hash)).toBeUndefined();
    await expect(collect(store.readBlob(put.hash))).rejects.toThrow(/no blob/);
    // A blob two runs link to stays until both released it.
    const shared = await store.putBlob("shared", { runId: "a", now });
    await store.linkBlob("b", shared.hash);
    await store.releaseBlobs("a");
    expect((await store.collectBlobs({ graceMs: 0, now: now + 1 })).blobs).toBe(0);
    await store.releaseBlobs("b");
    expect((await store.collectBlobs({ graceMs: 0, now: now + 1 })).blobs).toBe(1);
  });
});

function patterned(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  // No period shorter than the data: no two chunks of one blob are equal by accident.
  for (let i = 0; i < n; i++) bytes[i] = Math.imul(i ^ (i >>> 13), 2654435761) >>> 24;
  return bytes;
}

function sha(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

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

  it("migrates a file written by schema version 1 (before blobs) without losing anything", async () => {
    const file = join(dir, "v1.sqlite");
    // Schema version 1 exactly as the first release wrote it, with a run and an entry in it.
    const db = new Database(file);
    db.exec(`CREATE TABLE graphs (version TEXT PRIMARY KEY, graph_id TEXT NOT NULL, def TEXT NOT NULL);
      CREATE TABLE runs (
        id TEXT PRIMARY KEY, graph_id TEXT NOT NULL, version TEXT NOT NULL, status TEXT NOT NULL,
        input TEXT NOT NULL, output TEXT, error TEXT, source TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE INDEX runs_status ON runs (status, created_at);
      CREATE TABLE journal (
        run_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, path TEXT NOT NULL, act INTEGER NOT NULL,
        attempt INTEGER NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
      PRAGMA user_version = 1;`);
    db.prepare("INSERT INTO runs VALUES ('old', 'g', 'v1', 'running', '{\"a\":1}', NULL, NULL, NULL, 1, 1)").run();
    db.prepare("INSERT INTO journal VALUES ('old', 1, 'block.completed', 'a', 1, 1, 2, '{\"n\":1}')").run();
    db.close();
    const store = new SqliteStore(file);
    expect(store.getRun("old")).toMatchObject({ id: "old", input: { a: 1 }, status: "running" });
    expect(store.journal("old")).toEqual([{ seq: 1, kind: "block.completed", path: "a", act: 1, attempt: 1, at: 2, output: { n: 1 } }]);
    const put = await store.putBlob("new data", { runId: "old" });
    expect(store.blobsOf("old")).toEqual([put.hash]);
    store.close();
    const again = new Database(file);
    expect(again.pragma("user_version", { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    again.close();
  });
});
