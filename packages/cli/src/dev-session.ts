import { statSync } from "node:fs";
import { dirname, relative, resolve as resolvePath } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { MemoryStore, resume, run, type RunEvent, type RunHandle } from "@blockwork/core";
import { agentInfo, declaredBlocks, formatVerifyReport, simulate, verifyBlock, withImplementations, type BlockVerdict } from "@blockwork/nodes";
import { type AnyBlock, check, type CodeBlock, formatIssues, type GraphBlock, type GraphDef, type Issue, summarizeIssues } from "@blockwork/spec";
import { unimplementedBlocks } from "./declared.js";
import { IncrementalTypeCheck } from "./incremental-typecheck.js";
import { importModule, loadOneGraph } from "./load.js";

/** Options of a {@link DevSession}. */
export interface DevSessionOptions {
  readonly file: string;
  readonly cwd: string;
  readonly exportName?: string;
  /** The input re-run after every change (absent: no run). */
  readonly input?: unknown;
  /** Generated inputs per changed block. Default 50. */
  readonly runs?: number;
  /** Skip the TypeScript check (it is the slowest step). */
  readonly noTypecheck?: boolean;
  readonly print: (text: string) => void;
}

/** What a run of the session came to: its output, its failure, or where it waits; and its coverage. */
export interface RunResult {
  readonly output?: unknown;
  readonly error?: string;
  readonly coverage: string;
  readonly runId: string;
  readonly suspended?: readonly string[];
}

/** The timings and findings of one cycle (after a save, or at start). */
export interface CycleReport {
  readonly trigger: string;
  readonly typeErrors: number;
  readonly issues: readonly Issue[];
  readonly verified: readonly BlockVerdict[];
  readonly output?: unknown;
  readonly runError?: string;
  /** `total` is the time to the report (load, check, verify, run); the type check follows it (`typecheck`). */
  readonly ms: { readonly load: number; readonly typecheck: number; readonly check: number; readonly verify: number; readonly run: number; readonly total: number };
}

/**
 * The state `blockwork dev` keeps between saves: the loaded graph (its implementations hot-swapped
 * on every change, without a restart), an incremental TypeScript program, a fingerprint per block
 * (so only the blocks that changed are re-verified), the last output (for the diff) and a store
 * for `.run` / `.resume`.
 */
export class DevSession {
  graph: GraphBlock | undefined;
  private def: GraphDef | undefined;
  private fingerprints = new Map<string, string>();
  private lastOutput: { value: unknown } | undefined;
  private readonly swaps = new Map<string, (input: never, ctx: never) => unknown>();
  readonly store = new MemoryStore();
  private raw: GraphBlock | undefined;
  private readonly modules = new Map<string, { mtime: number; namespace: Record<string, unknown> }>();
  private readonly typecheck: IncrementalTypeCheck | undefined;
  readonly module: string;

  constructor(private readonly o: DevSessionOptions) {
    this.module = resolvePath(o.cwd, o.file);
    this.typecheck = o.noTypecheck ? undefined : new IncrementalTypeCheck(this.module);
  }

  /** The directory watched for changes. */
  get directory(): string {
    return dirname(this.module);
  }

