import type { Catalogue, GraphDef, JsonSchema } from "@blockwork/spec";
import { buildMessages, countContextTokens } from "../agent/prompt.js";
import type { AttemptFeedback, ContextReport, CoordinatorTask } from "./types.js";
import { FULL_DETAIL, type Detail, summarizeCatalogue, summarizeGraph } from "./summary.js";

export type { ContextReport } from "./types.js";

/** The coordinator's input: what the agent block shows the model, as JSON. */
export interface CoordinatorInput {
  readonly task: unknown;
  readonly graph: unknown;
  readonly catalogue: unknown;
  readonly attempts: readonly unknown[];
}

export type Assembled = { readonly fits: true; readonly input: CoordinatorInput; readonly report: ContextReport } | { readonly fits: false; readonly report: ContextReport };

interface Parts {
  readonly def: GraphDef;
  readonly catalogue: Catalogue | undefined;
  readonly task: CoordinatorTask;
  readonly attempts: readonly AttemptFeedback[];
  readonly instructions: string;
  readonly schema: JsonSchema;
  readonly budget: number;
}

/**
 * Assembles the coordinator's context and fits it to the token budget: everything first, then,
 * while it is too big, the older attempts (the last one and its issues always stay), the
 * catalogue's contracts (purposes stay), shorter schemas, and the catalogue itself.
 */
export function assembleContext(parts: Parts): Assembled {
  const trimmed: string[] = [];
  const steps: { what: string; detail: Detail; attempts: readonly AttemptFeedback[] | "last"; catalogue: boolean }[] = [
    { what: "", detail: FULL_DETAIL, attempts: parts.attempts, catalogue: true },
    { what: `attempts before the last one (${Math.max(0, parts.attempts.length - 1)})`, detail: FULL_DETAIL, attempts: "last", catalogue: true },
    { what: "the catalogue's contracts (purposes kept)", detail: { ...FULL_DETAIL, catalogueContracts: false }, attempts: "last", catalogue: true },
    { what: "schemas shortened to 120 characters", detail: { schemaChars: 120, catalogueContracts: false }, attempts: "last", catalogue: true },
    { what: "the catalogue", detail: { schemaChars: 120, catalogueContracts: false }, attempts: "last", catalogue: false },
  ];
  const hasCatalogue = (parts.catalogue?.entries.length ?? 0) > 0;
  const useful = steps.filter((_, i) => i === 0 || (i === 1 ? parts.attempts.length > 1 : i === 3 || hasCatalogue));
  let last: { input: CoordinatorInput; report: ContextReport } | undefined;
  for (const step of useful) {
    if (step.what) trimmed.push(step.what);
    const attempts = step.attempts === "last" ? lastOnly(parts.attempts) : step.attempts;
    const input: CoordinatorInput = {
      task: parts.task,
      graph: summarizeGraph(parts.def, step.detail),
      catalogue: step.catalogue ? summarizeCatalogue(parts.catalogue, step.detail, parts.def) : `(omitted to fit the context budget: ${parts.catalogue?.entries.length ?? 0} blocks)`,
      attempts,
    };
    const report = measure(parts, input, trimmed);
    last = { input, report };
    if (report.tokens <= parts.budget) return { fits: true, ...last };
  }
  return { fits: false, report: (last as { report: ContextReport }).report };
}

function lastOnly(attempts: readonly AttemptFeedback[]): readonly AttemptFeedback[] {
  return attempts.length <= 1 ? attempts : [attempts[attempts.length - 1] as AttemptFeedback];
}

function measure(parts: Parts, input: CoordinatorInput, trimmed: readonly string[]): ContextReport {
  const messages = buildMessages({ instructions: parts.instructions, output: parts.schema, error: undefined, hasTools: false, input });
  const system = countContextTokens(messages.slice(0, 1));
  return {
    tokens: countContextTokens(messages),
    budget: parts.budget,
    sections: { system, task: tokensOf(input.task), graph: tokensOf(input.graph), catalogue: tokensOf(input.catalogue), attempts: tokensOf(input.attempts) },
    trimmed: [...trimmed],
  };
}

/** Tokens of a value as JSON text, with the agent block's tokenizer (without message framing). */
function tokensOf(value: unknown): number {
  return countContextTokens([{ role: "user", content: JSON.stringify(value) }]) - 7;
}
