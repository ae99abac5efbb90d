import type { Model } from "./model.js";
import { ModelConfigError } from "./model.js";
import { openAICompatible } from "./openai-compatible.js";

/** Providers `BLOCKWORK_MODEL` can name, and where they listen by default. */
export const PROVIDERS: Readonly<Record<string, { readonly baseURL: string; readonly apiKeyEnv?: string }>> = {
  openai: { baseURL: "https://api.openai.com/v1", apiKeyEnv: "OPENAI_API_KEY" },
  ollama: { baseURL: "http://127.0.0.1:11434/v1" },
  vllm: { baseURL: "http://127.0.0.1:8000/v1" },
  llamacpp: { baseURL: "http://127.0.0.1:8080/v1" },
  lmstudio: { baseURL: "http://127.0.0.1:1234/v1" },
  "openai-compatible": { baseURL: "" },
};

const HELP = `Set BLOCKWORK_MODEL=<provider>:<model>, e.g.
  BLOCKWORK_MODEL=openai:gpt-4o-mini        (and OPENAI_API_KEY)
  BLOCKWORK_MODEL=ollama:llama3.1           (a local Ollama on 127.0.0.1:11434)
  BLOCKWORK_MODEL=vllm:Qwen/Qwen2.5-7B-Instruct
  BLOCKWORK_MODEL=openai-compatible:<model> with BLOCKWORK_BASE_URL=http://host:port/v1
Optional: BLOCKWORK_BASE_URL (overrides the provider's default URL), BLOCKWORK_API_KEY.
Providers: ${Object.keys(PROVIDERS).join(", ")}.`;

/**
 * The model named by the environment: `BLOCKWORK_MODEL=provider:model`, with `BLOCKWORK_BASE_URL`
 * and `BLOCKWORK_API_KEY` (or the provider's own key variable, e.g. `OPENAI_API_KEY`). Every
 * provider is reached through its OpenAI-compatible chat-completions API. Throws a
 * `ModelConfigError` that says how to configure one when nothing (or something wrong) is set.
 */
export function modelFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): Model {
  const spec = env["BLOCKWORK_MODEL"]?.trim();
  if (!spec) throw new ModelConfigError(`No model is configured. ${HELP}`);
  const colon = spec.indexOf(":");
  if (colon <= 0 || colon === spec.length - 1) throw new ModelConfigError(`BLOCKWORK_MODEL=${JSON.stringify(spec)} is not <provider>:<model>. ${HELP}`);
  const provider = spec.slice(0, colon);
  const model = spec.slice(colon + 1);
  const known = PROVIDERS[provider];
  if (!known) throw new ModelConfigError(`BLOCKWORK_MODEL names an unknown provider "${provider}". ${HELP}`);
  const baseURL = env["BLOCKWORK_BASE_URL"]?.trim() || known.baseURL;
  if (!baseURL) throw new ModelConfigError(`The provider "${provider}" needs BLOCKWORK_BASE_URL (the endpoint's /v1 URL). ${HELP}`);
  const apiKey = env["BLOCKWORK_API_KEY"] ?? (known.apiKeyEnv ? env[known.apiKeyEnv] : undefined);
  if (provider === "openai" && !apiKey) throw new ModelConfigError(`BLOCKWORK_MODEL=${spec} needs an API key: set OPENAI_API_KEY or BLOCKWORK_API_KEY.`);
  return openAICompatible({ baseURL, model, provider, ...(apiKey ? { apiKey } : {}) });
}

/** A model resolved on first use, so that a graph module can be loaded (checked, drawn) without one. */
export function lazyModel(resolve: () => Model = modelFromEnv): Model {
  let model: Model | undefined;
  const get = () => (model ??= resolve());
  return {
    get id() {
      try {
        return get().id;
      } catch {
        return "unconfigured";
      }
    },
    generate: (request) => get().generate(request),
  };
}
