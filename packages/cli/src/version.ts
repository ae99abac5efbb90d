import { readFileSync } from "node:fs";

/** The version of @blockwork/cli (from its package.json, next to both src/ and dist/). */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}
