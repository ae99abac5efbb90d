// Run ids as people type them: the full id, or the first few characters of it (as `runs list`
// and the progress line show them). An ambiguous prefix lists the runs it matches.
import { PostgresStore, type RunRecord, type Store } from "@blockwork/core";
import { DEFAULT_STORE } from "./options.js";
import { CliError } from "./io.js";

/** The shortest prefix accepted: fewer characters would match too much to be useful. */
const MIN_PREFIX = 4;
/** How many of the newest runs a prefix is matched against. */
const PREFIX_SCAN = 100_000;

/**
 * The run `idOrPrefix` names in `store`: the run with exactly that id, else the one run whose id
 * starts with it. A `CliError` says when no run or several runs match (listing them), and what to
 * do. `storeArg` is the `--store` given, for the messages.
 *
 * @example
 * ```ts
 * const record = await findRun(store, "0b6f12", ".blockwork/main.sqlite");
 * ```
 */
export async function findRun(store: Store, idOrPrefix: string, storeArg: string | undefined): Promise<RunRecord> {
  const exact = await store.getRun(idOrPrefix);
  if (exact) return exact;
  const where = store instanceof PostgresStore ? store.display : storeArg === undefined ? `the default store (${DEFAULT_STORE})` : storeArg;
  const list = `list them with: blockwork runs list${store instanceof PostgresStore ? " --store <the connection string>" : storeArg === undefined ? "" : ` --store ${storeArg}`}`;
  if (idOrPrefix.length < MIN_PREFIX) throw new CliError(`no run ${idOrPrefix} in ${where}; give the full id or at least ${MIN_PREFIX} of its first characters (${list}).`);
  const prefix = idOrPrefix.toLowerCase();
  const matches = (await store.listRuns({ limit: PREFIX_SCAN })).filter((r) => r.id.toLowerCase().startsWith(prefix));
  if (matches.length === 1) return matches[0] as RunRecord;
  if (matches.length === 0) throw new CliError(`no run ${idOrPrefix} in ${where} (no run id starts with it; ${list}).`);
  const shown = matches.slice(0, 10).map((r) => `  ${r.id}  ${r.graphId}  ${r.status}  ${new Date(r.createdAt).toISOString()}`);
  const more = matches.length > 10 ? [`  … and ${matches.length - 10} more`] : [];
  throw new CliError(`run id prefix ${idOrPrefix} is ambiguous: ${matches.length} runs in ${where} start with it. Give more characters:\n${[...shown, ...more].join("\n")}`);
}

