import type { JsonValue, MemoryTier } from "@blockwork/spec";
import type { MaybePromise } from "../maybe-promise.js";

/** Who wrote an item: the run, the block's path, its activation and attempt. */
export interface MemoryProvenance {
  readonly runId: string;
  readonly path: string;
  readonly attempt: number;
}

/** One memory item. `tokens` is the size it takes in a context; the `last*` fields are the scope's clock at its last access. */
export interface MemoryItem {
  readonly id: string;
  readonly kind: string;
  readonly tier: MemoryTier;
  /** A key to look it up by (`order_number`); putting an item with the key of another replaces that one. */
  readonly key?: string;
  /** What the model reads. */
  readonly text: string;
  /** Typed data, valid for the kind's schema. */
  readonly data: JsonValue;
  readonly tokens: number;
  /** Pinned items are never evicted. */
  readonly pinned: boolean;
  /** A summary's pinned facts, which every later summary must keep (see compaction). */
  readonly carries?: readonly { readonly id: string; readonly text: string }[];
  readonly embedding?: readonly number[];
  readonly createdAt: number;
  readonly accessCount: number;
  readonly lastStep: number;
  readonly lastTokens: number;
  readonly lastAt: number;
  /** The clock when it was last accessed or arrived in its tier: retention windows count from here. */
  readonly sinceStep: number;
  readonly sinceTokens: number;
  readonly sinceAt: number;
  /** Orders a tier's items by last use (a per-scope counter, so that live and replayed orders agree). */
  readonly touch: number;
  readonly provenance: MemoryProvenance;
}

/** Why an item left its tier. */
export type EvictionReason = "stale" | "max_tokens" | "max_items" | "compacted" | "forgotten" | "replaced";

/**
 * One change of a scope's memory. Batches of ops are the memory's journal: the state of a scope is
 * the fold of its ops ({@link applyOp}), in the live process and on replay alike.
 */
export type MemoryOp =
  /** Inserts an item (or replaces the one with its id). */
  | { readonly op: "put"; readonly item: MemoryItem }
  /** The scope's clock advances: one step, `tokens` context tokens, at time `at`. */
  | { readonly op: "tick"; readonly steps: number; readonly tokens: number; readonly at: number }
  /** Items were read (recall, search, a use): their access count and last access move to now. */
  | { readonly op: "access"; readonly ids: readonly string[] }
  /** An item moves to another tier (an eviction when down, a promotion when up). */
  | { readonly op: "move"; readonly id: string; readonly tier: MemoryTier; readonly reason: EvictionReason | "promoted"; readonly detail?: string }
  | { readonly op: "drop"; readonly id: string; readonly reason: EvictionReason; readonly detail?: string }
  | { readonly op: "pin"; readonly id: string; readonly pinned: boolean };

/** The clock of a scope: steps and tokens used by its readers, and the time of the last step. */
export interface MemoryClock {
  readonly step: number;
  readonly tokens: number;
  readonly at: number;
  /** Counts puts, accesses and moves (see {@link MemoryItem.touch}). */
  readonly touch: number;
}

/** A scope's memory: its items, its clock, and how many batches made it (`seq`). */
export interface ScopeState {
  readonly items: Map<string, MemoryItem>;
  clock: MemoryClock;
  seq: number;
}

/** An empty scope. */
export function emptyScope(): ScopeState {
  return { items: new Map(), clock: { step: 0, tokens: 0, at: 0, touch: 0 }, seq: 0 };
}

/**
 * Applies one op to a state, in place. Ops that name an item no longer there do nothing: a batch
 * computed by another writer may find it gone (batches are also checked against `seq`, see
 * {@link MemoryBackend.apply}, so that does not happen to the writers of one store).
 */
