import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, root } from "./capture.js";

// One owner per run, from the command line, with real `blockwork` processes.
const tmp = mkdtempSync(join(tmpdir(), "blockwork-owner-cli-"));
const bin = join(root, "packages/cli/bin/blockwork.js");

interface Proc {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; out: string; err: string }>;
}

function blockwork(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  return { child, done: new Promise((resolve) => child.once("exit", (code) => resolve({ code, out, err }))) };
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : []);

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 3_000 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

/** No raw store error or stack trace reached the user. */
function clean(err: string): void {
  expect(err).not.toMatch(/SqliteError|UNIQUE constraint|\n\s+at /);
}

describe("one owner per run (blockwork processes)", () => {
  it("runs list shows a live owner, resume refuses it by name; once killed the run is orphaned and processes racing to resume it execute each block once", async () => {
    const store = join(tmp, "race.sqlite");
    const log = join(tmp, "race.log");
    const owner = blockwork(["run", "packages/cli/test/fixtures/slow.graph.ts", "--input", '{"n": 0}', "--store", store, "--quiet"], { BLOCKWORK_TEST_LOG: log, BLOCKWORK_TEST_DELAY: "4000" });
    await until("the first block", () => lines(log).length >= 1);
    const id = (lines(log)[0] as string).split(":")[0] as string;
    const list = await cli(["runs", "list", "--store", store]);
    expect(list.out).toMatch(new RegExp(`${id}\\s+slow\\s+running\\s+live \\(pid ${owner.child.pid}@`));
    const refused = await cli(["runs", "resume", id, "--store", store, "--quiet"]);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(new RegExp(`cannot resume run ${id}: run ${id} is being executed by process ${owner.child.pid} on host \\S+ \\(heartbeat \\d+ s ago\\)`));
    const upgrade = await cli(["upgrade", id, "examples/support-triage/triage.graph.ts", "--store", store]);
    expect(upgrade).toMatchObject({ code: 2, err: expect.stringMatching(new RegExp(`run ${id} is being executed by process ${owner.child.pid}`)) });

    owner.child.kill("SIGKILL");
    await owner.done;
    const before = lines(log).length;
    expect((await cli(["runs", "list", "--store", store])).out).toMatch(new RegExp(`${id}\\s+slow\\s+running\\s+orphaned \\(pid ${owner.child.pid}@\\S+ is gone\\)`));

    const env = { BLOCKWORK_TEST_LOG: log, BLOCKWORK_TEST_DELAY: "50" };
    const racers = [blockwork(["runs", "resume", id, "--store", store, "--quiet"], env), blockwork(["resume", id, "--store", store, "--quiet"], env), blockwork(["runs", "resume", "--store", store, "--quiet"], env)];
    const results = await Promise.all(racers.map((r) => r.done));
    for (const r of results) {
      expect([0, 2], r.err).toContain(r.code);
      clean(r.err);
      if (r.code === 2) expect(r.err).toMatch(/is being executed by process \d+|has already ended|No unfinished runs|skipped \(a live process owns them\)/);
    }
    // Exactly one printed the run's output.
    expect(results.filter((r) => r.out.includes('"n": 5'))).toHaveLength(1);
    const after = lines(log).slice(before);
    expect(new Set(after).size).toBe(after.length);
    expect((await cli(["runs", "show", id, "--store", store])).out).toMatch(/^status {3}completed/m);
  }, 180_000);

  it("two people resuming one suspension at once: one resumes it, the other is told why, nobody sees a crash", async () => {
    const store = join(tmp, "refund.sqlite");
    const ran = await cli(["run", "examples/refund-approval/refund.graph.ts", "--input", "@examples/refund-approval/request.json", "--store", store, "--quiet"]);
    expect(ran.code).toBe(3);
    const id = /run ([0-9a-f-]{36}) is suspended/.exec(ran.err)?.[1] as string;
    const answer = (approved: boolean) => ["resume", id, "--block", "approve", "--data", JSON.stringify({ approved, reason: "race" }), "--store", store, "--quiet"];
    const [a, b] = await Promise.all([blockwork(answer(true)).done, blockwork(answer(false)).done]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 2]);
    const loser = a.code === 2 ? a : b;
    clean(a.err);
    clean(b.err);
    expect(loser.err).toMatch(/cannot resume run .*: (run .* is being executed by process \d+|run .* has already ended|.*no suspended block "approve")/);
    const show = await cli(["runs", "show", id, "--store", store]);
    expect(show.out.match(/resumed {4}approve/g)).toHaveLength(1);
    expect(show.out).toMatch(/^status {3}completed/m);
  }, 180_000);
});
