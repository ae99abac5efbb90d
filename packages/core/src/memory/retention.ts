import { MEMORY_TIERS, type MemoryTier, type RetentionPolicy, type TierPolicy } from "@blockwork/spec";
import { applyOp, type EvictionReason, type MemoryClock, type MemoryItem, type MemoryOp, type ScopeState } from "./memory-model.js";

/** One tier's items: unpinned ones in order of last use (a Map keeps insertion order), pinned ones apart. */
class TierIndex {
  readonly lru = new Map<string, MemoryItem>();
  readonly pinned = new Map<string, MemoryItem>();
  tokens = 0;

  get count(): number {
    return this.lru.size + this.pinned.size;
  }

  add(item: MemoryItem): void {
    (item.pinned ? this.pinned : this.lru).set(item.id, item);
    this.tokens += item.tokens;
  }

  remove(item: MemoryItem): void {
    if ((item.pinned ? this.pinned : this.lru).delete(item.id)) this.tokens -= item.tokens;
  }

  /** The least recently used unpinned item. */
  oldest(): MemoryItem | undefined {
    for (const item of this.lru.values()) return item;
    return undefined;
  }
}

/** An eviction, as the retention policy decided it (the ops say the same; this is for events). */
export interface Eviction {
  readonly id: string;
  readonly kind: string;
  readonly from: MemoryTier;
  /** The tier it moved to, or `dropped`. */
  readonly to: MemoryTier | "dropped";
  readonly reason: EvictionReason;
  readonly detail: string;
}

/** Core is over its limits and eviction may not make room: what compaction has to solve. */
export interface Overflow {
  readonly tier: MemoryTier;
  readonly tokens: number;
  readonly maxTokens: number | undefined;
  readonly items: number;
  readonly maxItems: number | undefined;
  /** Only pinned items are left: eviction cannot help. */
  readonly pinnedOnly: boolean;
}

/** What one retention pass did. */
export interface RetentionPlan {
  readonly ops: MemoryOp[];
  readonly evictions: Eviction[];
  readonly overflow: Overflow | undefined;
}

/**
 * A scope's state with an index per tier that makes retention cost proportional to what it evicts,
 * not to how many items there are: items sit in their tier in order of last use, so the stale ones
 * are at the front (every clock only grows), and each tier keeps its token total.
 */
export class RetainedScope {
  readonly tiers: Record<MemoryTier, TierIndex> = { core: new TierIndex(), recall: new TierIndex(), archival: new TierIndex() };

  /** Item ids by key. */
  readonly keys = new Map<string, string>();

  constructor(readonly state: ScopeState) {
    const items = [...state.items.values()].sort((a, b) => a.touch - b.touch);
    for (const item of items) {
      this.tiers[item.tier].add(item);
      if (item.key !== undefined) this.keys.set(item.key, item.id);
    }
  }

  get clock(): MemoryClock {
    return this.state.clock;
  }

  /** While a batch is being built: how to undo what it applied (the items before, the clock before). */
  private undo: { items: [string, MemoryItem | undefined][]; clock: MemoryClock } | undefined;

  /** No batch is being built (nothing to roll back). */
  get idle(): boolean {
    return this.undo === undefined;
  }

  /** Starts a batch: what is applied from now on can be rolled back. */
  begin(): void {
    this.undo = { items: [], clock: this.state.clock };
  }

  /** Keeps what the batch applied. */
  commit(): void {
    this.undo = undefined;
  }

  /** Undoes what was applied since {@link begin}. */
  rollback(): void {
    const undo = this.undo;
    if (!undo) return;
    this.undo = undefined;
    for (let i = undo.items.length - 1; i >= 0; i--) {
      const [id, before] = undo.items[i] as [string, MemoryItem | undefined];
      const now = this.state.items.get(id);
      if (before) this.state.items.set(id, before);
      else this.state.items.delete(id);
      this.reindex(now, before);
    }
    this.state.clock = undo.clock;
    // Re-adding at the end changed the order of last use: rebuild the order of the tiers touched.
    for (const tier of MEMORY_TIERS) {
      const index = this.tiers[tier];
      const sorted = [...index.lru.values()].sort((a, b) => a.touch - b.touch);
      index.lru.clear();
      for (const item of sorted) index.lru.set(item.id, item);
    }
  }

