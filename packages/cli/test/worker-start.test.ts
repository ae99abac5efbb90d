import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PG_URL, requirePostgres, schemaName } from "../../../test/pg.js";
import { TcpProxy } from "../../../test/tcp-proxy.js";
import { cli, root } from "./capture.js";

// `blockwork worker` started before its database: a real process, pointed at a port where
// nothing listens; a real TCP proxy to the test PostgreSQL then opens on that port.
const pg = new URL(PG_URL);
const target = { host: pg.hostname, port: Number(pg.port || 5432) };

describe("blockwork worker started before its database", () => {
  it("waits with backoff, one line per try, and starts when the database answers", { timeout: 120_000 }, async () => {
    await requirePostgres();
    const proxy = await TcpProxy.stopped(target);
    const url = `${proxy.url(PG_URL)}?schema=${schemaName("cli_early")}`;
    const child = spawn(process.execPath, ["--conditions=@blockwork/source", "--import", "tsx", join(root, "packages/cli/src/dev.ts"), "worker", "--store", url], {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const until = async (condition: () => boolean, what: string) => {
      const deadline = Date.now() + 60_000;
      while (!condition()) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`timed out waiting for ${what}; stderr:\n${err}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      await until(() => (err.match(/waiting for the database/g) ?? []).length >= 2, "two tries");
      expect(err).toMatch(/^worker: waiting for the database \(try 1, 0 s so far; next in 0\.25 s\): cannot connect to PostgreSQL at .*connection refused/m);
      expect(err).not.toMatch(/ started: /);
      await proxy.restore();
      await until(() => / started: /.test(err), "the worker to start");
      expect(err).toMatch(/answers after \d+ tries/);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(err).toMatch(/stopped: 0 blocks recorded, 0 runs completed, 0 failed, 0 run again elsewhere \(recorded by another worker\), 0 lost \(finished but not recorded; they run again\), 0 no longer needed \(their run had ended\), 0 released\./);
    } finally {
      child.kill("SIGKILL");
      await proxy.cut();
    }
  });

  it("--fail-fast exits 2 with one clear line instead of waiting", async () => {
    const proxy = await TcpProxy.stopped(target);
    const { code, err } = await cli(["worker", "--fail-fast", "--store", `${proxy.url(PG_URL)}?schema=i20_fail_fast`]);
    expect(code).toBe(2);
    expect(err.trim().split("\n")).toEqual([expect.stringMatching(/^blockwork: cannot connect to PostgreSQL at postgres:\/\/.*connection refused: is PostgreSQL running/)]);
  });
});
