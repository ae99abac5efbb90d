import { accessSync, constants, existsSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { isPostgresUrl, isRunError, PostgresStore, type Store } from "@blockwork/core";
import type { Io } from "../io.js";
import { DEFAULT_STORE, openStore, storeError } from "../stores.js";

/** Options of `blockwork doctor`. */
export interface DoctorOptions {
  readonly store?: string;
  /** How long the model endpoint may take to answer, in milliseconds. */
  readonly timeoutMs?: number;
}

type Verdict = "ok" | "warn" | "fail";

interface Finding {
  readonly what: string;
  readonly verdict: Verdict;
  readonly detail: string;
}

/** The oldest Node.js the packages declare (`engines`). */
const MIN_NODE = [20, 11] as const;

/**
 * `blockwork doctor`: checks what Blockwork needs here — the Node.js version, the store (reached
 * for real), and the model agent blocks would use (configured, and its endpoint answering).
 * Exit 1 when something needed fails; warnings (no model configured) do not fail.
 */
export async function runDoctor(options: DoctorOptions, io: Io): Promise<number> {
  const findings: Finding[] = [nodeFinding(process.versions.node), await storeFinding(options.store, io), await modelFinding(io.env, options.timeoutMs ?? 3_000)];
  const mark = { ok: "ok  ", warn: "warn", fail: "FAIL" } as const;
  for (const f of findings) io.out(`${mark[f.verdict]}  ${f.what.padEnd(6)}  ${f.detail}\n`);
  const failed = findings.filter((f) => f.verdict === "fail").length;
  io.out(failed === 0 ? "\nEverything Blockwork needs is here.\n" : `\n${failed} problem${failed === 1 ? "" : "s"} to fix (above).\n`);
  return failed === 0 ? 0 : 1;
}

/** Whether `version` (`20.19.0`) is at least the Node.js the packages declare. */
export function nodeFinding(version: string): Finding {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  const enough = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return {
    what: "node",
    verdict: enough ? "ok" : "fail",
    detail: enough ? `Node.js ${version} (needs ${MIN_NODE.join(".")} or newer)` : `Node.js ${version} is too old: Blockwork needs ${MIN_NODE.join(".")} or newer. Install a current Node.js (https://nodejs.org).`,
  };
}

async function storeFinding(spec: string | undefined, io: Io): Promise<Finding> {
  if (spec === "memory") return { what: "store", verdict: "ok", detail: "memory (runs are gone when the process ends)" };
  if (spec === undefined || !isPostgresUrl(spec)) {
    // SQLite: not created by the doctor; a missing file is created by the first run, if it can be.
    const file = resolve(io.cwd, spec ?? DEFAULT_STORE);
    const shown = relative(io.cwd, file) || file;
    if (!existsSync(file)) {
      let dir = dirname(file);
      while (!existsSync(dir)) dir = dirname(dir);
      try {
        accessSync(dir, constants.W_OK);
        return { what: "store", verdict: "ok", detail: `SQLite ${shown} (not there yet: the first run creates it)` };
      } catch {
        return { what: "store", verdict: "fail", detail: `SQLite ${shown} cannot be created: ${dir} is not writable. Pass --store <a writable path>.` };
      }
    }
  }
  let store: Store | undefined;
  try {
    store = openStore(spec, io.cwd, { read: true });
    const open = store;
    const runs = await Promise.resolve(open.listRuns({ limit: 1 })).then((r) => r.length).finally(() => open.close());
    const name = spec !== undefined && isPostgresUrl(spec) ? `PostgreSQL ${(store as { display?: string }).display ?? ""}`.trim() : `SQLite ${relative(io.cwd, resolve(io.cwd, spec ?? DEFAULT_STORE))}`;
    return { what: "store", verdict: "ok", detail: `${name} (reachable, ${runs === 0 ? "no runs yet" : "holds runs"})` };
  } catch (error) {
    // Reachable, but the schema is not there yet: the first run creates it (the doctor creates nothing).
    if (isRunError(error) && error.code === "store_not_found" && store instanceof PostgresStore) {
      return { what: "store", verdict: "ok", detail: `PostgreSQL ${store.display} (reachable, no Blockwork schema "${store.schema}" yet: the first run creates it)` };
    }
    const known = storeError(error);
    return { what: "store", verdict: "fail", detail: known?.message ?? (error instanceof Error ? error.message : String(error)) };
  }
}

async function modelFinding(env: Readonly<Record<string, string | undefined>>, timeoutMs: number): Promise<Finding> {
  const spec = env["BLOCKWORK_MODEL"]?.trim();
  if (!spec) return { what: "model", verdict: "warn", detail: "no model configured (only agent blocks need one): set BLOCKWORK_MODEL=<provider>:<model>, see docs/agents.md" };
  const { modelFromEnv, PROVIDERS } = await import("@blockwork/nodes");
  try {
    modelFromEnv(env);
  } catch (error) {
    return { what: "model", verdict: "fail", detail: error instanceof Error ? error.message.split("\n")[0] as string : String(error) };
  }
  const provider = spec.slice(0, spec.indexOf(":"));
  const baseURL = (env["BLOCKWORK_BASE_URL"]?.trim() || PROVIDERS[provider]?.baseURL || "").replace(/\/$/, "");
  const apiKey = env["BLOCKWORK_API_KEY"] ?? (PROVIDERS[provider]?.apiKeyEnv ? env[PROVIDERS[provider].apiKeyEnv as string] : undefined);
  try {
    const response = await fetch(`${baseURL}/models`, { signal: AbortSignal.timeout(timeoutMs), headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
    if (response.status === 401 || response.status === 403) return { what: "model", verdict: "fail", detail: `${spec} at ${baseURL}: the endpoint refused the API key (HTTP ${response.status}). Check BLOCKWORK_API_KEY.` };
    return { what: "model", verdict: "ok", detail: `${spec} at ${baseURL} (answers: HTTP ${response.status} for /models)` };
  } catch (error) {
    const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    return { what: "model", verdict: "fail", detail: `${spec} at ${baseURL} does not answer (${reason}). Start the model server, or set BLOCKWORK_BASE_URL to where it listens.` };
  }
}