export function applyOp(state: ScopeState, op: MemoryOp): void {
  switch (op.op) {
    case "put":
      state.items.set(op.item.id, { ...op.item, ...since(state) });
      return;
    case "tick":
      state.clock = { ...state.clock, step: state.clock.step + op.steps, tokens: state.clock.tokens + op.tokens, at: Math.max(state.clock.at, op.at) };
      return;
    case "access":
      for (const id of op.ids) {
        const item = state.items.get(id);
        if (item) state.items.set(id, { ...item, accessCount: item.accessCount + 1, lastStep: state.clock.step, lastTokens: state.clock.tokens, lastAt: state.clock.at, ...since(state) });
      }
      return;
    case "move": {
      const item = state.items.get(op.id);
      if (item) state.items.set(op.id, { ...item, tier: op.tier, ...since(state) });
      return;
    }
    case "drop":
      state.items.delete(op.id);
      return;
    case "pin": {
      const item = state.items.get(op.id);
      if (item) state.items.set(op.id, { ...item, pinned: op.pinned, ...since(state) });
      return;
    }
  }
}

/** The clock fields an item takes when it is put, accessed or moved (and the next touch number). */
function since(state: ScopeState): Pick<MemoryItem, "sinceStep" | "sinceTokens" | "sinceAt" | "touch"> {
  const touch = state.clock.touch + 1;
  state.clock = { ...state.clock, touch };
  return { sinceStep: state.clock.step, sinceTokens: state.clock.tokens, sinceAt: state.clock.at, touch };
}

/** A batch of ops, written atomically, once: `key` is unique in the scope. */
export interface MemoryBatch {
  readonly key: string;
  /** The `seq` of the state the batch was computed on: the store refuses it if the scope moved on. */
  readonly basedOn: number;
  readonly ops: readonly MemoryOp[];
}

/** What applying a batch did. */
export type ApplyResult =
  | { readonly status: "applied"; readonly seq: number }
  /** A batch with this key was applied before (a resumed attempt): these are its ops, at `seq`. */
  | { readonly status: "duplicate"; readonly seq: number; readonly ops: readonly MemoryOp[] }
  /** Another writer changed the scope since `basedOn`: reload and compute the batch again. */
  | { readonly status: "conflict"; readonly seq: number };

/** A journaled batch. */
export interface StoredBatch {
  readonly seq: number;
  readonly key: string;
  readonly ops: readonly MemoryOp[];
}

/** A search of a scope's items. */
export interface MemoryQuery {
  /** Full text (SQLite FTS5, PostgreSQL full-text search): items matching any of its words, best first. */
  readonly text?: string;
  readonly key?: string;
  readonly tiers?: readonly MemoryTier[];
  readonly kind?: string;
  /** Default 10. */
  readonly limit?: number;
}

/**
 * Where memory lives: every store has one (`store.memory`), in the store's own database (SQLite,
 * PostgreSQL) or in the process (`MemoryStore`). Scopes are strings (`thread:support:cust-42`).
 */
export interface MemoryBackend {
  /** The current state of a scope (empty when nothing was written). */
  load(scope: string): MaybePromise<ScopeState>;
  /**
   * The `seq` of the scope's newest batch (0 when nothing was written), where the backend can tell
   * it without loading the scope: with it, `MemorySpace.open` reuses the state a closed space left
   * at that `seq` (see `MemorySpace.close`).
   */
  headSeq?(scope: string): MaybePromise<number>;
  /** The state after the first `seq` batches, folded from the journal (for replay). */
  loadAt(scope: string, seq: number): MaybePromise<ScopeState>;
  /** The `seq` of the batch with this key, or undefined (an indexed look-up). */
  seqOf(scope: string, key: string): MaybePromise<number | undefined>;
  /** Applies a batch atomically, once; refuses it when the scope moved on since `basedOn`. */
  apply(scope: string, batch: MemoryBatch): MaybePromise<ApplyResult>;
  /** The journal of a scope, from `fromSeq` (exclusive). */
  batches(scope: string, fromSeq?: number): MaybePromise<StoredBatch[]>;
  search(scope: string, query: MemoryQuery): MaybePromise<MemoryItem[]>;
}

/** Folds batches into a state (the journal's meaning). */
export function foldBatches(batches: Iterable<StoredBatch>, state: ScopeState = emptyScope()): ScopeState {
  for (const batch of batches) {
    for (const op of batch.ops) applyOp(state, op);
    state.seq = batch.seq;
  }
  return state;
}

/** The words of a full-text query, lowercased, for the stores' query syntax (never passed through raw). */
export function queryWords(text: string): string[] {
  return [...new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 1))].slice(0, 32);
}
