import { createHash } from "node:crypto";
import { BLOB_ADDRESS, BLOB_PREVIEW_CHARS, type BlobHandle } from "@blockwork/spec";

// What the three stores share about blobs: how content is cut into chunks and addressed, and how
// a byte range maps onto chunks. The stores only keep chunks, blobs (a list of chunks) and links.

/**
 * Bytes per stored chunk: a 50 MB blob is 200 rows, and a slice reads at most the chunks it
 * overlaps (SQLite reads a whole row value to take a substring of it, so smaller chunks make
 * small slices cheaper; larger ones make fewer rows).
 */
export const CHUNK_BYTES = 256 * 1024;

/** What `putBlob` accepts: bytes, a string (stored as UTF-8), or a stream of byte chunks. */
export type BlobContent = Uint8Array | string | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** A blob as the store keeps it. `hash` is its address, `sha256:<hex>`. */
export interface BlobRecord {
  readonly hash: string;
  readonly size: number;
  readonly mediaType: string;
  readonly preview: string;
  /** How many chunks hold it. */
  readonly chunks: number;
  /** Epoch milliseconds of the first put. */
  readonly createdAt: number;
}

/** Options of `Store.putBlob`. */
export interface BlobPutOptions {
  /** Default `application/octet-stream`. */
  readonly mediaType?: string;
  /** Links the blob to this run (it is kept while the run references it). */
  readonly runId?: string;
  /** Epoch milliseconds (tests). */
  readonly now?: number;
}

/** A byte range `[start, end)`; `end` defaults to the blob's size. */
export interface BlobRange {
  readonly start?: number;
  readonly end?: number;
}

/** Options of `Store.collectBlobs`. */
export interface BlobCollectOptions {
  /**
   * Unlinked blobs (and unused chunks) younger than this are kept: a blob put for a run that has
   * not been created yet, or a put still writing its chunks, must survive. Default one hour.
   */
  readonly graceMs?: number;
  /** Epoch milliseconds (tests). */
  readonly now?: number;
}

/** What a collection removed. */
export interface BlobCollectResult {
  readonly blobs: number;
  readonly chunks: number;
  /** Bytes of chunk data freed. */
  readonly bytes: number;
}

/** One chunk of a blob being written: its address, its bytes and where it starts in the blob. */
export interface ChunkPart {
  readonly hash: string;
  readonly start: number;
  readonly bytes: Uint8Array;
}

/** One chunk of a stored blob as the parts table lists it. */
export interface StoredPart {
  readonly idx: number;
  readonly start: number;
  readonly length: number;
  readonly chunk: string;
}

export const DEFAULT_GRACE_MS = 60 * 60 * 1000;
export const DEFAULT_MEDIA_TYPE = "application/octet-stream";

/** `sha256:<hex>` of some bytes. */
function addressOf(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Throws a clear error for anything that is not a blob address. */
export function checkAddress(hash: string): void {
  if (!BLOB_ADDRESS.test(hash)) throw new Error(`"${String(hash).slice(0, 80)}" is not a blob address (sha256:<64 hex digits>)`);
}

/**
 * Cuts content into chunks of `CHUNK_BYTES` as it arrives, hashing each and the whole: at most one
 * chunk (plus the piece of input being cut) is in memory at a time. `write` stores each chunk
 * before the next is cut; the result is the whole content's address, size and preview.
 */
export async function writeChunks(content: BlobContent, write: (part: ChunkPart) => unknown): Promise<{ hash: string; size: number; preview: string; parts: number }> {
  const whole = createHash("sha256");
  let buffer = new Uint8Array(CHUNK_BYTES);
  let filled = 0;
  let size = 0;
  let parts = 0;
  let head: Uint8Array | undefined;
  const flush = async () => {
    if (filled === 0) return;
    const bytes = buffer.subarray(0, filled);
    head ??= bytes.slice(0, BLOB_PREVIEW_CHARS * 4);
    whole.update(bytes);
    await write({ hash: addressOf(bytes), start: size, bytes });
    size += filled;
    parts++;
    buffer = new Uint8Array(CHUNK_BYTES);
    filled = 0;
  };
  for await (const piece of pieces(content)) {
    let offset = 0;
    while (offset < piece.length) {
      const n = Math.min(CHUNK_BYTES - filled, piece.length - offset);
      buffer.set(piece.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === CHUNK_BYTES) await flush();
    }
  }
  await flush();
  if (parts === 0) whole.update(new Uint8Array(0));
  return { hash: `sha256:${whole.digest("hex")}`, size, preview: previewOf(head ?? new Uint8Array(0)), parts };
}

async function* pieces(content: BlobContent): AsyncIterable<Uint8Array> {
  if (typeof content === "string") {
    const bytes = new TextEncoder().encode(content);
    for (let i = 0; i < bytes.length; i += CHUNK_BYTES) yield bytes.subarray(i, i + CHUNK_BYTES);
    return;
  }
  if (content instanceof Uint8Array) {
    yield content;
    return;
  }
  for await (const piece of content as AsyncIterable<Uint8Array>) {
    if (!(piece instanceof Uint8Array)) throw new Error(`a blob stream must yield Uint8Array chunks, not ${typeof piece}`);
    yield piece;
  }
}

/**
 * The first characters of some bytes as text (a cut character at the end is dropped; control
 * characters other than tab and newline, as in binary content, show as U+FFFD).
 */
function previewOf(head: Uint8Array): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are what is replaced
  const text = new TextDecoder("utf-8", { fatal: false }).decode(head).replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, "\uFFFD");
  const chars = [...text.replace(/\uFFFD+$/, "")];
  return chars.slice(0, BLOB_PREVIEW_CHARS).join("");
}

/** The range clamped to a blob of `size` bytes; throws for nonsense (negative, not integers). */
export function clampRange(range: BlobRange | undefined, size: number): { start: number; end: number } {
  const start = range?.start ?? 0;
  const end = range?.end ?? size;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < 0) throw new Error(`a blob range needs whole, non-negative offsets (got start ${start}, end ${end})`);
  return { start: Math.min(start, size), end: Math.max(Math.min(end, size), Math.min(start, size)) };
}

/**
 * Streams `[start, end)` of a blob whose chunks are `parts`: reads each overlapping chunk's
 * sub-range with `read(chunk, offset, length)` and yields it, one chunk at a time.
 */
export async function* readParts(
  parts: readonly StoredPart[],
  start: number,
  end: number,
  read: (chunk: string, offset: number, length: number) => Uint8Array | Promise<Uint8Array>,
): AsyncIterable<Uint8Array> {
  for (const part of parts) {
    const from = Math.max(start, part.start);
    const to = Math.min(end, part.start + part.length);
    if (to <= from) continue;
    const bytes = await read(part.chunk, from - part.start, to - from);
    if (bytes.length !== to - from) throw new Error(`chunk ${part.chunk} of a blob is missing or damaged in the store (read ${bytes.length} of ${to - from} bytes)`);
    yield bytes;
  }
}

/**
 * A handle for a stored blob (what contracts, edges and the journal carry).
 *
 * @example
 * const corpus = handleOf(await store.putBlob(text, { mediaType: "text/plain" }));
 * await run(graph, { corpus, question }, { store }).result;
 */
export function handleOf(record: BlobRecord): BlobHandle {
  return { $blob: record.hash, size: record.size, mediaType: record.mediaType, preview: record.preview };
}
