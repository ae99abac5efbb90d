// Why a graph module failed to load, told as a person can act on it: a syntax error with its
// file:line:column and a code frame, an import that cannot be found (which one, on which line),
// or what the module threw while it ran and where. Stack traces only on request (--verbose).
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, extname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { userFrame } from "./thrown.js";

/** A module's failure to load, described. */
export interface LoadFailure {
  /** One line: what failed and how to fix it. */
  readonly message: string;
  /** The file the failure is in (the graph module, or a module it imports), absolute. */
  readonly file: string;
  /** 1-based position in `file`, when known. */
  readonly line?: number;
  readonly column?: number;
  /** A few lines of `file` around the position, with a caret under the column. */
  readonly frame?: string;
  /** What was thrown, for --verbose. */
  readonly error: unknown;
}

/** The part of esbuild's API used here (esbuild comes with tsx; it is not imported for its types). */
interface Esbuild {
  transformSync(code: string, options: { loader: "js"; format: "esm" | "cjs"; sourcefile: string }): unknown;
}

/**
 * Describes what `import(file)` threw. `text` is the module's source. Never throws: when the error
 * is none of the known kinds, it says what was thrown and where.
 */
export async function describeLoadFailure(error: unknown, file: string, text: string, cwd: string): Promise<LoadFailure> {
  const stack = error instanceof Error ? error.stack : undefined;
  const base = { error };
  const shown = (f: string) => relative(cwd, f) || f;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;

  // esbuild (tsx) syntax errors: "Transform failed with 1 error:\n/path/x.ts:8:40: ERROR: Unexpected "}""
  const transform = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m.exec(message);
  if (error instanceof Error && transform) {
    const where = transform[1] as string;
    const at = { line: Number(transform[2]), column: Number(transform[3]) + 1 };
    return syntax(resolve(where), at, transform[4] as string, base, where === file ? text : undefined, cwd);
  }
  if (error instanceof SyntaxError && JS_EXTENSIONS.has(extname(file))) {
    const found = await locateSyntaxError(text, file);
    if (found) return syntax(file, found, found.text, base, text, cwd);
    return { ...base, file, message: `syntax error in ${shown(file)}: ${message}` };
  }

  if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
    const esm = /^Cannot find (package|module) '([^']+)' imported from (.+)$/m.exec(message);
    const cjs = /^Cannot find module '([^']+)'\s*\nRequire stack:\n- ([^\n?]+)/m.exec(message);
    const missing = esm ? (esm[2] as string) : cjs ? (cjs[1] as string) : undefined;
    const importerRaw = esm ? (esm[3] as string).trim() : cjs ? (cjs[2] as string).trim() : file;
    const importer = importerRaw.startsWith("file://") ? fileURLToPath(importerRaw) : importerRaw;
    if (missing !== undefined) {
      const importerText = importer === file ? text : await readFile(importer, "utf8").catch(() => "");
      const found = findImport(importerText, importer, missing);
      const spec = found?.specifier ?? missing;
      const isPackage = !spec.startsWith(".") && !spec.startsWith("/") && !spec.startsWith("file:");
      const fix = isPackage
        ? `install it (npm install ${packageName(spec)}) or correct the name`
        : `no such file${found ? "" : ` (${missing})`}; correct the path (imports of TypeScript files are written with .js, as tsc expects)`;
      const at = found ? `${shown(importer)}:${found.line}:${found.column}` : shown(importer);
      return {
        ...base,
        file: importer,
        ...(found ? { line: found.line, column: found.column, frame: codeFrame(importerText, found.line, found.column) } : {}),
        message: `cannot import ${JSON.stringify(spec)} (${at}): ${fix}.`,
      };
    }
  }

  // The module ran and threw.
  const headline = error instanceof Error ? (error.name && error.name !== "Error" ? `${error.name}: ${message}` : message) : message;
  const frame = userFrame(stack, "/");
  const position = frame === undefined ? undefined : /^(.*):(\d+):(\d+)$/.exec(frame);
  if (position) {
    const where = resolve("/", position[1] as string);
    const line = Number(position[2]);
    const column = Number(position[3]);
    const whereText = where === file ? text : await readFile(where, "utf8").catch(() => "");
    return {
      ...base,
      file: where,
      line,
      column,
      ...(whereText ? { frame: codeFrame(whereText, line, column) } : {}),
      message: `the module threw while it was being imported: ${headline} (${shown(where)}:${line}:${column}). Code at the top level of a graph module runs on every load: move it into a block, or guard it.`,
    };
  }
  return { ...base, file, message: `the module threw while it was being imported: ${headline}.` };
}

