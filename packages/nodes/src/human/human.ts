import type { BlockContract, BlockTypes, CodeBlock, JsonValue } from "@blockwork/spec";
import type { z } from "zod";

type In<T extends BlockTypes> = z.output<T["input"]>;
type Answer<T extends BlockTypes> = T["resume"] extends z.ZodType ? z.output<T["resume"]> : never;

/** Builds a {@link humanBlock}: what the person is shown, then how their answer becomes the output. */
export interface HumanBuilder<T extends BlockTypes> {
  /** What the person is shown: any JSON (a question, a draft to approve, the choices). Default: `{ question: <description>, input }`. */
  ask(show: (input: In<T>) => JsonValue): HumanBuilder<T>;
  /** Turns the answer (valid for the contract's `resume` schema) into the block's output. */
  answer(decide: (answer: Answer<T>, input: In<T>) => z.input<T["output"]>): CodeBlock<T>;
}

/**
 * A block that a person (or any outside event) completes: it suspends with what `ask` shows, the
 * run waits (durably: the process may stop meanwhile), and once it is resumed with data that
 * satisfies the contract's `resume` schema (`handle.resume`, `resume(runId, { block, data })` or
 * `blockwork resume`), `answer` turns that data into the block's output.
 *
 * Built in steps so that each callback is typed by the contract (literal types included).
 *
 * @example
 * const approve = humanBlock(defineContract({ id: "approve", input: Refund, output: Decision, resume: Answer }))
 *   .ask((refund) => ({ question: `Refund ${refund.amount} EUR to ${refund.customer}?` }))
 *   .answer((answer) => ({ approved: answer.approved, by: "human", reason: answer.reason }));
 */
export function humanBlock<T extends BlockTypes>(contract: BlockContract<T>): HumanBuilder<T> {
  if (contract.contract.resume === undefined) {
    throw new TypeError(`humanBlock("${contract.id}"): its contract declares no resume schema; add \`resume\` (what the person answers with) to defineContract.`);
  }
  const build = (show: ((input: In<T>) => JsonValue) | undefined): HumanBuilder<T> => ({
    ask: (next) => build(next),
    answer: (decide) =>
      contract.implement(((input: In<T>, ctx: { resumed?: Answer<T>; suspend(payload: JsonValue): unknown }) => {
        if (ctx.resumed === undefined) {
          return ctx.suspend(show ? show(input) : { ...(contract.description ? { question: contract.description } : {}), input: input as JsonValue });
        }
        return decide(ctx.resumed, input);
      }) as never),
  });
  return build(undefined);
}
