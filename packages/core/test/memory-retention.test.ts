import type { RetentionPolicy } from "@blockwork/spec";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { foldBatches, InProcessMemory, isMemoryError, type MemoryDraft, MemorySpace, staleness } from "../src/index.js";

// Property tests of the retention policy against the known failure modes of memory systems:
// budgets that are not kept, pinned facts evicted, eviction thrash, a failed batch that leaves
// half its changes, and memory that diverges when an attempt is run again after a crash.

type Action =
  | { a: "remember"; words: number; pin: boolean; key: number | null }
  | { a: "access"; pick: number }
  | { a: "forget"; pick: number }
  | { a: "promote"; pick: number }
  | { a: "tick"; tokens: number; seconds: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ a: fc.constant("remember" as const), words: fc.integer({ min: 1, max: 12 }), pin: fc.integer({ min: 0, max: 9 }).map((x) => x < 3), key: fc.option(fc.integer({ min: 0, max: 5 })) }) },
  { weight: 3, arbitrary: fc.record({ a: fc.constant("access" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant("forget" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant("promote" as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ a: fc.constant("tick" as const), tokens: fc.integer({ min: 0, max: 500 }), seconds: fc.integer({ min: 0, max: 30 }) }) },
);

const policyArb: fc.Arbitrary<RetentionPolicy> = fc.record({
  core: fc.record({
    maxTokens: fc.integer({ min: 10, max: 60 }),
    maxItems: fc.option(fc.integer({ min: 2, max: 8 }), { nil: undefined }),
    keepIfAccessedWithin: fc.option(fc.record({ steps: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }), tokens: fc.option(fc.integer({ min: 100, max: 2_000 }), { nil: undefined }), seconds: fc.option(fc.integer({ min: 5, max: 60 }), { nil: undefined }) }, { requiredKeys: [] }), { nil: undefined }),
  }, { requiredKeys: ["maxTokens"] }),
  recall: fc.option(fc.record({ maxItems: fc.integer({ min: 1, max: 10 }), onEvict: fc.constantFrom("demote" as const, "drop" as const) }), { nil: undefined }),
  archival: fc.option(fc.record({ maxItems: fc.integer({ min: 1, max: 10 }) }), { nil: undefined }),
}, { requiredKeys: ["core"] }) as fc.Arbitrary<RetentionPolicy>;

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
const strip = (o: unknown) => JSON.parse(JSON.stringify(o, (_k, v) => (v instanceof Map ? [...v.entries()] : v)));

function open(backend: InProcessMemory, policy: RetentionPolicy, attemptKey = "run/a#1.1") {
  return MemorySpace.open({ backend, scope: "s", policy, attemptKey, provenance: { runId: "run", path: "a", attempt: 1 }, tokensOf: words });
}

/** One step of a script as a batch: a clock tick and the action. */
function stepOf(action: Action, n: number): (d: MemoryDraft) => void {
  return (d) => {
    const ids = [...d.state.items.keys()];
    const pick = (i: number) => ids[i % Math.max(ids.length, 1)];
    switch (action.a) {
      case "tick":
        d.tick(action.tokens, d.state.clock.at + action.seconds * 1000);
        return;
      case "remember":
        d.tick(10, d.state.clock.at);
        d.remember({ kind: "fact", text: Array.from({ length: action.words }, (_, w) => `w${n}_${w}`).join(" "), pinned: action.pin, ...(action.key !== null ? { key: `k${action.key}` } : {}) });
        return;
      case "access": {
        const id = pick(action.pick);
        if (id) d.access([id]);
        return;
      }
      case "forget": {
        const id = pick(action.pick);
        if (id) d.forget(id);
        return;
      }
      case "promote": {
        const id = pick(action.pick);
        if (id && d.state.items.get(id)?.tier !== "core") d.move(id, "core", "promoted");
        return;
      }
    }
  };
}

