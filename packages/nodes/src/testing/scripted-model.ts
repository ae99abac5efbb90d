import type { FinishReason, Model, ModelErrorKind, ModelRequest, ModelResponse } from "../model/model.js";
import { ModelError } from "../model/model.js";

/**
 * One scripted answer: text, a JSON value, a full response (tool calls, finish reason, refusal,
 * usage, a delay), a provider error, or a function of the request that returns one of these.
 */
export type ScriptedReply =
  | string
  | { readonly json: unknown; readonly delayMs?: number }
  | {
      readonly text?: string;
      readonly toolCalls?: readonly { readonly name: string; readonly input: unknown }[];
      readonly finishReason?: FinishReason;
      readonly refusal?: string;
      readonly usage?: { readonly inputTokens?: number; readonly outputTokens?: number };
      readonly delayMs?: number;
    }
  | { readonly error: ModelErrorKind; readonly message?: string; readonly retryAfterMs?: number; readonly status?: number }
  | ((request: ModelRequest, call: number) => ScriptedReply);

/** A rule: when the request's text (system and user messages) matches, answer with `reply`. */
export interface ScriptRule {
  readonly when: RegExp | ((request: ModelRequest) => boolean);
  /** One reply, or a list consumed one per match (the last one repeats). */
  readonly reply: ScriptedReply | readonly ScriptedReply[];
}

/** A model that answers from a script (see {@link scriptedModel}), and records what it was asked. */
export interface ScriptedModel extends Model {
  /** Every request it received, in order (the newest `keepCalls` of them, with that option). */
  readonly calls: readonly ModelRequest[];
}

/** Options of {@link scriptedModel}. */
export interface ScriptedModelOptions {
  /**
   * How many of the newest requests `calls` keeps (default: all). A request holds its whole
   * context, so a script of many thousands of calls (a long conversation) keeps few or none.
   */
  readonly keepCalls?: number;
}

/**
 * A model that answers from a script, for tests and demos of the mechanics (never presented as a
 * real model's output). By turn: `scriptedModel(["...", { json: {...} }])` answers the n-th call
 * with the n-th reply. By match: `scriptedModel({ rules: [{ when: /classify/, reply: {...} }] })`.
 *
 * @example
 * const model = scriptedModel(["not json", { json: { kind: "billing" } }]);
 * // the first answer fails, the agent repairs, the second passes
 */
export function scriptedModel(script: readonly ScriptedReply[] | { readonly rules: readonly ScriptRule[]; readonly otherwise?: ScriptedReply }, id = "scripted:test", options: ScriptedModelOptions = {}): ScriptedModel {
  const calls: ModelRequest[] = [];
  const keep = options.keepCalls ?? Number.POSITIVE_INFINITY;
  let count = 0;
  const used = new Map<ScriptRule, number>();
  const pick = (request: ModelRequest, n: number): ScriptedReply => {
    if (Array.isArray(script)) {
      const reply = script[n - 1];
      if (reply === undefined) throw new Error(`scriptedModel: call ${n} has no scripted reply (the script has ${script.length}). Prompt was:\n${textOf(request).slice(0, 500)}`);
      return reply;
    }
    const { rules, otherwise } = script as { rules: readonly ScriptRule[]; otherwise?: ScriptedReply };
    for (const rule of rules) {
      const matches = typeof rule.when === "function" ? rule.when(request) : rule.when.test(textOf(request));
      if (!matches) continue;
      const replies = Array.isArray(rule.reply) ? (rule.reply as readonly ScriptedReply[]) : [rule.reply as ScriptedReply];
      const i = used.get(rule) ?? 0;
      used.set(rule, i + 1);
      return replies[Math.min(i, replies.length - 1)] as ScriptedReply;
    }
    if (otherwise !== undefined) return otherwise;
    throw new Error(`scriptedModel: no rule matches call ${n}. Prompt was:\n${textOf(request).slice(0, 500)}`);
  };
  return {
    id,
    calls,
    async generate(request) {
      const n = ++count;
      if (keep > 0) calls.push(request);
      if (calls.length > keep) calls.shift();
      return answer(pick(request, n), request, n);
    },
  };
}

async function answer(reply: ScriptedReply, request: ModelRequest, n: number): Promise<ModelResponse> {
  if (typeof reply === "function") return answer(reply(request, n), request, n);
  if (typeof reply === "string") return { text: reply, toolCalls: [], finishReason: "stop" };
  if ("error" in reply) {
    throw new ModelError(reply.error, reply.message ?? `scripted ${reply.error} error`, {
      ...(reply.status !== undefined ? { status: reply.status } : {}),
      ...(reply.retryAfterMs !== undefined ? { retryAfterMs: reply.retryAfterMs } : {}),
    });
  }
  if (reply.delayMs) await sleep(reply.delayMs, request.signal);
  if ("json" in reply) return { text: JSON.stringify(reply.json), toolCalls: [], finishReason: "stop" };
  const toolCalls = (reply.toolCalls ?? []).map((call, i) => ({ id: `call_${n}_${i}`, name: call.name, input: JSON.stringify(call.input) }));
  return {
    text: reply.text ?? "",
    toolCalls,
    finishReason: reply.finishReason ?? (toolCalls.length ? "tool-calls" : "stop"),
    ...(reply.refusal !== undefined ? { refusal: reply.refusal } : {}),
    ...(reply.usage ? { usage: reply.usage } : {}),
  };
}

/** The system and user text of a request (what rules match on). */
export function textOf(request: ModelRequest): string {
  return request.messages
    .filter((m) => m.role === "system" || m.role === "user")
    .map((m) => m.content)
    .join("\n");
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new ModelError("timeout", "the call was aborted"));
    }, { once: true });
  });
}
