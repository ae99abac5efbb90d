// Option parsers and help texts shared by the command registrations in main.ts. This module must
// stay light (no runtime packages): `blockwork --help` loads it.
import { CliError } from "./io.js";

/** Where runs are kept when `--store` is not given. */
export const DEFAULT_STORE = ".blockwork/runs.sqlite";

/** What `--store` accepts, for help texts. */
export const STORE_HELP = `a SQLite file, memory, or postgres://user:password@host:5432/database[?schema=name] (default: ${DEFAULT_STORE})`;

/** The JSON Schema drafts `blockwork compat --draft` accepts. */
export const DRAFTS = ["draft-04", "draft-06", "draft-07", "draft-2019-09", "draft-2020-12"] as const;

/** Parses a whole number of at least 1 for option `name`, or says what is wrong with it. */
export function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} must be a whole number of at least 1, got ${JSON.stringify(value)}.`);
  return n;
}

/** `{ key: value }` when the value is defined, `{}` otherwise: for options objects under exactOptionalPropertyTypes. */
export function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
