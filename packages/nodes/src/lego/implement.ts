import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, relative, resolve } from "node:path";
import type { CodeBlock } from "@blockwork/spec";
import { countContextTokens } from "../agent/prompt.js";
import type { ChatMessage, Model } from "../model/model.js";
import { contractTypesSource } from "./contract-types.js";
import { checkPolicy } from "./policy.js";
import { loadTypeScript, MemoryTypeChecker, type TypeDiagnostic } from "./typecheck.js";
import { formatVerifyReport, verifyBlock, type BlockVerdict } from "./verify.js";

/** What {@link implementBlock} needs. */
export interface ImplementOptions {
  /** A declared block (`declareBlock`). */
  readonly block: CodeBlock;
  /** Where its implementation goes (absolute path): the declared `implementation` module. */
  readonly file: string;
  readonly model: Model;
  /** Candidates the agent may write before giving up. Default 4. */
  readonly attempts?: number;
  /** Generated inputs `verify` runs each candidate on. Default 100. */
  readonly runs?: number;
  readonly seed?: number;
  /** Module specifiers the implementation may import besides its contract types (default none). */
  readonly allowImports?: readonly string[];
  /**
   * Repair mode: the current implementation and why it fails (after a contract change); the agent
   * sees both and writes a new one.
   */
  readonly repair?: { readonly code: string; readonly failure: string };
  /** Reports each attempt as it finishes (the CLI prints it). */
  readonly onAttempt?: (attempt: ImplementAttempt) => void;
  /** Keep the checker between calls (the dev loop does: lib files are parsed once). */
  readonly checker?: MemoryTypeChecker;
}

/** Why a candidate was refused, in the order the gates run. */
export type RefusalKind = "no_code" | "wrong_file" | "forbidden" | "type_error" | "load_error" | "verify_failed";

/** One candidate and its verdict. */
export interface ImplementAttempt {
  readonly attempt: number;
  readonly accepted: boolean;
  readonly refusal?: RefusalKind;
  /** The precise diagnostics sent back to the agent. */
  readonly diagnostics: readonly string[];
  /** Tokens of the context of this call (instructions, contract, examples, properties, feedback). */
  readonly contextTokens: number;
  readonly code?: string;
}

/** What {@link implementBlock} did. */
export interface ImplementResult {
  readonly block: string;
  readonly status: "accepted" | "exhausted";
  readonly attempts: readonly ImplementAttempt[];
  /** Tokens of the first call's context: what the block's agent is given to start with. */
  readonly contextTokens: number;
  /** The files written (implementation and contract types), only when accepted. */
  readonly written: readonly string[];
  readonly verdict?: BlockVerdict;
}

/** The module specifier of the contract types, as the implementation imports it. */
export function contractModuleOf(file: string): { path: string; specifier: string } {
  const path = file.replace(/(\.impl)?\.[cm]?[tj]sx?$/, ".contract.ts");
  return { path, specifier: `./${basename(path).replace(/\.ts$/, ".js")}` };
}

const INSTRUCTIONS = `You implement one block of a Blockwork graph: a TypeScript module whose default export is the
block's run function. You see only this block: its purpose, its contract (as TypeScript types),
examples and the properties every run must satisfy. Rules:
- Write exactly one file, the one named below, as a single \`\`\`ts code block. Nothing else is written.
- Import only what is listed under "You may import" (with \`import type\`); no other modules, no
  require(), no dynamic import(), no process, globalThis, eval or Function.
- \`export default function run(input: Input, ctx: Context): Output\` (it may be async).
- The result must satisfy the Output type exactly (no extra fields), every property, every example.
Your code is type-checked, run on the examples and property-tested on generated inputs (empty
strings, boundaries, unicode). When it fails you get the precise diagnostics: fix them.`;

/**
 * The block agent's first message: the block's purpose, its contract types, its examples, its
 * properties (their source text), the file it writes and what it may import. Nothing else of the
 * graph is in it.
 */
