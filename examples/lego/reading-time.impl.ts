import type { Input, Output } from "./reading-time.contract.js";

/** Words are runs of non-whitespace characters; 200 words a minute, rounded up, at least 1. */
export default function run(input: Input): Output {
  const words = input.body.split(/\s+/).filter((w) => w.length > 0).length;
  return { words, minutes: Math.max(1, Math.ceil(words / 200)) };
}
