import type { JsonSchema } from "@blockwork/spec";
import { toJsonSchema, validateValue, formatZodIssues } from "@blockwork/spec";
import type { z } from "zod";
import type { ToolSpec } from "../model/model.js";

/** A tool an agent may call. Its input is validated before it runs; its result goes back to the model. */
export interface AgentTool {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: JsonSchema;
  /** Validates and runs; throws for a tool failure (its message goes back to the model). */
  call(input: unknown, signal: AbortSignal | undefined): Promise<unknown>;
}

/** What `defineTool` takes. */
export interface ToolDefinition<$In extends z.ZodType, $Out> {
  /** Letters, digits, `_` and `-` (what providers accept in tool names). */
  readonly name: string;
  readonly description: string;
  readonly input: $In;
  readonly run: (input: z.output<$In>, options: { signal: AbortSignal | undefined }) => Promise<$Out> | $Out;
}

/**
 * A zod-typed tool for agent blocks.
 *
 * @example
 * const lookupInvoice = defineTool({
 *   name: "lookup_invoice",
 *   description: "Finds a customer's last invoice.",
 *   input: z.object({ customer: z.string() }),
 *   run: ({ customer }) => invoices[customer] ?? null,
 * });
 */
export function defineTool<$In extends z.ZodType, $Out>(definition: ToolDefinition<$In, $Out>): AgentTool {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(definition.name)) {
    throw new Error(`defineTool: the name ${JSON.stringify(definition.name)} must be 1-64 letters, digits, _ or - (what model providers accept).`);
  }
  return {
    name: definition.name,
    description: definition.description,
    inputSchema: toJsonSchema(definition.input, "input"),
    async call(input, signal) {
      const parsed = definition.input.safeParse(input);
      if (!parsed.success) {
        throw new ToolInputError(formatZodIssues(parsed.error, { root: "(input)" }));
      }
      return definition.run(parsed.data as z.output<$In>, { signal });
    },
  };
}

/** A tool described by JSON Schema only (MCP tools): input validated with the schema itself. */
export function jsonSchemaTool(spec: ToolSpec & { readonly call: (input: unknown, signal: AbortSignal | undefined) => Promise<unknown> }): AgentTool {
  return {
    name: spec.name,
    description: spec.description,
    inputSchema: spec.inputSchema,
    async call(input, signal) {
      const result = validateValue(input as never, spec.inputSchema);
      if (result.valid === false) throw new ToolInputError(`${result.path.join(".") || "(input)"}: ${result.reason}`);
      return spec.call(input, signal);
    },
  };
}

/** The model called a tool with input its schema rejects. */
export class ToolInputError extends Error {
  override readonly name = "ToolInputError";
}

export function toolSpecs(tools: readonly AgentTool[]): ToolSpec[] {
  return tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema }));
}
