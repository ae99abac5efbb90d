import type Database from "better-sqlite3";
import { applyBatch } from "./apply-batch.js";
import { matchesFilters } from "./in-process-memory.js";
import {
  type ApplyResult,
  emptyScope,
  foldBatches,
  type MemoryBackend,
  type MemoryBatch,
  type MemoryClock,
  type MemoryItem,
  type MemoryOp,
  type MemoryQuery,
  queryWords,
  type ScopeState,
  type StoredBatch,
} from "./memory-model.js";

/**
 * SQLite schema version 4: agent memory. The journal of each scope (batches of ops, each once by
 * its key), the items as the fold of that journal makes them, and an FTS5 index of their text.
 * Additive: nothing of versions 1 and 2 changes.
 */
export const SQLITE_MEMORY_MIGRATION = `
  CREATE TABLE memory_scopes (scope TEXT PRIMARY KEY, seq INTEGER NOT NULL, clock TEXT NOT NULL);
  CREATE TABLE memory_batches (scope TEXT NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL, ops TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (scope, seq)) WITHOUT ROWID;
  CREATE UNIQUE INDEX memory_batches_key ON memory_batches (scope, key);
  CREATE TABLE memory_items (scope TEXT NOT NULL, id TEXT NOT NULL, tier TEXT NOT NULL, kind TEXT NOT NULL, key TEXT, item TEXT NOT NULL, UNIQUE (scope, id));
  CREATE INDEX memory_items_key ON memory_items (scope, key);
  CREATE VIRTUAL TABLE memory_fts USING fts5(text, tokenize = 'porter unicode61');`;

/** Memory in the store's SQLite file (its tables: schema 4 of the SQLite store). */
export class SqliteMemory implements MemoryBackend {
  private readonly s: ReturnType<SqliteMemory["prepare"]>;
  /**
   * Per scope, its state as of the newest batch this object wrote or read: a scope opened again
   * (every turn of a conversation) is a copy of it when the file's head is still at its `seq`,
   * instead of every item parsed again. Items are never changed in place (a change replaces the
   * item), and the cached ones went through JSON as the stored ones do, so a copy of the map is
   * what a load from the file gives (in order of last use, which is the order retention wants).
   * Another writer of the file moves the head on: the next load reads the file.
   */
  private readonly cache = new Map<string, ScopeState>();

