import type { JournalEntry } from "@blockwork/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ReportRow } from "../src/db.js";
import { after, parseEventId, type RunEnd, StreamBuilder, type StreamEvent } from "../src/state.js";

// A run's stream is a pure function of its journal and reports: ids only grow, so a client that
// reconnects after any id gets exactly the rest, however the journal arrived (in one read or in
// many), for random journals.

const ids = { runId: "r", threadId: "t", bwRunId: "b", graphId: "g", createdAt: 0 };

const entryArb = fc.oneof(
  fc.record({ kind: fc.constant("block.completed" as const), path: fc.constantFrom("a", "b", "sub/c", "each/2"), output: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({ kind: fc.constant("block.suspended" as const), path: fc.constantFrom("approve", "sub/approve"), payload: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({ kind: fc.constant("block.resumed" as const), path: fc.constantFrom("approve", "sub/approve"), data: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({ kind: fc.constant("attempt.failed" as const), path: fc.constantFrom("a", "b"), error: fc.constant({ code: "block_failed" as const, message: "x" }), delayMs: fc.nat(100) }),
  fc.record({ kind: fc.constant("block.failed" as const), path: fc.constantFrom("a", "b"), error: fc.jsonValue({ maxDepth: 1 }) }),
);

const scenario = fc
  .record({
    entries: fc.array(entryArb, { maxLength: 25 }),
    reportsAfter: fc.array(fc.nat(25), { maxLength: 10 }),
    startSeq: fc.nat(3),
    end: fc.constantFrom<RunEnd>({ status: "success", output: { ok: true } }, { status: "interrupted", interrupts: [] }, { status: "error", error: { code: "block_failed", message: "boom" } }),
    splits: fc.array(fc.nat(25), { maxLength: 6 }),
  })
  .map((s) => {
    const journal = s.entries.map((e, i) => ({ ...e, seq: s.startSeq + i + 1, act: 1, attempt: 1, at: 1_000 + i }) as JournalEntry);
    const last = journal.at(-1)?.seq ?? s.startSeq;
    const reports: ReportRow[] = [...s.reportsAfter]
      .map((a) => Math.min(last, s.startSeq + a))
      .sort((x, y) => x - y)
      .map((afterSeq, i) => ({ n: i + 1, afterSeq, event: { type: "block.usage", path: "a", model: "m", contextTokens: i } }));
    return { ...s, journal, reports, last };
  });

/** The stream as the service builds it from one read of everything. */
function whole(s: { journal: JournalEntry[]; reports: ReportRow[]; startSeq: number; end: RunEnd; last: number }): StreamEvent[] {
  const b = new StreamBuilder(ids, s.startSeq, { text: "in" }, []);
  const out = [...b.start()];
  let r = 0;
  for (const entry of s.journal) {
    for (; r < s.reports.length && (s.reports[r] as ReportRow).afterSeq < entry.seq; r++) out.push(...b.report(s.reports[r] as ReportRow));
    out.push(...b.entry(entry));
  }
  for (; r < s.reports.length; r++) out.push(...b.report(s.reports[r] as ReportRow));
  out.push(...b.end(s.last, s.end));
  return out;
}

describe("a run's stream", () => {
  it("has strictly increasing ids that round-trip, so Last-Event-ID resumes exactly after the event", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const events = whole(s);
        for (let i = 1; i < events.length; i++) expect(after((events[i] as StreamEvent).key, (events[i - 1] as StreamEvent).key)).toBe(true);
        for (const [k, event] of events.entries()) {
          expect(parseEventId(event.id)).toEqual(event.key);
          const rest = events.filter((e) => after(e.key, parseEventId(event.id) as readonly [number, number, number]));
          expect(rest.map((e) => e.id)).toEqual(events.slice(k + 1).map((e) => e.id));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("is the same whether the journal is read at once or in pieces (reports arriving after their entry)", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const expected = whole(s).map((e) => e.id);
        // As the service reads: at each poll, the journal up to some point, and the reports written
        // so far (all of those after earlier entries, some of those after the last entry read).
        const b = new StreamBuilder(ids, s.startSeq, { text: "in" }, []);
        const got = b.start().map((e) => e.id);
        const cuts = [...new Set([...s.splits.map((c) => Math.min(c, s.journal.length)), s.journal.length])].sort((x, y) => x - y);
        let emitted = 0;
        for (const cut of cuts) {
          const visible = s.journal.slice(0, cut);
          const lastSeq = visible.at(-1)?.seq ?? s.startSeq;
          const reports = s.reports.filter((r) => r.afterSeq <= lastSeq);
          let r = 0;
          for (const entry of visible.slice(emitted)) {
            for (; r < reports.length && (reports[r] as ReportRow).afterSeq < entry.seq; r++) got.push(...b.report(reports[r] as ReportRow).map((e) => e.id));
            got.push(...b.entry(entry).map((e) => e.id));
          }
          emitted = visible.length;
          for (; r < reports.length; r++) got.push(...b.report(reports[r] as ReportRow).map((e) => e.id));
        }
        got.push(...b.end(s.last, s.end).map((e) => e.id));
        expect(got).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
