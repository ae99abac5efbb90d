import { fileURLToPath } from "node:url";
import type { Io } from "../src/io.js";
import { main } from "../src/main.js";

/** The repository root: CLI tests run against the real examples. */
export const root = fileURLToPath(new URL("../../..", import.meta.url));

/** Runs the CLI in process and captures what it prints. */
export async function cli(args: string[], options: { cwd?: string; isTTY?: boolean; env?: Record<string, string> } = {}) {
  let out = "";
  let err = "";
  const io: Io = {
    cwd: options.cwd ?? root,
    env: { NO_COLOR: "1", ...options.env },
    isTTY: options.isTTY ?? false,
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
  };
  const code = await main(args, io);
  return { code, out, err };
}
