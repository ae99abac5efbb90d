import { describe, expect, it } from "vitest";
import { crashHarness } from "./crash.js";

// The short version of the crash harness (the long one: npm run harness:crash).
describe("crash harness (short)", () => {
  it("SIGKILLs executing processes and fills the disk of some: no run lost, stuck or wrong, no completion doubled, no journaled block run again, no process crashed", async () => {
    const said: string[] = [];
    const counts = await crashHarness({ runs: 40, processes: 3, kills: 4, killEvery: [300, 700], diskFull: 0.5, startGapMs: 150, blockMs: 30, log: (line) => said.push(line) });
    expect(counts.kills, JSON.stringify(counts)).toBe(4);
    expect(counts.created, JSON.stringify(counts)).toBeGreaterThan(0);
    expect(counts, `${JSON.stringify(counts)}\n${said.join("\n")}`).toMatchObject({ lost: 0, stuck: 0, wrong: 0, doubled: 0, reexecuted: 0, crashed: 0 });
    expect(counts.completed).toBe(counts.created);
  }, 300_000);

  it("PostgreSQL: SIGKILLs workers and cuts the database off: no run lost, stuck or wrong, no completion doubled, no journaled block run again, no worker crashed", async () => {
    const said: string[] = [];
    const counts = await crashHarness({ runs: 60, processes: 3, kills: 3, killEvery: [300, 700], diskFull: 0, startGapMs: 0, blockMs: 30, postgres: { cutoffs: 2 }, log: (line) => said.push(line) });
    expect(counts, said.join("\n")).toMatchObject({ kills: 3, cutoffs: 2, created: 60, completed: 60, lost: 0, stuck: 0, wrong: 0, doubled: 0, reexecuted: 0, crashed: 0 });
  }, 300_000);
});
