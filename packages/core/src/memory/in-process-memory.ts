import type { MaybePromise } from "../maybe-promise.js";
import {
  type ApplyResult,
  applyOp,
  emptyScope,
  foldBatches,
  type MemoryBackend,
  type MemoryBatch,
  type MemoryItem,
  type MemoryQuery,
  queryWords,
  type ScopeState,
  type StoredBatch,
} from "./memory-model.js";

/** Memory of `MemoryStore`: scopes in the process, searched by word overlap (crudely stemmed). */
export class InProcessMemory implements MemoryBackend {
  private readonly scopes = new Map<string, { state: ScopeState; log: StoredBatch[]; keys: Map<string, StoredBatch> }>();

  private scope(name: string) {
    let scope = this.scopes.get(name);
    if (!scope) this.scopes.set(name, (scope = { state: emptyScope(), log: [], keys: new Map() }));
    return scope;
  }

  load(scope: string): ScopeState {
    const { state } = this.scope(scope);
    return { items: new Map(state.items), clock: state.clock, seq: state.seq };
  }

  loadAt(scope: string, seq: number): ScopeState {
    return foldBatches(this.scope(scope).log.filter((b) => b.seq <= seq));
  }

  seqOf(scope: string, key: string): number | undefined {
    return this.scope(scope).keys.get(key)?.seq;
  }

  apply(name: string, batch: MemoryBatch): ApplyResult {
    const scope = this.scope(name);
    const seen = scope.keys.get(batch.key);
    if (seen) return { status: "duplicate", seq: seen.seq, ops: seen.ops };
    if (batch.basedOn !== scope.state.seq) return { status: "conflict", seq: scope.state.seq };
    const stored = { seq: scope.state.seq + 1, key: batch.key, ops: structuredClone(batch.ops) };
    for (const op of stored.ops) applyOp(scope.state, op);
    scope.state.seq = stored.seq;
    scope.log.push(stored);
    scope.keys.set(stored.key, stored);
    return { status: "applied", seq: stored.seq };
  }

  batches(scope: string, fromSeq = 0): StoredBatch[] {
    return this.scope(scope).log.filter((b) => b.seq > fromSeq);
  }

  search(scope: string, query: MemoryQuery): MaybePromise<MemoryItem[]> {
    const words = query.text === undefined ? [] : queryWords(query.text).map(stem);
    const scored: { item: MemoryItem; score: number }[] = [];
    for (const item of this.scope(scope).state.items.values()) {
      if (!matchesFilters(item, query)) continue;
      if (query.text === undefined) {
        scored.push({ item, score: 0 });
        continue;
      }
      const text = new Set(queryWords(item.text).map(stem));
      const score = words.filter((w) => text.has(w)).length;
      if (score > 0) scored.push({ item, score });
    }
    return scored
      .sort((a, b) => b.score - a.score || b.item.lastStep - a.item.lastStep)
      .slice(0, query.limit ?? 10)
      .map((s) => s.item);
  }
}

/** Whether an item passes a query's key, kind and tier filters. */
export function matchesFilters(item: MemoryItem, query: MemoryQuery): boolean {
  return (query.key === undefined || item.key === query.key) && (query.kind === undefined || item.kind === query.kind) && (query.tiers === undefined || query.tiers.includes(item.tier));
}

/** A crude English stemmer (plural and -ing/-ed endings), so that the in-process store matches about as the databases do. */
function stem(word: string): string {
  return word.length > 4 ? word.replace(/(?:ing|ed|es|s)$/, "") : word.replace(/s$/, "");
}