  constructor(private readonly db: Database.Database) {
    this.s = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      head: db.prepare("SELECT seq, clock FROM memory_scopes WHERE scope = ?"),
      setHead: db.prepare("INSERT INTO memory_scopes (scope, seq, clock) VALUES (?, ?, ?) ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq, clock = excluded.clock"),
      byKey: db.prepare("SELECT seq, ops FROM memory_batches WHERE scope = ? AND key = ?"),
      seqOf: db.prepare("SELECT seq FROM memory_batches WHERE scope = ? AND key = ?").pluck(),
      insertBatch: db.prepare("INSERT INTO memory_batches (scope, seq, key, ops, at) VALUES (?, ?, ?, ?, ?)"),
      batches: db.prepare("SELECT seq, key, ops FROM memory_batches WHERE scope = ? AND seq > ? ORDER BY seq"),
      batchesTo: db.prepare("SELECT seq, key, ops FROM memory_batches WHERE scope = ? AND seq <= ? ORDER BY seq"),
      items: db.prepare("SELECT item FROM memory_items WHERE scope = ?").pluck(),
      item: db.prepare("SELECT rowid, item FROM memory_items WHERE scope = ? AND id = ?"),
      upsert: db.prepare("INSERT INTO memory_items (scope, id, tier, kind, key, item) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope, id) DO UPDATE SET tier = excluded.tier, kind = excluded.kind, key = excluded.key, item = excluded.item RETURNING rowid").pluck(),
      remove: db.prepare("DELETE FROM memory_items WHERE scope = ? AND id = ? RETURNING rowid").pluck(),
      ftsDelete: db.prepare("DELETE FROM memory_fts WHERE rowid = ?"),
      ftsInsert: db.prepare("INSERT INTO memory_fts (rowid, text) VALUES (?, ?)"),
      text: db.prepare("SELECT i.item FROM memory_fts f JOIN memory_items i ON i.rowid = f.rowid WHERE memory_fts MATCH ? AND i.scope = ? ORDER BY f.rank LIMIT ?").pluck(),
      byItemKey: db.prepare("SELECT item FROM memory_items WHERE scope = ? AND key = ?").pluck(),
    };
  }

  headSeq(scope: string): number {
    return (this.s.head.get(scope) as { seq: number } | undefined)?.seq ?? 0;
  }

  load(scope: string): ScopeState {
    const head = this.s.head.get(scope) as { seq: number; clock: string } | undefined;
    if (!head) return emptyScope();
    const cached = this.cache.get(scope);
    if (cached !== undefined && cached.seq === head.seq) return { items: new Map(cached.items), clock: cached.clock, seq: cached.seq };
    const state = this.read(scope, head);
    this.cache.set(scope, { items: new Map(state.items), clock: state.clock, seq: state.seq });
    return state;
  }

  /** The scope as the file holds it, items in order of last use. */
  private read(scope: string, head: { seq: number; clock: string }): ScopeState {
    const parsed = (this.s.items.all(scope) as string[]).map((text) => JSON.parse(text) as MemoryItem).sort((a, b) => a.touch - b.touch);
    return { items: new Map(parsed.map((item) => [item.id, item])), clock: JSON.parse(head.clock) as MemoryClock, seq: head.seq };
  }

  /** Keeps the cached state of `scope` in step with a batch just committed (or drops it when it was not at the batch's base). */
  private written(scope: string, change: { seq: number; clock: MemoryClock; upserts: readonly MemoryItem[]; deletes: readonly string[] }): void {
    const cached = this.cache.get(scope);
    if (cached === undefined) return;
    if (cached.seq !== change.seq - 1) {
      this.cache.delete(scope);
      return;
    }
    for (const id of change.deletes) cached.items.delete(id);
    // Each upsert was touched by the batch, so it goes to the end of the order of last use.
    for (const item of [...change.upserts].sort((a, b) => a.touch - b.touch)) {
      cached.items.delete(item.id);
      cached.items.set(item.id, JSON.parse(JSON.stringify(item)) as MemoryItem);
    }
    cached.clock = JSON.parse(JSON.stringify(change.clock)) as MemoryClock;
    cached.seq = change.seq;
  }

  loadAt(scope: string, seq: number): ScopeState {
    return foldBatches(rows(this.s.batchesTo.all(scope, seq)));
  }

  seqOf(scope: string, key: string): number | undefined {
    return (this.s.seqOf.get(scope, key) as number | undefined) ?? undefined;
  }

  apply(scope: string, batch: MemoryBatch): ApplyResult {
    const s = this.s;
    let change: Parameters<SqliteMemory["written"]>[1] | undefined;
    const run = this.db.transaction(() =>
      applyBatch(
        {
          duplicate: () => {
            const row = s.byKey.get(scope, batch.key) as { seq: number; ops: string } | undefined;
            return row ? { seq: row.seq, ops: JSON.parse(row.ops) as MemoryOp[] } : undefined;
          },
          head: () => {
            const row = s.head.get(scope) as { seq: number; clock: string } | undefined;
            return row ? { seq: row.seq, clock: JSON.parse(row.clock) as MemoryClock } : { seq: 0, clock: emptyScope().clock };
          },
          read: (ids) => ids.flatMap((id) => {
            const row = s.item.get(scope, id) as { item: string } | undefined;
            return row ? [JSON.parse(row.item) as MemoryItem] : [];
          }),
          write: ({ seq, clock, upserts, deletes }) => {
            change = { seq, clock, upserts, deletes };
            s.insertBatch.run(scope, seq, batch.key, JSON.stringify(batch.ops), Date.now());
            s.setHead.run(scope, seq, JSON.stringify(clock));
            for (const item of upserts) {
              const rowid = s.upsert.get(scope, item.id, item.tier, item.kind, item.key ?? null, JSON.stringify(item)) as number;
              s.ftsDelete.run(rowid);
              s.ftsInsert.run(rowid, item.text);
            }
            for (const id of deletes) {
              const rowid = s.remove.get(scope, id) as number | undefined;
              if (rowid !== undefined) s.ftsDelete.run(rowid);
            }
          },
        },
        batch,
      ),
    );
    // IMMEDIATE: the write lock is taken before the scope is read, so two writers (two processes on
    // one file) are serialised and the second sees the first's batch (and gets a conflict).
    const result = run.immediate();
    // Committed (a failed transaction threw above): the cache follows.
    if (result.status === "applied" && change !== undefined) this.written(scope, change);
    return result;
  }

  batches(scope: string, fromSeq = 0): StoredBatch[] {
    return rows(this.s.batches.all(scope, fromSeq));
  }

  search(scope: string, query: MemoryQuery): MemoryItem[] {
    const limit = query.limit ?? 10;
    if (query.key !== undefined) return (this.s.byItemKey.all(scope, query.key) as string[]).map((t) => JSON.parse(t) as MemoryItem).filter((i) => matchesFilters(i, query)).slice(0, limit);
    if (query.text === undefined) return (this.s.items.all(scope) as string[]).map((t) => JSON.parse(t) as MemoryItem).filter((i) => matchesFilters(i, query)).slice(0, limit);
    const words = queryWords(query.text);
    if (words.length === 0) return [];
    // Quoted words joined by OR: FTS5 syntax in the text (NEAR, *, column filters) is never interpreted.
    const match = words.map((w) => `"${w}"`).join(" OR ");
    const found: MemoryItem[] = [];
    // Filters apply after ranking: fetch more than asked when there are filters.
    const fetch = query.tiers || query.kind ? limit * 8 : limit;
    for (const text of this.s.text.all(match, scope, fetch) as string[]) {
      const item = JSON.parse(text) as MemoryItem;
      if (matchesFilters(item, query)) found.push(item);
      if (found.length === limit) break;
    }
    return found;
  }
}

function rows(all: unknown[]): StoredBatch[] {
  return (all as { seq: number; key: string; ops: string }[]).map((r) => ({ seq: r.seq, key: r.key, ops: JSON.parse(r.ops) as MemoryOp[] }));
}