describe("retention policies (property tests)", () => {
  it("keep every budget, never evict a pinned item, leave no stale item, and a failed batch changes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, fc.array(action, { maxLength: 60 }), async (policy, script) => {
        const backend = new InProcessMemory();
        const space = await open(backend, policy);
        let arrivals = 0;
        let evicted = 0;
        for (const [n, act] of script.entries()) {
          const before = strip(space.state);
          const pinned = [...space.state.items.values()].filter((i) => i.pinned).map((i) => [i.id, i.tier]);
          try {
            const result = await space.commit(stepOf(act, n));
            evicted += result.evictions.length;
            arrivals += result.ops.filter((op) => op.op === "put" || (op.op === "move" && op.reason === "promoted")).length;
          } catch (error) {
            // Only pinned items can make core overflow for good: memory is then exactly as before.
            expect(isMemoryError(error) && error.code).toBe("memory_overflow");
            expect(strip(space.state)).toEqual(before);
            continue;
          }
          const core = space.tier("core");
          expect(space.tokens("core")).toBeLessThanOrEqual(policy.core.maxTokens);
          if (policy.core.maxItems) expect(core.length).toBeLessThanOrEqual(policy.core.maxItems);
          for (const item of core) if (!item.pinned && policy.core.keepIfAccessedWithin) expect(staleness(item, space.state.clock, policy.core.keepIfAccessedWithin)).toBeUndefined();
          for (const [id, tier] of pinned) {
            if (act.a === "forget" || act.a === "promote" || (act.a === "remember" && act.key !== null)) continue;
            expect(space.state.items.get(id as string)?.tier).toBe(tier);
          }
        }
        // No thrash: each arrival in core can be evicted at most three times (core → recall → archival → gone).
        expect(evicted).toBeLessThanOrEqual(3 * arrivals);
        // The journal is the truth: its fold is the live state.
        expect(strip(foldBatches(backend.batches("s")).items)).toEqual(strip(space.state.items));
        expect(strip(backend.load("s").items)).toEqual(strip(space.state.items));
      }),
      { numRuns: 150 },
    );
  });

  it("reaches a fixpoint in one pass: a second retention at the same clock evicts nothing (no eviction thrash)", async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, fc.array(action, { maxLength: 40 }), async (policy, script) => {
        const space = await open(new InProcessMemory(), policy);
        for (const [n, act] of script.entries()) {
          try {
            await space.commit(stepOf(act, n));
          } catch {
            continue;
          }
          const again = await space.commit(() => {});
          expect(again.evictions).toEqual([]);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("gives a resumed attempt the memory it would have had without the crash (crash after any batch)", async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, fc.array(action, { minLength: 1, maxLength: 40 }), fc.nat(), async (policy, script, cut) => {
        // What the block sees before each step (the context it would build from core memory).
        const run = async (space: MemorySpace, upTo: number, seen: string[] = []) => {
          for (const [n, act] of script.slice(0, upTo).entries()) {
            seen.push(JSON.stringify(space.tier("core").map((i) => i.text)));
            await space.commit(stepOf(act, n)).catch((e: unknown) => (isMemoryError(e) ? undefined : Promise.reject(e)));
          }
          return seen;
        };
        const reference = await open(new InProcessMemory(), policy);
        const referenceSeen = await run(reference, script.length);
        const backend = new InProcessMemory();
        // The first execution writes some batches and dies; the attempt then runs again from the start.
        await run(await open(backend, policy), cut % (script.length + 1));
        const resumed = await open(backend, policy);
        expect(await run(resumed, script.length)).toEqual(referenceSeen);
        expect(strip(resumed.state)).toEqual(strip(reference.state));
        expect(strip(backend.load("s"))).toEqual(strip(reference.state));
      }),
      {
        numRuns: 150,
        // Found by this property: a commit refused over budget used up batch number 1, so the
        // crashed attempt's first batch was /2, and the resumed attempt saw it from the start.
        examples: [[{ core: { maxTokens: 10 } }, [{ a: "remember", words: 11, pin: true, key: null }, { a: "remember", words: 1, pin: true, key: null }, { a: "promote", pick: 0 }], 1989217382]],
      },
    );
  });
});
