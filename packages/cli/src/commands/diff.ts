import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { graphVersion, isPostgresUrl, type Store } from "@blockwork/core";
import { diffGraphs, formatDiff, type GraphDef, type GraphDiff, parseGraphDef } from "@blockwork/spec";
import { CliError, type Io, useColor } from "../io.js";
import { loadOneGraph } from "../load.js";
import { DEFAULT_STORE, openStore, storeError } from "../stores.js";

/** What makes `blockwork diff` exit with 1. */
export type FailOn = "any" | "callers" | "in-flight" | "none";

export interface DiffCommandOptions {
  /** Which export of a module, for both sides (`file.graph.ts#name` picks one side's). */
  readonly exportName?: string;
  /** Where graph versions are read from. */
  readonly store?: string;
  readonly format: "text" | "json";
  readonly failOn: FailOn;
}

/** One side of the comparison, as `--format json` reports it. */
export interface DiffSide {
  /** The file as given (relative to the working directory), or the store. */
  readonly source: string;
  readonly exportName?: string;
  /** The graph's version: the hash of its GraphDef (`graphVersion`). */
  readonly version: string;
  /** The graph's id. */
  readonly graph: string;
}

/** The JSON `blockwork diff --format json` prints: the sides, then the `GraphDiff`. */
export interface DiffReport extends GraphDiff {
  readonly format: typeof DIFF_REPORT_FORMAT;
  readonly before: DiffSide;
  readonly after: DiffSide;
}

/** The format tag of the JSON report; bumped only on a breaking change of its shape. */
export const DIFF_REPORT_FORMAT = "blockwork/diff@1";

/** A version given on the command line: at least 8 hex digits (versions have 16). */
const VERSION_PATTERN = /^[0-9a-f]{8,64}$/i;

/**
 * `blockwork diff <old> <new>`: compares two versions of a graph (files, or versions kept in a
 * store) and classifies every change for callers and for runs in flight. Exit code 1 when something
 * selected by `--fail-on` is breaking, 0 otherwise; load and usage errors are thrown (exit 2).
 */
