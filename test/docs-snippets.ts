// Fenced code blocks of a docs page, and a compiler for TypeScript snippets: the docs tests
// (builder mistakes, cookbook) check that what a page shows is what the compiler and the runtime do.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** The repository root. */
export const root = fileURLToPath(new URL("..", import.meta.url));

/** A fenced code block: its info string split into language and tags, its text, its line. */
export interface Fence {
  readonly lang: string;
  readonly tags: readonly string[];
  readonly text: string;
  /** The 1-based line of the opening fence. */
  readonly line: number;
}

/** Every fenced block of a Markdown file (``` fences, not nested). */
export function fences(file: string): Fence[] {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const found: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i] as string);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i] as string);
    found.push({ lang: open[1] as string, tags: (open[2] as string).split(/\s+/).filter(Boolean), text: body.join("\n"), line: start + 1 });
  }
  return found;
}

/** A compiler diagnostic as `tsc` prints it (without the file position). */
export interface Diagnostic {
  readonly code: number;
  /** The whole message, its chain joined with newlines (as tsc prints it, default truncation). */
  readonly message: string;
}

/**
 * Type-checks in-memory TypeScript files (by path under the repository, so that imports resolve
 * as in the repository: `@blockwork/*` to sources) with the repository's strict settings, and
 * returns the diagnostics of each.
 */
export function typeCheck(files: ReadonlyMap<string, string>, extra: ts.CompilerOptions = {}): Map<string, Diagnostic[]> {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (config === undefined) throw new Error("tsconfig.json could not be read");
  const options: ts.CompilerOptions = { ...config.options, noEmit: true, ...extra };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (file, language, ...rest) => {
    const text = files.get(file);
    return text !== undefined ? ts.createSourceFile(file, text, language) : getSourceFile.call(host, file, language, ...rest);
  };
  host.fileExists = (file) => files.has(file) || fileExists.call(host, file);
  host.readFile = (file) => files.get(file) ?? readFile.call(host, file);
  const program = ts.createProgram([...files.keys()], options, host);
  const result = new Map<string, Diagnostic[]>();
  for (const file of files.keys()) {
    const source = program.getSourceFile(file);
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    result.set(
      file,
      diagnostics.map((d) => ({ code: d.code, message: ts.flattenDiagnosticMessageText(d.messageText, "\n") })),
    );
  }
  return result;
}
