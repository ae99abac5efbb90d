import type { BlockContext, JsonSchema } from "@blockwork/spec";
import type { ChatMessage, Model, ModelResponse, ToolSpec } from "../model/model.js";
import type { AgentTool } from "../tool/tool.js";
import type { AgentOptions } from "./options.js";
import { AgentError } from "./errors.js";
import { countContextTokens } from "./prompt.js";

/** A model answer with what the loop knows about the call that produced it. */
export type Answer = ModelResponse & {
  /** The conversation including this answer (for repairs). */
  readonly messages: ChatMessage[];
  readonly contextTokens: number;
  readonly latencyMs: number;
  readonly call: number;
};

interface LoopState {
  calls: number;
  toolCalls: number;
  costUsd: number;
}

interface Loop {
  readonly agent: {
    readonly id: string;
    readonly model: Model;
    readonly tools: readonly AgentTool[];
    readonly options: AgentOptions;
    readonly schemas: { readonly outputJson: JsonSchema };
  };
  readonly ctx: BlockContext<unknown, unknown>;
  readonly messages: ChatMessage[];
  readonly specs: readonly ToolSpec[];
  readonly state: LoopState;
  readonly contextBudget: number;
  /** The tokens of `messages`, when the caller has counted them already. */
  readonly contextTokens?: number;
}

/**
 * Calls the model; while it asks for tools, runs them (validated inputs; failures go back to the
 * model unless the block fails on tool errors) and calls it again with the results. Returns the
 * first answer without tool calls.
 */
export async function runTools(loop: Loop): Promise<Answer> {
  let messages = loop.messages;
  for (;;) {
    const answer = await callModel(loop, messages, messages === loop.messages ? loop.contextTokens : undefined);
    if (answer.toolCalls.length === 0) return answer;
    reportCall(loop, answer, "tool-calls");
    const limit = loop.agent.options.budget?.toolCalls ?? 8;
    if (loop.state.toolCalls + answer.toolCalls.length > limit) {
      throw new AgentError("tool_error", `${loop.agent.id}: the model asked for more than ${limit} tool calls (budget.toolCalls)`, { toolCalls: loop.state.toolCalls + answer.toolCalls.length });
    }
    const results: ChatMessage[] = [];
    for (const call of answer.toolCalls) {
      loop.state.toolCalls++;
      results.push({ role: "tool", toolCallId: call.id, toolName: call.name, content: await runTool(loop, call) });
    }
    messages = [...answer.messages, ...results];
    const needed = countContextTokens(messages, loop.specs);
    if (needed > loop.contextBudget) {
      throw new AgentError("context_overflow", `${loop.agent.id}: with the tool results the context needs ${needed} tokens, over the budget of ${loop.contextBudget} by ${needed - loop.contextBudget}`, {
        needed,
        budget: loop.contextBudget,
      });
    }
  }
}

async function callModel(loop: Loop, messages: ChatMessage[], counted: number | undefined): Promise<Answer> {
  const { agent, ctx } = loop;
  const contextTokens = counted ?? countContextTokens(messages, loop.specs);
  const started = performance.now();
  const scope = callSignal(ctx.signal);
  // A failed call costs time and maybe tokens too: report it with its failure class. A block that
  // is stopped (its time budget, a cancelled run) is reported when it is stopped, because the
  // runtime may end the run before the aborted call settles.
  let failed = false;
  const reportFailure = (error: unknown) => {
    if (failed) return;
    failed = true;
    reportFailedCall(loop, { call: ++loop.state.calls, contextTokens, latencyMs: Math.round(performance.now() - started), error });
  };
  const onAbort = () => reportFailure(ctx.signal.reason);
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  let response: Awaited<ReturnType<typeof agent.model.generate>>;
  try {
    response = await agent.model.generate({
      messages,
      responseFormat: { schema: agent.schemas.outputJson, name: agent.id },
      ...(loop.specs.length ? { tools: loop.specs } : {}),
      maxOutputTokens: agent.options.budget?.outputTokens ?? 1_024,
      ...(agent.options.temperature !== undefined ? { temperature: agent.options.temperature } : {}),
      signal: scope.signal,
    });
  } catch (error) {
    reportFailure(error);
    throw error;
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    scope.done();
  }
  const latencyMs = Math.round(performance.now() - started);
  const call = ++loop.state.calls;
  const pricing = agent.options.pricing;
  if (pricing) {
    const input = response.usage?.inputTokens ?? contextTokens;
    const output = response.usage?.outputTokens ?? 0;
    loop.state.costUsd += (input * pricing.inputPerMillion + output * pricing.outputPerMillion) / 1e6;
    const limit = agent.options.budget?.costUsd;
    if (limit !== undefined && loop.state.costUsd > limit) {
      throw new AgentError("budget_exceeded", `${agent.id}: the model calls cost $${loop.state.costUsd.toFixed(4)}, over the budget of $${limit}`, { costUsd: loop.state.costUsd, budget: limit });
    }
  }
  const assistant: ChatMessage = { role: "assistant", content: response.text, ...(response.toolCalls.length ? { toolCalls: response.toolCalls } : {}) };
  return { ...response, messages: [...messages, assistant], contextTokens, latencyMs, call };
}

