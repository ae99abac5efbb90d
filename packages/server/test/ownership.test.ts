import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SqliteStore } from "@blockwork/core";
import { refund } from "./fixtures/graphs.js";
import { sdk, serve, tempDir } from "./helpers.js";

// A run the server executes (here, waiting at a suspension) is owned by the server's process: a
// human resume from another process is refused and names it; through the API it goes on.
describe("one owner per run (the server)", () => {
  it("refuses a resume from another process while the server owns the run; the API resumes it", async () => {
    const file = join(tempDir(), "runs.sqlite");
    const server = await serve({ graphs: [refund], store: file });
    const client = sdk(server);
    const thread = await client.threads.create();
    const run = await client.runs.wait(thread.thread_id, "refund", { input: { amount: 240 } });
    expect(run).toMatchObject({ __interrupt__: expect.any(Array) });
    // The Blockwork run behind the API's run (the server keeps its own run ids).
    const reader = new SqliteStore(file);
    const [record] = reader.listRuns({ status: "suspended" });
    reader.close();
    const child = fileURLToPath(new URL("./fixtures/owner-child.ts", import.meta.url));
    const other = spawnSync(process.execPath, ["--conditions=@blockwork/source", "--import", "tsx", child, file, record?.id as string], { encoding: "utf8" });
    expect(other.status, other.stderr).toBe(0);
    expect(other.stdout).toMatch(new RegExp(`^run_owned run \\S+ is being executed by process ${process.pid} on host `));
    const result = (await client.runs.wait(thread.thread_id, "refund", { command: { resume: { approved: true, reason: "via the API" } } })) as { output: unknown };
    expect(result.output).toEqual({ refunded: 240 });
  }, 60_000);
});
