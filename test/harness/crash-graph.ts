import { appendFileSync } from "node:fs";
import { createGraph, defineContract } from "@blockwork/spec";
import { z } from "zod";

const N = z.object({ n: z.number() });

/**
 * The crash harness's graph: ten blocks in a chain (n + 1 each, so a run's output is n = 10).
 * Each block appends `<run> <path> <pid> <start ms>` to $BLOCKWORK_HARNESS_LOG when it starts
 * (the side effect the harness counts), then waits 0 to $BLOCKWORK_HARNESS_BLOCK_MS (default 20) ms.
 */
// biome-ignore lint: a chain built in a loop.
let g: any = createGraph({ id: "harness-chain", input: N, output: N });
for (let i = 0; i < 10; i++) {
  g = g.then(
    defineContract({ id: `step${i}`, input: N, output: N }).implement(async ({ n }, ctx) => {
      const log = process.env["BLOCKWORK_HARNESS_LOG"];
      if (log) appendFileSync(log, `${ctx.runId} step${i} ${process.pid} ${Date.now()}\n`);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * (Number(process.env["BLOCKWORK_HARNESS_BLOCK_MS"] ?? 20) + 1))));
      return { n: n + 1 };
    }),
  );
}

/** Ten blocks, n + 1 each. */
export const harnessGraph = g.output((_: unknown, r: Record<string, unknown>) => r["step9"]).build();
