/**
 * LangChain chat models as Blockwork models (needs `@langchain/core`).
 *
 * @module @blockwork/nodes/langchain
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage, HumanMessage, SystemMessage, ToolMessage } from "@langchain/core/messages";
import { kindOfStatus, type ChatMessage, type FinishReason, type Model, ModelError, type ModelRequest, type ModelResponse } from "../model/model.js";

/**
 * A LangChain chat model (`ChatOpenAI`, `ChatAnthropic`, ...) as a Blockwork model. Tools are
 * bound with `bindTools`; the JSON answer is asked for in the prompt (the agent block checks it).
 *
 * @example
 * import { ChatOpenAI } from "@langchain/openai";
 * const model = fromLangChain(new ChatOpenAI({ model: "gpt-4o-mini" }), "openai:gpt-4o-mini");
 */
export function fromLangChain(chatModel: BaseChatModel, id = `langchain:${chatModel.getName()}`): Model {
  return {
    id,
    async generate(request: ModelRequest): Promise<ModelResponse> {
      const runnable = request.tools?.length && chatModel.bindTools
        ? chatModel.bindTools(request.tools.map((t) => ({ type: "function" as const, function: { name: t.name, description: t.description, parameters: t.inputSchema as Record<string, unknown> } })))
        : chatModel;
      let message: AIMessage;
      try {
        message = (await runnable.invoke(request.messages.map(toLangChain), { ...(request.signal ? { signal: request.signal } : {}) })) as AIMessage;
      } catch (error) {
        throw classify(error, request.signal);
      }
      const text = typeof message.content === "string" ? message.content : message.content.map((part) => ("text" in part && typeof part.text === "string" ? part.text : "")).join("");
      const usage = message.usage_metadata as { input_tokens: number; output_tokens: number } | undefined;
      const finish = String((message.response_metadata as { finish_reason?: unknown } | undefined)?.finish_reason ?? "stop");
      return {
        text,
        toolCalls: (message.tool_calls ?? []).map((call, i) => ({ id: call.id ?? `call_${i}`, name: call.name, input: JSON.stringify(call.args) })),
        finishReason: finishReasonOf(finish),
        ...(usage ? { usage: { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens } } : {}),
      };
    },
  };
}

function toLangChain(message: ChatMessage): BaseMessage {
  switch (message.role) {
    case "system":
      return new SystemMessage(message.content);
    case "user":
      return new HumanMessage(message.content);
    case "assistant":
      return new AIMessage({
        content: message.content,
        tool_calls: (message.toolCalls ?? []).map((call) => ({ id: call.id, name: call.name, args: safeJson(call.input) as Record<string, unknown>, type: "tool_call" as const })),
      });
    case "tool":
      return new ToolMessage({ content: message.content, tool_call_id: message.toolCallId, name: message.toolName });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

function finishReasonOf(raw: string): FinishReason {
  if (raw === "length" || raw === "max_tokens") return "length";
  if (raw === "tool_calls" || raw === "tool_use") return "tool-calls";
  if (raw === "content_filter") return "content-filter";
  return raw === "stop" || raw === "end_turn" ? "stop" : "other";
}

function classify(error: unknown, signal: AbortSignal | undefined): ModelError {
  const status = (error as { status?: unknown; response?: { status?: unknown } } | null)?.status ?? (error as { response?: { status?: unknown } } | null)?.response?.status;
  const message = error instanceof Error ? error.message : String(error);
  if (signal?.aborted) return new ModelError("timeout", `the model call was aborted: ${message}`, { cause: error });
  if (typeof status === "number") return new ModelError(kindOfStatus(status), `${status}: ${message}`, { status, cause: error });
  return new ModelError("provider", `the LangChain model failed: ${message}`, { cause: error });
}
