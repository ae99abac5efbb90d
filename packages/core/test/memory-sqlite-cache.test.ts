import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RetentionPolicy } from "@blockwork/spec";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { foldBatches, type MemoryBackend, type MemoryItem, MemorySpace, type ScopeState, SqliteStore } from "../src/index.js";

// SqliteMemory keeps each scope's state in the process and hands out copies of it while the
// file's head is where it left it, and a closed MemorySpace leaves its state to the next open of
// its scope (docs/memory.md, "Opening a scope again"). Differential: whatever two writers of one
// file do, in any order, closing their spaces or not, what a space opens with and a load through
// either writer equal a load from the file by a store that has cached nothing, and the fold of the
// scope's journal.
const dir = mkdtempSync(join(tmpdir(), "blockwork-memory-cache-"));
let files = 0;
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
const policy: RetentionPolicy = { core: { maxTokens: 12, keepIfAccessedWithin: { steps: 3 } }, recall: { maxItems: 4 }, archival: { maxItems: 6 } };
const SCOPE = "thread:support:c1";

type Step = (
  | { readonly writer: 0 | 1; readonly op: "remember"; readonly key: number | null; readonly words: number; readonly pin: boolean; readonly tier: "core" | "recall" | "archival" }
  | { readonly writer: 0 | 1; readonly op: "access" | "forget" | "pin" | "move"; readonly pick: number }
  | { readonly writer: 0 | 1; readonly op: "tick"; readonly tokens: number }
  /** A batch applied through the backend itself, on the file's head (not through a space, which loads first). */
  | { readonly writer: 0 | 1; readonly op: "raw"; readonly tokens: number }
) & { readonly close: boolean };

const step: fc.Arbitrary<Step> = fc.tuple(fc.boolean(), fc.oneof(
  fc.record({ writer: fc.constantFrom(0 as const, 1 as const), op: fc.constant("remember" as const), key: fc.option(fc.integer({ min: 0, max: 4 })), words: fc.integer({ min: 1, max: 6 }), pin: fc.boolean(), tier: fc.constantFrom("core" as const, "recall" as const, "archival" as const) }),
  fc.record({ writer: fc.constantFrom(0 as const, 1 as const), op: fc.constantFrom("access" as const, "forget" as const, "pin" as const, "move" as const), pick: fc.nat() }),
  fc.record({ writer: fc.constantFrom(0 as const, 1 as const), op: fc.constantFrom("tick" as const, "raw" as const), tokens: fc.integer({ min: 0, max: 50 }) }),
)).map(([close, s]) => ({ ...s, close }) as Step);

/** A scope's state as comparable data: items by id (the map's order is not part of the state). */
const plain = (state: ScopeState) => ({ seq: state.seq, clock: state.clock, items: [...state.items.entries()].sort(([a], [b]) => a.localeCompare(b)) });

