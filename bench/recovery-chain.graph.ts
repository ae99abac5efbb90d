// The graph of the recovery benchmark: a chain of ten blocks that compute (n + 1). With
// BLOCKWORK_BENCH_HANG_AT=<i>, block i never returns: the runs stop there, as if the process died.
import { createGraph, defineContract } from "@blockwork/spec";
import { z } from "zod";

const N = z.object({ n: z.number() });
const hangAt = Number(process.env["BLOCKWORK_BENCH_HANG_AT"] ?? -1);

// biome-ignore lint: a chain built in a loop.
let g: any = createGraph({ id: "recovery-chain", input: N, output: N });
for (let i = 0; i < 10; i++) {
  g = g.then(
    defineContract({ id: `step${i}`, input: N, output: N }).implement(({ n }) => (i === hangAt ? new Promise<never>(() => {}) : { n: n + 1 })),
  );
}

/** Ten blocks, n + 1 each. */
export const recoveryChain = g.output((_: unknown, r: Record<string, unknown>) => r["step9"]).build();
