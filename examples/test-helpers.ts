import { failure, isBlockFailure, suspension, type BlockContext, type CodeBlock } from "@blockwork/spec";
import type { z } from "zod";

/**
 * Runs one code block directly: parses the input with its contract, calls the implementation, and
 * parses the result with the output schema, so a block that breaks its contract fails the test.
 * (Whole graphs run on the runtime; this exercises a single block's contract and logic.)
 */
// biome-ignore lint: any block
export async function runBlock<B extends CodeBlock<any>>(block: B, input: unknown): Promise<z.output<B["contract"]["output"]>> {
  const parsed = block.contract.input.parse(input);
  const ctx: BlockContext<unknown, unknown> = {
    signal: new AbortController().signal,
    runId: "test",
    path: [block.id],
    attempt: 1,
    idempotencyKey: `test:${block.id}`,
    fail: failure,
    report: () => {},
    suspend: suspension,
  };
  const result = await block.run(parsed as never, ctx as never);
  if (isBlockFailure(result)) throw new Error(`block ${block.id} failed with ${JSON.stringify(result.error)}`);
  return block.contract.output.parse(result) as z.output<B["contract"]["output"]>;
}
