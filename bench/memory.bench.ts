/**
 * Agent memory:
 *
 * - Context tokens per model call of the memory-support example's conversation over 10,000 turns
 *   (`--quick`: 1,000), one run per turn on a SQLite store, with its memory policy; against the
 *   same agent without memory policies, whose input carries the whole conversation (computed, not
 *   run: its context outgrows the 2,000-token budget, and the block would refuse it).
 * - That conversation's cost does not grow with its length: time per turn late in it against the
 *   same early on (turns 501-1,000), and the heap and RSS at the end against after turn 1,000.
 * - Retention-policy cost per step at 100,000 items (tick, three accesses, the retention pass),
 *   against a naive pass that scans every item each step, measured in the same run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MemoryItem, RetainedScope, SqliteStore, staleness } from "@blockwork/core";
import { textTokens } from "@blockwork/nodes";
import type { RetentionPolicy } from "@blockwork/spec";
import { converse } from "../examples/memory-support/conversation.js";
import { messageAt, scriptedSupportModel } from "../examples/memory-support/scripted.js";
import { type Row, stats } from "./table.js";

const BUDGET = 2_000; // the example's budget.contextTokens

async function contextRows(quick: boolean): Promise<Row[]> {
  const turns = quick ? 1_000 : 10_000;
  // A SQLite file, not a MemoryStore: the runs' journals stay on disk, as in production. The
  // scripted model keeps no requests (each holds a whole context).
  const dir = mkdtempSync(join(tmpdir(), "blockwork-memory-bench-"));
  const store = new SqliteStore(join(dir, "support.sqlite"));
  const turnMs: number[] = [];
  const memoryAt = new Map<number, NodeJS.MemoryUsage>();
  let peakRss = 0;
  let peakHeap = 0;
  let leastHeap = Number.POSITIVE_INFINITY;
  let last = process.hrtime.bigint();
  const { calls, replies } = await converse(store, scriptedSupportModel({ keepCalls: 0 }), turns, "cust-42", (turn) => {
    const now = process.hrtime.bigint();
    turnMs.push(Number(now - last) / 1e6);
    last = now;
    if (turn % 100 === 0) {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
      leastHeap = Math.min(leastHeap, m.heapUsed);
      if (turn === 1_000 || turn === turns) memoryAt.set(turn, m);
      if (turn % 1_000 === 0 && process.stderr.isTTY) process.stderr.write(`memory bench: turn ${turn} of ${turns}\r`);
    }
  });
  store.close();
  rmSync(dir, { recursive: true, force: true });
  const totals = calls.map((c) => c.total);
  const s = stats(totals);
  const at = (t: number) => Math.max(...calls.filter((c) => c.turn === t).map((c) => c.total));
  const marks = [1, 1_000, 5_000, 10_000].filter((t) => t <= turns);
  // Without memory policies: the first turn's context plus every earlier exchange, as the example records it.
  const first = calls[0]?.total ?? 0;
  const naive: number[] = [];
  let history = 0;
  for (let turn = 1; turn <= turns; turn++) {
    naive.push(first + history);
    history += textTokens(`Turn ${turn}. Q: ${messageAt(turn)} A: ${replies.get(turn) ?? ""}`) + 1;
  }
  const n = stats(naive);
  const over = naive.findIndex((t) => t > BUDGET) + 1;
  const early = stats(turnMs.slice(500, 1_000));
  const late = stats(turnMs.slice(turns - 500));
  const mb = (bytes: number | undefined) => (bytes ?? 0) / 1024 / 1024;
  const at1k = memoryAt.get(1_000);
  const atEnd = memoryAt.get(turns);
  return [
    {
      name: `memory: context tokens per model call, ${turns.toLocaleString("en")} turns, with memory policies`,
      unit: "tokens",
      ...s,
      baselineName: `budget ${BUDGET}`,
      ratio: s.max / BUDGET,
      note: `${calls.length} calls; at turns ${marks.map((t) => `${t}: ${at(t)}`).join(", ")}; ratio = max / budget; turn 900 answered ${JSON.stringify(replies.get(900))}`,
    },
    {
      name: `memory: context tokens per model call, ${turns.toLocaleString("en")} turns, without (whole history in the input)`,
      unit: "tokens",
      ...n,
      baselineName: `budget ${BUDGET}`,
      ratio: n.max / BUDGET,
      note: `computed, not run: over the budget from turn ${over}; at turns ${marks.map((t) => `${t}: ${naive[t - 1]}`).join(", ")}`,
    },
    {
      name: `memory: time per turn, turns ${(turns - 499).toLocaleString("en")}-${turns.toLocaleString("en")} (one run each, SQLite)`,
      unit: "ms",
      ...late,
      baselineName: "turns 501-1,000",
      ratio: late.median / early.median,
      note: `turns 501-1,000: ${early.median.toFixed(1)} ms median; flat when the ratio is about 1`,
    },
    {
      name: `memory: heap used after ${turns.toLocaleString("en")} turns`,
      unit: "MB",
      median: mb(atEnd?.heapUsed),
      min: mb(leastHeap),
      max: mb(peakHeap),
      baselineName: "after 1,000 turns",
      ratio: mb(atEnd?.heapUsed) / mb(at1k?.heapUsed),
      note: `sampled every 100 turns without forcing a GC (min, max: of the samples); ${mb(at1k?.heapUsed).toFixed(0)} MB after 1,000 turns; RSS ${mb(at1k?.rss).toFixed(0)} MB after 1,000, ${mb(atEnd?.rss).toFixed(0)} MB at the end, peak ${mb(peakRss).toFixed(0)} MB`,
    },
  ];
}

function item(i: number, tier: MemoryItem["tier"]): MemoryItem {
  return { id: `m${i}`, kind: "turn", tier, text: "", data: null, tokens: 20, pinned: i % 1000 === 0, createdAt: 0, accessCount: 0, lastStep: 0, lastTokens: 0, lastAt: 0, sinceStep: 0, sinceTokens: 0, sinceAt: 0, touch: i, provenance: { runId: "r", path: "a", attempt: 1 } };
}

function retentionRows(quick: boolean): Row[] {
  const ITEMS = 100_000;
  const steps = quick ? 2_000 : 20_000;
  const policy: RetentionPolicy = { core: { maxTokens: 20 * 1_000, keepIfAccessedWithin: { steps: 500 } }, recall: { maxItems: 20_000 }, archival: { maxItems: ITEMS } };
  const build = () => {
    const items = new Map<string, MemoryItem>();
    for (let i = 0; i < ITEMS; i++) items.set(`m${i}`, item(i, i < 1_000 ? "core" : i < 21_000 ? "recall" : "archival"));
    return new RetainedScope({ items, clock: { step: 0, tokens: 0, at: 0, touch: ITEMS }, seq: 0 });
  };
  let seed = 7;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);

  const scope = build();
  const perStep: number[] = [];
  let evicted = 0;
  for (let s = 0; s < steps; s++) {
    const start = process.hrtime.bigint();
    scope.apply({ op: "tick", steps: 1, tokens: 600, at: s * 1000 });
    scope.apply({ op: "access", ids: [`m${Math.floor(random() * ITEMS)}`, `m${Math.floor(random() * ITEMS)}`, `m${Math.floor(random() * 1_000)}`] });
    evicted += scope.retain(policy).evictions.length;
    perStep.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  // The baseline: the same decisions by scanning every item each step (what a policy without an index costs).
  const naiveSteps = quick ? 50 : 200;
  const items = [...build().state.items.values()];
  const naive: number[] = [];
  for (let s = 0; s < naiveSteps; s++) {
    const start = process.hrtime.bigint();
    const clock = { step: s, tokens: s * 600, at: s * 1000, touch: 0 };
    const tokens = { core: 0, recall: 0, archival: 0 };
    for (const it of items) {
      tokens[it.tier] += it.tokens;
      if (it.tier === "core" && !it.pinned) staleness(it, clock, { steps: 500 });
    }
    naive.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  const s = stats(perStep);
  const b = stats(naive);
  return [
    { name: "memory: retention policy per step, 100,000 items (tick, 3 accesses, retain)", unit: "µs", ...s, baselineName: "scan all items", ratio: s.median / b.median, note: `${steps.toLocaleString("en")} steps, ${evicted.toLocaleString("en")} evictions; target < 50 µs; baseline: ${naiveSteps} steps, ${b.median.toFixed(0)} µs median` },
  ];
}

/** The memory rows of `npm run bench`. */
export async function memoryRows(quick: boolean): Promise<Row[]> {
  return [...retentionRows(quick), ...(await contextRows(quick))];
}