  /** Applies an op to the state and the index; evictions (moves down, drops) are added to `evictions`. */
  apply(op: MemoryOp, evictions?: Eviction[]): void {
    const ids = op.op === "put" ? [op.item.id] : op.op === "access" ? op.ids : op.op === "tick" ? [] : [op.id];
    const before = ids.map((id) => this.state.items.get(id));
    if (this.undo) ids.forEach((id, i) => this.undo?.items.push([id, before[i]]));
    if (evictions && (op.op === "drop" || (op.op === "move" && op.reason !== "promoted")) && before[0]) {
      evictions.push({ id: op.id, kind: before[0].kind, from: before[0].tier, to: op.op === "drop" ? "dropped" : op.tier, reason: op.reason as EvictionReason, detail: op.detail ?? "" });
    }
    applyOp(this.state, op);
    ids.forEach((id, i) => this.reindex(before[i], this.state.items.get(id)));
  }

  private reindex(old: MemoryItem | undefined, now: MemoryItem | undefined): void {
    if (old) {
      this.tiers[old.tier].remove(old);
      if (old.key !== undefined && this.keys.get(old.key) === old.id) this.keys.delete(old.key);
    }
    if (now) {
      this.tiers[now.tier].add(now);
      if (now.key !== undefined) this.keys.set(now.key, now.id);
    }
  }

  /**
   * Evicts what the policy says must go, tier by tier from core down, and applies it: items not
   * accessed within a tier's window, then the least recently used while a tier is over its size.
   * Pinned items are never evicted. When core is over its limits and the policy compacts (or only
   * pinned items are left), core is left as it is and the overflow is returned.
   */
  retain(policy: RetentionPolicy): RetentionPlan {
    const ops: MemoryOp[] = [];
    const evictions: Eviction[] = [];
    let overflow: Overflow | undefined;
    for (const tier of MEMORY_TIERS) {
      const rule = tierPolicy(policy, tier);
      if (!rule) continue;
      const index = this.tiers[tier];
      const window = rule.keepIfAccessedWithin;
      if (window) {
        for (let item = index.oldest(); item !== undefined && staleness(item, this.clock, window) !== undefined; item = index.oldest()) {
          this.evict(item, rule, { reason: "stale", detail: staleness(item, this.clock, window) as string }, { ops, evictions });
        }
      }
      const over = () => (rule.maxTokens !== undefined && index.tokens > rule.maxTokens) || (rule.maxItems !== undefined && index.count > rule.maxItems);
      while (over()) {
        const item = index.oldest();
        if (item === undefined || (tier === "core" && policy.onCoreOverflow === "compact")) {
          overflow = { tier, tokens: index.tokens, maxTokens: rule.maxTokens, items: index.count, maxItems: rule.maxItems, pinnedOnly: item === undefined };
          break;
        }
        const byTokens = rule.maxTokens !== undefined && index.tokens > rule.maxTokens;
        this.evict(item, rule, byTokens ? { reason: "max_tokens", detail: `${tier} holds ${index.tokens} tokens, over its ${rule.maxTokens}` } : { reason: "max_items", detail: `${tier} holds ${index.count} items, over its ${rule.maxItems}` }, { ops, evictions });
      }
      if (overflow) break;
    }
    return { ops, evictions, overflow };
  }

  private evict(item: MemoryItem, rule: TierPolicy, why: { reason: EvictionReason; detail: string }, out: { ops: MemoryOp[]; evictions: Eviction[] }): void {
    const next = MEMORY_TIERS[MEMORY_TIERS.indexOf(item.tier) + 1];
    const demote = next !== undefined && (rule.onEvict ?? "demote") === "demote";
    const op: MemoryOp = demote ? { op: "move", id: item.id, tier: next, reason: why.reason, detail: why.detail } : { op: "drop", id: item.id, reason: why.reason, detail: why.detail };
    out.ops.push(op);
    this.apply(op, out.evictions);
  }
}

function tierPolicy(policy: RetentionPolicy, tier: MemoryTier): TierPolicy | undefined {
  return tier === "core" ? policy.core : tier === "recall" ? policy.recall : policy.archival;
}

/** Why an item is outside its tier's window (undefined when it is inside every declared one). */
export function staleness(item: MemoryItem, clock: MemoryClock, window: NonNullable<TierPolicy["keepIfAccessedWithin"]>): string | undefined {
  if (window.steps !== undefined && clock.step - item.sinceStep >= window.steps) return `not accessed in the last ${window.steps} steps (last at step ${item.sinceStep}, now ${clock.step})`;
  if (window.tokens !== undefined && clock.tokens - item.sinceTokens >= window.tokens) return `not accessed in the last ${window.tokens} tokens (${clock.tokens - item.sinceTokens} since)`;
  if (window.seconds !== undefined && clock.at - item.sinceAt >= window.seconds * 1000) return `not accessed in the last ${window.seconds} s (${Math.round((clock.at - item.sinceAt) / 1000)} s since)`;
  return undefined;
}
