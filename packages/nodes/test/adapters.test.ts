import { FakeListChatModel } from "@langchain/core/utils/testing";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fromLangChain } from "../src/langchain/index.js";
import { mcpTools } from "../src/mcp/index.js";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { fromAiSdk, ModelConfigError, modelFromEnv } from "../src/index.js";

describe("modelFromEnv", () => {
  it("explains how to configure a model when none is set", () => {
    expect(() => modelFromEnv({})).toThrow(ModelConfigError);
    expect(() => modelFromEnv({})).toThrow(/No model is configured\. Set BLOCKWORK_MODEL=<provider>:<model>/);
    expect(() => modelFromEnv({ BLOCKWORK_MODEL: "gpt-4o" })).toThrow(/is not <provider>:<model>/);
    expect(() => modelFromEnv({ BLOCKWORK_MODEL: "acme:big" })).toThrow(/unknown provider "acme"/);
    expect(() => modelFromEnv({ BLOCKWORK_MODEL: "openai:gpt-4o-mini" })).toThrow(/needs an API key: set OPENAI_API_KEY/);
    expect(() => modelFromEnv({ BLOCKWORK_MODEL: "openai-compatible:x" })).toThrow(/needs BLOCKWORK_BASE_URL/);
  });

  it("makes OpenAI-compatible models from the environment", () => {
    expect(modelFromEnv({ BLOCKWORK_MODEL: "ollama:llama3.1" }).id).toBe("ollama:llama3.1");
    expect(modelFromEnv({ BLOCKWORK_MODEL: "openai:gpt-4o-mini", OPENAI_API_KEY: "k" }).id).toBe("openai:gpt-4o-mini");
    expect(modelFromEnv({ BLOCKWORK_MODEL: "vllm:Qwen/Qwen2.5-7B-Instruct", BLOCKWORK_BASE_URL: "http://10.0.0.2:8000/v1" }).id).toBe("vllm:Qwen/Qwen2.5-7B-Instruct");
  });
});

describe("fromAiSdk", () => {
  it("takes AI SDK 6 provider models (specification v3), and says what to install for another version", () => {
    const v3 = createOpenAICompatible({ name: "local", baseURL: "http://127.0.0.1:9/v1" }).chatModel("m");
    expect(v3.specificationVersion).toBe("v3");
    expect(fromAiSdk(v3).id).toBe("local:m");
    const v4 = { ...v3, specificationVersion: "v4", provider: "openai.chat", modelId: "gpt-4o" } as unknown as typeof v3;
    expect(() => fromAiSdk(v4)).toThrow(
      'fromAiSdk takes a model of an AI SDK 6 provider (specification "v3"); openai.chat:gpt-4o is specification "v4". Install the provider\'s AI SDK 6 release (for example @ai-sdk/openai@3, @ai-sdk/anthropic@3), or use openAICompatible({ baseURL, model }).',
    );
  });
});

describe("fromLangChain", () => {
  it("passes the conversation to a LangChain chat model and reads its answer", async () => {
    const chat = new FakeListChatModel({ responses: ['{"answer":"42"}'] });
    const model = fromLangChain(chat, "langchain:fake");
    const response = await model.generate({ messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Meaning of life?" }] });
    expect(response).toMatchObject({ text: '{"answer":"42"}', toolCalls: [], finishReason: "stop" });
    expect(model.id).toBe("langchain:fake");
  });
});

describe("mcpTools", () => {
  it("turns an MCP server's tools into agent tools, validating input and reporting isError", async () => {
    const server = new McpServer({ name: "invoices", version: "1.0.0" });
    server.registerTool("lookup", { description: "Looks up an invoice.", inputSchema: { id: z.string() } }, async ({ id }) =>
      id === "INV-1" ? { content: [{ type: "text", text: "120 EUR" }] } : { content: [{ type: "text", text: `no invoice ${id}` }], isError: true },
    );
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    const client = new Client({ name: "blockwork-test", version: "1.0.0" });
    await client.connect(clientTransport);
    const [lookup] = await mcpTools(client);
    expect(lookup).toMatchObject({ name: "lookup", description: "Looks up an invoice.", inputSchema: { type: "object", required: ["id"] } });
    await expect(lookup?.call({ id: "INV-1" }, undefined)).resolves.toBe("120 EUR");
    await expect(lookup?.call({ id: "INV-9" }, undefined)).rejects.toThrow("no invoice INV-9");
    await expect(lookup?.call({ id: 7 }, undefined)).rejects.toThrow(/id/);
    await client.close();
  });
});
