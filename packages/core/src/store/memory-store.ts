import { InProcessMemory } from "../memory/in-process-memory.js";
import { blobHandlesIn, type GraphDef } from "@blockwork/spec";
import {
  type BlobCollectOptions,
  type BlobCollectResult,
  type BlobContent,
  type BlobPutOptions,
  type BlobRange,
  type BlobRecord,
  checkAddress,
  clampRange,
  DEFAULT_GRACE_MS,
  DEFAULT_MEDIA_TYPE,
  readParts,
  type StoredPart,
  writeChunks,
} from "./blob-data.js";
import type { JournalEntry, RunPatch, RunQuery, RunRecord, Store } from "./store.js";

interface Entry {
  run: RunRecord;
  journal: JournalEntry[];
}

/**
 * Runs and journals in memory: fast, and gone with the process. Useful for tests, for runs that
 * need no durability, and as the reference the store conformance tests hold the others to.
 */
export class MemoryStore implements Store {
  readonly durable = false;
  private readonly runs = new Map<string, Entry>();
  private readonly graphs = new Map<string, GraphDef>();
  private readonly chunks = new Map<string, { bytes: Uint8Array; touchedAt: number }>();
  private readonly blobs = new Map<string, { record: BlobRecord; parts: StoredPart[] }>();
  /** run id → the blob addresses it links to. */
  private readonly links = new Map<string, Set<string>>();
  /** Agent memory, in the process like everything else of this store. */
  readonly memory = new InProcessMemory();

  saveGraph(version: string, def: GraphDef): void {
    if (!this.graphs.has(version)) this.graphs.set(version, def);
  }

  getGraph(version: string): GraphDef | undefined {
    return this.graphs.get(version);
  }

  createRun(run: RunRecord): void {
    if (this.runs.has(run.id)) throw new Error(`run ${run.id} already exists in the store`);
    this.runs.set(run.id, { run, journal: [] });
    for (const handle of blobHandlesIn(run.input)) this.linkBlob(run.id, handle.$blob);
  }

  getRun(id: string): RunRecord | undefined {
    return this.runs.get(id)?.run;
  }

  listRuns(query: RunQuery = {}): RunRecord[] {
    const all = [...this.runs.values()].map((e) => e.run).filter((r) => query.status === undefined || r.status === query.status);
    return all.sort((a, b) => b.createdAt - a.createdAt).slice(0, query.limit ?? 50);
  }

  finishRun(id: string, outcome: Pick<RunRecord, "status" | "output" | "error" | "updatedAt">): void {
    const entry = this.runs.get(id);
    if (!entry) throw new Error(`run ${id} is not in the store`);
    const { status, output, error, updatedAt } = outcome;
    entry.run = { ...entry.run, status, updatedAt, ...(output !== undefined ? { output } : {}), ...(error !== undefined ? { error } : {}) };
  }

  updateRun(id: string, patch: RunPatch): void {
    const entry = this.runs.get(id);
    if (!entry) throw new Error(`run ${id} is not in the store`);
    if (entry.run.status !== "running" && entry.run.status !== "suspended") return;
    entry.run = { ...entry.run, ...patch };
  }

  append(runId: string, entry: JournalEntry): void {
    const run = this.runs.get(runId);
    if (!run) throw new Error(`run ${runId} is not in the store`);
    const last = run.journal[run.journal.length - 1];
    if (last !== undefined && entry.seq <= last.seq) throw new Error(`run ${runId}: journal entry ${entry.seq} is already written`);
    run.journal.push(entry);
  }

  journal(runId: string): JournalEntry[] {
    return [...(this.runs.get(runId)?.journal ?? [])];
  }

  close(): void {}

  async putBlob(content: BlobContent, options: BlobPutOptions = {}): Promise<BlobRecord> {
    const now = options.now ?? Date.now();
    const parts: StoredPart[] = [];
    const written = await writeChunks(content, (part) => {
      const existing = this.chunks.get(part.hash);
      if (existing) existing.touchedAt = now;
      else this.chunks.set(part.hash, { bytes: part.bytes, touchedAt: now });
      parts.push({ idx: parts.length, start: part.start, length: part.bytes.length, chunk: part.hash });
    });
    let blob = this.blobs.get(written.hash);
    if (blob === undefined) {
      // A collection that ran while the chunks streamed in must not have taken any of them.
      for (const part of parts) if (!this.chunks.has(part.chunk)) throw new Error(`chunk ${part.chunk} of blob ${written.hash} was collected while the blob was written; put it again`);
      const record: BlobRecord = { hash: written.hash, size: written.size, mediaType: options.mediaType ?? DEFAULT_MEDIA_TYPE, preview: written.preview, chunks: parts.length, createdAt: now };
      blob = { record, parts };
      this.blobs.set(written.hash, blob);
    }
    if (options.runId !== undefined) this.linkBlob(options.runId, written.hash);
    return blob.record;
  }

  blobInfo(hash: string): BlobRecord | undefined {
    return this.blobs.get(hash)?.record;
  }

  async *readBlob(hash: string, range?: BlobRange): AsyncIterable<Uint8Array> {
    checkAddress(hash);
    const blob = this.blobs.get(hash);
    if (blob === undefined) throw new Error(`the store has no blob ${hash}`);
    const { start, end } = clampRange(range, blob.record.size);
    yield* readParts(blob.parts, start, end, (chunk, offset, length) => this.chunks.get(chunk)?.bytes.subarray(offset, offset + length) ?? new Uint8Array(0));
  }

  linkBlob(runId: string, hash: string): void {
    checkAddress(hash);
    let set = this.links.get(runId);
    if (set === undefined) this.links.set(runId, (set = new Set()));
    set.add(hash);
  }

  blobsOf(runId: string): string[] {
    return [...(this.links.get(runId) ?? [])].sort();
  }

  releaseBlobs(runId: string): number {
    const n = this.links.get(runId)?.size ?? 0;
    this.links.delete(runId);
    return n;
  }

  collectBlobs(options: BlobCollectOptions = {}): BlobCollectResult {
    const before = (options.now ?? Date.now()) - (options.graceMs ?? DEFAULT_GRACE_MS);
    const linked = new Set<string>();
    for (const set of this.links.values()) for (const hash of set) linked.add(hash);
    let blobs = 0;
    for (const [hash, blob] of this.blobs) {
      if (linked.has(hash) || blob.record.createdAt > before) continue;
      this.blobs.delete(hash);
      blobs++;
    }
    const used = new Set<string>();
    for (const blob of this.blobs.values()) for (const part of blob.parts) used.add(part.chunk);
    let chunks = 0;
    let bytes = 0;
    for (const [hash, chunk] of this.chunks) {
      if (used.has(hash) || chunk.touchedAt > before) continue;
      this.chunks.delete(hash);
      chunks++;
      bytes += chunk.bytes.length;
    }
    return { blobs, chunks, bytes };
  }
}
