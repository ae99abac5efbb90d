import { resolve } from "node:path";
import { MemoryStore, SqliteStore, type Store } from "@blockwork/core";

/** Where runs are kept when `--store` is not given. */
export const DEFAULT_STORE = ".blockwork/runs.sqlite";

/** `memory`, or a path to a SQLite file (created when missing). */
export function openStore(spec: string | undefined, cwd: string): Store {
  if (spec === "memory") return new MemoryStore();
  return new SqliteStore(resolve(cwd, spec ?? DEFAULT_STORE));
}
