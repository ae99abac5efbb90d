import { messageOf, RunError } from "../errors.js";

/** Where a PostgreSQL store lives: the connection string for `pg`, and Blockwork's schema in it. */
export interface PostgresTarget {
  /** The connection string without Blockwork's own `schema` parameter. */
  readonly connectionString: string;
  readonly schema: string;
  /** The connection string with the password masked, for messages and logs. */
  readonly display: string;
}

const DEFAULT_SCHEMA = "blockwork";
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;
const EXAMPLE = "postgres://user:password@host:5432/database?schema=blockwork";

/** Whether a `--store` value names a PostgreSQL database rather than a file. */
export function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

/**
 * Parses `postgres://user:password@host:port/database?schema=name`. `schema` is Blockwork's own
 * parameter (taken out before `pg` sees the string); an explicit `schema` option wins over it.
 */
export function parsePostgresUrl(spec: string, schemaOption?: string): PostgresTarget {
  if (!isPostgresUrl(spec)) {
    throw new RunError({ code: "store_invalid", message: `"${mask(spec)}" is not a PostgreSQL connection string; expected ${EXAMPLE}` });
  }
  let url: URL;
  try {
    url = new URL(spec);
  } catch (error) {
    throw new RunError({ code: "store_invalid", message: `the PostgreSQL connection string "${mask(spec)}" is malformed (${messageOf(error)}); expected ${EXAMPLE}` });
  }
  if (url.pathname.length <= 1) {
    throw new RunError({ code: "store_invalid", message: `the PostgreSQL connection string "${mask(spec)}" names no database; add it after the host, as in ${EXAMPLE}` });
  }
  const schema = schemaOption ?? url.searchParams.get("schema") ?? DEFAULT_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    throw new RunError({
      code: "store_invalid",
      message: `the schema name "${schema}" is not allowed: use lowercase letters, digits and _, starting with a letter or _, at most 48 characters`,
    });
  }
  url.searchParams.delete("schema");
  const connectionString = url.toString();
  return { connectionString, schema, display: `${mask(connectionString)}${schema === DEFAULT_SCHEMA ? "" : ` (schema ${schema})`}` };
}

/** The connection string with its password replaced by `***`. */
function mask(spec: string): string {
  return spec.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/i, "$1***@");
}

interface PgError {
  readonly code?: string;
  readonly errno?: number;
  readonly message?: string;
}

/**
 * A connection failure turned into a `store_unavailable` error that says what failed, where, and
 * how to fix it; anything else is returned as it is.
 */
export function describeConnectionError(error: unknown, display: string): unknown {
  const code = (error as PgError | null)?.code;
  const reason = messageOf(error);
  const fix = (() => {
    switch (code) {
      case "ECONNREFUSED":
        return "connection refused: is PostgreSQL running and listening on that host and port?";
      case "ENOTFOUND":
      case "EAI_AGAIN":
        return "the host name does not resolve: check the host in the connection string";
      case "ETIMEDOUT":
      case "EHOSTUNREACH":
      case "ENETUNREACH":
        return "the host does not answer: check the host, the port and any firewall between them";
      case "28P01":
      case "28000":
        return `authentication failed (${reason}): check the user and password, and pg_hba.conf`;
      case "3D000":
        return `${reason}: create it (createdb <name>) or fix the database name`;
      case "57P03":
        return "the server is starting up or shutting down; try again in a moment";
      default:
        return /timeout/i.test(reason) ? "no connection within the time limit: is the server reachable and not overloaded?" : undefined;
    }
  })();
  if (fix === undefined) return error;
  return new RunError({ code: "store_unavailable", message: `cannot connect to PostgreSQL at ${display}: ${fix}`, cause: reason }, { cause: error });
}

// Errors after which the same statement may succeed: the connection dropped (a server restart),
// a deadlock or serialization failure (PostgreSQL asks to retry), or the server is starting.
const TRANSIENT = new Set(["40001", "40P01", "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004", "ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT"]);

/** Whether retrying the transaction that failed with `error` can succeed. */
export function isTransient(error: unknown): boolean {
  const e = error as (PgError & { cause?: unknown }) | null;
  if (e === null || typeof e !== "object") return false;
  if (e.code !== undefined && TRANSIENT.has(e.code)) return true;
  if (/Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(e.message ?? "")) return true;
  return (e as RunError).code === "store_unavailable";
}
