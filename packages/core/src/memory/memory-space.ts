import type { JsonValue, MemoryTier, RetentionPolicy } from "@blockwork/spec";
import { MemoryError } from "./memory-error.js";
import type { MemoryBackend, MemoryItem, MemoryOp, MemoryProvenance, MemoryQuery, ScopeState } from "./memory-model.js";
import { type Eviction, type Overflow, RetainedScope } from "./retention.js";

/** What {@link MemorySpace.open} needs. */
export interface MemorySpaceOptions {
  readonly backend: MemoryBackend;
  /** The scope's storage key (`thread:support:cust-42`, `graph:<runId>:notes`). */
  readonly scope: string;
  readonly policy: RetentionPolicy;
  /**
   * Unique to one block attempt and the same when that attempt runs again after a crash: batch
   * keys are `<attemptKey>/<n>`, so that a resumed attempt's batches are applied once.
   */
  readonly attemptKey: string;
  readonly provenance: MemoryProvenance;
  /** Tokens an item's text takes in a context. */
  readonly tokensOf: (text: string) => number;
  /** How many times a batch is recomputed when other writers get in first (default 50). */
  readonly maxConflicts?: number;
}

/** What a batch's builder can do (applied at once to the local state; written when the batch commits). */
export interface MemoryDraft {
  readonly state: ScopeState;
  /** Advances the scope's clock by one step of `tokens` context tokens. */
  tick(tokens: number, at: number): void;
  /** Puts an item in core (or `tier`). An item with the same key (in any tier) is replaced, keeping its id. */
  remember(item: { kind: string; text: string; data?: JsonValue; key?: string; pinned?: boolean; tier?: MemoryTier; embedding?: readonly number[]; carries?: MemoryItem["carries"] }): MemoryItem;
  access(ids: readonly string[]): void;
  move(id: string, tier: MemoryTier, reason: "promoted" | "compacted", detail?: string): void;
  forget(id: string): void;
  pin(id: string, pinned: boolean): void;
}

/** What a compaction gets: the overflow, and core as it stands (with the batch's changes). */
export interface CompactionRequest {
  readonly overflow: Overflow;
  readonly core: readonly MemoryItem[];
  /** Adds the compaction's ops to the batch (put the summary, move what it folds to recall). */
  readonly draft: MemoryDraft;
}

/** What a commit did. */
export interface CommitResult {
  readonly seq: number;
  readonly ops: readonly MemoryOp[];
  readonly evictions: readonly Eviction[];
  /** True when the batch had been applied before (a resumed attempt): its stored ops were used. */
  readonly replayed: boolean;
  /** True when the batch needed a compaction. */
  readonly compacted: boolean;
}

/**
 * The state (with its tiers' index) that closed spaces left, by backend and scope: the next open of
 * the scope takes it over when the backend's head is still at its `seq`, instead of loading every
 * item and indexing them again (each turn of a long conversation opens its thread scope). Taken
 * out while a space uses it, so two open spaces never share one.
 */
const parked = new WeakMap<MemoryBackend, Map<string, RetainedScope>>();

/**
 * One memory scope as a block sees it: the state (the fold of the scope's journal), changed only
 * in batches that are written atomically, once, in order. A batch is built by a function over a
 * draft; the retention policy then evicts what it must; when core overflows and the policy
 * compacts, `compact` is asked for a summary. If another writer got in first, the batch is built
 * again on the new state; if the batch had been written by a crashed run of this attempt, its
 * stored ops are used instead (so a resumed run's memory is the one it would have had).
 */
export class MemorySpace {
  private retained: RetainedScope;
  private batchCount = 0;
  private closed = false;

  private constructor(
    private readonly options: MemorySpaceOptions,
    retained: RetainedScope,
  ) {
    this.retained = retained;
  }

  /** Opens a scope as of the start of this attempt: a resumed attempt sees memory as it was when the attempt first started. */
  static async open(options: MemorySpaceOptions): Promise<MemorySpace> {
    // An attempt's batches are numbered from 1 and written in order: its first is `<attemptKey>/1`.
    const first = await options.backend.seqOf(options.scope, `${options.attemptKey}/1`);
    if (first === undefined && options.backend.headSeq) {
      const left = parked.get(options.backend)?.get(options.scope);
      if (left !== undefined) {
        parked.get(options.backend)?.delete(options.scope);
        if (left.state.seq === (await options.backend.headSeq(options.scope))) return new MemorySpace(options, left);
      }
    }
    const state = first === undefined ? await options.backend.load(options.scope) : await options.backend.loadAt(options.scope, first - 1);
    return new MemorySpace(options, new RetainedScope(state));
  }

  /**
   * Ends this space's use (the attempt is over): its state is left for the next open of the scope
   * in this process, which takes it over if nothing was written since. The space must not be used
   * after. Optional: a space never closed is only dropped.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.retained.idle || !this.options.backend.headSeq) return;
    let scopes = parked.get(this.options.backend);
    if (scopes === undefined) parked.set(this.options.backend, (scopes = new Map()));
    scopes.set(this.options.scope, this.retained);
  }

  get scope(): string {
    return this.options.scope;
  }

  get state(): ScopeState {
    return this.retained.state;
  }

  /** Items of a tier: pinned first, then by last use (oldest first). */
  tier(tier: MemoryTier): MemoryItem[] {
    const index = this.retained.tiers[tier];
    return [...index.pinned.values(), ...index.lru.values()];
  }

  /** Tokens a tier holds. */
  tokens(tier: MemoryTier): number {
    return this.retained.tiers[tier].tokens;
  }