/** Reports a model call with its tokens, latency and cost (a `block.usage` event). */
export function reportCall(loop: Pick<Loop, "agent" | "ctx">, answer: Answer, outcome: string): void {
  const pricing = loop.agent.options.pricing;
  const input = answer.usage?.inputTokens ?? answer.contextTokens;
  const output = answer.usage?.outputTokens ?? 0;
  loop.ctx.report({
    type: "usage",
    model: loop.agent.model.id,
    call: answer.call,
    contextTokens: answer.contextTokens,
    ...(answer.usage?.inputTokens !== undefined ? { inputTokens: answer.usage.inputTokens } : {}),
    ...(answer.usage?.outputTokens !== undefined ? { outputTokens: answer.usage.outputTokens } : {}),
    latencyMs: answer.latencyMs,
    finishReason: answer.finishReason,
    ...(pricing ? { costUsd: (input * pricing.inputPerMillion + output * pricing.outputPerMillion) / 1e6 } : {}),
    outcome,
  });
}

/**
 * Reports a model call that got no answer (a 429, a 5xx, a timeout, a network error...): its
 * outcome is the failure kind (`rate_limit`, `server`, `timeout`, `network`, `auth`,
 * `bad_request`, `provider`, or `cancelled` when the block was stopped for another reason), with
 * the HTTP status when there was one.
 */
function reportFailedCall(loop: Pick<Loop, "agent" | "ctx">, failed: { call: number; contextTokens: number; latencyMs: number; error: unknown }): void {
  const { error } = failed;
  const modelError = isModelError(error) ? error : undefined;
  const outcome = modelError?.kind ?? (loop.ctx.signal.aborted ? (/timed out/i.test(String(loop.ctx.signal.reason)) ? "timeout" : "cancelled") : "provider");
  loop.ctx.report({
    type: "usage",
    model: loop.agent.model.id,
    call: failed.call,
    contextTokens: failed.contextTokens,
    latencyMs: failed.latencyMs,
    outcome,
    answered: false,
    ...(modelError?.status !== undefined ? { status: modelError.status } : {}),
  });
}

function isModelError(error: unknown): error is { kind: string; status: number | undefined } {
  return error instanceof Error && error.name === "ModelError" && typeof (error as { kind?: unknown }).kind === "string";
}

async function runTool(loop: Loop, call: { id: string; name: string; input: string }): Promise<string> {
  const tool = loop.agent.tools.find((t) => t.name === call.name);
  const started = performance.now();
  const done = (ok: boolean, content: string, error?: string) => {
    loop.ctx.report({ type: "tool", tool: call.name, callId: call.id, durationMs: Math.round(performance.now() - started), ok, ...(error ? { error } : {}) });
    return content;
  };
  if (!tool) return done(false, `Error: there is no tool named "${call.name}" (tools: ${loop.agent.tools.map((t) => t.name).join(", ")}).`, "unknown tool");
  let input: unknown;
  try {
    input = call.input.trim() === "" ? {} : JSON.parse(call.input);
  } catch (error) {
    return done(false, `Error: the tool input is not valid JSON (${(error as Error).message}).`, "invalid JSON input");
  }
  try {
    const scope = callSignal(loop.ctx.signal);
    const result = await tool.call(input, scope.signal).finally(scope.done);
    return done(true, typeof result === "string" ? result : (JSON.stringify(result) ?? "null"));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (loop.agent.options.onToolError === "fail") {
      done(false, "", message);
      throw new AgentError("tool_error", `${loop.agent.id}: tool ${call.name} failed: ${message}`, { tool: call.name });
    }
    return done(false, `Error from ${call.name}: ${message}`, message);
  }
}

/**
 * A signal for one model or tool call that aborts with `parent`. fetch (undici) keeps its abort
 * listener on the signal it is given until the request is garbage-collected: given the block's
 * signal, which all items of a map share, 10,000 calls left 10,000 listeners on it.
 */
function callSignal(parent: AbortSignal): { readonly signal: AbortSignal; readonly done: () => void } {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, done: () => {} };
  }
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener("abort", onAbort, { once: true });
  return { signal: controller.signal, done: () => parent.removeEventListener("abort", onAbort) };
}
