import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, root } from "./capture.js";

const tmp = mkdtempSync(join(tmpdir(), "blockwork-run-"));

describe("blockwork run and runs", () => {
  it("runs an example on SQLite, prints its output, and shows the journal", async () => {
    const store = join(tmp, "triage.sqlite");
    const ran = await cli(["run", "examples/support-triage/triage.graph.ts", "--input", "@examples/support-triage/ticket.json", "--store", store, "--summary"]);
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.out)).toEqual({
      reply: "Your last invoice is INV-2041 (1290 EUR). A billing specialist will follow up today.",
      queue: "billing",
      kind: "billing",
    });
    expect(ran.err).toMatch(/started {3}classify/);
    expect(ran.err).toMatch(/journal: 2 entries \(2 blocks completed/);
    const id = /run ([0-9a-f-]{36}) started/.exec(ran.err)?.[1] as string;
    const list = await cli(["runs", "list", "--store", store]);
    expect(list.out).toMatch(new RegExp(`${id}\\s+support-triage\\s+completed`));
    const show = await cli(["runs", "show", id, "--store", store]);
    expect(show.out).toMatch(/completed {2}classify {2}→ \{"kind":"billing","urgency":"high"/);
    expect(show.out).toMatch(/completed {2}billingReply/);
    expect(show.out).toMatch(/^status {3}completed/m);
  });

  it("exits 1 and names the block when the run fails; explains bad input", async () => {
    const store = join(tmp, "bad.sqlite");
    const bad = await cli(["run", "examples/support-triage/triage.graph.ts", "--input", '{"customer": "", "subject": "x", "body": "y"}', "--store", store]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/cannot run .*: the input does not satisfy the contract of graph "support-triage": customer: Too small/);
    const json = await cli(["run", "examples/support-triage/triage.graph.ts", "--input", "{nope", "--store", store]);
    expect(json.err).toMatch(/--input is not valid JSON/);
    const file = await cli(["run", "examples/broken/missing_entry.json", "--store", store]);
    expect(file.err).toMatch(/GraphDef without implementations/);
    const missing = await cli(["runs", "show", "no-such-run", "--store", store]);
    expect(missing).toMatchObject({ code: 2, err: expect.stringMatching(/no run no-such-run/) });

    process.env["BLOCKWORK_TEST_FAIL"] = "three";
    try {
      const failed = await cli(["run", "packages/cli/test/fixtures/slow.graph.ts", "--input", '{"n": 1}', "--store", store]);
      expect(failed.code).toBe(1);
      expect(failed.err).toMatch(/blockwork: run [0-9a-f-]+ failed at block three \(block_failed\): threw: three failed on purpose/);
    } finally {
      delete process.env["BLOCKWORK_TEST_FAIL"];
    }
  });

  it("draws a live status line on a terminal", async () => {
    process.env["BLOCKWORK_TEST_DELAY"] = "60";
    try {
      const live = await cli(["run", "packages/cli/test/fixtures/slow.graph.ts", "--store", "memory", "--input", '{"n": 0}'], { isTTY: true });
      expect(live.code).toBe(0);
      expect(JSON.parse(live.out)).toEqual({ n: 5 });
      // Redrawn in place: "run <id> · <elapsed> · <n> done · running: <block> <elapsed>".
      expect(live.err).toMatch(/\u001b\[2K\r. run [0-9a-f]{8} · \d+ ms · \d done · running: (one|two|three|four|five) \d+ ms/);
    } finally {
      delete process.env["BLOCKWORK_TEST_DELAY"];
    }
  });

  it("resumes a run whose process was killed, without redoing finished blocks", async () => {
    const store = join(tmp, "killed.sqlite");
    const log = join(tmp, "effects.log");
    const child = spawn(process.execPath, [join(root, "packages/cli/bin/blockwork.js"), "run", "packages/cli/test/fixtures/slow.graph.ts", "--input", '{"n": 0}', "--store", store], {
      cwd: root,
      env: { ...process.env, BLOCKWORK_TEST_LOG: log, BLOCKWORK_TEST_DELAY: "150" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (let i = 0; i < 1_000 && (!existsSync(log) || readFileSync(log, "utf8").trim().split("\n").length < 3); i++) await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const before = readFileSync(log, "utf8").trim().split("\n");
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.length).toBeLessThan(5);

    process.env["BLOCKWORK_TEST_LOG"] = log;
    try {
      const resumed = await cli(["runs", "resume", "--store", store]);
      expect(resumed.code).toBe(0);
      expect(JSON.parse(resumed.out)).toEqual({ n: 5 });
      expect(resumed.err).toMatch(/replayed \d journal entries/);
    } finally {
      delete process.env["BLOCKWORK_TEST_LOG"];
    }
    const effects = readFileSync(log, "utf8").trim().split("\n");
    expect(new Set(effects).size).toBe(5);
    // Each finished block logged once; only the one running at the kill twice.
    expect(effects.length - new Set(effects).size).toBeLessThanOrEqual(1);
    expect((await cli(["runs", "resume", "--store", store])).out).toBe("No unfinished runs to resume.\n");
  });
});

describe("blockwork simulate", () => {
  it("reports coverage of an agent graph without a model", async () => {
    const { code, out } = await cli(["simulate", "examples/support-agent/support.graph.ts", "--runs", "30", "--seed", "1"]);
    expect(code).toBe(0);
    expect(out).toMatch(/Simulated 30 runs of examples\/support-agent\/support\.graph\.ts \(seed 1\): 30 completed, 0 failed\./);
    expect(out).toMatch(/Replaced by generated outputs: classify, draft, review\./);
    expect(out).toMatch(/Edges taken: 7\/7\./);
    const json = JSON.parse((await cli(["simulate", "examples/support-triage/triage.graph.ts", "--all", "--format", "json", "--runs", "5"])).out) as { runs: number; replaced: string[] };
    expect(json).toMatchObject({ runs: 5, replaced: expect.arrayContaining(["classify"]) });
  });

  it("fails (exit 1) and groups the failures when runs fail", async () => {
    const { code, out } = await cli(["simulate", "packages/cli/test/fixtures/picky.graph.ts", "--runs", "3", "--all"]);
    expect(code).toBe(1);
    expect(out).toMatch(/3 runs \(1, 2, 3\): block_failed at picky: threw: simulate could not generate a valid output of block picky in 40 tries \(last rejection: word: must be exactly-this\)/);
    const bad = await cli(["simulate", "examples/support-agent/support.graph.ts", "--runs", "0"]);
    expect(bad).toMatchObject({ code: 2, err: expect.stringMatching(/--runs must be a whole number of at least 1/) });
  });
});