  /** Loads (or reloads) everything and reports: the first cycle and every cycle after a save. */
  async cycle(trigger: string, changed: readonly string[] = []): Promise<CycleReport> {
    const t0 = performance.now();
    const ms = { load: 0, typecheck: 0, check: 0, verify: 0, run: 0, total: 0 };
    const lines: string[] = [];
    let typeErrors = 0;
    let t = performance.now();
    try {
      await this.load(changed);
    } catch (error) {
      ms.load = performance.now() - t;
      ms.total = performance.now() - t0;
      this.o.print(`${stamp(trigger)} the graph does not load: ${error instanceof Error ? error.message.split("\n").slice(0, 6).join("\n  ") : String(error)}\n`);
      if (this.typecheck) this.printTypeErrors(changed);
      return { trigger, typeErrors: 0, issues: [], verified: [], runError: "load failed", ms };
    }
    ms.load = performance.now() - t;
    const graph = this.graph as GraphBlock;

    t = performance.now();
    const issues = check(graph.def, { unimplemented: unimplementedBlocks(graph), allowMissing: true });
    ms.check = performance.now() - t;
    lines.push(`  check: ${summarizeIssues(issues)} (${fmt(ms.check)})`);
    for (const i of issues.slice(0, 8)) lines.push(`    ${formatIssues([i]).split("\n")[0]}`);

    t = performance.now();
    const verified = await this.verifyChanged(graph);
    ms.verify = performance.now() - t;
    if (verified.length === 0) lines.push("  verify: no block changed");
    for (const v of verified) {
      const text = formatVerifyReport({ ok: v.status === "passed", blocks: [v], durationMs: 0 }).split("\n").filter((l) => l && !/ verified in /.test(l));
      lines.push(...text.map((l) => `  verify ${l}`));
    }
    if (verified.length) lines.push(`  verify: ${verified.length} changed block${verified.length === 1 ? "" : "s"} in ${fmt(ms.verify)}`);

    let output: unknown;
    let runError: string | undefined;
    if (this.o.input !== undefined) {
      t = performance.now();
      const result = await this.runInput(this.o.input);
      ms.run = performance.now() - t;
      output = result.output;
      runError = result.error;
      lines.push(`  run: ${result.error ? `failed: ${result.error}` : "completed"} (${fmt(ms.run)}); ${result.coverage}`);
      lines.push(...this.diffLines(result));
    }
    ms.total = performance.now() - t0;
    this.o.print(`${stamp(trigger)} feedback in ${fmt(ms.total)}\n${lines.join("\n")}\n`);
    // The type check comes last, in its own line: the blocks run as tsx compiles them (types
    // stripped), so check, verify and the run do not wait for it; on a large graph module it is
    // the slowest step.
    if (this.typecheck) {
      t = performance.now();
      const found = this.typecheck.check(this.files(), changed);
      ms.typecheck = performance.now() - t;
      typeErrors = found.length;
      const tc = [`  typecheck: ${found.length === 0 ? "0 errors" : `${found.length} error${found.length === 1 ? "" : "s"}`} (${fmt(ms.typecheck)}, ${this.typecheck.lastChecked} file${this.typecheck.lastChecked === 1 ? "" : "s"} re-checked)`];
      for (const d of found.slice(0, 8)) tc.push(`    ${relative(this.o.cwd, d.file)}:${d.line}:${d.column} TS${d.code}: ${d.message.split("\n")[0]}`);
      this.o.print(`${tc.join("\n")}\n`);
    }
    return { trigger, typeErrors, issues, verified, ...(output !== undefined ? { output } : {}), ...(runError ? { runError } : {}), ms: { ...ms, total: ms.total } };
  }

  private printTypeErrors(changed: readonly string[]): void {
    const found = (this.typecheck as IncrementalTypeCheck).check(this.files(), changed);
    for (const d of found.slice(0, 8)) this.o.print(`    ${relative(this.o.cwd, d.file)}:${d.line}:${d.column} TS${d.code}: ${d.message.split("\n")[0]}\n`);
  }

  /**
   * Imports the graph module afresh (tsx loads a new copy each time) unless only implementation
   * modules changed, and re-imports only the implementation modules whose file changed: a save of
   * one block's file costs the import of that one file.
   */
  private async load(changed: readonly string[]): Promise<void> {
    const implementations = new Set(this.graph ? declaredBlocks(this.graph).flatMap((e) => (e.file ? [e.file] : [])) : []);
    if (this.raw === undefined || changed.length === 0 || changed.some((f) => !implementations.has(f))) {
      const found = await loadOneGraph(this.module, this.o.cwd, { exportName: this.o.exportName, built: true });
      this.raw = found.graph as GraphBlock;
    }
    const importer = async (file: string) => {
      const mtime = statSync(file).mtimeMs;
      const cached = this.modules.get(file);
      if (cached && cached.mtime === mtime) return cached.namespace;
      const namespace = await importModule(file);
      this.modules.set(file, { mtime, namespace });
      return namespace;
    };
    const { graph } = await withImplementations(this.raw, { importer, replace: this.swaps });
    this.graph = graph;
    this.def = graph.def;
  }

  /** The graph module and the implementation modules of its declared blocks. */
  private files(): string[] {
    const files = [this.module];
    if (this.graph) for (const e of declaredBlocks(this.graph)) if (e.file && e.implemented) files.push(e.file);
    return files;
  }

