import { type AnyBlock, type CodeBlock, diffGraphs, type GraphBlock, type GraphDef, type JsonValue, type NodeDef, formatZodIssues } from "@blockwork/spec";
import { z } from "zod";
import { isRunError, messageOf, RunError } from "../errors.js";
import { type GraphPlan, type ItemPlan, planOf } from "../plan/plan.js";
import type { JournalEntry, RunRecord, RunSource, Store } from "../store/store.js";
import { foldRun, type UnnumberedEntry } from "./fold.js";
import { effectiveJournal } from "./journal.js";

// biome-ignore lint: any graph block.
type AnyGraph = GraphBlock<any>;

/**
 * What a declared migration does to a run it moves to a new graph version: functions of the old
 * values, applied once, at the upgrade; their results are journaled with it.
 */
export interface Migration {
  /** The run's input, for the new graph's input schema. */
  readonly input?: (input: JsonValue) => JsonValue;
  /**
   * Journaled outputs of blocks, for their schemas in the new graph: by block path (`classify`,
   * `review/approve`; activations and map items share their block's function).
   */
  readonly outputs?: Readonly<Record<string, (output: JsonValue) => JsonValue>>;
}

/** Options of {@link upgrade}. */
export interface UpgradeOptions {
  readonly store: Store;
  /** The graph to move the run to: its version is the hash of its GraphDef. */
  readonly to: AnyGraph;
  /** Where `to` is loaded from, when it is not where the run's graph came from. */
  readonly source?: RunSource;
  /** Makes an upgrade that the diff says is unsafe as it is possible, by rewriting what the run holds. */
  readonly migrate?: Migration;
}

/** What an upgrade did. */
export interface UpgradeResult {
  readonly runId: string;
  readonly from: string;
  readonly to: string;
  /** Where the run stood: the blocks it was about to run, running, or waiting in (old paths). */
  readonly position: readonly string[];
  /** What the migration rewrote: `input`, and block paths. */
  readonly migrated: readonly string[];
  /** Position verdicts the diff found unsafe, that the migration was trusted to cover (and the data then checked). */
  readonly waived: readonly string[];
}

/** The upgrade a run can take, worked out without writing anything. */
export interface UpgradePlan extends UpgradeResult {
  /** The entry to append (numbered by the writer). */
  readonly entry: UnnumberedEntry;
}

/**
 * Moves a run that is not executing right now (stopped by a crash, suspended, or started on
 * another version by `runs`) to a new version of its graph, at the block boundary where it stands.
 *
 * The move is refused, with every reason, unless it is safe:
 * - the diff (`diffGraphs(old, new)`) finds the run's position safe, or a declared migration is given;
 * - the run's input (migrated) satisfies the new graph's input schema;
 * - every output, typed error and resume value in the journal (migrated) satisfies the new
 *   graph's schema for its block;
 * - the journal replays on the new graph: every entry meets its block, and nothing fails.
 *
 * Then a `run.upgraded` entry (with the migration's results) is appended, the new version is
 * saved in the store, and the run is pinned to it: `resume(runId, { store, graph: to })` goes on.
 * (In that order: a crash after the entry is appended and before the pin is finished by `resume`,
 * for which the journal decides the version.)
 * For a run executing in this process, use `handle.upgrade(to)`: it waits for the next block boundary.
 *
 * @example
 * await upgrade(runId, { store, to: triageV2, migrate: { outputs: { classify: (o) => ({ ...o, language: "en" }) } } });
 * const handle = await resume(runId, { store, graph: triageV2 });
 */
export async function upgrade(runId: string, options: UpgradeOptions): Promise<UpgradeResult> {
  const { store } = options;
  if ((await store.getRun(runId)) === undefined) throw new RunError({ code: "run_not_found", message: `run ${runId} is not in the store` });
  // One owner per run: a run another live process executes is not moved under it (run_owned).
  const taken = store.claimRun ? await store.claimRun(runId) : false;
  try {
    return await upgradeOwned(runId, options);
  } finally {
    if (taken) await store.releaseRun?.(runId);
  }
}

async function upgradeOwned(runId: string, options: UpgradeOptions): Promise<UpgradeResult> {
  const { store } = options;
  const record = await store.getRun(runId);
  if (record === undefined) throw new RunError({ code: "run_not_found", message: `run ${runId} is not in the store` });
  if (record.status !== "running" && record.status !== "suspended") {
    throw refused(runId, [`it has already ended (${record.status})`]);
  }
  const journal = await store.journal(runId);
  const plan = planUpgrade(record, journal, await store.getGraph(record.version), options.to, options.migrate);
  const last = journal[journal.length - 1]?.seq ?? 0;
  const target = planOf(options.to);
  await store.saveGraph(target.version, target.def);
  await store.append(runId, { ...plan.entry, seq: last + 1 } as JournalEntry);
  await store.updateRun(runId, { version: target.version, updatedAt: Date.now(), ...(options.source ? { source: options.source } : {}) });
  const { entry: _entry, ...result } = plan;
  return result;
}

