import type { z } from "zod";
import { GRAPH_DEF_FORMAT, type GraphDef } from "./graph-def.js";
import { GraphDefSchema } from "./graph-def-schema.js";
import { documentProblems, type LoadProblem } from "./guard.js";

export type { LoadProblem } from "./guard.js";


/** What {@link parseGraphDef} returns: the GraphDef, or every problem found in the document. */
export type LoadResult = { readonly ok: true; readonly def: GraphDef } | { readonly ok: false; readonly problems: readonly LoadProblem[] };

/**
 * Validates a parsed value as a GraphDef: the shape (against the published GraphDef schema), not
 * the wiring (that is what `check` is for).
 */
export function parseGraphDef(value: unknown): LoadResult {
  const guarded = documentProblems(value);
  if (guarded.length > 0) return { ok: false, problems: guarded };
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const format = (value as Record<string, unknown>)["format"];
    if (format !== GRAPH_DEF_FORMAT) {
      return {
        ok: false,
        problems: [
          {
            path: ["format"],
            message:
              format === undefined
                ? `missing "format": a GraphDef starts with "format": "${GRAPH_DEF_FORMAT}"`
                : `unsupported format ${JSON.stringify(format)}; this version reads "${GRAPH_DEF_FORMAT}"`,
          },
        ],
      };
    }
  }
  const parsed = GraphDefSchema.safeParse(value);
  if (parsed.success) return { ok: true, def: parsed.data as GraphDef };
  return { ok: false, problems: parsed.error.issues.map(toProblem) };
}

/** Parses JSON text and validates it as a GraphDef; syntax errors come with line and column. */
export function parseGraphDefJson(text: string): LoadResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    const offset = position ? Number(position[1]) : undefined;
    return { ok: false, problems: [{ path: [], message: `invalid JSON: ${message}`, ...lineColumn(text, offset) }] };
  }
  return parseGraphDef(value);
}

function toProblem(i: z.core.$ZodIssue): LoadProblem {
  const path = i.path.map((p) => (typeof p === "symbol" ? String(p) : p));
  if (i.code === "unrecognized_keys") {
    return { path, message: `unknown ${i.keys.length === 1 ? "key" : "keys"} ${i.keys.map((k) => JSON.stringify(k)).join(", ")}` };
  }
  if (i.code === "invalid_union" && "discriminator" in i && i.discriminator) {
    return { path: [...path, i.discriminator as string], message: `${i.message}: "${String(i.discriminator)}" must be one of the known kinds` };
  }
  return { path, message: i.message };
}

function lineColumn(text: string, offset: number | undefined): { line?: number; column?: number } {
  if (offset === undefined) return {};
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/** Whether a value looks like a GraphDef (has the format tag); it may still be invalid. */
export function isGraphDefLike(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)["format"] === GRAPH_DEF_FORMAT;
}
