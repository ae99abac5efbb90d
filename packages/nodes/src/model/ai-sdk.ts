import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3Message } from "@ai-sdk/provider";
import { APICallError } from "@ai-sdk/provider";
import { type ChatMessage, type FinishReason, kindOfStatus, type Model, ModelError, type ModelRequest, type ModelResponse, parseRetryAfter } from "./model.js";

/**
 * A Vercel AI SDK language model (`LanguageModelV3`: what every AI SDK provider returns) as a
 * Blockwork model. It talks to the provider interface directly (`doGenerate`), so the agent sees
 * the raw answer, finish reason and usage, and does the parsing, repair and retries itself.
 *
 * @example
 * import { createOpenAI } from "@ai-sdk/openai";
 * const model = fromAiSdk(createOpenAI({ apiKey }).chat("gpt-4o-mini"));
 */
export function fromAiSdk(model: LanguageModelV3, options: { refusalFrom?: (metadata: unknown) => string | undefined } = {}): Model {
  // AI SDK 7 providers make specification v4 models; they declare Node 22, and Blockwork runs on
  // Node 20 (docs/getting-started.md#node-versions), so it speaks v3, the AI SDK 6 interface.
  const version = (model as { specificationVersion?: unknown }).specificationVersion;
  if (version !== "v3") {
    throw new ModelError(
      "provider",
      `fromAiSdk takes a model of an AI SDK 6 provider (specification "v3"); ${String(model.provider)}:${String(model.modelId)} is specification ${JSON.stringify(version)}. Install the provider's AI SDK 6 release (for example @ai-sdk/openai@3, @ai-sdk/anthropic@3), or use openAICompatible({ baseURL, model }).`,
    );
  }
  return {
    id: `${model.provider.split(".")[0]}:${model.modelId}`,
    async generate(request: ModelRequest): Promise<ModelResponse> {
      let result: Awaited<ReturnType<LanguageModelV3["doGenerate"]>>;
      try {
        result = await model.doGenerate(callOptions(request));
      } catch (error) {
        throw toModelError(error, request.signal);
      }
      const text = result.content.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");
      const toolCalls = result.content.flatMap((part) =>
        part.type === "tool-call" ? [{ id: part.toolCallId, name: part.toolName, input: part.input }] : [],
      );
      const refusal = options.refusalFrom?.(result.providerMetadata);
      const inputTokens = result.usage.inputTokens.total;
      const outputTokens = result.usage.outputTokens.total;
      return {
        text,
        toolCalls,
        finishReason: finishReason(result.finishReason.unified),
        ...(refusal ? { refusal } : {}),
        usage: { ...(inputTokens !== undefined ? { inputTokens } : {}), ...(outputTokens !== undefined ? { outputTokens } : {}) },
      };
    },
  };
}

function callOptions(request: ModelRequest): LanguageModelV3CallOptions {
  return {
    prompt: request.messages.map(toPrompt),
    ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.responseFormat
      ? { responseFormat: { type: "json", schema: request.responseFormat.schema as never, name: request.responseFormat.name } }
      : {}),
    ...(request.tools?.length
      ? { tools: request.tools.map((t) => ({ type: "function" as const, name: t.name, description: t.description, inputSchema: t.inputSchema as never })) }
      : {}),
    ...(request.signal ? { abortSignal: request.signal } : {}),
  };
}

function toPrompt(message: ChatMessage): LanguageModelV3Message {
  switch (message.role) {
    case "system":
      return { role: "system", content: message.content };
    case "user":
      return { role: "user", content: [{ type: "text", text: message.content }] };
    case "assistant":
      return {
        role: "assistant",
        content: [
          ...(message.content ? [{ type: "text" as const, text: message.content }] : []),
          ...(message.toolCalls ?? []).map((call) => ({ type: "tool-call" as const, toolCallId: call.id, toolName: call.name, input: safeJson(call.input) })),
        ],
      };
    case "tool":
      return { role: "tool", content: [{ type: "tool-result", toolCallId: message.toolCallId, toolName: message.toolName, output: { type: "text", value: message.content } }] };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function finishReason(unified: string): FinishReason {
  switch (unified) {
    case "stop":
    case "length":
    case "tool-calls":
    case "content-filter":
    case "error":
      return unified;
    default:
      return "other";
  }
}

/** Classifies what a provider threw: rate limits (with Retry-After), server errors, timeouts, ... */
function toModelError(error: unknown, signal?: AbortSignal): ModelError {
  if (error instanceof ModelError) return error;
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const retryAfterMs = parseRetryAfter(error.responseHeaders?.["retry-after"]);
    const kind = kindOfStatus(status);
    return new ModelError(kind, `${status ?? "no"} response from ${error.url}: ${error.message}`, {
      ...(status !== undefined ? { status } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  if (signal?.aborted || (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError"))) {
    return new ModelError("timeout", `the model call was aborted: ${message}`, { cause: error });
  }
  if (error instanceof TypeError && /fetch failed|ECONNREFUSED|ENOTFOUND|socket/i.test(`${message} ${String((error as { cause?: unknown }).cause)}`)) {
    return new ModelError("network", `cannot reach the model: ${message} (${String((error as { cause?: unknown }).cause)})`, { cause: error });
  }
  return new ModelError("provider", `the model call failed: ${message}`, { cause: error });
}
