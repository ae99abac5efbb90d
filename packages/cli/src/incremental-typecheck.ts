import { statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type * as TS from "typescript";

/** One TypeScript error in a watched file (1-based line and column). */
export interface DevDiagnostic {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly code: number;
  readonly message: string;
}

/**
 * The type check of `blockwork dev`: a TypeScript builder program over the graph module and its
 * block implementations, with the compiler options of the nearest tsconfig.json. Each check reuses
 * the previous program: source files whose modification time did not change are not parsed again,
 * and only the files a change affects get their semantic diagnostics recomputed.
 */
export class IncrementalTypeCheck {
  private readonly ts: typeof TS;
  private readonly options: TS.CompilerOptions;
  private builder: TS.SemanticDiagnosticsBuilderProgram | undefined;
  private readonly cache = new Map<string, { mtime: number; file: TS.SourceFile }>();
  private readonly versions = new Map<string, string | undefined>();
  /** How many files the last check re-checked. */
  lastChecked = 0;

  constructor(module: string) {
    // Loaded here, not at the top: only `blockwork dev` needs the compiler.
    this.ts = createRequire(import.meta.url)("typescript") as typeof TS;
    const ts = this.ts;
    const config = ts.findConfigFile(dirname(module), ts.sys.fileExists);
    const parsed = config ? ts.getParsedCommandLineOfConfigFile(config, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined }) : undefined;
    this.options = { ...(parsed?.options ?? { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022 }), noEmit: true, incremental: false, composite: false, skipLibCheck: true };
    delete this.options.tsBuildInfoFile;
  }

  /** The errors of `files` (and of what they import in the project, not in libraries). */
  check(files: readonly string[], _changed: readonly string[] = []): DevDiagnostic[] {
    const ts = this.ts;
    const host = ts.createCompilerHost(this.options);
    const original = host.getSourceFile.bind(host);
    host.getSourceFile = (name, version, onError, create) => {
      let mtime = -1;
      try {
        mtime = statSync(name).mtimeMs;
      } catch {
        return original(name, version, onError, create);
      }
      const cached = this.cache.get(name);
      if (cached && cached.mtime === mtime) return cached.file;
      const file = original(name, version, onError, create);
      if (file) {
        // The builder tells changed files by their version.
        (file as TS.SourceFile & { version?: string }).version = String(mtime);
        this.cache.set(name, { mtime, file });
      }
      return file;
    };
    this.builder = ts.createSemanticDiagnosticsBuilderProgram([...files], this.options, host, this.builder);
    const program = this.builder.getProgram();
    // Only the watched files: the builder keeps the diagnostics of a file no change affected, so an
    // unchanged implementation is not checked again (and libraries are checked only as far as used).
    const out: DevDiagnostic[] = [];
    let checked = 0;
    for (const name of files) {
      const source = program.getSourceFile(name);
      if (source === undefined) continue;
      const before = this.versions.get(name);
      const version = (source as TS.SourceFile & { version?: string }).version;
      if (before !== version) checked++;
      this.versions.set(name, version);
      out.push(...this.builder.getSyntacticDiagnostics(source).map((d) => this.toDiagnostic(d)));
      out.push(...this.builder.getSemanticDiagnostics(source).map((d) => this.toDiagnostic(d)));
    }
    this.lastChecked = checked;
    return out;
  }

  private toDiagnostic(d: TS.Diagnostic): DevDiagnostic {
    const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
    return { file: d.file?.fileName ?? "", line: at.line + 1, column: at.character + 1, code: d.code, message: this.ts.flattenDiagnosticMessageText(d.messageText, "\n") };
  }
}