/**
 * Works out whether and how a run moves to `to`: the checks `upgrade` makes, without writing.
 * Throws `upgrade_refused` with every reason, or `graph_not_found` when the run's own version is
 * not in the store.
 */
export function planUpgrade(record: RunRecord, journal: readonly JournalEntry[], oldDef: GraphDef | undefined, to: AnyGraph, migrate: Migration | undefined): UpgradePlan {
  const runId = record.id;
  if (oldDef === undefined) {
    throw new RunError({ code: "graph_not_found", message: `version ${record.version} of graph "${record.graphId}" is not in the store, so what run ${runId} has done cannot be read` }, { runId });
  }
  const target = planOf(to);
  if (target.version === record.version) throw refused(runId, [`it already runs on version ${record.version}`]);
  const reasons: string[] = [];

  // Where the run stands, read from its journal on the old graph's structure.
  const current = effectiveJournal(record.input, journal);
  const old = foldRun(structuralGraph(oldDef), record, journal);
  if (old.outcome) throw refused(runId, [`its journal already decides how it ends (${old.outcome.status})`]);
  const position = [...old.ready.map((t) => t.path), ...old.suspended.map((s) => s.path)];

  // What the diff says about that position.
  const diff = diffGraphs(oldDef, target.def);
  const waived: string[] = [];
  for (const path of new Set(position.map(positionOf))) {
    const verdict = diff.positions.find((p) => p.block === path);
    const why = verdict === undefined ? [`the old graph has no position ${path}`] : verdict.safe ? [] : verdict.reasons.map((r) => `at ${path}: ${r}`);
    if (migrate === undefined) reasons.push(...why);
    else waived.push(...why);
  }

  // The migration, applied to what the run holds.
  const migrated: string[] = [];
  let input = current.input;
  if (migrate?.input) {
    input = apply(migrate.input, input, "the input migration", reasons);
    migrated.push("input");
  }
  const outputs: Record<string, JsonValue> = {};
  for (const entry of current.entries) {
    if (entry.kind !== "block.completed") continue;
    const fn = migrate?.outputs?.[positionOf(entry.path)] ?? migrate?.outputs?.[entry.path];
    if (fn === undefined) continue;
    outputs[String(entry.seq)] = apply(fn, entry.output, `the output migration of ${entry.path}`, reasons);
    if (!migrated.includes(positionOf(entry.path))) migrated.push(positionOf(entry.path));
  }
  const unknown = Object.keys(migrate?.outputs ?? {}).filter((key) => !current.entries.some((e) => e.kind === "block.completed" && (positionOf(e.path) === key || e.path === key)));
  if (unknown.length) reasons.push(`the migration rewrites outputs of ${unknown.join(", ")}, which the run has not produced (blocks it did produce: ${[...new Set(current.entries.filter((e) => e.kind === "block.completed").map((e) => positionOf(e.path)))].join(", ") || "none"})`);

  // Every value the run holds must fit the new graph.
  const parsed = target.strictInput.safeParse(input);
  if (!parsed.success) reasons.push(`its input does not satisfy the new graph's input schema: ${formatZodIssues(parsed.error, { max: 5 })}`);
  const entries = current.entries.map((e) => (e.kind === "block.completed" && outputs[String(e.seq)] !== undefined ? { ...e, output: outputs[String(e.seq)] as JsonValue } : e));
  for (const entry of entries) checkEntry(target, entry, reasons);

  const entry: UnnumberedEntry = {
    kind: "run.upgraded",
    path: "",
    act: journal.filter((e) => e.kind === "run.upgraded").length + 1,
    attempt: 1,
    at: Date.now(),
    from: record.version,
    to: target.version,
    migrated,
    ...(migrate?.input ? { input } : {}),
    ...(Object.keys(outputs).length ? { outputs } : {}),
  };

  // The journal must replay on the new graph: every entry meets its block, and nothing fails.
  if (reasons.length === 0) {
    try {
      const fold = foldRun(to, { ...record, version: target.version }, [...journal, { ...entry, seq: (journal[journal.length - 1]?.seq ?? 0) + 1 } as JournalEntry]);
      if (fold.outcome?.status === "failed") reasons.push(`replayed on the new graph, the run fails: ${fold.outcome.error.message}`);
    } catch (error) {
      reasons.push(`its journal does not replay on the new graph: ${isRunError(error) ? error.info.message : messageOf(error)}`);
    }
  }
  if (reasons.length > 0) throw refused(runId, reasons);
  return { runId, from: record.version, to: target.version, position, migrated, waived, entry };
}

