import type { GraphDef, JsonValue } from "@blockwork/spec";
import type { ErrorInfo } from "../errors.js";
import type { RunOwner } from "./owner.js";
import type { MemoryBackend } from "../memory/memory-model.js";
import type { BlobCollectOptions, BlobCollectResult, BlobContent, BlobPutOptions, BlobRange, BlobRecord } from "./blob-data.js";

import type { MaybePromise } from "../maybe-promise.js";

export type { MaybePromise } from "../maybe-promise.js";

/** `suspended`: nothing in the run can go on until someone resumes a suspended block. */
export type RunStatus = "running" | "suspended" | "completed" | "failed" | "cancelled";

/** Where a run's graph came from, so that a later process can load it again to resume the run. */
export interface RunSource {
  /** An absolute path or file URL of the module that exports the graph. */
  readonly module: string;
  readonly exportName?: string;
}

/** One run as the store keeps it. The journal holds the steps; this holds the outcome. */
export interface RunRecord {
  readonly id: string;
  readonly graphId: string;
  /** The hash of the GraphDef the run is pinned to (see `graphVersion`). */
  readonly version: string;
  readonly status: RunStatus;
  readonly input: JsonValue;
  readonly output?: JsonValue;
  readonly error?: ErrorInfo;
  readonly source?: RunSource;
  /**
   * The run's trace context, a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`) of its first
   * run span, when it was started with tracing on: a resume continues that trace (docs/observability.md).
   */
  readonly trace?: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * One journal entry: a fact about a block execution, written before anything depends on it.
 * Only leaf blocks are journaled (a subgraph's or map's outcome follows from its inside).
 *
 * `path` is the block's path in the run (`release/digest/normalise`, `summariseAll/3`), `act` its
 * activation (1 on first run, 2 after a loop came back to it, ...). `seq` orders a run's entries.
 */
export type JournalEntry =
  | (EntryBase & { readonly kind: "block.completed"; readonly output: JsonValue })
  /** The block failed with a typed error that an error edge routes. */
  | (EntryBase & { readonly kind: "block.failed"; readonly error: JsonValue })
  /** An attempt failed and will be retried after `delayMs`. */
  | (EntryBase & { readonly kind: "attempt.failed"; readonly error: ErrorInfo; readonly delayMs: number })
  /** An item of a collecting map failed for good; the map records it and goes on. */
  | (EntryBase & { readonly kind: "item.failed"; readonly error: ErrorInfo })
  /**
   * The block failed for good and its graph's supervisor restarts it: `restarted` names the blocks
   * of that graph the restart takes along (by the strategy), which start again, as new
   * activations, `delayMs` after `at`. `restart` counts the block's restarts (it sets the backoff).
   */
  | (EntryBase & { readonly kind: "block.restarted"; readonly error: ErrorInfo; readonly delayMs: number; readonly restart: number; readonly restarted: readonly string[] })
  /** The block suspended (`ctx.suspend`) and waits to be resumed; `payload` is what it shows. */
  | (EntryBase & { readonly kind: "block.suspended"; readonly payload: JsonValue })
  /** The suspended block was resumed with `data` (valid for its `resume` schema); it runs again. */
  | (EntryBase & { readonly kind: "block.resumed"; readonly data: JsonValue })
  /**
   * The run moved from graph version `from` to `to` at a block boundary (`path` is empty, `act`
   * numbers the run's upgrades). A declared migration's results travel with it: `input` replaces
   * the run's input, `outputs` (by entry `seq`) the outputs of earlier completions, when replayed.
   */
  | (EntryBase & {
      readonly kind: "run.upgraded";
      readonly from: string;
      readonly to: string;
      /** What the migration rewrote: `input`, and the paths of the blocks whose outputs it changed. */
      readonly migrated: readonly string[];
      readonly input?: JsonValue;
      readonly outputs?: { readonly [seq: string]: JsonValue };
    })
  /**
   * A step inside a block attempt finished (`ctx.step`; an rlm block's model turns, cells and
   * sub-calls): `step` is its key within the attempt, `result` what it returned. A resumed run
   * gives the attempt these results instead of running the steps again.
   */
  | (EntryBase & { readonly kind: "step.completed"; readonly step: string; readonly result: JsonValue })
  /**
   * A loop started a new pass: `path` is the loop's entry block, `act` the number of the pass
   * that starts (2, 3, ...; the first pass has no entry), `from` the block whose back edge asked
   * for it, `attempt` 0. Written once the previous pass settled (every block of the loop's region
   * it started had finished), before anything of the new pass starts.
   */
  | (EntryBase & { readonly kind: "loop.pass"; readonly from: string });

interface EntryBase {
  readonly seq: number;
  readonly path: string;
  readonly act: number;
  readonly attempt: number;
  /** Epoch milliseconds. */
  readonly at: number;
}

/** What `updateRun` may change. */
export interface RunPatch {
  readonly status?: "running" | "suspended";
  readonly version?: string;
  /** Where the graph of the new version is loaded from (an upgrade to a graph in another module). */
  readonly source?: RunSource;
  readonly updatedAt: number;
}

/** Which runs `Store.listRuns` returns. */
export interface RunQuery {
  readonly status?: RunStatus;
  /** Newest first; default 50. */
  readonly limit?: number;
}

/**
 * Where runs and their journals live. Implementations: `MemoryStore`, `SqliteStore` (the embedded
 * default), and a PostgreSQL store shared by workers on many machines.
 *
 * Contract: `append` is durable when it returns (or its promise resolves): the runtime starts no
 * successor of a block before the block's entry is appended. `(runId, seq)` is unique: appending
 * an entry twice is an error, never a second fact.
 */
export interface Store {
  /** Whether entries survive the process (false for `MemoryStore`). */
  readonly durable: boolean;
  saveGraph(version: string, def: GraphDef): MaybePromise<void>;
  getGraph(version: string): MaybePromise<GraphDef | undefined>;
  createRun(run: RunRecord): MaybePromise<void>;
  getRun(id: string): MaybePromise<RunRecord | undefined>;
  listRuns(query?: RunQuery): MaybePromise<RunRecord[]>;
  /** Records the outcome of a run. */
  finishRun(id: string, outcome: Pick<RunRecord, "status" | "output" | "error" | "updatedAt">): MaybePromise<void>;
  /**
   * Changes a run still in flight: its status (`running` ⇄ `suspended`) or, when it is upgraded,
   * the graph version it runs on. A run that has already ended is left as it is.
   */
  updateRun(id: string, patch: RunPatch): MaybePromise<void>;
  append(runId: string, entry: JournalEntry): MaybePromise<void>;
  journal(runId: string): MaybePromise<JournalEntry[]>;
  close(): MaybePromise<void>;

