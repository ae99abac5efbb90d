import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import type * as TS from "typescript";

/** One problem the TypeScript compiler found in a candidate, with its line and column (1-based). */
export interface TypeDiagnostic {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly code: number;
  readonly message: string;
}

/** The files of one in-memory type check: name → text. */
export type VirtualFiles = ReadonlyMap<string, string>;

let tsModule: typeof TS | undefined;
/** The TypeScript compiler, loaded on first use (it is large; nothing else of nodes needs it). */
export async function loadTypeScript(): Promise<typeof TS> {
  tsModule ??= ((await import("typescript")) as unknown as { default: typeof TS }).default;
  return tsModule;
}

/**
 * Type-checks files held in memory with the TypeScript compiler API: strict, the project's
 * stricter flags, ES2023 library only (no Node or DOM types, so a candidate cannot reach the file
 * system or the network through typed globals). Lib files are parsed once per process and the
 * previous program is reused, so a re-check after an edit only re-parses what changed.
 */
export class MemoryTypeChecker {
  private readonly libs = new Map<string, TS.SourceFile>();
  private previous: TS.Program | undefined;
  private readonly sources = new Map<string, { text: string; file: TS.SourceFile }>();

  constructor(private readonly ts: typeof TS) {}

  /** The diagnostics of `files` (only those in `files`, not in libraries). */
  check(files: VirtualFiles): TypeDiagnostic[] {
    const ts = this.ts;
    const options: TS.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2023.d.ts"],
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      noImplicitOverride: true,
      noFallthroughCasesInSwitch: true,
      verbatimModuleSyntax: true,
      isolatedModules: true,
      noEmit: true,
      types: [],
    };
    const libDir = dirname(createRequire(import.meta.url).resolve("typescript/lib/lib.d.ts"));
    const host: TS.CompilerHost = {
      getSourceFile: (name, version) => {
        const text = files.get(name);
        if (text !== undefined) {
          const cached = this.sources.get(name);
          if (cached && cached.text === text) return cached.file;
          const file = ts.createSourceFile(name, text, version);
          this.sources.set(name, { text, file });
          return file;
        }
        let lib = this.libs.get(name);
        if (lib === undefined) {
          let text: string;
          try {
            text = readFileSync(name, "utf8");
          } catch {
            return undefined;
          }
          lib = ts.createSourceFile(name, text, version);
          this.libs.set(name, lib);
        }
        return lib;
      },
      getDefaultLibFileName: () => join(libDir, "lib.es2023.d.ts"),
      getDefaultLibLocation: () => libDir,
      writeFile: () => undefined,
      getCurrentDirectory: () => "/",
      getCanonicalFileName: (f) => f,
      useCaseSensitiveFileNames: () => true,
      getNewLine: () => "\n",
      fileExists: (f) => files.has(f) || (f.startsWith(libDir) && ts.sys.fileExists(f)),
      readFile: (f) => files.get(f) ?? (f.startsWith(libDir) ? ts.sys.readFile(f) : undefined),
      directoryExists: () => true,
      getDirectories: () => [],
    };
    const program = ts.createProgram({ rootNames: [...files.keys()], options, host, ...(this.previous ? { oldProgram: this.previous } : {}) });
    this.previous = program;
    const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...[...files.keys()].flatMap((f) => {
      const source = program.getSourceFile(f);
      return source ? [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)] : [];
    })];
    return diagnostics.map((d) => {
      const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
      return { file: d.file?.fileName ?? "", line: at.line + 1, column: at.character + 1, code: d.code, message: ts.flattenDiagnosticMessageText(d.messageText, "\n") };
    });
  }
}
