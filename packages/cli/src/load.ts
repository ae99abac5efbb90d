import { readFile, stat } from "node:fs/promises";
import { extname, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { GraphBlock, GraphDef, LoadProblem } from "@blockwork/spec";
import { isGraphDefLike, parseGraphDef, parseGraphDefJson } from "@blockwork/spec";
import { findNodeAtLocation, parseTree } from "jsonc-parser";
import { glob, isDynamicPattern } from "tinyglobby";
import { CliError } from "./io.js";
import { describeLoadFailure } from "./load-error.js";
import { graphDefProblems } from "./schema-check.js";

/** A graph found in a file: its export name (for modules), its GraphDef, and the built graph (modules only). */
export interface LoadedGraph {
  readonly file: string;
  readonly exportName?: string;
  readonly def: GraphDef;
  /** The built graph with its implementations, when the file is a module exporting one. */
  readonly graph?: GraphBlock;
}

/** A file that could not be loaded, or an export that is not a valid GraphDef. */
export interface FileProblem {
  readonly file: string;
  readonly exportName?: string;
  readonly problems: readonly LoadProblem[];
  /** Where a module's failure to load is (maybe a module it imports), for SARIF: absolute file, 1-based. */
  readonly location?: { readonly file: string; readonly line: number; readonly column: number };
  /** The source lines around `location`, with a caret. */
  readonly frame?: string;
  /** What the module threw while loading (its stack is shown with --verbose). */
  readonly error?: unknown;
}

export interface LoadedFile {
  readonly file: string;
  readonly graphs: readonly LoadedGraph[];
  readonly problems: readonly FileProblem[];
  /** The file's text, for locating issues (JSON documents and modules alike). */
  readonly text: string;
}

const MODULE_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".tsx", ".jsx"]);
/** Files picked up when a directory is given: `*.graph.ts`, `*.graph.json`, ... */
const GRAPH_FILE_GLOB = "**/*.graph.{ts,mts,cts,js,mjs,cjs,json}";

/**
 * Expands command-line paths: files as they are, directories to the graph files under them
 * (`*.graph.{ts,js,json,...}`, skipping node_modules and dist), and globs.
 */
export async function expandPaths(paths: readonly string[], cwd: string): Promise<string[]> {
  const files = new Set<string>();
  for (const path of paths) {
    if (isDynamicPattern(path)) {
      const matches = await glob(path, { cwd, absolute: true, ignore: ["**/node_modules/**", "**/dist/**"] });
      if (matches.length === 0) throw new CliError(`No files match ${JSON.stringify(path)}.`);
      for (const m of matches.sort()) files.add(m);
      continue;
    }
    const full = resolve(cwd, path);
    const info = await stat(full).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`Cannot read ${path}: ${error.code === "ENOENT" ? "no such file or directory" : error.message}.`);
    });
    if (info.isDirectory()) {
      const matches = await glob(GRAPH_FILE_GLOB, { cwd: full, absolute: true, ignore: ["**/node_modules/**", "**/dist/**"] });
      for (const m of matches.sort()) files.add(m);
    } else {
      files.add(full);
    }
  }
  return [...files];
}

/** Options of {@link loadOneGraph}. */
export interface OneGraphOptions {
  /** Which export, when the file exports several graphs. */
  readonly exportName?: string | undefined;
  /** What the graph is to the command, for messages: `the old graph`. */
  readonly role?: string;
  /** Only built graphs (with their implementations) count: for commands that run the graph. */
  readonly built?: boolean;
  /** How to pick one when the file exports several. Default: `--export NAME`. */
  readonly choose?: string;
}

/**
 * Loads `file` and picks the one graph a command is about: the export `exportName`, else the only
 * graph there is. Otherwise a `CliError` says what the file holds and how to choose.
 */
