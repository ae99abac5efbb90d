/**
 * Tools served by an MCP server, as agent tools (needs `@modelcontextprotocol/sdk`).
 *
 * @module @blockwork/nodes/mcp
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { type AgentTool, jsonSchemaTool } from "../tool/tool.js";

/**
 * The tools of a connected MCP client, as agent tools: their JSON Schemas go to the model, inputs
 * are validated against them, and a tool result marked `isError` becomes a tool error (which the
 * agent feeds back to the model, or fails on, per `onToolError`).
 *
 * @example
 * const client = new Client({ name: "blockwork", version: "1.0.0" });
 * await client.connect(new StdioClientTransport({ command: "my-mcp-server" }));
 * const support = agentBlock(contract, { instructions, tools: await mcpTools(client) });
 */
export async function mcpTools(client: Client, options: { only?: readonly string[] } = {}): Promise<AgentTool[]> {
  const { tools } = await client.listTools();
  return tools
    .filter((tool) => options.only === undefined || options.only.includes(tool.name))
    .map((tool) =>
      jsonSchemaTool({
        name: tool.name,
        description: tool.description ?? tool.name,
        inputSchema: tool.inputSchema as Record<string, unknown>,
        call: async (input, signal) => {
          const result = await client.callTool({ name: tool.name, arguments: input as Record<string, unknown> }, undefined, signal ? { signal } : undefined);
          const text = textOf(result.content);
          if (result.isError) throw new Error(text || `the MCP tool ${tool.name} reported an error`);
          return result.structuredContent ?? text;
        },
      }),
    );
}

function textOf(content: unknown): string {
  if (!Array.isArray(content)) return "";
  return content.map((part) => (part && typeof part === "object" && (part as { type?: unknown }).type === "text" ? String((part as { text?: unknown }).text) : "")).join("\n");
}
