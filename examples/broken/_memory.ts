import { z } from "zod";
import { agentBlock } from "@blockwork/nodes";
import { defineContract, defineMemory, type RetentionPolicy } from "@blockwork/spec";
import { TextIn, TextOut } from "./_blocks.js";

/** A graph-level scope of notes with the given policy. */
export const notes = (policy: RetentionPolicy) => defineMemory({ name: "notes", level: "graph", kinds: { note: z.object({}) }, policy });

/** An agent block (never run: these graphs are only checked) that uses memory. */
export function memoryAgent<const $Id extends string>(id: $Id, options: { scopes: Parameters<typeof agentBlock>[1]["memory"] extends infer M ? M extends { scopes: infer S } ? S : never : never; contextTokens?: number }) {
  return agentBlock(defineContract({ id, input: TextIn, output: TextOut }), {
    instructions: "Answer from the text and what you remember.",
    budget: { contextTokens: options.contextTokens ?? 4_000 },
    memory: { scopes: options.scopes },
  });
}
