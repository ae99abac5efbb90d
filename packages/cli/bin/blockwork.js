#!/usr/bin/env node
// The `blockwork` command. It runs the built CLI (dist/), which `npm ci` produces through the
// repository's `prepare` script; a clear message beats a stack trace when the build is missing.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/index.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("blockwork: the CLI is not built (dist/ is missing). Run `npm run build` in the repository root.\n");
  process.exit(2);
}
const { run } = await import(entry.href);
await run();
