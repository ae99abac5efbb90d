// Which exports of the public entries have no doc comment (TSDoc `/** ... */` on a declaration of
// the exported symbol). `npm test` runs it (test/doc-comments.test.ts); run it alone with
// `node --import tsx scripts/doc-comments.ts` to list what is missing.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { type PublicEntry, publicEntries } from "./public-entries.js";

/** An export without a doc comment. */
export interface Undocumented {
  readonly entry: string;
  readonly name: string;
  /** Where it is declared: `packages/spec/src/x.ts:12`. */
  readonly at: string;
}

/** A JSDoc block that documents a file (TypeDoc's module comment), not the declaration after it. */
function isModuleComment(doc: ts.JSDoc): boolean {
  return (doc.tags ?? []).some((t) => t.tagName.text === "module" || t.tagName.text === "packageDocumentation");
}

function hasDocComment(declaration: ts.Declaration): boolean {
  // `export const x = ...`: the comment sits on the variable statement, two levels up.
  let node: ts.Node = declaration;
  if (ts.isVariableDeclaration(node) && node.parent.parent && ts.isVariableStatement(node.parent.parent)) node = node.parent.parent;
  const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
  return docs.some((doc) => !isModuleComment(doc) && (typeof doc.comment === "string" ? doc.comment.trim() !== "" : (doc.comment?.length ?? 0) > 0 || (doc.tags?.length ?? 0) > 0));
}

/** Every export of `entries` that has no doc comment on any of its declarations. */
export function undocumentedExports(root: string, entries: readonly PublicEntry[] = publicEntries(root)): Undocumented[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (config === undefined) throw new Error("tsconfig.json could not be read");
  const files = entries.map((e) => join(root, e.file));
  const program = ts.createProgram(files, { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const missing: Undocumented[] = [];
  for (const entry of entries) {
    const source = program.getSourceFile(join(root, entry.file));
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (moduleSymbol === undefined) throw new Error(`${entry.file} is not a module`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declarations = symbol.getDeclarations() ?? [];
      if (declarations.some(hasDocComment)) continue;
      const first = declarations[0];
      const file = first?.getSourceFile();
      const at = first && file ? `${file.fileName.slice(root.length).replace(/^\//, "")}:${file.getLineAndCharacterOfPosition(first.getStart()).line + 1}` : "(no declaration)";
      missing.push({ entry: entry.specifier, name: exported.name, at });
    }
  }
  return missing;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const missing = undocumentedExports(root);
  for (const m of missing) process.stdout.write(`${m.entry}: ${m.name} (${m.at})\n`);
  process.stdout.write(`${missing.length} export${missing.length === 1 ? "" : "s"} without a doc comment\n`);
  process.exitCode = missing.length === 0 ? 0 : 1;
}
