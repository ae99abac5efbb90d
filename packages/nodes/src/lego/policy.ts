import type * as TS from "typescript";

/** Globals an implementation may not touch: they reach outside the block (files, processes, code). */
const FORBIDDEN_GLOBALS = new Set(["process", "globalThis", "global", "window", "self", "eval", "Function", "require", "module", "Deno", "Bun", "fetch", "XMLHttpRequest", "WebSocket", "importScripts", "__dirname", "__filename"]);

/**
 * What a candidate implementation does that it may not: import a module that is not allowed
 * (a value import of its contract types too: they are types), re-export from one, load code
 * dynamically (`import()`, `require`), or reach a global that leads outside the block (`process`,
 * `globalThis`, `eval`, `Function`, `fetch`, ...). Each problem is one message with its line.
 */
export function checkPolicy(ts: typeof TS, code: string, options: { readonly allowed: readonly string[] }): string[] {
  const source = ts.createSourceFile("candidate.ts", code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const problems: string[] = [];
  const at = (node: TS.Node) => `line ${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
  const allowed = new Set(options.allowed);
  const visit = (node: TS.Node): void => {
    if (ts.isImportDeclaration(node) || (ts.isExportDeclaration(node) && node.moduleSpecifier)) {
      const specifier = (node.moduleSpecifier as TS.StringLiteral).text;
      if (!allowed.has(specifier)) problems.push(`${at(node)}: importing "${specifier}" is not allowed; you may import only ${options.allowed[0]} (types).`);
      else if (ts.isImportDeclaration(node) && !isTypeOnly(ts, node)) problems.push(`${at(node)}: import from "${specifier}" with \`import type\`: it holds types only.`);
    } else if (ts.isImportEqualsDeclaration(node)) {
      problems.push(`${at(node)}: \`import = require()\` is not allowed.`);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      problems.push(`${at(node)}: dynamic import() is not allowed: an implementation loads no code.`);
    } else if (ts.isMetaProperty(node)) {
      problems.push(`${at(node)}: import.meta is not allowed.`);
    } else if ((ts.isPropertyAccessExpression(node) && ["constructor", "__proto__", "prototype"].includes(node.name.text))) {
      problems.push(`${at(node)}: \`.${(node as TS.PropertyAccessExpression).name.text}\` is not allowed: it leads to the Function constructor and out of the block.`);
    } else if (ts.isElementAccessExpression(node) && ts.isStringLiteral(node.argumentExpression) && ["constructor", "__proto__", "prototype"].includes(node.argumentExpression.text)) {
      problems.push(`${at(node)}: \`["${node.argumentExpression.text}"]\` is not allowed: it leads to the Function constructor and out of the block.`);
    } else if (ts.isIdentifier(node) && FORBIDDEN_GLOBALS.has(node.text) && isReference(ts, node)) {
      problems.push(`${at(node)}: \`${node.text}\` is not allowed: an implementation computes its output from its input, and reaches nothing outside its block.`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return problems;
}

function isTypeOnly(ts: typeof TS, node: TS.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (clause === undefined) return false;
  if (clause.isTypeOnly) return true;
  if (clause.name !== undefined) return false;
  const bindings = clause.namedBindings;
  return bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

/** Whether an identifier refers to a variable (not a property name, a declaration or a member access). */
function isReference(ts: typeof TS, node: TS.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) || ts.isPropertySignature(parent) || ts.isMethodDeclaration(parent)) && parent.name === node) return false;
  if (ts.isQualifiedName(parent) && parent.right === node) return false;
  if ((ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isFunctionDeclaration(parent) || ts.isBindingElement(parent)) && parent.name === node) return false;
  return true;
}
