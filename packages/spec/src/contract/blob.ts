import { z } from "zod";
import type { JsonSchema } from "../def/graph-def.js";

/**
 * A reference to content in the run store's blob store: what edges, journals and contexts carry
 * instead of the bytes. `$blob` is the content address (`sha256:<64 hex digits>`), so equal
 * content has one handle; `preview` is a short start of the content (for people and agents).
 */
export interface BlobHandle {
  readonly $blob: string;
  /** Bytes. */
  readonly size: number;
  readonly mediaType: string;
  /** The first characters of the content (at most `BLOB_PREVIEW_CHARS`), for orientation only. */
  readonly preview: string;
}

/** The most characters of content a handle's preview holds. */
export const BLOB_PREVIEW_CHARS = 240;

/** The pattern of a blob address: `sha256:` and 64 lowercase hex digits. */
export const BLOB_ADDRESS = /^sha256:[0-9a-f]{64}$/;

/**
 * The JSON Schema keyword that marks a handle schema and says what the content is: its media types
 * and, for structured content, the content's JSON Schema (`{"mediaTypes": [...], "content": {...}}`).
 */
export const BLOB_KEYWORD = "x-blockwork-blob";

/**
 * The name of the phantom property under which a handle schema's JSON Schema states the content's
 * schema. Values never have it (the zod schema rejects it); it is there so that the compatibility
 * engine compares the content schemas of two handle types as it compares any optional property:
 * a handle of `{rows: number[]}` content does not fit a port that wants `{rows: string[]}`.
 */
export const BLOB_CONTENT_PROPERTY = "$content";

/** Options of {@link blob}. */
export interface BlobOptions<C extends z.ZodType | undefined = undefined> {
  /** The media type(s) this field accepts, e.g. `text/plain` or `["text/csv", "text/tab-separated-values"]`. Default: any. */
  readonly mediaType?: string | readonly [string, ...string[]];
  /** The schema of the content when it is structured (JSON): documents it, and lets `compat` compare handles. */
  readonly content?: C;
  /** A description of the field (shown in contexts and docs). */
  readonly description?: string;
}

/** The zod schema of a blob handle field (see {@link blob}). */
export type BlobSchema = z.ZodObject<{
  $blob: z.ZodString;
  size: z.ZodNumber;
  mediaType: z.ZodType<string>;
  preview: z.ZodString;
}>;

const marked = new WeakMap<z.ZodType, { readonly mediaTypes?: readonly string[]; readonly content?: JsonSchema }>();

/**
 * A contract field that holds a handle to content in the blob store, not the content itself: a
 * 50 MB corpus travels along edges, into the journal and into agent contexts as ~100 bytes of
 * metadata. The handle's JSON Schema is marked (`x-blockwork-blob`), so `blockwork check` and
 * `compat` see media types and, with `content`, compare the content schemas of two handles.
 *
 * @example
 * const Input = z.object({ corpus: blob({ mediaType: "text/plain" }), question: z.string() });
 * const Table = blob({ mediaType: "application/json", content: z.object({ rows: z.array(z.number()) }) });
 */
export function blob<C extends z.ZodType | undefined = undefined>(options: BlobOptions<C> = {}): BlobSchema {
  const types = options.mediaType === undefined ? undefined : typeof options.mediaType === "string" ? [options.mediaType] : [...options.mediaType];
  const mediaType: z.ZodType<string> = types === undefined ? z.string().min(1) : types.length === 1 ? z.literal(types[0] as string) : z.enum(types as [string, ...string[]]);
  const content = options.content === undefined ? undefined : (z.toJSONSchema(options.content, { io: "output", target: "draft-2020-12", unrepresentable: "any" }) as Record<string, unknown>);
  if (content !== undefined) delete content["$schema"];
  const annotation = { ...(types !== undefined ? { mediaTypes: types } : {}), ...(content !== undefined ? { content: content as JsonSchema } : {}) };
  const schema = z
    .strictObject({
      $blob: z.string().regex(BLOB_ADDRESS),
      size: z.number().int().nonnegative(),
      mediaType,
      preview: z.string().max(BLOB_PREVIEW_CHARS),
    })
    .meta({ [BLOB_KEYWORD]: annotation, ...(options.description !== undefined ? { description: options.description } : {}) });
  marked.set(schema, annotation);
  return schema as unknown as BlobSchema;
}

/**
 * Whether a zod schema was made by {@link blob}, and what it says about the content.
 *
 * @example
 * blobSchemaInfo(blob({ mediaType: "text/csv" })); // { mediaTypes: ["text/csv"] }
 */
export function blobSchemaInfo(schema: z.ZodType): { readonly mediaTypes?: readonly string[]; readonly content?: JsonSchema } | undefined {
  return marked.get(schema);
}

/**
 * Whether a value is a blob handle (shape only; whether the store holds the content is the store's
 * business).
 *
 * @example
 * if (isBlobHandle(input.corpus)) console.log(input.corpus.size);
 */
export function isBlobHandle(value: unknown): value is BlobHandle {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v["$blob"] === "string" && BLOB_ADDRESS.test(v["$blob"]) && typeof v["size"] === "number" && typeof v["mediaType"] === "string" && typeof v["preview"] === "string";
}

/**
 * Every blob handle inside a JSON value (depth first, each address once): how the runtime finds
 * what a run references.
 *
 * @example
 * blobHandlesIn({ a: [handle, { b: handle }] }); // [handle]
 */
export function blobHandlesIn(value: unknown, found: Map<string, BlobHandle> = new Map(), depth = 0): BlobHandle[] {
  if (depth > 64 || typeof value !== "object" || value === null) return [...found.values()];
  if (isBlobHandle(value)) {
    found.set(value.$blob, value);
    return [...found.values()];
  }
  for (const child of Array.isArray(value) ? value : Object.values(value)) blobHandlesIn(child, found, depth + 1);
  return [...found.values()];
}

/** What a block can do with the run's blob store (`ctx.blobs`, given by the runtime). */
export interface BlobAccess {
  /**
   * Stores content (bytes, a string as UTF-8, or a stream of chunks) and returns its handle. The
   * content is referenced by the current run, so it is kept while the run is.
   */
  put(content: Uint8Array | string | AsyncIterable<Uint8Array>, options?: { readonly mediaType?: string }): Promise<BlobHandle>;
  /** Streams the bytes `[start, end)` of a blob (default: all of it), chunk by chunk. */
  read(handle: BlobHandle | string, range?: { readonly start?: number; readonly end?: number }): AsyncIterable<Uint8Array>;
  /** The bytes `[start, end)` decoded as UTF-8 (a slice that cuts a character shows U+FFFD there). */
  text(handle: BlobHandle | string, range?: { readonly start?: number; readonly end?: number }): Promise<string>;
}

/**
 * States a handle's content schema in the phantom `$content` property of its JSON Schema (in place);
 * `toJsonSchema` does this for every schema `blob()` made.
 *
 * @example
 * blobJsonSchema(json); // json.properties.$content is now the content schema (or true)
 */
export function blobJsonSchema(json: Record<string, unknown>): void {
  const annotation = json[BLOB_KEYWORD] as { content?: JsonSchema } | undefined;
  const properties = json["properties"] as Record<string, unknown> | undefined;
  // A handle without a content schema may hold anything: `true`, so that a typed handle still fits it.
  if (annotation !== undefined && properties !== undefined) properties[BLOB_CONTENT_PROPERTY] = annotation.content ?? true;
}
