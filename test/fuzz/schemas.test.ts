/**
 * The short run of the GraphDef / JSON Schema fuzzer (the long one: `npm run fuzz:schemas`, 10,000
 * cases), plus hostile documents through the real CLI: 0 crashes, 0 hangs over 5 s, and every
 * failure a diagnostic with exit 1 or 2.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fuzzSchemas, hostileSchema, mutateDef, seedDefs } from "./schemas.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = join(root, "packages/cli/bin/blockwork.js");

function blockwork(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--conditions=@blockwork/source", "--import", "tsx", bin, ...args], { cwd: root, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, out, err });
    });
  });
}

describe("schema fuzzer", () => {
  it("runs 150 in-process cases: no crash, no hang", () => {
    const report = fuzzSchemas({ cases: 150, seed: 7 });
    expect(report.crashes).toEqual([]);
    expect(report.hangs).toEqual([]);
    expect(Object.values(report.outcomes).reduce((a, b) => a + b, 0)).toBe(150);
  }, 300_000);

  it("runs hostile documents through the real CLI: exit 1 or 2 (3 for compat unknown), never a crash", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bw-fuzz-cli-"));
    let n = 0;
    const r = (() => {
      let a = 99;
      return () => ((a = (a * 1103515245 + 12345) % 2147483648) / 2147483648);
    })();
    const seeds = seedDefs();
    const files: string[] = [];
    for (let i = 0; i < 6; i++) {
      const f = join(dir, `m${n++}.graph.json`);
      writeFileSync(f, JSON.stringify(mutateDef(r, seeds[i % seeds.length])) ?? "null");
      files.push(f);
    }
    const check = await blockwork(["check", ...files]);
    expect([0, 1, 2]).toContain(check.code);
    expect(check.err).not.toMatch(/internal error/);
    expect(check.out).toMatch(/Checked \d+ graphs? in 6 files/);
    for (let i = 0; i < 3; i++) {
      const a = join(dir, `a${i}.json`);
      const b = join(dir, `b${i}.json`);
      writeFileSync(a, JSON.stringify(hostileSchema(r)) ?? "true");
      writeFileSync(b, JSON.stringify(hostileSchema(r)) ?? "true");
      const compat = await blockwork(["compat", a, b]);
      expect([0, 1, 2, 3]).toContain(compat.code);
      expect(compat.err).not.toMatch(/internal error/);
    }
  }, 600_000);
});
