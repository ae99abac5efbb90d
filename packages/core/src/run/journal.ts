import type { JsonValue } from "@blockwork/spec";
import type { JournalEntry } from "../store/store.js";

/** A run's journal as the graph version it runs on now reads it. */
export interface EffectiveJournal {
  /** The run's input: the original, or what the latest migration made of it. */
  readonly input: JsonValue;
  /** The entries to replay: upgrade entries taken out, migrated outputs put in. */
  readonly entries: readonly JournalEntry[];
  /** The last sequence number used (upgrade entries included): the next entry gets the one after. */
  readonly lastSeq: number;
}

/**
 * Applies the upgrades recorded in a journal: each `run.upgraded` entry may carry a migration's
 * results (a new input, new outputs for earlier completions by `seq`); they replace what the entries
 * before it say, and the upgrade entries themselves are not replayed. A journal without upgrades
 * comes back as it is.
 */
export function effectiveJournal(input: JsonValue, journal: readonly JournalEntry[]): EffectiveJournal {
  const lastSeq = journal[journal.length - 1]?.seq ?? 0;
  if (!journal.some((e) => e.kind === "run.upgraded")) return { input, entries: journal, lastSeq };
  let current = input;
  const outputs = new Map<number, JsonValue>();
  for (const e of journal) {
    if (e.kind !== "run.upgraded") continue;
    if (e.input !== undefined) current = e.input;
    for (const [seq, output] of Object.entries(e.outputs ?? {})) outputs.set(Number(seq), output);
  }
  const entries = journal
    .filter((e) => e.kind !== "run.upgraded")
    .map((e) => (e.kind === "block.completed" && outputs.has(e.seq) ? { ...e, output: outputs.get(e.seq) as JsonValue } : e));
  return { input: current, entries, lastSeq };
}
