import { deepStrict } from "@blockwork/core";
import type { BlockContext, BlockContract, BlockTypes, CodeBlock, JsonSchema } from "@blockwork/spec";
import { attachMemoryUse, toJsonSchema } from "@blockwork/spec";
import type { z } from "zod";
import { lazyModel } from "../model/env.js";
import type { ChatMessage, Model } from "../model/model.js";
import { type AgentTool, toolSpecs } from "../tool/tool.js";
import { AgentMemory, MEMORY_TOOLS, memoryUseDef } from "../memory/agent-memory.js";
import { AgentError } from "./errors.js";
import { parseJsonLeniently } from "./parse.js";
import { countContextTokens, ERROR_KEY, systemPrompt, truncateToFit } from "./prompt.js";
import { type Answer, reportCall, runTools } from "./tool-loop.js";
import type { AgentOptions } from "./options.js";

export type { AgentBudget, AgentOptions } from "./options.js";

/** What is known about an agent block (for `simulate`, catalogues and tests). */
export interface AgentInfo {
  readonly instructions: string;
  readonly model: Model;
  readonly tools: readonly string[];
}

/**
 * Marks an agent block's implementation. A global symbol, not a module-level map: a graph module
 * loaded by the CLI (through tsx) gets its own copy of this package, and must still be recognised.
 */
const AGENT = Symbol.for("blockwork.agent");

/** The agent behind a block, or undefined for a block that is not an agent block. */
export function agentInfo(block: unknown): AgentInfo | undefined {
  const run = (block as { kind?: string; run?: unknown } | null)?.run;
  return (block as { kind?: string } | null)?.kind === "code" && typeof run === "function" ? ((run as unknown as Record<symbol, AgentInfo>)[AGENT] ?? undefined) : undefined;
}

/**
 * A block run by a model: its context is its own instructions, its contract and its input (plus
 * tool results), never the rest of the graph. The answer is read leniently as JSON and checked
 * against the contract; when it is wrong, the precise issues go back to the model, within the
 * attempt budget. Output that breaks the contract never leaves the block: the block fails with an
 * `AgentError` whose `kind` says why (syntax, schema, refusal, truncated, context_overflow, ...).
 * Every model call is reported with its tokens and latency (`block.usage` events).
 *
 * @example
 * const classify = agentBlock(
 *   defineContract({ id: "classify", input: Ticket, output: z.object({ kind: z.enum(["billing", "tech"]) }) }),
 *   { instructions: "Classify the support ticket by its topic." },
 * );
 */
export function agentBlock<T extends BlockTypes>(contract: BlockContract<T>, options: AgentOptions): CodeBlock<T> {
  const model = options.model ?? lazyModel();
  const tools = options.tools ?? [];
  const schemas = {
    output: deepStrict(contract.contract.output as z.ZodType),
    error: contract.contract.error === undefined ? undefined : deepStrict(contract.contract.error as z.ZodType),
    // What the model writes is what the output schema accepts: its input mode.
    outputJson: toJsonSchema(contract.contract.output as z.ZodType, "input"),
    errorJson: contract.contract.error === undefined ? undefined : toJsonSchema(contract.contract.error as z.ZodType, "input"),
    system: new Map<boolean, string>(),
  };
  const run = (input: unknown, ctx: BlockContext<unknown, unknown>) => runAgent({ id: contract.id, model, tools, options, schemas }, input, ctx);
  Object.defineProperty(run, AGENT, { value: { instructions: options.instructions, model, tools: [...tools.map((t) => t.name), ...(options.memory ? MEMORY_TOOLS : [])] } satisfies AgentInfo });
  if (options.memory) attachMemoryUse(run, memoryUseDef(options.memory, options.budget?.contextTokens ?? 8_000));
  return contract.implement(run as never);
}

interface Agent {
  readonly id: string;
  readonly model: Model;
  readonly tools: readonly AgentTool[];
  readonly options: AgentOptions;
  readonly schemas: {
    output: z.ZodType;
    error: z.ZodType | undefined;
    outputJson: JsonSchema;
    errorJson: JsonSchema | undefined;
    /** The system prompt (instructions and contract), built once per block, without and with tools. */
    system: Map<boolean, string>;
  };
}

/** The block's system prompt: the same text at every call, so it is built once (and its tokens counted once). */
function systemOf(agent: Agent, hasTools: boolean): string {
  let text = agent.schemas.system.get(hasTools);
  if (text === undefined) {
    text = systemPrompt({ instructions: agent.options.instructions, output: agent.schemas.outputJson, error: agent.schemas.errorJson, hasTools });
    agent.schemas.system.set(hasTools, text);
  }
  return text;
}

async function runAgent(plain: Agent, input: unknown, ctx: BlockContext<unknown, unknown>): Promise<unknown> {
  const budget = plain.options.budget ?? {};
  const contextBudget = budget.contextTokens ?? 8_000;
  const attempts = budget.attempts ?? 3;
  const memory = plain.options.memory ? await AgentMemory.open(plain.options.memory, ctx, input) : undefined;
  try {
    return await answerWithin(plain, input, ctx, memory, contextBudget, attempts);
  } finally {
    memory?.close();
  }
}