export function implementContext(options: Pick<ImplementOptions, "block" | "file" | "allowImports" | "repair"> & { readonly root?: string }): ChatMessage[] {
  const { block, file } = options;
  const contract = contractModuleOf(file);
  const info = (block as unknown as Record<symbol, { purpose: string; examples: readonly { input: unknown; output: unknown; note?: string }[]; properties: Record<string, unknown> } | undefined>)[Symbol.for("blockwork.declared")];
  const shown = options.root ? relative(options.root, file) : basename(file);
  const parts = [
    `Block "${block.id}": ${info?.purpose ?? block.description ?? "(no purpose given)"}`,
    "",
    `File you write: ${shown}`,
    `You may import (types only): ${[contract.specifier, ...(options.allowImports ?? [])].join(", ")}`,
    "",
    `Contents of ${contract.specifier} (the contract as types):`,
    "```ts",
    contractTypesSource(block).trimEnd(),
    "```",
    "",
    "Examples (input → output; reproduce them exactly):",
    ...(info?.examples ?? []).map((e) => `- ${JSON.stringify(e.input)} → ${JSON.stringify(e.output)}${e.note ? `  (${e.note})` : ""}`),
  ];
  const properties = Object.entries(info?.properties ?? {});
  if (properties.length) {
    parts.push("", "Properties every run must satisfy (over { input, output }):");
    for (const [name, property] of properties) parts.push(`- ${name}: ${typeof property === "function" ? String(property) : describeSchema(property)}`);
  }
  if (options.repair) {
    parts.push("", "The current implementation no longer passes (the contract changed):", "```ts", options.repair.code.trimEnd(), "```", "Why it fails:", options.repair.failure.trimEnd(), "", "Write a new implementation.");
  }
  return [
    { role: "system", content: INSTRUCTIONS },
    { role: "user", content: parts.join("\n") },
  ];
}

function describeSchema(schema: unknown): string {
  const description = (schema as { description?: unknown }).description;
  return typeof description === "string" ? description : "a zod refinement of { input, output }";
}

/**
 * Has a block agent write a declared block's implementation from its contract alone, and accepts a
 * candidate only when it (1) is one file, the block's own, (2) imports nothing but its contract
 * types, (3) type-checks (TypeScript compiler API, in memory), and (4) passes `verify`: the
 * examples, the output schema and the properties on generated inputs. A refused candidate goes
 * back to the agent with the precise diagnostics, within the attempt budget. Files are written only
 * on acceptance.
 *
 * @example
 * const result = await implementBlock({ block: slugify, file: "/repo/src/slugify.impl.ts", model: modelFromEnv() });
 * if (result.status === "accepted") console.log("wrote", result.written);
 */
export async function implementBlock(options: ImplementOptions): Promise<ImplementResult> {
  const ts = await loadTypeScript();
  const checker = options.checker ?? new MemoryTypeChecker(ts);
  const budget = options.attempts ?? 4;
  const contract = contractModuleOf(options.file);
  const contractText = contractTypesSource(options.block);
  const messages = implementContext({ ...options, root: dirname(options.file) });
  const attempts: ImplementAttempt[] = [];
  const firstTokens = countContextTokens(messages);
  for (let n = 1; n <= budget; n++) {
    const contextTokens = countContextTokens(messages);
    const response = await options.model.generate({ messages, temperature: 0 });
    messages.push({ role: "assistant", content: response.text });
    const verdict = await judge(response.text, { ...options, contract, contractText, checker, ts });
    const clean: ImplementAttempt = { attempt: n, accepted: verdict.accepted, diagnostics: verdict.diagnostics, contextTokens, ...(verdict.refusal ? { refusal: verdict.refusal } : {}), ...(verdict.code !== undefined ? { code: verdict.code } : {}) };
    attempts.push(clean);
    options.onAttempt?.(clean);
    if (verdict.accepted && verdict.code !== undefined) {
      await mkdir(dirname(options.file), { recursive: true });
      await writeFile(contract.path, contractText);
      await writeFile(options.file, verdict.code.endsWith("\n") ? verdict.code : `${verdict.code}\n`);
      return { block: options.block.id, status: "accepted", attempts, contextTokens: firstTokens, written: [options.file, contract.path], ...(verdict.verdict ? { verdict: verdict.verdict } : {}) };
    }
    messages.push({ role: "user", content: `Your candidate was refused (${verdict.refusal}). Fix these and send the whole file again:\n${verdict.diagnostics.map((d) => `- ${d}`).join("\n")}` });
  }
  return { block: options.block.id, status: "exhausted", attempts, contextTokens: firstTokens, written: [] };
}

interface Judged {
  readonly accepted: boolean;
  readonly refusal?: RefusalKind;
  readonly diagnostics: string[];
  readonly code?: string;
  readonly verdict?: BlockVerdict;
}

interface Judging extends ImplementOptions {
  readonly contract: { path: string; specifier: string };
  readonly contractText: string;
  readonly checker: MemoryTypeChecker;
  readonly ts: Awaited<ReturnType<typeof loadTypeScript>>;
}

