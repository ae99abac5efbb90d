import type { JournalEntry } from "./store.js";

// How a journal entry is split into SQL columns and back, shared by the SQLite and PostgreSQL
// stores: the columns every entry has, plus one JSON `data` value that depends on its kind.

/** The columns of an entry without its JSON `data` (as a row reads them). */
export interface EntryColumns {
  readonly seq: number;
  readonly kind: JournalEntry["kind"];
  readonly path: string;
  readonly act: number;
  readonly attempt: number;
  readonly at: number;
}

/** The kind-specific part of an entry, stored as JSON. */
export function dataOf(entry: JournalEntry): unknown {
  switch (entry.kind) {
    case "block.completed":
      return entry.output;
    case "block.failed":
      return entry.error;
    case "attempt.failed":
      return { error: entry.error, delayMs: entry.delayMs };
    case "item.failed":
      return entry.error;
    case "block.restarted":
      return { error: entry.error, delayMs: entry.delayMs, restart: entry.restart, restarted: entry.restarted };
    case "block.suspended":
      return entry.payload;
    case "block.resumed":
      return entry.data;
    case "run.upgraded":
      return { from: entry.from, to: entry.to, migrated: entry.migrated, ...(entry.input !== undefined ? { input: entry.input } : {}), ...(entry.outputs !== undefined ? { outputs: entry.outputs } : {}) };
    case "step.completed":
      return { step: entry.step, result: entry.result };
    case "loop.pass":
      return { from: entry.from };
  }
}

/** An entry from its columns and its `data`, already parsed from JSON. */
export function entryOf(row: EntryColumns, data: unknown): JournalEntry {
  const base = { seq: row.seq, path: row.path, act: row.act, attempt: row.attempt, at: row.at };
  switch (row.kind) {
    case "block.completed":
      return { ...base, kind: row.kind, output: data as never };
    case "block.failed":
      return { ...base, kind: row.kind, error: data as never };
    case "attempt.failed": {
      const { error, delayMs } = data as { error: never; delayMs: number };
      return { ...base, kind: row.kind, error, delayMs };
    }
    case "item.failed":
      return { ...base, kind: row.kind, error: data as never };
    case "block.restarted": {
      const { error, delayMs, restart, restarted } = data as { error: never; delayMs: number; restart: number; restarted: string[] };
      return { ...base, kind: row.kind, error, delayMs, restart, restarted };
    }
    case "block.suspended":
      return { ...base, kind: row.kind, payload: data as never };
    case "block.resumed":
      return { ...base, kind: row.kind, data: data as never };
    case "run.upgraded":
      return { ...base, kind: row.kind, ...(data as { from: string; to: string; migrated: string[] }) };
    case "step.completed": {
      const { step, result } = data as { step: string; result: never };
      return { ...base, kind: row.kind, step, result };
    }
    case "loop.pass":
      return { ...base, kind: row.kind, from: (data as { from: string }).from };
  }
}
