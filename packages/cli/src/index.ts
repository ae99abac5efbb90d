/**
 * The programmatic entry of the `blockwork` command (the binary calls `run`).
 *
 * @module @blockwork/cli
 */
export { main } from "./main.js";
export type { Io } from "./io.js";
export { CliError, processIo } from "./io.js";

/** Runs the CLI on the process's arguments and sets the exit code. */
export async function run(): Promise<void> {
  const { main } = await import("./main.js");
  process.exitCode = await main(process.argv.slice(2));
}
