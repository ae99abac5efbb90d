import type { PoolClient } from "pg";
import type { Tables } from "../store/postgres-tables.js";
import { idsOf } from "./apply-batch.js";
import { matchesFilters } from "./in-process-memory.js";
import {
  type ApplyResult,
  applyOp,
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

/** PostgreSQL migration 4: agent memory (the same tables as SQLite's, with a full-text index). Additive. */
export function postgresMemoryMigration(t: Tables): string {
  return `
    CREATE TABLE ${t.memoryScopes} (scope text PRIMARY KEY, seq integer NOT NULL, clock jsonb NOT NULL);
    CREATE TABLE ${t.memoryBatches} (scope text NOT NULL, seq integer NOT NULL, key text NOT NULL, ops jsonb NOT NULL, at bigint NOT NULL, PRIMARY KEY (scope, seq), UNIQUE (scope, key));
    CREATE TABLE ${t.memoryItems} (
      scope text NOT NULL, id text NOT NULL, tier text NOT NULL, kind text NOT NULL, key text, item jsonb NOT NULL, text text NOT NULL,
      tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
      PRIMARY KEY (scope, id));
    CREATE INDEX memory_items_key ON ${t.memoryItems} (scope, key);
    CREATE INDEX memory_items_tsv ON ${t.memoryItems} USING gin (tsv);`;
}

/** What {@link PostgresMemory} needs of the store: a query, a transaction, its tables. */
export interface PostgresAccess {
  readonly tables: Tables;
  query<R extends object>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T>;
}

/** Memory in the store's PostgreSQL schema; writers of one scope on many machines are serialised by a row lock on the scope. */
export class PostgresMemory implements MemoryBackend {
  constructor(private readonly db: PostgresAccess) {}

  async load(scope: string): Promise<ScopeState> {
    const t = this.db.tables;
    const [head] = await this.db.query<{ seq: number; clock: MemoryClock }>(`SELECT seq, clock FROM ${t.memoryScopes} WHERE scope = $1`, [scope]);
    if (!head) return emptyScope();
    const rows = await this.db.query<{ item: MemoryItem }>(`SELECT item FROM ${t.memoryItems} WHERE scope = $1`, [scope]);
    return { items: new Map(rows.map((r) => [r.item.id, r.item])), clock: head.clock, seq: head.seq };
  }

  async loadAt(scope: string, seq: number): Promise<ScopeState> {
    const rows = await this.db.query<StoredBatch>(`SELECT seq, key, ops FROM ${this.db.tables.memoryBatches} WHERE scope = $1 AND seq <= $2 ORDER BY seq`, [scope, seq]);
    return foldBatches(rows);
  }

  async seqOf(scope: string, key: string): Promise<number | undefined> {
    const [row] = await this.db.query<{ seq: number }>(`SELECT seq FROM ${this.db.tables.memoryBatches} WHERE scope = $1 AND key = $2`, [scope, key]);
    return row?.seq;
  }

  apply(scope: string, batch: MemoryBatch): Promise<ApplyResult> {
    const t = this.db.tables;
    return this.db.transaction(async (client) => {
      // The scope's row, locked: the writers of one scope take turns, the others wait here.
      await client.query(`INSERT INTO ${t.memoryScopes} (scope, seq, clock) VALUES ($1, 0, $2) ON CONFLICT (scope) DO NOTHING`, [scope, JSON.stringify(emptyScope().clock)]);
      const head = (await client.query<{ seq: number; clock: MemoryClock }>(`SELECT seq, clock FROM ${t.memoryScopes} WHERE scope = $1 FOR UPDATE`, [scope])).rows[0] as { seq: number; clock: MemoryClock };
      const seen = (await client.query<{ seq: number; ops: MemoryOp[] }>(`SELECT seq, ops FROM ${t.memoryBatches} WHERE scope = $1 AND key = $2`, [scope, batch.key])).rows[0];
      if (seen) return { status: "duplicate", seq: seen.seq, ops: seen.ops } as const;
      if (batch.basedOn !== head.seq) return { status: "conflict", seq: head.seq } as const;
      const ids = idsOf(batch.ops);
      const before = ids.length ? (await client.query<{ item: MemoryItem }>(`SELECT item FROM ${t.memoryItems} WHERE scope = $1 AND id = ANY($2)`, [scope, ids])).rows.map((r) => r.item) : [];
      const items = new Map(before.map((i) => [i.id, i]));
      const state = { items, clock: head.clock, seq: head.seq };
      for (const op of batch.ops) applyOp(state, op);
      const seq = head.seq + 1;
      await client.query(`INSERT INTO ${t.memoryBatches} (scope, seq, key, ops, at) VALUES ($1, $2, $3, $4, $5)`, [scope, seq, batch.key, JSON.stringify(batch.ops), Date.now()]);
      await client.query(`UPDATE ${t.memoryScopes} SET seq = $2, clock = $3 WHERE scope = $1`, [scope, seq, JSON.stringify(state.clock)]);
      const existed = new Set(before.map((i) => i.id));
      for (const id of ids) {
        const item = items.get(id);
        if (item) {
          await client.query(
            `INSERT INTO ${t.memoryItems} (scope, id, tier, kind, key, item, text) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (scope, id) DO UPDATE SET tier = excluded.tier, kind = excluded.kind, key = excluded.key, item = excluded.item, text = excluded.text`,
            [scope, id, item.tier, item.kind, item.key ?? null, JSON.stringify(item), item.text],
          );
        } else if (existed.has(id)) {
          await client.query(`DELETE FROM ${t.memoryItems} WHERE scope = $1 AND id = $2`, [scope, id]);
        }
      }
      return { status: "applied", seq } as const;
    });
  }

  batches(scope: string, fromSeq = 0): Promise<StoredBatch[]> {
    return this.db.query<StoredBatch>(`SELECT seq, key, ops FROM ${this.db.tables.memoryBatches} WHERE scope = $1 AND seq > $2 ORDER BY seq`, [scope, fromSeq]);
  }

  async search(scope: string, query: MemoryQuery): Promise<MemoryItem[]> {
    const t = this.db.tables;
    const limit = query.limit ?? 10;
    let rows: { item: MemoryItem }[];
    if (query.key !== undefined) rows = await this.db.query(`SELECT item FROM ${t.memoryItems} WHERE scope = $1 AND key = $2`, [scope, query.key]);
    else if (query.text !== undefined) {
      const words = queryWords(query.text);
      if (words.length === 0) return [];
      // Words joined by |: any of them matches; the words are letters and digits only, never tsquery syntax.
      const fetch = query.tiers || query.kind ? limit * 8 : limit;
      rows = await this.db.query(
        `SELECT item FROM ${t.memoryItems}, to_tsquery('english', $2) q WHERE scope = $1 AND tsv @@ q ORDER BY ts_rank(tsv, q) DESC, id LIMIT $3`,
        [scope, words.join(" | "), fetch],
      );
    } else rows = await this.db.query(`SELECT item FROM ${t.memoryItems} WHERE scope = $1`, [scope]);
    return rows.map((r) => r.item).filter((i) => matchesFilters(i, query)).slice(0, limit);
  }
}