  // --- Ownership: one process executes a run (stores that processes share; see docs/runtime.md) ---

  /**
   * Makes this process the owner of a run, atomically: with `create`, creates the run and takes it
   * in one transaction (instead of `createRun`); without, takes an existing run that no live
   * process owns (an orphan: no owner, or a dead one). Throws `run_owned`, naming the owner, when
   * another live process owns it. Appends for a run this process owns fail with `run_taken_over`
   * once another process has taken it over. Stores without the method have no owners.
   * Resolves true when this process took the run now, false when it owned it already.
   */
  claimRun?(runId: string, create?: RunRecord): MaybePromise<boolean>;
  /** Gives a run up (its owner row goes): it is orphaned, and any process may take it. `finishRun` releases too. */
  releaseRun?(runId: string): MaybePromise<void>;
  /** The owner of a run, live or dead; undefined when no process owns it. */
  runOwner?(runId: string): MaybePromise<RunOwner | undefined>;

  // --- Blobs: content-addressed, chunked, deduplicated (see docs/rlm.md, "Data by reference") ---

  /**
   * Stores content as a blob: cut into chunks of 256 KiB (`CHUNK_BYTES`) as it streams in, each chunk stored once by
   * its sha-256 (equal chunks of different blobs are shared), the blob addressed by the sha-256 of
   * the whole. Putting the same content twice returns the same record (the first media type wins).
   * With `runId`, the run references the blob.
   */
  putBlob(content: BlobContent, options?: BlobPutOptions): Promise<BlobRecord>;
  blobInfo(hash: string): MaybePromise<BlobRecord | undefined>;
  /**
   * Streams the bytes `[start, end)` of a blob, one chunk at a time (a slice of a 50 MB blob reads
   * only the chunks it overlaps). Throws when the store has no such blob.
   */
  readBlob(hash: string, range?: BlobRange): AsyncIterable<Uint8Array>;
  /**
   * Records that a run references a blob. A blob is *referenced* while at least one run links to
   * it: the runtime links the handles in a run's input when it creates the run, and every blob a
   * block puts through `ctx.blobs`. Linking an unknown blob is allowed (it may be put later).
   */
  linkBlob(runId: string, hash: string): MaybePromise<void>;
  /** The addresses a run links to, sorted. */
  blobsOf(runId: string): MaybePromise<string[]>;
  /** Drops every link of a run (when its data may go); returns how many. The blobs go at the next `collectBlobs`, if nothing else links them. */
  releaseBlobs(runId: string): MaybePromise<number>;
  /**
   * Removes blobs no run links to (older than the grace period), then chunks no blob uses (idem).
   */
  collectBlobs(options?: BlobCollectOptions): MaybePromise<BlobCollectResult>;

  /**
   * Agent memory (see docs/memory.md): scopes of items, journaled as batches of ops, in this
   * store's database. Optional, so that stores written against an older interface still compile;
   * every store of this package has it.
   */
  readonly memory?: MemoryBackend;
}