const JS_EXTENSIONS = new Set([".js", ".mjs", ".cjs"]);

function syntax(file: string, at: { line: number; column: number }, what: string, base: { error: unknown }, text: string | undefined, cwd: string): LoadFailure {
  return {
    ...base,
    file,
    line: at.line,
    column: at.column,
    ...(text !== undefined ? { frame: codeFrame(text, at.line, at.column) } : {}),
    message: `syntax error at ${relative(cwd, file) || file}:${at.line}:${at.column}: ${what}.`,
  };
}

/**
 * Where a JavaScript module's syntax error is: Node does not say for ES modules, so the module is
 * parsed again with esbuild (which tsx brings along). Undefined when esbuild cannot be found.
 */
async function locateSyntaxError(text: string, file: string): Promise<{ line: number; column: number; text: string } | undefined> {
  try {
    const require = createRequire(fileURLToPath(import.meta.resolve("tsx/esm/api")));
    const esbuild = require("esbuild") as Esbuild;
    esbuild.transformSync(text, { loader: "js", format: extname(file) === ".cjs" ? "cjs" : "esm", sourcefile: file });
    return undefined;
  } catch (error) {
    const first = (error as { errors?: { text: string; location: { line: number; column: number } | null }[] }).errors?.[0];
    if (!first?.location) return undefined;
    return { line: first.location.line, column: first.location.column + 1, text: first.text };
  }
}

/** The import of `missing` in `text` (a specifier, or the file it resolves to), with its position. */
function findImport(text: string, importer: string, missing: string): { specifier: string; line: number; column: number } | undefined {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(["'])([^"'\n]+)\1/g;
  const candidates: { specifier: string; offset: number }[] = [];
  for (const match of text.matchAll(pattern)) candidates.push({ specifier: match[2] as string, offset: (match.index ?? 0) + match[0].length - (match[2] as string).length - 1 });
  const stem = (p: string) => p.replace(/\.(?:[cm]?[jt]sx?)$/, "");
  const hit =
    candidates.find((c) => c.specifier === missing) ??
    candidates.find((c) => c.specifier.startsWith(".") && stem(resolve(dirname(importer), c.specifier)) === stem(missing)) ??
    candidates.find((c) => !c.specifier.startsWith(".") && packageName(c.specifier) === packageName(missing));
  if (!hit) return undefined;
  return { specifier: hit.specifier, ...lineColumn(text, hit.offset) };
}

/** `@scope/name` or `name` of a bare specifier (`lodash/fp` -> `lodash`). */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string);
}

/** Two lines either side of `line`, numbered, with a caret under `column` (both 1-based). */
function codeFrame(text: string, line: number, column: number): string {
  const lines = text.split("\n");
  const first = Math.max(1, line - 2);
  const last = Math.min(lines.length, line + 2);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const source = (lines[n - 1] ?? "").replace(/\r$/, "").replace(/\t/g, "  ");
    out.push(`${n === line ? ">" : " "} ${String(n).padStart(width)} | ${source}`);
    if (n === line) out.push(`  ${" ".repeat(width)} | ${" ".repeat(Math.max(0, column - 1))}^`);
  }
  return out.join("\n");
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}
