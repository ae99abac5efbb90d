import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Io } from "../src/io.js";
import { main } from "../src/main.js";
import { nodeFinding } from "../src/commands/doctor.js";

const tmp = mkdtempSync(join(tmpdir(), "blockwork-doctor-"));
let modelUrl = "";
const server = createServer((req, res) => {
  if (req.url === "/v1/models") {
    res.writeHead(req.headers.authorization === "Bearer wrong" ? 401 : 200, { "content-type": "application/json" });
    res.end(JSON.stringify({ object: "list", data: [{ id: "tiny" }] }));
  } else {
    res.writeHead(404).end();
  }
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  modelUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function doctor(args: string[], env: Record<string, string> = {}) {
  let out = "";
  const io: Io = { cwd: tmp, env: { NO_COLOR: "1", ...env }, isTTY: false, out: (t) => void (out += t), err: (t) => void (out += t) };
  const code = await main(["doctor", ...args], io);
  return { code, out };
}

describe("blockwork doctor", () => {
  it("passes on this machine with a SQLite store it does not create, and warns that no model is configured", async () => {
    const { code, out } = await doctor(["--store", "runs/new.sqlite"]);
    expect(code).toBe(0);
    expect(out).toMatch(/^ok {4}node {4}Node\.js \d+\.\d+\.\d+ \(needs 20\.11 or newer\)$/m);
    expect(out).toContain("ok    store   SQLite runs/new.sqlite (not there yet: the first run creates it)\n");
    expect(out).toContain("warn  model   no model configured (only agent blocks need one)");
  });

  it("reaches a real PostgreSQL and a real model endpoint; fails on ones that do not answer", async () => {
    const good = await doctor(["--store", "postgres://postgres@127.0.0.1:5432/test"], { BLOCKWORK_MODEL: "openai-compatible:tiny", BLOCKWORK_BASE_URL: modelUrl });
    expect(good.out).toMatch(/^ok {4}store {3}PostgreSQL .*127\.0\.0\.1:5432.* \(reachable, /m);
    expect(good.out).toContain(`ok    model   openai-compatible:tiny at ${modelUrl} (answers: HTTP 200 for /models)\n`);
    expect(good.code).toBe(0);
    const refused = await doctor(["--store", "memory"], { BLOCKWORK_MODEL: "openai-compatible:tiny", BLOCKWORK_BASE_URL: modelUrl, BLOCKWORK_API_KEY: "wrong" });
    expect(refused.out).toContain("the endpoint refused the API key (HTTP 401)");
    expect(refused.code).toBe(1);
    const bad = await doctor(["--store", "postgres://postgres@127.0.0.1:1/test"], { BLOCKWORK_MODEL: "ollama:llama3.1", BLOCKWORK_BASE_URL: "http://127.0.0.1:1/v1" });
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/^FAIL {2}store {3}cannot connect to PostgreSQL at .*127\.0\.0\.1:1.*: connection refused/m);
    expect(bad.out).toMatch(/^FAIL {2}model {3}ollama:llama3\.1 at http:\/\/127\.0\.0\.1:1\/v1 does not answer \(.+\)\. Start the model server/m);
    expect(bad.out).toContain("2 problems to fix (above).\n");
    const typo = await doctor(["--store", "memory"], { BLOCKWORK_MODEL: "olama:llama3.1" });
    expect(typo.out).toContain('FAIL  model   BLOCKWORK_MODEL names an unknown provider "olama".');
  });

  it("judges the Node.js version against the packages' engines", () => {
    expect(nodeFinding("20.11.0").verdict).toBe("ok");
    expect(nodeFinding("22.1.0").verdict).toBe("ok");
    expect(nodeFinding("20.10.9")).toMatchObject({ verdict: "fail", detail: expect.stringContaining("is too old: Blockwork needs 20.11 or newer") });
    expect(nodeFinding("18.19.0").verdict).toBe("fail");
  });
});
