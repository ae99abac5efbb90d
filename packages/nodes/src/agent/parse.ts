/** What a model's text holds, when read leniently as JSON. */
export type Parsed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

/**
 * Reads JSON from a model's answer leniently: the whole text, else the content of a ```json fence,
 * else the outermost `{...}` (or `[...]`) in the text. Models wrap JSON in prose and fences; the
 * contract decides whether what is inside is right.
 */
export function parseJsonLeniently(text: string): Parsed {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: false, reason: "the answer is empty" };
  const candidates = [trimmed, ...fenced(trimmed), ...outermost(trimmed)];
  let firstError = "";
  for (const candidate of candidates) {
    try {
      return { ok: true, value: JSON.parse(candidate) };
    } catch (error) {
      firstError ||= error instanceof Error ? error.message : String(error);
    }
  }
  return { ok: false, reason: `the answer is not valid JSON (${firstError})` };
}

function fenced(text: string): string[] {
  const blocks: string[] = [];
  for (const match of text.matchAll(/```(?:json|JSON)?\s*\n?([\s\S]*?)```/g)) if (match[1]) blocks.push(match[1].trim());
  return blocks;
}

function outermost(text: string): string[] {
  const out: string[] = [];
  for (const [open, close] of [
    ["{", "}"],
    ["[", "]"],
  ] as const) {
    const start = text.indexOf(open);
    const end = text.lastIndexOf(close);
    if (start >= 0 && end > start) out.push(text.slice(start, end + 1));
  }
  return out;
}
