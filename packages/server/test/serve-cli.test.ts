import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

// `blockwork serve` as a real process: killed with SIGKILL while a run is in flight, then started
// again on the same SQLite file, it resumes the run from its journal without redoing finished blocks.

const root = fileURLToPath(new URL("../../..", import.meta.url));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});

function startServe(store: string): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, ["--conditions=@blockwork/source", "--import", "tsx", "packages/cli/src/dev.ts", "serve", "packages/server/test/fixtures/file-gate.graph.ts", "--store", store, "--port", "0"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, BLOCKWORK_TOKEN: "" },
  });
  children.push(child);
  let stderr = "";
  return new Promise((resolve, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /blockwork serve: (http:\/\/\S+)/.exec(stderr);
      if (match && stderr.includes("stops it.")) resolve({ child, url: match[1] as string, stderr: () => stderr });
    });
    child.once("exit", (code) => reject(new Error(`blockwork serve exited with ${code} before listening:\n${stderr}`)));
  });
}

const sdk = (url: string) => new Client({ apiUrl: url, apiKey: null, callerOptions: { maxRetries: 0 } } as ConstructorParameters<typeof Client>[0]);

describe("blockwork serve", () => {
  it("resumes a run after the server is killed with SIGKILL; finished blocks do not run again", async () => {
    const dir = tempDir();
    const store = join(dir, "runs.sqlite");
    const file = join(dir, "go");
    const first = await startServe(store);
    const client = sdk(first.url);
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, "file-gate", { input: { file } });
    // Wait until `first` is journaled, then kill the server mid-run.
    for (let i = 0; i < 400; i++) {
      const state = await client.threads.getState(thread.thread_id);
      if ("first" in ((state.values as { blocks?: object }).blocks ?? {})) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.once("exit", r));

    writeFileSync(file, "go");
    const second = await startServe(store);
    expect(second.stderr()).toMatch(/resumed 1 run/);
    const again = sdk(second.url);
    const values = (await again.runs.join(thread.thread_id, run.run_id)) as { output: { first: number; wait: number } };
    expect(values.output.first).toBe(first.child.pid);
    expect(values.output.wait).toBe(second.child.pid);
    expect((await again.runs.get(thread.thread_id, run.run_id)).status).toBe("success");

    second.child.kill("SIGTERM");
    const code = await new Promise((r) => second.child.once("exit", r));
    expect(code).toBe(0);
    expect(second.stderr()).toMatch(/SIGTERM: stopping/);
  }, 120_000);

  it("refuses to bind another address without a token, with a clear message", async () => {
    const child = spawn(process.execPath, ["--conditions=@blockwork/source", "--import", "tsx", "packages/cli/src/dev.ts", "serve", "packages/server/test/fixtures/file-gate.graph.ts", "--store", "memory", "--host", "0.0.0.0", "--port", "0"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, BLOCKWORK_TOKEN: "" },
    });
    children.push(child);
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise((r) => child.once("exit", r));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^blockwork: refusing to listen on 0\.0\.0\.0 without a token/);
  }, 60_000);
});