/** The agent's conversation with its model, its memory (if any) open. */
async function answerWithin(plain: Agent, input: unknown, ctx: BlockContext<unknown, unknown>, memory: AgentMemory | undefined, contextBudget: number, attempts: number): Promise<unknown> {
  const agent: Agent = memory ? { ...plain, tools: [...plain.tools, ...memory.tools()] } : plain;
  const specs = toolSpecs(agent.tools);
  const core = memory?.coreSection() ?? "";
  // What buildMessages makes, with the system prompt built once per block.
  const system = systemOf(agent, specs.length > 0) + core;
  const messagesFor = (value: unknown): ChatMessage[] => [
    { role: "system", content: system },
    { role: "user", content: `Input:\n${JSON.stringify(value)}` },
  ];
  let messages = messagesFor(input);
  let firstTokens: number | undefined = countContextTokens(messages, specs);
  if (firstTokens > contextBudget) {
    messages = overflow(agent, input, messagesFor, contextBudget);
    firstTokens = undefined;
  }
  if (memory) {
    await memory.tick(countContextTokens(messages, specs));
    // Each model call reports the share of each part of its context (a `memory.context` step).
    const model = agent.model;
    let call = 0;
    const reporting: Model = {
      id: model.id,
      generate: (request) => {
        const shares = memory.shares(request.messages, { instructions: agent.options.instructions.trim(), contractText: "", core }, countContextTokens(request.messages, specs));
        ctx.report({ type: "step", step: `memory.context.${++call}`, detail: { ...shares }, replayed: false });
        return model.generate(request);
      },
    };
    (agent as { model: Model }).model = reporting;
  }

  const state = { calls: 0, toolCalls: 0, costUsd: 0 };
  for (let answer = 1; ; answer++) {
    const response = await runTools({ agent, ctx, messages, specs, state, contextBudget, ...(firstTokens !== undefined ? { contextTokens: firstTokens } : {}) });
    firstTokens = undefined;
    const verdict = judge(agent, response);
    reportCall({ agent, ctx }, response, verdict.kind);
    if (verdict.kind === "ok") {
      await memory?.record(input, verdict.value);
      return verdict.value;
    }
    if (verdict.kind === "error") return ctx.fail(verdict.value);
    if (verdict.kind === "refusal" || answer >= attempts) {
      throw new AgentError(verdict.kind, `${agent.id}: ${verdict.message}${verdict.kind === "refusal" ? "" : ` (after ${answer} answer${answer === 1 ? "" : "s"})`}`, {
        answers: answer,
      });
    }
    // Repair: the model sees its own answer and exactly what is wrong with it.
    messages = [...response.messages, { role: "user", content: verdict.feedback }];
    const needed = countContextTokens(messages, specs);
    if (needed > contextBudget) {
      throw new AgentError("context_overflow", `${agent.id}: the repair conversation needs ${needed} tokens, over the budget of ${contextBudget} by ${needed - contextBudget}; the last answer was rejected: ${verdict.message}`, {
        needed,
        budget: contextBudget,
      });
    }
  }
}

function overflow(agent: Agent, input: unknown, messagesFor: (input: unknown) => ChatMessage[], budget: number): ChatMessage[] {
  const specs = toolSpecs(agent.tools);
  const needed = countContextTokens(messagesFor(input), specs);
  if (agent.options.onOverflow === "truncate") {
    const fitted = truncateToFit(input, (value) => countContextTokens(messagesFor(value), specs) <= budget);
    if (fitted !== undefined) return messagesFor(fitted);
  }
  throw new AgentError(
    "context_overflow",
    `${agent.id}: the input needs ${needed} context tokens, over the budget of ${budget} by ${needed - budget}${agent.options.onOverflow === "truncate" ? " (and cutting its strings does not make it fit)" : ""}. Raise budget.contextTokens, shrink the input, or use onOverflow: "truncate".`,
    { needed, budget, over: needed - budget },
  );
}

type Verdict =
  | { kind: "ok"; value: unknown }
  | { kind: "error"; value: unknown }
  | { kind: "syntax" | "schema" | "truncated" | "refusal"; message: string; feedback: string };

/** Reads one answer against the contract. */
function judge(agent: Agent, response: Answer): Verdict {
  if (response.refusal !== undefined || response.finishReason === "content-filter") {
    return { kind: "refusal", message: `the model refused: ${response.refusal ?? "the provider filtered the answer"}`, feedback: "" };
  }
  if (response.finishReason === "length") {
    return {
      kind: "truncated",
      message: `the answer was cut off at the output limit (${agent.options.budget?.outputTokens ?? 1_024} tokens)`,
      feedback: "Your answer was cut off at the output limit. Answer again with a shorter JSON object (same schema).",
    };
  }
  const parsed = parseJsonLeniently(response.text);
  if (!parsed.ok) {
    return { kind: "syntax", message: parsed.reason, feedback: `${cap(parsed.reason)}. Answer with only the JSON object, no prose and no code fences.` };
  }
  const value = parsed.value as Record<string, unknown> | null;
  if (agent.schemas.error && value !== null && typeof value === "object" && ERROR_KEY in value) {
    const error = agent.schemas.error.safeParse(value[ERROR_KEY]);
    if (error.success) return { kind: "error", value: error.data };
    const issues = listIssues(error.error.issues);
    return { kind: "schema", message: `the typed error breaks the error schema: ${issues}`, feedback: `Your ${ERROR_KEY} does not match its schema: ${issues}. Fix exactly these and answer again.` };
  }
  const output = agent.schemas.output.safeParse(value);
  if (output.success) return { kind: "ok", value: output.data };
  const issues = listIssues(output.error.issues);
  return { kind: "schema", message: `the answer breaks the output contract: ${issues}`, feedback: `Your answer does not match the schema: ${issues}. Fix exactly these and answer again with the whole JSON object.` };
}

function listIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 8)
    .map((i) => `${i.path.length ? i.path.map(String).join(".") : "(the object)"}: ${i.message}`)
    .join("; ");
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