  search(query: MemoryQuery): Promise<MemoryItem[]> | MemoryItem[] {
    return this.options.backend.search(this.options.scope, query);
  }

  /** Builds, retains and writes one batch (see the class). */
  async commit(build: (draft: MemoryDraft) => void, compact?: (request: CompactionRequest) => Promise<void>): Promise<CommitResult> {
    if (this.closed) throw new MemoryError("memory_invalid", `memory "${this.options.scope}": this space was closed (its attempt is over); open the scope again`, { scope: this.options.scope });
    // Numbered by the batches written, not the commits tried: a commit that throws (over budget,
    // conflicts) writes nothing, so the attempt's first batch is always `/1`, as `open` expects.
    const key = `${this.options.attemptKey}/${this.batchCount + 1}`;
    const { backend, scope, policy } = this.options;
    for (let round = 0; ; round++) {
      const ops: MemoryOp[] = [];
      const evictions: Eviction[] = [];
      const draft = this.draft(ops, evictions);
      const basedOn = this.state.seq;
      this.retained.begin();
      let compacted = false;
      try {
        build(draft);
        let plan = this.retained.retain(policy);
        ops.push(...plan.ops);
        evictions.push(...plan.evictions);
        if (plan.overflow && !plan.overflow.pinnedOnly && compact && policy.onCoreOverflow === "compact") {
          await compact({ overflow: plan.overflow, core: this.tier("core"), draft });
          compacted = true;
          plan = this.retained.retain(policy);
          ops.push(...plan.ops);
          evictions.push(...plan.evictions);
        }
        if (plan.overflow) {
          const o = plan.overflow;
          throw new MemoryError(
            "memory_overflow",
            `memory "${scope}": ${o.tier} holds ${o.tokens} tokens in ${o.items} items (limits: ${o.maxTokens ?? "none"} tokens, ${o.maxItems ?? "none"} items)${o.pinnedOnly ? ", all of them pinned: unpin or forget some, or raise the budget" : compacted ? " even after compaction" : ""}; memory is left unchanged`,
            { scope, ...o },
          );
        }
      } catch (error) {
        this.retained.rollback();
        throw error;
      }
      const result = await backend.apply(scope, { key, basedOn, ops });
      if (result.status === "applied") {
        this.retained.commit();
        this.state.seq = result.seq;
        this.batchCount++;
        return { seq: result.seq, ops, evictions, replayed: false, compacted };
      }
      this.retained.rollback();
      if (result.status === "duplicate") {
        if (result.seq !== basedOn + 1) this.retained = new RetainedScope(await backend.loadAt(scope, result.seq - 1));
        const replayedEvictions: Eviction[] = [];
        for (const op of result.ops) this.retained.apply(op, replayedEvictions);
        this.state.seq = result.seq;
        this.batchCount++;
        return { seq: result.seq, ops: result.ops, evictions: replayedEvictions, replayed: true, compacted: result.ops.some((op) => op.op === "move" && op.reason === "compacted") };
      }
      if (round >= (this.options.maxConflicts ?? 50)) {
        throw new MemoryError("memory_conflict", `memory "${scope}": ${round + 1} attempts to write a batch were overtaken by other writers`, { scope, rounds: round + 1 });
      }
      this.retained = new RetainedScope(await backend.load(scope));
    }
  }

  private draft(ops: MemoryOp[], evictions: Eviction[]): MemoryDraft {
    const push = (op: MemoryOp) => {
      ops.push(op);
      this.retained.apply(op, evictions);
    };
    const state = () => this.retained.state;
    const known = (id: string) => {
      const item = state().items.get(id);
      if (!item) throw new MemoryError("memory_invalid", `memory "${this.options.scope}" has no item "${id}"`, { scope: this.options.scope, id });
      return item;
    };
    const { provenance, tokensOf } = this.options;
    let made = 0;
    return {
      get state() {
        return state();
      },
      tick: (tokens, at) => push({ op: "tick", steps: 1, tokens, at }),
      remember: (o) => {
        const existingId = o.key === undefined ? undefined : this.retained.keys.get(o.key);
        const existing = existingId === undefined ? undefined : state().items.get(existingId);
        const clock = state().clock;
        const item: MemoryItem = {
          id: existing?.id ?? `m${state().seq + 1}.${++made}`,
          kind: o.kind,
          tier: o.tier ?? "core",
          ...(o.key !== undefined ? { key: o.key } : {}),
          text: o.text,
          data: o.data ?? null,
          tokens: tokensOf(o.text),
          pinned: o.pinned ?? existing?.pinned ?? false,
          ...(o.carries ? { carries: o.carries } : {}),
          ...(o.embedding ? { embedding: o.embedding } : {}),
          createdAt: clock.at,
          accessCount: existing?.accessCount ?? 0,
          lastStep: clock.step,
          lastTokens: clock.tokens,
          lastAt: clock.at,
          sinceStep: clock.step,
          sinceTokens: clock.tokens,
          sinceAt: clock.at,
          touch: 0,
          provenance,
        };
        push({ op: "put", item });
        return state().items.get(item.id) as MemoryItem;
      },
      access: (ids) => {
        for (const id of ids) known(id);
        if (ids.length) push({ op: "access", ids: [...ids] });
      },
      move: (id, tier, reason, detail) => {
        known(id);
        push({ op: "move", id, tier, reason, ...(detail !== undefined ? { detail } : {}) });
      },
      forget: (id) => {
        known(id);
        push({ op: "drop", id, reason: "forgotten" });
      },
      pin: (id, pinned) => {
        known(id);
        push({ op: "pin", id, pinned });
      },
    };
  }
}
