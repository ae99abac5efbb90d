import { resolve } from "node:path";
import { isRunError, type Migration, PostgresStore, resume, upgrade, upgradeOnWorkers, type UpgradeResult } from "@blockwork/core";
import { CliError, type Io } from "../io.js";
import { importModule } from "../load.js";
import { createProgress } from "../progress.js";
import { findRun } from "../run-id.js";
import { openStore, withStore } from "../stores.js";
import { finish } from "./outcome.js";
import { loadGraph } from "./run.js";

export interface UpgradeCommandOptions {
  readonly exportName?: string;
  /** `module[#export]` exporting a `Migration`. */
  readonly migration?: string;
  readonly store?: string;
  readonly resume: boolean;
  readonly quiet: boolean;
  readonly format: "text" | "json";
}

/**
 * `blockwork upgrade <run> <graph>`: moves a run in flight (stopped, or suspended) to the graph in
 * `<graph>` at the block boundary where it stands, when the diff and the run's data allow it (or a
 * declared migration makes them); prints what happened, or every reason it was refused (exit 1).
 */
export async function runUpgrade(runId: string, file: string, options: UpgradeCommandOptions, io: Io): Promise<number> {
  const { graph, exportName, module } = await loadGraph(file, options.exportName, io);
  const migrate = options.migration === undefined ? undefined : await loadMigration(options.migration, io);
  const source = { module, ...(exportName ? { exportName } : {}) };
  return withStore(openStore(options.store, io.cwd, { read: true }), async (store) => {
    runId = (await findRun(store, runId, options.store)).id;
    let result: UpgradeResult;
    try {
      // With --resume, this process owns the run from the upgrade to the end: nobody resumes it
      // on the old version in between.
      if (options.resume && !(store instanceof PostgresStore) && (await store.getRun(runId)) !== undefined) await store.claimRun?.(runId);
      result =
        store instanceof PostgresStore
          ? await upgradeOnWorkers(store, runId, { to: graph, source, ...(migrate ? { migrate } : {}) })
          : await upgrade(runId, { store, to: graph, source, ...(migrate ? { migrate } : {}) });
    } catch (error) {
      if (!isRunError(error)) throw error;
      if (options.format === "json") io.out(`${JSON.stringify({ upgraded: false, code: error.code, message: error.info.message }, null, 2)}\n`);
      else io.err(`blockwork: ${error.message}\n`);
      return error.code === "upgrade_refused" ? 1 : 2;
    }
    if (options.format === "json") io.out(`${JSON.stringify({ upgraded: true, ...result }, null, 2)}\n`);
    else io.out(describe(result));
    if (!options.resume || store instanceof PostgresStore) return 0;
    const progress = createProgress(io, { quiet: options.quiet });
    const handle = await resume(runId, { store, graph, onEvent: progress.onEvent }).catch((error: unknown) => {
      progress.stop();
      throw isRunError(error) ? new CliError(`run ${runId} was upgraded, but cannot be resumed here: ${error.info.message}`) : error;
    });
    return finish(runId, handle, { store, io, summary: false, stop: progress.stop, ...(options.store ? { storeArg: options.store } : {}) });
  });
}

function describe(r: UpgradeResult): string {
  const lines = [`run ${r.runId}: moved from version ${r.from} to ${r.to} at ${r.position.join(", ") || "its start"}`];
  if (r.migrated.length) lines.push(`migrated: ${r.migrated.join(", ")}`);
  if (r.waived.length) lines.push("the migration was trusted where the diff alone found the move unsafe (the migrated data was then checked against the new schemas):", ...r.waived.map((w) => `  - ${w}`));
  return `${lines.join("\n")}\n`;
}

/** Loads a `Migration` from `module[#export]` (default export, or `migration`). */
async function loadMigration(spec: string, io: Io): Promise<Migration> {
  const [file, name] = spec.split("#") as [string, string | undefined];
  let namespace: Record<string, unknown>;
  try {
    namespace = await importModule(resolve(io.cwd, file));
  } catch (error) {
    throw new CliError(`cannot load the migration module ${file} (--migration module[#export]): ${error instanceof Error ? error.message : String(error)}`);
  }
  const value = name !== undefined ? namespace[name] : (namespace["migration"] ?? namespace["default"]);
  const m = value as Migration | undefined;
  const ok =
    typeof m === "object" &&
    m !== null &&
    (m.input !== undefined || m.outputs !== undefined) &&
    Object.keys(m).every((key) => key === "input" || key === "outputs") &&
    (m.input === undefined || typeof m.input === "function") &&
    (m.outputs === undefined || (typeof m.outputs === "object" && m.outputs !== null && Object.values(m.outputs).every((f) => typeof f === "function")));
  if (!ok) {
    throw new CliError(`${spec} does not export a migration${name ? ` named ${name}` : " (export const migration = { input?, outputs? })"}: an object with \`input\` (a function) and/or \`outputs\` (functions by block path).`);
  }
  return m;
}
