import type { BlobAccess, BlobHandle } from "@blockwork/spec";
import { handleOf } from "../store/blob-data.js";
import type { Store } from "../store/store.js";

/** The most bytes `text()` decodes in one call: a slice, not a way to load a whole corpus. */
const MAX_TEXT_BYTES = 16 * 1024 * 1024;

/** `ctx.blobs` of a block in run `runId`: the run store's blobs, and what it puts is linked to the run. */
export function blobAccess(store: Store, runId: string): BlobAccess {
  return {
    async put(content, options = {}) {
      return handleOf(await store.putBlob(content, { runId, ...(options.mediaType !== undefined ? { mediaType: options.mediaType } : {}) }));
    },
    read(handle, range) {
      return store.readBlob(addressOf(handle), range);
    },
    async text(handle, range = {}) {
      const start = range.start ?? 0;
      if (range.end === undefined || range.end - start > MAX_TEXT_BYTES) {
        const size = typeof handle === "string" ? (await store.blobInfo(handle))?.size : handle.size;
        const end = Math.min(range.end ?? Number.POSITIVE_INFINITY, size ?? 0);
        if (end - start > MAX_TEXT_BYTES) throw new Error(`ctx.blobs.text reads at most ${MAX_TEXT_BYTES} bytes at once (asked for ${end - start}); read the blob as a stream with ctx.blobs.read`);
      }
      const decoder = new TextDecoder("utf-8", { fatal: false });
      let text = "";
      for await (const chunk of store.readBlob(addressOf(handle), range)) text += decoder.decode(chunk, { stream: true });
      return text + decoder.decode();
    },
  };
}

function addressOf(handle: BlobHandle | string): string {
  return typeof handle === "string" ? handle : handle.$blob;
}
