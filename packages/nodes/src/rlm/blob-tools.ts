import type { BlobAccess, BlobHandle } from "@blockwork/spec";

/** One match of `blob_search`: its byte offset and the text around it. */
export interface SearchMatch {
  readonly offset: number;
  readonly text: string;
}

/** Options of `blob_search`, as the sandbox passes them. */
export interface SearchOptions {
  /** Matches returned with their text (all are counted). Default 20, at most 200. */
  readonly max?: number;
  /** Bytes of text on each side of a match. Default 80, at most 2,000. */
  readonly context?: number;
  /** ASCII letters match either case. */
  readonly ignoreCase?: boolean;
  /** Byte offset to start at. */
  readonly start?: number;
}

/**
 * Finds a literal string in a blob, streaming it chunk by chunk (a match across two chunks is
 * found through an overlap of the needle's length): linear time, so code in the sandbox cannot
 * make the host backtrack (regular expressions run inside the sandbox, on slices, under its CPU
 * limit). `ignoreCase` folds ASCII letters only.
 */
export async function searchBlob(blobs: BlobAccess, handle: BlobHandle, needle: string, options: SearchOptions = {}): Promise<{ total: number; matches: SearchMatch[] }> {
  const max = clampInt(options.max, 20, 0, 200);
  const context = clampInt(options.context, 80, 0, 2_000);
  const start = clampInt(options.start, 0, 0, Number.MAX_SAFE_INTEGER);
  const fold = options.ignoreCase === true;
  const wanted = Buffer.from(fold ? needle.toLowerCase() : needle, "utf8");
  if (wanted.length === 0) throw new Error("blob_search needs a non-empty string to look for");
  if (wanted.length > 1_000) throw new Error("blob_search looks for at most 1,000 bytes at a time");
  const offsets: number[] = [];
  let total = 0;
  let carry = Buffer.alloc(0);
  let carryStart = start;
  // Matches do not overlap: the next may start only after the last one found ends.
  let nextAllowed = start;
  for await (const chunk of blobs.read(handle, { start })) {
    const piece = fold ? lowerAscii(Buffer.from(chunk)) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const window = carry.length === 0 ? piece : Buffer.concat([carry, piece]);
    for (let at = window.indexOf(wanted, Math.max(0, nextAllowed - carryStart)); at !== -1; at = window.indexOf(wanted, at + wanted.length)) {
      total++;
      nextAllowed = carryStart + at + wanted.length;
      if (offsets.length < max) offsets.push(carryStart + at);
    }
    // Keep the last needle-length-minus-one bytes: a match that starts there ends in the next chunk.
    const keep = Math.min(wanted.length - 1, window.length);
    const consumed = window.length - keep;
    carry = Buffer.from(window.subarray(consumed));
    carryStart += consumed;
  }
  const matches: SearchMatch[] = [];
  for (const offset of offsets) {
    const text = await blobs.text(handle, { start: Math.max(0, offset - context), end: offset + wanted.length + context });
    matches.push({ offset, text });
  }
  return { total, matches };
}

function lowerAscii(bytes: Buffer): Buffer {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b >= 65 && b <= 90) bytes[i] = b + 32;
  }
  return bytes;
}

function clampInt(value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`expected a number, got ${JSON.stringify(value)}`);
  return Math.max(min, Math.min(max, Math.floor(value)));
}