export async function runDiff(oldSpec: string, newSpec: string, options: DiffCommandOptions, io: Io): Promise<number> {
  const stores = new StoreAccess(options.store, io.cwd);
  let before: Loaded;
  let after: Loaded;
  try {
    before = await loadSide(oldSpec, "old", options, io, stores);
    after = await loadSide(newSpec, "new", options, io, stores);
  } finally {
    await stores.close();
  }
  const diff = diffGraphs(before.def, after.def);
  if (options.format === "json") {
    const report: DiffReport = {
      format: DIFF_REPORT_FORMAT,
      before: before.side,
      after: after.side,
      breaking: diff.breaking,
      callers: diff.callers,
      flow: diff.flow,
      inFlight: diff.inFlight,
      changes: diff.changes,
      positions: diff.positions,
      issues: diff.issues,
    };
    io.out(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const header = [`old: ${describeSide(before.side)}`, `new: ${describeSide(after.side)}`];
    io.out(`${formatDiff(diff, { color: useColor(io), header })}\n`);
  }
  return fails(diff, options.failOn) ? 1 : 0;
}

function fails(diff: GraphDiff, failOn: FailOn): boolean {
  switch (failOn) {
    case "any":
      return diff.breaking;
    case "callers":
      return diff.callers === "breaking";
    case "in-flight":
      return diff.inFlight === "breaking";
    case "none":
      return false;
  }
}

interface Loaded {
  readonly def: GraphDef;
  readonly side: DiffSide;
}

function describeSide(side: DiffSide): string {
  return `${side.source}${side.exportName ? `#${side.exportName}` : ""} (graph "${side.graph}", version ${side.version})`;
}

/** A file (`path`, `path#export`) when one exists there, else a version in the store. */
async function loadSide(spec: string, which: "old" | "new", options: DiffCommandOptions, io: Io, stores: StoreAccess): Promise<Loaded> {
  const hash = spec.lastIndexOf("#");
  if (existsSync(resolve(io.cwd, spec))) return loadFromFile(spec, options.exportName, which, io);
  if (hash > 0 && existsSync(resolve(io.cwd, spec.slice(0, hash)))) return loadFromFile(spec.slice(0, hash), spec.slice(hash + 1), which, io);
  if (VERSION_PATTERN.test(spec)) return stores.load(spec.toLowerCase(), which);
  throw new CliError(
    `cannot read the ${which} graph ${JSON.stringify(spec)}: there is no such file, and it is not a graph version (8 or more hex digits). Give a .graph.ts/.graph.json file (file.graph.ts#export picks an export), or a version kept in a store with --store <path|url>.`,
  );
}

async function loadFromFile(file: string, exportName: string | undefined, which: "old" | "new", io: Io): Promise<Loaded> {
  const shown = relative(io.cwd, resolve(io.cwd, file)) || file;
  const found = await loadOneGraph(file, io.cwd, { exportName, role: `the ${which} graph`, choose: `--export NAME, or ${shown}#NAME for this side only` });
  return {
    def: found.def,
    side: { source: found.shown, ...(found.exportName !== undefined ? { exportName: found.exportName } : {}), version: graphVersion(found.def), graph: found.def.id },
  };
}

/** The store named by `--store`, opened on first use: graph versions are read from it. */
class StoreAccess {
  private store: Store | undefined;

  constructor(
    private readonly spec: string | undefined,
    private readonly cwd: string,
  ) {}

  private get label(): string {
    return this.spec ?? DEFAULT_STORE;
  }

  private open(which: "old" | "new", version: string): Store {
    if (this.store) return this.store;
    const spec = this.spec;
    if (spec === "memory") throw new CliError(`--store memory holds no graph versions; give the SQLite file or PostgreSQL URL the runs were kept in.`);
    if (spec === undefined || !isPostgresUrl(spec)) {
      const file = resolve(this.cwd, spec ?? DEFAULT_STORE);
      if (!existsSync(file)) {
        throw new CliError(
          `cannot read the ${which} graph version ${version}: ${spec === undefined ? `no --store given, and the default store ${DEFAULT_STORE} does not exist` : `the store ${spec} does not exist`}. Give the store the runs were kept in with --store <path|url>, or a graph file.`,
        );
      }
    }
    this.store = openStore(spec, this.cwd);
    return this.store;
  }

  /** A version by its full hash or a unique prefix (matched against the versions runs were pinned to). */
  async load(version: string, which: "old" | "new"): Promise<Loaded> {
    const store = this.open(which, version);
    try {
      let full = version;
      let def = await store.getGraph(version);
      if (def === undefined) {
        const runs = await store.listRuns({ limit: 1_000_000 });
        const matches = [...new Set(runs.map((r) => r.version).filter((v) => v.startsWith(version)))].sort();
        if (matches.length > 1) throw new CliError(`the ${which} graph version ${version} is ambiguous in ${this.label}: it starts ${matches.length} versions (${matches.join(", ")}). Give more digits.`);
        if (matches.length === 1) {
          full = matches[0] as string;
          def = await store.getGraph(full);
        }
      }
      if (def === undefined) {
        throw new CliError(
          `no graph version ${version} in ${this.label} (the ${which} graph). A prefix is matched against the versions runs were pinned to (blockwork runs list); give the full 16-digit version of a graph no run used.`,
        );
      }
      const parsed = parseGraphDef(def);
      if (!parsed.ok) throw new CliError(`graph version ${full} in ${this.label} is not a valid GraphDef: ${parsed.problems.map((p) => p.message).join("; ")}`);
      return { def: parsed.def, side: { source: this.label, version: full, graph: parsed.def.id } };
    } catch (error) {
      throw storeError(error) ?? error;
    }
  }

  async close(): Promise<void> {
    await this.store?.close();
  }
}