function refused(runId: string, reasons: readonly string[]): RunError {
  const list = reasons.map((r) => `\n  - ${r}`).join("");
  return new RunError({ code: "upgrade_refused", message: `cannot be moved to the new version:${list}` }, { runId });
}

function apply(fn: (value: JsonValue) => JsonValue, value: JsonValue, what: string, reasons: string[]): JsonValue {
  try {
    return JSON.parse(JSON.stringify(fn(structuredClone(value)) ?? null)) as JsonValue;
  } catch (error) {
    reasons.push(`${what} threw: ${messageOf(error)}`);
    return value;
  }
}

/** A run path as a diff position: activations (`@2`) dropped, map items counted as their map. */
export function positionOf(path: string): string {
  const parts: string[] = [];
  for (const segment of path.split("/")) {
    if (/^\d+$/.test(segment)) break;
    parts.push(segment.replace(/@\d+$/, ""));
  }
  return parts.join("/");
}

/** Checks one journaled value against the schema its block has in the new graph. */
function checkEntry(plan: GraphPlan, entry: JournalEntry, reasons: string[]): void {
  if (entry.kind === "attempt.failed" || entry.kind === "item.failed" || entry.kind === "block.restarted" || entry.kind === "block.suspended" || entry.kind === "run.upgraded" || entry.kind === "step.completed" || entry.kind === "loop.pass") return;
  const item = itemAt(plan, entry.path);
  if (item === undefined) {
    reasons.push(`the new graph has no block ${entry.path}, which the run has a ${entry.kind} entry for`);
    return;
  }
  const [schema, value, what] =
    entry.kind === "block.completed" ? [item.output, entry.output, "output"] : entry.kind === "block.failed" ? [item.error, entry.error, "typed error"] : [item.resume, entry.data, "resume data"];
  if (schema === undefined) {
    reasons.push(`block ${entry.path} has a journaled ${what}, but declares no ${what === "resume data" ? "resume" : "error"} schema in the new graph`);
    return;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) reasons.push(`the journaled ${what} of ${entry.path} does not satisfy its schema in the new graph: ${formatZodIssues(parsed.error, { max: 5 })}${what === "output" ? ` (declare a migration for "${positionOf(entry.path)}")` : ""}`);
}

/** The block a run path names in a plan: `review@2/approve`, `each/3`, `each/3/inner`. */
function itemAt(plan: GraphPlan, path: string): ItemPlan | undefined {
  const segments = path.split("/");
  let graph: GraphPlan | undefined = plan;
  let item: ItemPlan | undefined;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (/^\d+$/.test(segment)) {
      // A map item: the map's item block.
      if (item?.work.kind !== "map") return undefined;
      item = item.work.item;
    } else {
      if (graph === undefined) return undefined;
      const id = segment.replace(/@\d+$/, "");
      item = graph.nodes.find((n) => n.id === id);
      if (item === undefined) return undefined;
    }
    graph = item.work.kind === "graph" ? item.work.plan : undefined;
  }
  return item;
}

/**
 * A graph with the structure of a stored GraphDef and no real implementations: enough to fold a
 * journal through it (nothing runs), when the code of an old version is gone.
 */
export function structuralGraph(def: GraphDef): GraphBlock {
  const any = z.any();
  const blocks = new Map<string, AnyBlock>();
  const stub = (node: NodeDef): void => {
    if (node.kind === "code") {
      const block: CodeBlock = {
        kind: "code",
        id: node.block,
        ref: node.block,
        contract: { input: any, output: any, error: node.contract.error === undefined ? undefined : any, resume: node.contract.resume === undefined ? undefined : any } as never,
        run: () => {
          throw new Error(`block ${node.id} of a stored graph version has no implementation here`);
        },
        as: () => block as never,
      };
      blocks.set(node.block, block);
    } else if (node.kind === "graph") {
      blocks.set(node.graph.id, structuralGraph(node.graph));
    } else {
      stub(node.item);
    }
  };
  for (const node of def.nodes) stub(node);
  const graph: GraphBlock = {
    kind: "graph",
    id: def.id,
    ref: def.id,
    contract: { input: any, output: any, error: undefined, resume: undefined } as never,
    def,
    blocks,
    as: () => graph as never,
  };
  return graph;
}