async function judge(reply: string, j: Judging): Promise<Judged> {
  const extracted = extractCode(reply);
  if (extracted.code === undefined) return { accepted: false, refusal: "no_code", diagnostics: ["No ```ts code block found in the answer. Answer with the whole file in one ```ts block."] };
  const code = extracted.code;
  if (extracted.file !== undefined && !namesOwnFile(extracted.file, j.file)) {
    return { accepted: false, refusal: "wrong_file", code, diagnostics: [`You may write only ${basename(j.file)}; the answer writes ${extracted.file}. Nothing was written.`] };
  }
  const policy = checkPolicy(j.ts, code, { allowed: [j.contract.specifier, j.contract.specifier.replace(/\.js$/, ""), j.contract.specifier.replace(/\.js$/, ".ts"), ...(j.allowImports ?? [])] });
  if (policy.length) return { accepted: false, refusal: "forbidden", code, diagnostics: policy };

  const candidate = `/block/${basename(j.file)}`;
  const contractPath = `/block/${basename(j.contract.path)}`;
  const probe = `/block/__conforms__.ts`;
  const importOf = `./${basename(j.file).replace(/\.[cm]?tsx?$/, ".js")}`;
  const files = new Map([
    [candidate, code],
    [contractPath, j.contractText],
    [probe, `import run from "${importOf}";\nimport type { Run } from "${j.contract.specifier}";\nexport const conforms: Run = run;\n`],
  ]);
  const diagnostics = j.checker.check(files);
  if (diagnostics.length) return { accepted: false, refusal: "type_error", code, diagnostics: diagnostics.map((d) => formatDiagnostic(d, probe, basename(j.file))) };

  let run: unknown;
  try {
    const js = j.ts.transpileModule(code, { compilerOptions: { target: j.ts.ScriptTarget.ES2022, module: j.ts.ModuleKind.ESNext, verbatimModuleSyntax: true } }).outputText;
    const namespace = (await import(/* @vite-ignore */ `data:text/javascript;base64,${Buffer.from(js).toString("base64")}`)) as Record<string, unknown>;
    run = namespace["default"];
  } catch (error) {
    return { accepted: false, refusal: "load_error", code, diagnostics: [`Loading the module failed: ${error instanceof Error ? error.message : String(error)}`] };
  }
  if (typeof run !== "function") return { accepted: false, refusal: "load_error", code, diagnostics: ["The module has no default export function: export default function run(input: Input, ctx: Context): Output { ... }"] };
  const implemented = (j.block as unknown as { implement(run: unknown): CodeBlock }).implement(run);
  const verdict = await verifyBlock(implemented, { runs: j.runs ?? 100, seed: j.seed ?? 1 });
  if (verdict.status !== "passed") {
    const text = formatVerifyReport({ ok: false, blocks: [verdict], durationMs: 0 }).split("\n").filter((l) => l && !/ verified in /.test(l)).map((l) => l.trim());
    return { accepted: false, refusal: "verify_failed", code, diagnostics: text, verdict };
  }
  return { accepted: true, diagnostics: [], code, verdict };
}

/** Whether a file an answer names is the block's own file (no `..`, and it resolves to it). */
function namesOwnFile(named: string, file: string): boolean {
  const clean = named.replace(/^\.\//, "");
  if (clean.split(/[\\/]/).includes("..")) return false;
  return resolve(dirname(file), clean) === file || file.endsWith(`/${clean}`);
}

function formatDiagnostic(d: TypeDiagnostic, probe: string, shown: string): string {
  if (d.file === probe) return `The default export does not match the contract's Run type: ${d.message}`;
  return `${d.file ? `${d.file.replace(/^\/block\//, "")}` : shown}:${d.line}:${d.column} TS${d.code}: ${d.message}`;
}

/** The first fenced code block of an answer, and the file it names (`File: x.ts` before it), if any. */
export function extractCode(reply: string): { code?: string; file?: string } {
  const fence = /```(?:ts|typescript|js|javascript|tsx)?[^\n]*\n([\s\S]*?)```/.exec(reply);
  const before = fence ? reply.slice(0, fence.index) : reply;
  const named = /(?:^|\n)\s*(?:\/\/\s*)?file:\s*`?([^\s`]+)`?/i.exec(before) ?? (fence ? /^\s*\/\/\s*file:\s*(\S+)/i.exec(fence[1] as string) : null);
  return { ...(fence ? { code: fence[1] as string } : {}), ...(named ? { file: named[1] as string } : {}) };
}
