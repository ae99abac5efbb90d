import { resolve } from "node:path";
import { isPostgresUrl, isRunError, MemoryStore, PostgresStore, SqliteStore, type Store } from "@blockwork/core";
import { CliError } from "./io.js";
import { DEFAULT_STORE, STORE_HELP } from "./options.js";

export { DEFAULT_STORE, STORE_HELP };

/** `memory`, a PostgreSQL connection string, or a path to a SQLite file (created when missing). */
export function openStore(spec: string | undefined, cwd: string): Store {
  if (spec === "memory") return new MemoryStore();
  // Not a file name: an unsupported URL would otherwise become a SQLite file named after it.
  if (spec !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(spec) && !isPostgresUrl(spec)) {
    throw new CliError(`--store ${spec}: unsupported store URL; use ${STORE_HELP}.`);
  }
  if (spec !== undefined && isPostgresUrl(spec)) {
    try {
      return new PostgresStore(spec);
    } catch (error) {
      throw storeError(error) ?? error;
    }
  }
  return new SqliteStore(resolve(cwd, spec ?? DEFAULT_STORE));
}

/** The store named by `--store`, which must be PostgreSQL (for commands that need workers). */
export function openPostgres(spec: string | undefined, cwd: string, command: string): PostgresStore {
  // Checked before opening anything: another spec would create a SQLite file.
  if (spec !== undefined && isPostgresUrl(spec)) return openStore(spec, cwd) as PostgresStore;
  throw new CliError(`${command} needs a PostgreSQL store: --store postgres://user:password@host:5432/database (got ${spec === undefined ? "no --store" : JSON.stringify(spec)}).`);
}

/**
 * Runs a command on an open store and closes it; a store that cannot be reached or is
 * misconfigured becomes one clear line (`blockwork: cannot connect to PostgreSQL at ...`).
 */
export async function withStore<T>(store: Store, work: (store: Store) => Promise<T>): Promise<T> {
  try {
    return await work(store);
  } catch (error) {
    throw storeError(error) ?? error;
  } finally {
    await store.close();
  }
}

/** A store error as a `CliError`, or undefined for anything else. */
export function storeError(error: unknown): CliError | undefined {
  if (isRunError(error) && (error.code === "store_unavailable" || error.code === "store_invalid")) return new CliError(error.message);
  return undefined;
}