  private async verifyChanged(graph: GraphBlock): Promise<BlockVerdict[]> {
    const next = new Map<string, string>();
    const changed: { path: string; block: CodeBlock }[] = [];
    const declaredFiles = new Map(declaredBlocks(graph).map((e) => [e.path, e.file]));
    const visit = (g: GraphBlock, prefix: string) => {
      for (const [name, block] of g.blocks) {
        const path = `${prefix}${name}`;
        if (block.kind === "graph") visit(block, `${path}/`);
        if (block.kind !== "code") continue;
        const print = fingerprint(block, declaredFiles.get(path), this.swaps.get(path));
        next.set(path, print);
        if (this.fingerprints.get(path) !== print) changed.push({ path, block });
      }
    };
    visit(graph, "");
    this.fingerprints = next;
    const verdicts: BlockVerdict[] = [];
    for (const { path, block } of changed) {
      if (isAgent(block)) continue;
      verdicts.push(await verifyBlock(block, { path, runs: this.o.runs ?? 50 }));
    }
    return verdicts;
  }

  /** Runs the graph on `input` in the session's store; the output, or the failure, and route coverage. */
  async runInput(input: unknown): Promise<RunResult> {
    const graph = this.graph as GraphBlock;
    const events: RunEvent[] = [];
    const handle = run(graph, input as never, { store: this.store, onEvent: (e) => events.push(e) });
    return this.settle(handle, events);
  }

  /** Resumes a suspended run of this session (`.resume <runId> <block> <json>`). */
  async resumeRun(runId: string, block: string | undefined, data: unknown): Promise<RunResult> {
    const events: RunEvent[] = [];
    const handle = await resume(runId, { store: this.store, graph: this.graph as GraphBlock, onEvent: (e) => events.push(e), ...(block ? { block, data } : {}) });
    return this.settle(handle, events);
  }

  private async settle(handle: RunHandle, events: RunEvent[]): Promise<RunResult> {
    // `settled` also returns when the run waits for a resume (`result` would wait for the resume).
    const settled = await handle.settled();
    const base = { coverage: coverage(this.def as GraphDef, events), runId: handle.id };
    if (settled.status === "completed") return { ...base, output: settled.output };
    if (settled.status === "suspended") return { ...base, suspended: settled.suspensions.map((x) => x.id) };
    handle.result.catch(() => undefined);
    return { ...base, error: settled.error.message.split("\n")[0] ?? settled.error.message };
  }

  private diffLines(result: RunResult): string[] {
    if (result.suspended) return [`  run ${result.runId} suspended at ${result.suspended.join(", ")} (.resume ${result.runId} <block> <json>)`];
    if (result.error !== undefined) return [];
    const previous = this.lastOutput;
    this.lastOutput = { value: result.output };
    if (previous === undefined) return [`  output: ${compact(result.output)}`];
    const changes = diffValues(previous.value, result.output, "");
    return changes.length === 0 ? ["  output: unchanged"] : ["  output changed:", ...changes.slice(0, 12).map((c) => `    ${c}`)];
  }

  /** Runs one block on an input (`.block <id> <json>`): its output checked against its contract. */
  async runBlock(id: string, input: unknown): Promise<string> {
    const block = findBlock(this.graph as GraphBlock, id);
    if (block === undefined || block.kind !== "code") return `no code block "${id}" (blocks: ${[...(this.graph as GraphBlock).blocks.keys()].join(", ")})\n`;
    const parsed = (block.contract.input as unknown as Parser).safeParse(input);
    if (!parsed.success) return `the input does not satisfy the input schema of "${id}": ${zodIssues(parsed.error)}\n`;
    try {
      const out = await block.run(parsed.data as never, { signal: new AbortController().signal, runId: "dev", path: [id], attempt: 1, idempotencyKey: `dev:${id}`, fail: (e: unknown) => ({ error: e }), report: () => undefined } as never);
      const checked = (block.contract.output as unknown as Parser).safeParse(out);
      return `${compact(out)}${checked.success ? "" : `\n  (breaks the output schema: ${zodIssues(checked.error)})`}\n`;
    } catch (error) {
      return `threw: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`;
    }
  }

  /** Replaces a block's implementation by the default export of `module` until the session ends. */
  async swap(id: string, module: string): Promise<string> {
    const path = resolvePath(this.o.cwd, module);
    const namespace = await importModule(path);
    const fn = namespace["default"] ?? namespace["run"];
    if (typeof fn !== "function") return `${module} has no default export function\n`;
    if (!findBlock(this.graph as GraphBlock, id)) return `no block "${id}"\n`;
    this.swaps.set(id, fn as (input: never, ctx: never) => unknown);
    const report = await this.cycle(`swap ${id}`);
    return report.verified.some((v) => v.status !== "passed") ? "swapped (verify failed, see above)\n" : "swapped\n";
  }

