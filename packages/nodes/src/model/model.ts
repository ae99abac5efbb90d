import type { JsonSchema } from "@blockwork/spec";

/** One message of a model conversation. */
export type ChatMessage =
  | { readonly role: "system"; readonly content: string }
  | { readonly role: "user"; readonly content: string }
  | { readonly role: "assistant"; readonly content: string; readonly toolCalls?: readonly ToolCall[] }
  | { readonly role: "tool"; readonly toolCallId: string; readonly toolName: string; readonly content: string };

/** A tool the model may call: a name, what it is for, and the JSON Schema of its input. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: JsonSchema;
}

/** A call the model asks for. `input` is the raw JSON text the model wrote. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly input: string;
}

/** What an agent asks a model. */
export interface ModelRequest {
  readonly messages: readonly ChatMessage[];
  /** Ask for a JSON answer matching this schema, where the provider can enforce it. */
  readonly responseFormat?: { readonly schema: JsonSchema; readonly name: string };
  readonly tools?: readonly ToolSpec[];
  readonly maxOutputTokens?: number;
  readonly temperature?: number;
  readonly signal?: AbortSignal;
}

/** Why a model stopped answering, as the providers report it (normalised to these six). */
export type FinishReason = "stop" | "length" | "tool-calls" | "content-filter" | "error" | "other";

/** What a model answered. */
export interface ModelResponse {
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: FinishReason;
  /** Set when the provider marked the answer as a refusal. */
  readonly refusal?: string;
  readonly usage?: { readonly inputTokens?: number; readonly outputTokens?: number };
}

/**
 * The model port: any provider plugs in by implementing `generate`. Adapters: `fromAiSdk` (every
 * Vercel AI SDK provider), `openAICompatible` (any OpenAI-compatible HTTP endpoint: OpenAI,
 * Ollama, vLLM, llama.cpp), `fromLangChain` (`@blockwork/nodes/langchain`), and the scripted
 * test model (`@blockwork/nodes/testing`).
 */
export interface Model {
  /** `provider:model`, e.g. `openai:gpt-4o-mini`. */
  readonly id: string;
  generate(request: ModelRequest): Promise<ModelResponse>;
}

/** Why a model call failed, for retry and supervision policies. */
export type ModelErrorKind = "rate_limit" | "server" | "timeout" | "network" | "auth" | "bad_request" | "provider";

/**
 * A failed model call. `kind` is what policies act on; `retryAfterMs` carries a 429's Retry-After
 * (the runtime waits at least that long before the next attempt).
 */
export class ModelError extends Error {
  override readonly name = "ModelError";
  readonly kind: ModelErrorKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(kind: ModelErrorKind, message: string, options: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A model was needed but none is configured. */
export class ModelConfigError extends Error {
  override readonly name = "ModelConfigError";
  readonly kind = "config";
}

/** The kind of an HTTP failure status. */
export function kindOfStatus(status: number | undefined): ModelErrorKind {
  if (status === undefined) return "network";
  if (status === 429) return "rate_limit";
  if (status === 401 || status === 403) return "auth";
  if (status === 408 || status === 504) return "timeout";
  if (status >= 500) return "server";
  if (status >= 400) return "bad_request";
  return "provider";
}

/** Milliseconds from a Retry-After header (seconds, or an HTTP date). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
