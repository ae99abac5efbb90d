import { statSync, type Stats } from "node:fs";
import { join, resolve } from "node:path";
import { isPostgresUrl, isRunError, MemoryStore, PostgresStore, SqliteStore, type Store } from "@blockwork/core";
import { CliError } from "./io.js";
import { DEFAULT_STORE, STORE_HELP } from "./options.js";

export { DEFAULT_STORE, STORE_HELP };

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** The command only reads: a SQLite file that does not exist is an error, never created. */
  readonly read?: boolean;
}

/**
 * `memory`, a PostgreSQL connection string, or a path to a SQLite file (created when missing,
 * unless `read`). A path that is a directory, lies under a file, is not a SQLite database or cannot
 * be written is one clear `CliError`, not a stack trace.
 */
export function openStore(spec: string | undefined, cwd: string, options: OpenStoreOptions = {}): Store {
  if (spec === "memory") return new MemoryStore();
  // Not a file name: an unsupported URL would otherwise become a SQLite file named after it.
  if (spec !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(spec) && !isPostgresUrl(spec)) {
    throw new CliError(`--store ${spec}: unsupported store URL; use ${STORE_HELP}.`);
  }
  if (spec !== undefined && isPostgresUrl(spec)) {
    try {
      // A command that only reads never creates a schema: a missing one is `store_not_found` at first use.
      return new PostgresStore(spec, { create: options.read !== true });
    } catch (error) {
      throw storeError(error) ?? error;
    }
  }
  return openSqlite(spec ?? DEFAULT_STORE, resolve(cwd, spec ?? DEFAULT_STORE), options);
}

function openSqlite(shown: string, file: string, options: OpenStoreOptions): Store {
  const at = `--store ${shown}`;
  let info: Stats | undefined;
  try {
    info = statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") throw new CliError(`${at}: a part of the path is a file, not a directory; give the path of a SQLite file.`);
    if (code !== "ENOENT") throw new CliError(`${at}: cannot be read (${(error as Error).message}).`);
  }
  if (info?.isDirectory()) throw new CliError(`${at} is a directory; give the path of a SQLite file inside it (for example ${join(shown, "runs.sqlite")}).`);
  if (info === undefined && options.read) {
    throw new CliError(`${at}: no such store (the file does not exist, and this command only reads). Check the path, or start a run with it first.`);
  }
  try {
    return new SqliteStore(file);
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { code?: string };
    const code = e.code ?? "";
    if (code === "ENOTDIR" || code === "EEXIST") throw new CliError(`${at}: a part of the path is a file, not a directory; give the path of a SQLite file.`);
    if (code === "SQLITE_NOTADB" || /not a database/i.test(e.message)) throw new CliError(`${at} is not a SQLite database (it is some other file); give the path of a Blockwork store, or a new file name.`);
    if (code === "SQLITE_READONLY" || code.startsWith("SQLITE_CANTOPEN") || code === "EACCES" || code === "EPERM" || code === "EROFS" || /readonly|read-only|unable to open/i.test(e.message)) {
      throw new CliError(`${at} cannot be opened for writing (${e.message}); check the file's permissions, or use another path.`);
    }
    if (/newer Blockwork/.test(e.message)) throw new CliError(`${at}: ${e.message}`);
    throw error;
  }
}

/** The store named by `--store`, which must be PostgreSQL (for commands that need workers). */
export function openPostgres(spec: string | undefined, cwd: string, command: string, options: OpenStoreOptions = {}): PostgresStore {
  // Checked before opening anything: another spec would create a SQLite file.
  if (spec !== undefined && isPostgresUrl(spec)) return openStore(spec, cwd, options) as PostgresStore;
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
  if (isRunError(error) && (error.code === "store_unavailable" || error.code === "store_invalid" || error.code === "store_not_found")) return new CliError(error.message);
  return undefined;
}
