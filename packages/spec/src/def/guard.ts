/**
 * Checks of a raw GraphDef document made before its shape is validated: how deep it nests, and
 * keys JavaScript cannot hold as data. Iterative, so a 100,000-deep document cannot overflow the
 * stack here (the shape validation and the checker recurse; this bound keeps them safe).
 */
import type { ValuePath } from "./graph-def.js";

/** Something wrong with a GraphDef document, and where. */
export interface LoadProblem {
  /** JSON path in the document; empty for the whole document. */
  readonly path: ValuePath;
  readonly message: string;
  /** 1-based position, for JSON syntax errors. */
  readonly line?: number;
  readonly column?: number;
}

/** How deep a GraphDef document may nest (objects and arrays), all subgraphs included. */
export const MAX_DOCUMENT_DEPTH = 256;

/**
 * The problems of a raw document: the first place it nests deeper than `maxDepth`, and every
 * `__proto__` key outside a contract schema (an object built from it would drop the key or change
 * its prototype, so it would be lost silently).
 */
export function documentProblems(value: unknown, maxDepth = MAX_DOCUMENT_DEPTH): LoadProblem[] {
  const problems: LoadProblem[] = [];
  const stack: { value: unknown; path: ValuePath; inSchema: boolean }[] = [{ value, path: [], inSchema: false }];
  let tooDeep = false;
  while (stack.length > 0) {
    const { value: v, path, inSchema } = stack.pop() as (typeof stack)[number];
    if (typeof v !== "object" || v === null) continue;
    if (path.length >= maxDepth) {
      if (!tooDeep) {
        problems.push({ path, message: `the document nests more than ${maxDepth} levels deep here; Blockwork reads documents nested at most ${maxDepth} levels (objects and arrays)` });
        tooDeep = true;
      }
      continue;
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: [...path, i], inSchema });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      if (key === "__proto__" && !inSchema) {
        problems.push({ path: [...path, key], message: `the key "__proto__" cannot be used here: JavaScript objects cannot hold it as data, so it would be lost. Rename it` });
        continue;
      }
      const schema = inSchema || (path.at(-1) === "contract" && key !== "budget");
      stack.push({ value: (v as Record<string, unknown>)[key], path: [...path, key], inSchema: schema });
    }
  }
  return problems;
}