export async function loadOneGraph(file: string, cwd: string, options: OneGraphOptions = {}): Promise<LoadedGraph & { readonly shown: string }> {
  const full = resolve(cwd, file);
  const shown = relative(cwd, full) || file;
  const loaded = await loadFile(full, cwd);
  const { exportName, role, built = false } = options;
  const named = `${shown}${role ? ` (${role})` : ""}`;
  const candidates = loaded.graphs.filter((g) => (!built || g.graph !== undefined) && (exportName === undefined || g.exportName === exportName));
  if (candidates.length === 0) {
    const problem = loaded.problems.find((p) => exportName === undefined || p.exportName === exportName);
    if (problem) {
      const details = problem.problems.map((p) => `${p.path.length ? `${p.path.join(".")}: ` : ""}${p.message}`).join("; ");
      const frame = problem.frame === undefined ? "" : `\n${problem.frame}`;
      throw new CliError(`cannot load ${role ?? "a graph"} from ${shown}${problem.exportName ? ` (${problem.exportName})` : ""}: ${details}${frame}`, undefined, problem.error === undefined ? undefined : { cause: problem.error });
    }
    const names = loaded.graphs.filter((g) => !built || g.graph !== undefined).map((g) => g.exportName).filter(Boolean);
    const kind = built ? "built graph" : "graph";
    const what = exportName === undefined ? `exports no ${kind}` : `has no ${kind} export named ${JSON.stringify(exportName)}`;
    throw new CliError(`${named} ${what} (${kind} exports: ${names.join(", ") || "none"}).`);
  }
  if (candidates.length > 1) {
    throw new CliError(`${named} exports ${candidates.length} graphs (${candidates.map((g) => g.exportName).join(", ")}); choose one with ${options.choose ?? "--export NAME"}.`);
  }
  return { ...(candidates[0] as LoadedGraph), shown };
}

/** Loads the graphs of one file: a `.json` GraphDef, or a module whose exports include graphs. */
export async function loadFile(file: string, cwd: string): Promise<LoadedFile> {
  const shown = relative(cwd, file) || file;
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`Cannot read ${shown}: ${error.message}.`);
  });
  const extension = extname(file);
  if (extension === ".json") {
    const parsed = parseGraphDefJson(text);
    const edge = parsed.ok ? graphDefProblems(parsed.def) : [];
    const result = edge.length > 0 ? { ok: false as const, problems: edge } : parsed;
    if (result.ok) return { file, text, graphs: [{ file, def: result.def }], problems: [] };
    return { file, text, graphs: [], problems: [{ file, problems: result.problems.map((p) => withPosition(p, text)) }] };
  }
  if (!MODULE_EXTENSIONS.has(extension)) {
    throw new CliError(`Cannot load ${shown}: expected a .json GraphDef or a TypeScript/JavaScript module (${[...MODULE_EXTENSIONS].join(", ")}).`);
  }
  return loadModule(file, shown, text, cwd);
}

/** JavaScript modules Node imports itself; anything else (TypeScript) goes through tsx. */
const JS_EXTENSIONS = new Set([".js", ".mjs", ".cjs"]);

/**
 * Imports a TypeScript or JavaScript module by its absolute path. JavaScript is imported by Node
 * itself; TypeScript is compiled on the fly by tsx (loaded only then), so no build step.
 */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  if (JS_EXTENSIONS.has(extname(file))) return (await import(url)) as Record<string, unknown>;
  const { tsImport } = await import("tsx/esm/api");
  return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
}

async function loadModule(file: string, shown: string, text: string, cwd: string): Promise<LoadedFile> {
  let namespace: Record<string, unknown>;
  try {
    namespace = await importModule(file);
  } catch (error) {
    const failure = await describeLoadFailure(error, file, text, cwd);
    const problem: FileProblem = {
      file,
      problems: [{ path: [], message: failure.message }],
      error,
      ...(failure.line !== undefined ? { location: { file: failure.file, line: failure.line, column: failure.column ?? 1 } } : {}),
      ...(failure.frame !== undefined ? { frame: failure.frame } : {}),
    };
    return { file, text, graphs: [], problems: [problem] };
  }
  const graphs: LoadedGraph[] = [];
  const problems: FileProblem[] = [];
  // `export default graph` next to `export const graph` is one graph, not two.
  const named = new Set(Object.entries(namespace).filter(([name]) => name !== "default").map(([, value]) => value));
  for (const [exportName, value] of Object.entries(namespace)) {
    if (exportName === "default" && named.has(value)) continue;
    const def = defOf(value);
    if (def === undefined) continue;
    const parsed = parseGraphDef(def);
    const graph = isBuiltGraph(value) ? { graph: value } : {};
    const edge = parsed.ok ? graphDefProblems(parsed.def) : [];
    if (parsed.ok && edge.length === 0) graphs.push({ file, exportName, def: parsed.def, ...graph });
    else problems.push({ file, exportName, problems: parsed.ok ? edge : parsed.problems });
  }
  if (graphs.length === 0 && problems.length === 0) {
    problems.push({
      file,
      problems: [{ path: [], message: `${shown} exports no graph. Export a built graph (createGraph(...).build()) or a GraphDef.` }],
    });
  }
  return { file, text, graphs, problems };
}

function isBuiltGraph(value: unknown): value is GraphBlock {
  const v = value as Record<string, unknown> | null;
  return typeof v === "object" && v !== null && v["kind"] === "graph" && v["blocks"] instanceof Map;
}

