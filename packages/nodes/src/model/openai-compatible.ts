import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { fromAiSdk } from "./ai-sdk.js";
import type { Model } from "./model.js";

/** Options of {@link openAICompatible}. */
export interface OpenAICompatibleOptions {
  /** e.g. `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1` (Ollama). */
  readonly baseURL: string;
  readonly model: string;
  readonly apiKey?: string;
  /** A name for the provider in model ids and events (default: `openai-compatible`). */
  readonly provider?: string;
  readonly headers?: Record<string, string>;
  /** Default true: send the output schema as a JSON-schema response format. */
  readonly structuredOutputs?: boolean;
  /** A fetch to use instead of the global one (tests, proxies). */
  readonly fetch?: typeof fetch;
}

/**
 * Any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM, llama.cpp server, LM
 * Studio, ...) as a Blockwork model, through the AI SDK's OpenAI-compatible provider. Refusals
 * that the endpoint marks (`message.refusal`) are reported as refusals.
 *
 * @example
 * const model = openAICompatible({ baseURL: "http://127.0.0.1:11434/v1", model: "llama3.1" });
 */
export function openAICompatible(options: OpenAICompatibleOptions): Model {
  const provider = options.provider ?? "openai-compatible";
  const sdk = createOpenAICompatible({
    name: provider,
    baseURL: options.baseURL,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    supportsStructuredOutputs: options.structuredOutputs ?? true,
    metadataExtractor: {
      extractMetadata: async ({ parsedBody }) => {
        const refusal = (parsedBody as { choices?: { message?: { refusal?: unknown } }[] })?.choices?.[0]?.message?.refusal;
        return typeof refusal === "string" && refusal.length > 0 ? { blockwork: { refusal } } : undefined;
      },
      createStreamExtractor: () => ({ processChunk: () => {}, buildMetadata: () => undefined }),
    },
  });
  const model = fromAiSdk(sdk.chatModel(options.model), {
    refusalFrom: (metadata) => (metadata as { blockwork?: { refusal?: string } } | undefined)?.blockwork?.refusal,
  });
  return { ...model, id: `${provider}:${options.model}` };
}