describe("SqliteMemory's cache of scope states", () => {
  it("loads what the file holds, with two writers of one file interleaving batches (and conflicts)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const file = join(dir, `c-${files++}.sqlite`);
        const writers = [new SqliteStore(file), new SqliteStore(file)] as const;
        const check = async (these: readonly SqliteStore[]) => {
          const fresh = new SqliteStore(file);
          try {
            const truth = plain(await (fresh.memory as MemoryBackend).load(SCOPE));
            for (const w of these) expect(plain(await (w.memory as MemoryBackend).load(SCOPE))).toEqual(truth);
            expect(plain(foldBatches(await (fresh.memory as MemoryBackend).batches(SCOPE)))).toEqual(truth);
          } finally {
            fresh.close();
          }
        };
        try {
          let attempt = 0;
          for (const s of steps) {
            const backend = writers[s.writer].memory as MemoryBackend;
            if (s.op === "raw") {
              const head = new SqliteStore(file);
              const basedOn = (await (head.memory as MemoryBackend).load(SCOPE)).seq;
              head.close();
              expect(await backend.apply(SCOPE, { key: `raw/${++attempt}`, basedOn, ops: [{ op: "tick", steps: 1, tokens: s.tokens, at: attempt }] })).toMatchObject({ status: "applied" });
              await check([writers[s.writer]]);
              continue;
            }
            // A space per step, as a block attempt opens its scope (through this writer's cache).
            const space = await MemorySpace.open({ backend, scope: SCOPE, policy, attemptKey: `run/a#${++attempt}.1`, provenance: { runId: "run", path: "a", attempt: 1 }, tokensOf: words });
            const fresh = new SqliteStore(file);
            expect(plain(space.state)).toEqual(plain(await (fresh.memory as MemoryBackend).load(SCOPE)));
            fresh.close();
            const ids = [...space.state.items.keys()].sort();
            const picked = "pick" in s && ids.length ? (ids[s.pick % ids.length] as string) : undefined;
            await space.commit((d) => {
              if (s.op === "remember") d.remember({ kind: "fact", text: Array.from({ length: s.words }, (_, i) => `w${i}`).join(" "), ...(s.key !== null ? { key: `k${s.key}` } : {}), pinned: s.pin, tier: s.tier });
              else if (s.op === "tick") d.tick(s.tokens, attempt);
              else if (picked !== undefined && d.state.items.has(picked)) {
                const item = d.state.items.get(picked) as MemoryItem;
                if (s.op === "access") d.access([picked]);
                else if (s.op === "forget") d.forget(picked);
                else if (s.op === "pin") d.pin(picked, !item.pinned);
                else d.move(picked, item.tier === "core" ? "recall" : "core", "promoted");
              }
            }).catch((error: unknown) => {
              // A core that only pinned items overflow cannot be retained: memory is left unchanged (tested elsewhere).
              if (!(error instanceof Error && error.message.includes("pinned"))) throw error;
            });
            if (s.close) space.close();
            // Only the writer that acted is checked now (a load refreshes its cache): the other one's
            // cache may be behind the file when it acts next, which is what this tries to break.
            await check([writers[s.writer]]);
          }
          await check(writers);
        } finally {
          for (const w of writers) w.close();
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it("gives out copies: changing a loaded state does not change the next load", async () => {
    const store = new SqliteStore(join(dir, `c-${files++}.sqlite`));
    try {
      const backend = store.memory as MemoryBackend;
      const space = await MemorySpace.open({ backend, scope: SCOPE, policy, attemptKey: "run/a#1.1", provenance: { runId: "run", path: "a", attempt: 1 }, tokensOf: words });
      await space.commit((d) => d.remember({ kind: "fact", text: "one two" }));
      const first = await backend.load(SCOPE);
      first.items.clear();
      first.seq = 99;
      const again = await backend.load(SCOPE);
      expect(again.items.size).toBe(1);
      expect(again.seq).toBe(1);
    } finally {
      store.close();
    }
  });

  it("a closed space refuses to write, and its state is taken over by the next open only while the head is unchanged", async () => {
    const file = join(dir, `c-${files++}.sqlite`);
    const a = new SqliteStore(file);
    const b = new SqliteStore(file);
    try {
      const opts = (backend: MemoryBackend, n: number) => ({ backend, scope: SCOPE, policy, attemptKey: `run/a#${n}.1`, provenance: { runId: "run", path: "a", attempt: 1 }, tokensOf: words });
      const first = await MemorySpace.open(opts(a.memory as MemoryBackend, 1));
      await first.commit((d) => d.remember({ kind: "fact", text: "one two" }));
      first.close();
      await expect(first.commit((d) => d.tick(1, 1))).rejects.toMatchObject({ code: "memory_invalid" });
      // Another writer of the file moves the head on: the next open in this process reads it.
      const other = await MemorySpace.open(opts(b.memory as MemoryBackend, 2));
      await other.commit((d) => d.remember({ kind: "fact", text: "three" }));
      const next = await MemorySpace.open(opts(a.memory as MemoryBackend, 3));
      expect([...next.state.items.values()].map((i) => i.text).sort()).toEqual(["one two", "three"]);
      expect(next.state.seq).toBe(2);
      next.close();
      // Two spaces open at once never share a state: the second one loads its own.
      const x = await MemorySpace.open(opts(a.memory as MemoryBackend, 4));
      const y = await MemorySpace.open(opts(a.memory as MemoryBackend, 5));
      expect(y.state).not.toBe(x.state);
      await x.commit((d) => d.remember({ kind: "fact", text: "four" }));
      expect(y.state.seq).toBe(2);
      expect([...y.state.items.values()].map((i) => i.text)).not.toContain("four");
      // y's batch was computed on seq 2: refused, computed again on 3.
      await y.commit((d) => d.remember({ kind: "fact", text: "five" }));
      expect(y.state.seq).toBe(4);
      expect([...y.state.items.values()].map((i) => i.text).sort()).toEqual(["five", "four", "one two", "three"]);
    } finally {
      a.close();
      b.close();
    }
  });
});
