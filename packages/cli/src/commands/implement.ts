import { readFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { declaredBlocks, type DeclaredEntry, formatVerifyReport, type ImplementAttempt, implementBlock, type ImplementResult, type Model, modelFromEnv, verifyBlock } from "@blockwork/nodes";
import { scriptedModel, type ScriptedReply } from "@blockwork/nodes/testing";
import type { CodeBlock } from "@blockwork/spec";
import { CliError, type Io } from "../io.js";
import { loadGraph } from "./run.js";

export interface ImplementCommandOptions {
  readonly exportName?: string;
  /** Only these declared blocks. */
  readonly blocks?: readonly string[];
  /** Every declared block without an implementation (the default when no block is named). */
  readonly missing?: boolean;
  /** Re-implement the declared blocks whose implementation fails verify (after a contract change). */
  readonly repair?: boolean;
  readonly attempts: number;
  readonly runs: number;
  /** A JSON file of scripted replies (an array, or an object of arrays by block id): no model is called. */
  readonly script?: string;
  readonly format: "text" | "json";
}

/**
 * `blockwork implement <graph> [--block id | --missing | --repair]`: a block agent writes each
 * chosen declared block's implementation from its contract alone; a candidate is written only
 * when it type-checks and passes verify. Exit 1 when a block could not be implemented.
 */
export async function runImplement(file: string, options: ImplementCommandOptions, io: Io): Promise<number> {
  const { graph, module } = await loadGraph(file, options.exportName, io);
  const declared = declaredBlocks(graph);
  if (declared.length === 0) throw new CliError(`${relative(io.cwd, module)} has no declared blocks (declareBlock) to implement.`);
  const targets = await chooseTargets(declared, options, io);
  if (targets.length === 0) {
    if (options.format === "json") io.out(`${JSON.stringify({ results: [] }, null, 2)}\n`);
    else io.out(options.repair ? "Every declared block passes verify: nothing to repair.\n" : "Every declared block is implemented: nothing to do (use --block id to rewrite one, --repair after a contract change).\n");
    return 0;
  }
  const results = await implementTargets(targets, options, io);
  if (options.format === "json") io.out(`${JSON.stringify({ results: results.map((r) => ({ ...r, written: r.written.map((w) => relative(io.cwd, w)) })) }, null, 2)}\n`);
  return results.every((r) => r.status === "accepted") ? 0 : 1;
}

/**
 * Implements each target with its block agent, printing progress (stderr) and one line per block
 * (stdout, in text format). Used by `implement`, and by `coordinate --implement` for the declared
 * blocks its patch added.
 */
export async function implementTargets(targets: readonly Target[], options: Pick<ImplementCommandOptions, "script" | "attempts" | "runs" | "format">, io: Io): Promise<ImplementResult[]> {
  const json = options.format === "json";
  if (targets.length === 0) return [];
  const models = await modelsFor(options.script, io);
  io.err(models.scripted ? `Model: none. The code comes from the script ${models.scripted}, not from a model.\n` : `Model: ${models.for("").id}.\n`);
  const results: ImplementResult[] = [];
  for (const target of targets) {
    const shown = relative(io.cwd, target.entry.file as string);
    io.err(`${target.repair ? "Repairing" : "Implementing"} block "${target.entry.path}" → ${shown}\n`);
    const result = await implementBlock({
      block: target.entry.block as CodeBlock,
      file: target.entry.file as string,
      model: models.for(target.entry.name),
      attempts: options.attempts,
      runs: options.runs,
      ...(target.repair ? { repair: target.repair } : {}),
      onAttempt: (a) => {
        if (!json) io.err(describeAttempt(a, options.attempts));
      },
    }).catch((error: unknown) => {
      // A script that runs out is the user's script, not a bug.
      if (models.scripted && error instanceof Error && error.message.startsWith("scriptedModel:")) {
        throw new CliError(`The script ${models.scripted} has no more replies for block "${target.entry.path}" and no candidate was accepted yet; nothing was written for it.`);
      }
      throw error;
    });
    results.push(result);
    if (!json) {
      io.out(
        result.status === "accepted"
          ? `ok   ${target.entry.path}: accepted after ${result.attempts.length} attempt${result.attempts.length === 1 ? "" : "s"} (context ${result.contextTokens} tokens); wrote ${result.written.map((w) => relative(io.cwd, w)).join(", ")}\n`
          : `FAIL ${target.entry.path}: no candidate passed in ${result.attempts.length} attempts (context ${result.contextTokens} tokens); nothing was written.\n`,
      );
    }
  }
  return results;
}

/** A declared block to implement, and in repair mode its current code and why it fails. */
export interface Target {
  readonly entry: DeclaredEntry;
  readonly repair?: { code: string; failure: string };
}

async function chooseTargets(declared: readonly DeclaredEntry[], options: ImplementCommandOptions, io: Io): Promise<Target[]> {
  const withFile = (e: DeclaredEntry) => {
    if (e.file === undefined) throw new CliError(`Declared block "${e.path}" names no implementation module: add implementation: new URL("./${e.name}.impl.ts", import.meta.url) to its declareBlock so that implement knows where to write.`);
    return e;
  };
  if (options.blocks?.length) {
    return options.blocks.map((id) => {
      const found = declared.find((e) => e.path === id || e.name === id || e.block.id === id);
      if (!found) throw new CliError(`No declared block "${id}" (declared blocks: ${declared.map((e) => e.path).join(", ")}).`);
      return { entry: withFile(found) };
    });
  }
  if (options.repair) {
    const targets: Target[] = [];
    for (const e of declared.filter((d) => d.implemented && d.info.inline !== undefined)) {
      const verdict = await verifyBlock(e.block as CodeBlock, { runs: options.runs, path: e.path });
      io.err(`verify ${e.path}: ${verdict.status}\n`);
      if (verdict.status !== "failed") continue;
      const code = await readFile(withFile(e).file as string, "utf8");
      targets.push({ entry: e, repair: { code, failure: formatVerifyReport({ ok: false, blocks: [verdict], durationMs: 0 }) } });
    }
    return targets;
  }
  return declared.filter((e) => !e.implemented).map((e) => ({ entry: withFile(e) }));
}

async function modelsFor(script: string | undefined, io: Io): Promise<{ for(block: string): Model; scripted?: string }> {
  if (script === undefined) {
    const model = modelFromEnv(io.env);
    return { for: () => model };
  }
  const path = resolve(io.cwd, script);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new CliError(`Cannot read the script ${script}: ${error instanceof Error ? error.message : String(error)}. It must be JSON: an array of replies, or an object of arrays keyed by block id.`);
  }
  const models = new Map<string, Model>();
  const replies = (block: string): ScriptedReply[] => {
    const list = Array.isArray(value) ? value : (value as Record<string, unknown> | null)?.[block];
    if (!Array.isArray(list) || list.length === 0) throw new CliError(`The script ${script} has no replies for block "${block}" (give an array, or an object keyed by block id).`);
    return list as ScriptedReply[];
  };
  return {
    scripted: script,
    for(block) {
      const key = Array.isArray(value) ? "" : block;
      let model = models.get(key);
      if (model === undefined) models.set(key, (model = scriptedModel(replies(block), "scripted:implement")));
      return model;
    },
  };
}

function describeAttempt(a: ImplementAttempt, budget: number): string {
  const head = `  attempt ${a.attempt}/${budget} (context ${a.contextTokens} tokens): ${a.accepted ? "accepted: type-checks, passes the examples and verify" : `refused (${a.refusal})`}`;
  return `${[head, ...a.diagnostics.slice(0, 8).map((d) => `    ${d}`), ...(a.diagnostics.length > 8 ? [`    ... ${a.diagnostics.length - 8} more`] : [])].join("\n")}\n`;
}
