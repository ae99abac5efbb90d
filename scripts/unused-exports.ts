// Exports nothing uses: a value (function, class, constant) exported from a file under packages/*/src that no package entry
// exposes and no other file imports (tests, benches, examples and scripts count as users).
// Run by `npm run lint:exports`; exits 1 and lists them. Biome has no rule for this.
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const parsed = ts.getParsedCommandLineOfConfigFile(join(root, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => console.error(ts.flattenDiagnosticMessageText(d.messageText, "\n")) });
if (parsed === undefined) process.exit(2);
const program = ts.createProgram(parsed.fileNames, parsed.options);
const checker = program.getTypeChecker();
const used = new Set<ts.Symbol>();
const original = (s: ts.Symbol): ts.Symbol => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
const exportsOf = (file: ts.SourceFile): ts.Symbol[] => {
  const module = checker.getSymbolAtLocation(file);
  return module === undefined ? [] : checker.getExportsOfModule(module);
};
const useAll = (file: ts.SourceFile | undefined) => file && exportsOf(file).forEach((s) => used.add(original(s)));
const fileOf = (from: ts.SourceFile, specifier: string): ts.SourceFile | undefined => {
  const found = ts.resolveModuleName(specifier, from.fileName, parsed.options, ts.sys).resolvedModule;
  return found === undefined ? undefined : program.getSourceFile(found.resolvedFileName);
};

// What the packages expose: every entry of every package.json "exports" (its source file).
for (const pkg of ["spec", "core", "nodes", "server", "cli"]) {
  const manifest = JSON.parse(readFileSync(join(root, "packages", pkg, "package.json"), "utf8")) as { exports: Record<string, unknown> };
  for (const target of Object.values(manifest.exports)) {
    const source = typeof target === "object" && target !== null ? (target as Record<string, string>)["@blockwork/source"] : undefined;
    if (source !== undefined) useAll(program.getSourceFile(join(root, "packages", pkg, source)));
  }
}

// What files import from each other.
for (const file of program.getSourceFiles()) {
  if (file.isDeclarationFile || file.fileName.includes("/node_modules/")) continue;
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && node.importClause !== undefined) {
      const clause = node.importClause;
      const bindings = clause.namedBindings;
      if (clause.name) used.add(original(checker.getSymbolAtLocation(clause.name) as ts.Symbol));
      if (bindings && ts.isNamespaceImport(bindings)) useAll(fileOf(file, (node.moduleSpecifier as ts.StringLiteral).text));
      if (bindings && ts.isNamedImports(bindings)) for (const element of bindings.elements) {
        const symbol = checker.getSymbolAtLocation(element.name);
        if (symbol) used.add(original(symbol));
      }
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      useAll(fileOf(file, node.arguments[0].text));
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      useAll(fileOf(file, node.argument.literal.text));
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

const unused: string[] = [];
for (const file of program.getSourceFiles()) {
  const path = relative(root, file.fileName);
  if (!/^packages\/[a-z]+\/src\//.test(path) || /\.test(-d)?\.ts$/.test(path)) continue;
  for (const symbol of exportsOf(file)) {
    if (symbol.flags & ts.SymbolFlags.Alias) continue; // a re-export: the original is what counts
    // Types stay exportable: a type that appears in a public signature must be nameable (STYLE.md §4).
    if (!(symbol.flags & ts.SymbolFlags.Value)) continue;
    if (!used.has(symbol)) unused.push(`${path}: ${symbol.name}`);
  }
}
if (unused.length > 0) {
  console.error(`${unused.length} exports nothing imports (not exposed by a package entry, not imported by any file). Remove the export, or use it:\n${unused.map((u) => `  ${u}`).join("\n")}`);
  process.exit(1);
}
console.log("no unused exports");
