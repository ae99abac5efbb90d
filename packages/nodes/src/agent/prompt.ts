import type { JsonSchema } from "@blockwork/spec";
import { countTokens } from "gpt-tokenizer";
import type { ChatMessage, ToolSpec } from "../model/model.js";

/** The key a model answers under to fail with the block's typed error instead of an output. */
export const ERROR_KEY = "$error";

/**
 * The whole context of one agent block: its own instructions, its contract, and its input, and
 * nothing else of the graph. This is the point of an agent block: a small context, with a fixed
 * scope, that the contract checks.
 */
export function buildMessages(o: {
  readonly instructions: string;
  readonly output: JsonSchema;
  readonly error: JsonSchema | undefined;
  readonly hasTools: boolean;
  readonly input: unknown;
}): ChatMessage[] {
  return [
    { role: "system", content: systemPrompt(o) },
    { role: "user", content: `Input:\n${JSON.stringify(o.input)}` },
  ];
}

/**
 * The system message of {@link buildMessages}: the part of the context that is the same for every
 * call of a block (its instructions and contract), so a block can build it once.
 */
export function systemPrompt(o: { readonly instructions: string; readonly output: JsonSchema; readonly error: JsonSchema | undefined; readonly hasTools: boolean }): string {
  const lines = [
    o.instructions.trim(),
    "",
    "You are one block of a workflow: do only what is described above, from the input you are given.",
    "Answer with a single JSON object and nothing else. It must match this JSON Schema:",
    JSON.stringify(o.output),
  ];
  if (o.error !== undefined) {
    lines.push(`If you cannot do the task, answer {"${ERROR_KEY}": <error>} instead, where <error> matches this JSON Schema:`, JSON.stringify(o.error));
  }
  if (o.hasTools) lines.push("You may call the tools you are given before you answer.");
  return lines.join("\n");
}

/**
 * Tokens of a conversation as a chat model counts them: each message's text (o200k encoding, the
 * one current OpenAI models use; other models differ by a few percent) plus a few tokens of
 * framing per message, and the tool descriptions.
 */
export function countContextTokens(messages: readonly ChatMessage[], tools: readonly ToolSpec[] = []): number {
  let total = 3;
  for (const message of messages) {
    // A block's system prompt is the same text at every call: its count is remembered.
    total += 4 + (message.role === "system" ? cachedTokens(message.content) : tokens(message.content));
    if (message.role === "assistant" && message.toolCalls) for (const call of message.toolCalls) total += tokens(call.name) + tokens(call.input) + 3;
  }
  if (tools.length > 0) total += cachedTokens(JSON.stringify(tools));
  return total;
}

/** Token counts of recent system prompts and tool lists, by text (bounded: cleared when full). */
const counted = new Map<string, number>();
const COUNTED_MAX = 512;

function cachedTokens(text: string): number {
  const known = counted.get(text);
  if (known !== undefined) return known;
  const n = tokens(text);
  if (counted.size >= COUNTED_MAX) counted.clear();
  counted.set(text, n);
  return n;
}

function tokens(text: string): number {
  if (text.length === 0) return 0;
  // Text from users may contain what looks like special tokens ("<|endoftext|>"): count it as text.
  return countTokens(text.replace(/<\|/g, "< |"));
}

/**
 * The input with its longest strings cut down until the context fits `budget` tokens (the
 * `truncate` overflow policy), or undefined when even that cannot make it fit.
 */
export function truncateToFit(input: unknown, fits: (input: unknown) => boolean): unknown | undefined {
  let value = structuredClone(input);
  for (let round = 0; round < 64; round++) {
    if (fits(value)) return value;
    const longest = longestString(value);
    if (longest === undefined || longest.length <= 32) return undefined;
    value = replaceAt(value, longest.path, `${longest.text.slice(0, Math.floor(longest.length / 2))}…[truncated]`);
  }
  return fits(value) ? value : undefined;
}

function longestString(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; text: string; length: number } | undefined {
  if (typeof value === "string") return { path, text: value, length: value.length };
  if (typeof value !== "object" || value === null) return undefined;
  let best: { path: (string | number)[]; text: string; length: number } | undefined;
  for (const [key, child] of Object.entries(value)) {
    const found = longestString(child, [...path, Array.isArray(value) ? Number(key) : key]);
    if (found && (!best || found.length > best.length)) best = found;
  }
  return best;
}

function replaceAt(value: unknown, path: readonly (string | number)[], replacement: string): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? replaceAt(v, rest, replacement) : v));
  return { ...(value as Record<string, unknown>), [head]: replaceAt((value as Record<string, unknown>)[head], rest, replacement) };
}