/** A built graph (its `def`) or a GraphDef object; anything else is not a graph. */
function defOf(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v["kind"] === "graph" && isGraphDefLike(v["def"])) return v["def"];
  if (isGraphDefLike(value)) return value;
  return undefined;
}

/** Adds line/column to a problem in a JSON document, from its JSON path. */
function withPosition(problem: LoadProblem, text: string): LoadProblem {
  if (problem.line !== undefined) return problem;
  const position = positionOf(text, problem.path);
  return position ? { ...problem, ...position } : problem;
}

/** The 1-based line and column of the value at `path` in a JSON document (nearest existing parent). */
function positionOf(text: string, path: readonly (string | number)[]): { line: number; column: number } | undefined {
  let tree: ReturnType<typeof parseTree>;
  try {
    tree = parseTree(text);
  } catch {
    // jsonc-parser recurses: a document nested thousands deep has no position (its problem still has a path).
    return undefined;
  }
  if (!tree) return undefined;
  for (let length = path.length; length >= 0; length--) {
    const node = findNodeAtLocation(tree, path.slice(0, length) as (string | number)[]);
    if (node) return lineColumn(text, node.parent?.type === "property" ? node.parent.offset : node.offset);
  }
  return undefined;
}

/**
 * Where a block is declared in a module, approximately: the first `.as("id")` or `id: "id"`, else
 * the first place the id appears as a string literal outside a line comment.
 */
function positionOfId(text: string, id: string): { line: number; column: number } | undefined {
  // Ids are letters, digits, `_` and `-`: nothing to escape in a regular expression.
  const quoted = `(["'\`])${id}\\1`;
  for (const pattern of [`\\.as\\(\\s*${quoted}`, `\\bid:\\s*${quoted}`, `^(?!\\s*//).*?${quoted}`]) {
    const match = new RegExp(pattern, "m").exec(text);
    if (match) return lineColumn(text, match.index + match[0].length - id.length - 2);
  }
  return undefined;
}

/**
 * Where a checker issue is in the file its graph came from: in a JSON document, the value at the
 * issue's path; in a module, the block's declaration (see {@link positionOfId}) and, when the issue
 * is about one input field (`...input.fields.text`), that field's binding in the same builder call.
 */
export function positionOfIssue(text: string, file: string, issue: { readonly path: readonly (string | number)[]; readonly block?: string }): { line: number; column: number } | undefined {
  if (extname(file) === ".json") return positionOf(text, issue.path);
  if (issue.block === undefined) return undefined;
  const block = wiringOf(text, issue.block) ?? positionOfId(text, issue.block);
  if (block === undefined) return undefined;
  const fieldsAt = issue.path.lastIndexOf("fields");
  const field = fieldsAt >= 0 ? issue.path[fieldsAt + 1] : undefined;
  if (typeof field !== "string" || !/^[\w$]+$/.test(field)) return block;
  // The builder call that declares the block: from its id to the next call at the start of a line.
  const start = offsetOf(text, block);
  const rest = text.slice(start);
  const end = rest.search(/\n\s*\.(?:then|add|edge|route|bind|output|build|start|loop|map)\(/);
  const call = end < 0 ? rest : rest.slice(0, end);
  const binding = new RegExp(`(?:^|[\\s{,(])(["']?)${field}\\1\\s*:`, "m").exec(call);
  if (!binding) return block;
  return lineColumn(text, start + binding.index + binding[0].length - binding[0].trimStart().length);
}

/**
 * Where a block declared as `const name = defineContract({ id: "<id>", ... })` is added to the
 * graph: the `.then(name` or `.add(name` call (not `name.as(...)`, a copy under another id).
 */
function wiringOf(text: string, id: string): { line: number; column: number } | undefined {
  const declared = new RegExp(`(?:const|let|var)\\s+([\\w$]+)\\s*=\\s*defineContract\\(\\s*\\{\\s*id:\\s*(["'\`])${id}\\2`).exec(text);
  if (!declared) return undefined;
  const name = (declared[1] as string).replace(/\$/g, "\\$");
  const call = new RegExp(`\\.(?:then|add)\\(\\s*${name}\\b(?!\\s*\\.as\\()`).exec(text);
  return call ? lineColumn(text, call.index + call[0].length - (declared[1] as string).length) : undefined;
}

function offsetOf(text: string, at: { line: number; column: number }): number {
  let offset = 0;
  for (let line = 1; line < at.line; line++) offset = text.indexOf("\n", offset) + 1;
  return offset + at.column - 1;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