  /** `.simulate [runs]`: route coverage with generated outputs, as `blockwork simulate --all`. */
  async simulate(runs: number): Promise<string> {
    const r = await simulate(this.graph as GraphBlock, { runs, all: true });
    return `simulated ${r.runs} runs: ${r.completed} completed, ${r.failures.length} failed; blocks ${r.blocks.total - r.blocks.neverReached.length}/${r.blocks.total}, edges ${r.edges.total - r.edges.neverTaken.length}/${r.edges.total}${r.edges.neverTaken.length ? `; never taken: ${r.edges.neverTaken.join("; ")}` : ""}\n`;
  }

  /** `.check`: the checker's issues in full. */
  checkText(): string {
    const graph = this.graph as GraphBlock;
    const issues = check(graph.def, { unimplemented: unimplementedBlocks(graph), allowMissing: true });
    return issues.length ? `${formatIssues(issues)}\n` : "0 errors, 0 warnings\n";
  }
}

/** What dev needs of a zod schema (cli does not depend on zod itself). */
interface Parser {
  safeParse(value: unknown): { success: true; data: unknown } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

function zodIssues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues.map((i) => `${i.path.length ? i.path.map(String).join(".") : "(value)"}: ${i.message}`).join("; ");
}

function isAgent(block: AnyBlock): boolean {
  return agentInfo(block) !== undefined;
}

function findBlock(graph: GraphBlock, id: string): AnyBlock | undefined {
  const [head, ...rest] = id.split("/");
  const block = graph.blocks.get(head as string) ?? [...graph.blocks.values()].find((b) => b.id === head);
  if (rest.length === 0 || block === undefined) return block;
  return block.kind === "graph" ? findBlock(block, rest.join("/")) : undefined;
}

/** What identifies a block's behaviour: its contract, its code, and its module's modification time. */
function fingerprint(block: CodeBlock, file: string | undefined, swapped: unknown): string {
  let mtime = "";
  if (file) {
    try {
      mtime = String(statSync(file).mtimeMs);
    } catch {
      mtime = "missing";
    }
  }
  return `${JSON.stringify(block.contract.input)}|${JSON.stringify(block.contract.output)}|${file ?? String(block.run)}|${mtime}|${swapped ? String(swapped) : ""}|${contractText(block)}`;
}

function contractText(block: CodeBlock): string {
  const info = (block as unknown as Record<symbol, { examples: unknown; properties: Record<string, unknown> } | undefined>)[Symbol.for("blockwork.declared")];
  if (!info) return "";
  return `${JSON.stringify(info.examples)}|${Object.entries(info.properties).map(([k, v]) => `${k}:${String(v)}`).join(",")}`;
}

function coverage(def: GraphDef, events: readonly RunEvent[]): string {
  const reached = new Set(events.flatMap((e) => (e.type === "block.started" ? [e.path] : [])));
  const taken = new Set(events.flatMap((e) => (e.type === "edge.taken" ? [`${e.from}->${e.to}`] : [])));
  const ran = def.nodes.filter((n) => reached.has(n.id)).length;
  const edges = def.edges.filter((e) => taken.has(`${e.from}->${e.to}`)).length;
  return `coverage: ${ran}/${def.nodes.length} blocks, ${edges}/${def.edges.length} edges`;
}

/** The differences between two JSON values, one line per changed path. */
export function diffValues(before: unknown, after: unknown, path: string): string[] {
  if (isDeepStrictEqual(before, after)) return [];
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => {
      const at = path ? `${path}.${k}` : k;
      if (!(k in before)) return [`+ ${at}: ${compact(after[k])}`];
      if (!(k in after)) return [`- ${at}: ${compact(before[k])}`];
      return diffValues(before[k], after[k], at);
    });
  }
  return [`~ ${path || "(output)"}: ${compact(before)} → ${compact(after)}`];
}

function compact(value: unknown): string {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

function fmt(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

function stamp(trigger: string): string {
  return `[dev ${new Date().toISOString().slice(11, 19)}] ${trigger}:`;
}
