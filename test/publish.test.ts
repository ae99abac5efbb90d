import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// `npm publish --dry-run` for every package: it packs, validates the manifest and reports what would
// be published, without publishing. npm "auto-corrects" a manifest it finds wrong (it once dropped
// the blockwork bin): any such correction fails the test.

const root = fileURLToPath(new URL("..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function publishDryRun(dir: string): Promise<{ code: number; out: string; err: string }> {
  const env: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: "" };
  for (const key of Object.keys(env)) if (key.startsWith("npm_package_") || key.startsWith("npm_lifecycle_") || key.startsWith("npm_config_workspace")) delete env[key];
  return new Promise((resolve) => {
    execFile(npm, ["publish", "--dry-run", "--ignore-scripts"], { cwd: dir, env, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, out, err });
    });
  });
}

describe.each(["spec", "core", "nodes", "server", "cli"])("npm publish --dry-run of @blockwork/%s", (name) => {
  it(
    "passes, with no manifest corrections, publishing the built files",
    async () => {
      const done = await publishDryRun(join(root, "packages", name));
      expect(done.code, done.err).toBe(0);
      expect(done.err).not.toMatch(/auto-corrected|errors corrected/);
      expect(done.out + done.err).toContain(`+ @blockwork/${name}@`);
      expect(done.err).toMatch(/dist\/index\.d\.ts/);
      expect(done.err).toMatch(/ LICENSE\n/);
    },
    300_000,
  );
});
