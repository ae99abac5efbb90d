import { type ApplyResult, applyOp, type MemoryBatch, type MemoryClock, type MemoryItem, type MemoryOp } from "./memory-model.js";

/** The ids of the items a batch's ops name. */
export function idsOf(ops: readonly MemoryOp[]): string[] {
  const ids = new Set<string>();
  for (const op of ops) {
    if (op.op === "put") ids.add(op.item.id);
    else if (op.op === "access") for (const id of op.ids) ids.add(id);
    else if (op.op !== "tick") ids.add(op.id);
  }
  return [...ids];
}

/** How a database store applies a batch: what it reads and writes, in its own transaction. */
export interface BatchIo {
  readonly duplicate: () => { seq: number; ops: readonly MemoryOp[] } | undefined;
  readonly head: () => { seq: number; clock: MemoryClock };
  readonly read: (ids: readonly string[]) => MemoryItem[];
  readonly write: (change: { seq: number; clock: MemoryClock; batch: MemoryBatch; upserts: MemoryItem[]; deletes: string[] }) => void;
}

/**
 * Applies a batch through `io` with the same fold as everywhere ({@link applyOp}): only the
 * items the ops name are read and written, so a step costs the same with 10 items or 100,000.
 */
export function applyBatch(io: BatchIo, batch: MemoryBatch): ApplyResult {
  const seen = io.duplicate();
  if (seen) return { status: "duplicate", seq: seen.seq, ops: seen.ops };
  const head = io.head();
  if (batch.basedOn !== head.seq) return { status: "conflict", seq: head.seq };
  const ids = idsOf(batch.ops);
  const before = io.read(ids);
  const items = new Map(before.map((i) => [i.id, i]));
  const state = { items, clock: head.clock, seq: head.seq };
  for (const op of batch.ops) applyOp(state, op);
  const existed = new Set(before.map((i) => i.id));
  const upserts: MemoryItem[] = [];
  const deletes: string[] = [];
  for (const id of ids) {
    const item = items.get(id);
    if (item) upserts.push(item);
    else if (existed.has(id)) deletes.push(id);
  }
  const seq = head.seq + 1;
  io.write({ seq, clock: state.clock, batch, upserts, deletes });
  return { status: "applied", seq };
}
