import { isBlobHandle, type JsonSchema } from "@blockwork/spec";
import { decode, encode } from "gpt-tokenizer";

/** The system message of an rlm block: what it does, its environment, and the answer it must set. */
export function rlmSystemPrompt(o: { instructions: string; output: JsonSchema; error: JsonSchema | undefined; cells: number; subCalls: boolean; sliceBytes: number }): string {
  const lines = [
    o.instructions.trim(),
    "",
    "You work in a JavaScript sandbox (a REPL). The data of your task is in variables there, not in this conversation:",
    "you explore it by writing code. Each of your messages is one cell: one ```js fenced code block, which the host runs;",
    "you then see what it printed (cut to a budget). Top-level declarations stay defined for later cells.",
    `You have at most ${o.cells} cells. There is no network, no file system, no require or import.`,
    "",
    "Functions:",
    "- print(...values): show values (strings as they are, others as JSON) in the cell's output.",
    `- blob_slice(handle, start, end): the bytes [start, end) of a blob as text (at most ${o.sliceBytes} bytes per call).`,
    "- blob_search(handle, needle, { max, context, ignoreCase, start }): finds a literal string in a blob;",
    "  returns { total, matches: [{ offset, text }] } (text is the match with `context` bytes around it).",
    "  Use regular expressions inside the sandbox on slices.",
  ];
  if (o.subCalls) {
    lines.push(
      "- llm_query(prompt, data): asks a language model in a fresh context (it sees only prompt and data, a string or",
      "  JSON value) and returns its text answer. Keep data small: a slice, a list of matches.",
      "- llm_batch([prompt or { prompt, data }, ...]): several llm_query calls at once; returns their answers in order.",
    );
  }
  lines.push(
    "",
    "When you have the answer, set the variable `answer` in a cell: answer = { content: <value>, ready: true }.",
    "content must match this JSON Schema:",
    JSON.stringify(o.output),
  );
  if (o.error !== undefined) lines.push("If the task cannot be done, set answer = { error: <value>, ready: true } instead, where error matches:", JSON.stringify(o.error));
  lines.push("The host checks the answer after every cell and tells you what is wrong with it, if anything.");
  return lines.join("\n");
}

/** How the block's variables are described to the model: names, types, sizes and previews, never a blob's content. */
export function describeVariables(input: unknown, names: readonly string[]): string {
  const lines = ["Variables in the sandbox:", `- input: the whole input (${kindOf(input)})`];
  const record = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
  for (const name of names) lines.push(`- ${name}: ${describeValue(record[name])}`);
  lines.push("", "Write the first cell.");
  return lines.join("\n");
}

function describeValue(value: unknown): string {
  if (isBlobHandle(value)) return `blob handle (${value.mediaType}, ${value.size} bytes); preview: ${JSON.stringify(value.preview)}`;
  if (typeof value === "string") return value.length <= 300 ? `string ${JSON.stringify(value)}` : `string of ${value.length} characters, starting ${JSON.stringify(value.slice(0, 200))}`;
  if (typeof value === "number" || typeof value === "boolean" || value === null) return `${typeof value} ${JSON.stringify(value)}`;
  const json = JSON.stringify(value) ?? "undefined";
  return json.length <= 300 ? `${kindOf(value)} ${json}` : `${kindOf(value)}, ${json.length} characters of JSON, starting ${json.slice(0, 200)}`;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (value === null) return "null";
  return typeof value === "object" ? "object" : typeof value;
}

/** The code of a model turn: the first ```js / ```javascript / ``` fenced block, or undefined. */
export function extractCode(text: string): string | undefined {
  const fenced = /```(?:js|javascript|repl|ts)?[ \t]*\r?\n([\s\S]*?)```/i.exec(text);
  if (fenced) return fenced[1] as string;
  return undefined;
}

/** Text cut to `limit` tokens (o200k, as contexts are counted); returns the text and its token count before cutting. */
export function cutToTokens(text: string, limit: number): { text: string; tokens: number; cut: boolean } {
  if (text.length === 0) return { text, tokens: 0, cut: false };
  // A cell may print megabytes: look at no more than what could possibly fit (a token is at least one character).
  const head = text.length > limit * 16 ? text.slice(0, limit * 16) : text;
  const tokens = encode(head.replace(/<\|/g, "< |"));
  if (tokens.length <= limit && head.length === text.length) return { text, tokens: tokens.length, cut: false };
  const shown = tokens.length <= limit ? head : decode(tokens.slice(0, limit));
  return { text: shown, tokens: head.length === text.length ? tokens.length : Math.max(tokens.length, Math.ceil(text.length / 4)), cut: true };
}
