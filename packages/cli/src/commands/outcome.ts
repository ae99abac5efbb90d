import { relative } from "node:path";
import { isRunError, type JournalEntry, MemoryStore, PostgresStore, type RunHandle, SqliteStore, type Store, type Suspension } from "@blockwork/core";
import type { Io } from "../io.js";
import { resumeHint, resumeSchemaAt } from "../resume-hint.js";
import { thrownLines } from "../thrown.js";
import type { GraphDef } from "@blockwork/spec";

/** The exit code of a run that waits for someone to resume a suspended block. */
export const SUSPENDED_EXIT_CODE = 3;

/**
 * Prints a run's outcome (and journal summary) and returns the exit code: 0 completed, 1 failed
 * or cancelled, 3 suspended (waiting for `blockwork resume`).
 */
export async function finish(
  runId: string,
  result: Promise<unknown> | Pick<RunHandle, "settled">,
  o: { store: Store; io: Io; summary: boolean; stop: () => void; storeArg?: string },
): Promise<number> {
  try {
    let output: unknown;
    if ("settled" in result) {
      const settled = await result.settled();
      if (settled.status === "suspended") {
        o.stop();
        o.io.err(suspendedMessage(runId, settled.suspensions, o.storeArg, await graphOfRun(o.store, runId)));
        if (o.summary) o.io.err(await journalSummary(o.store, runId, o.io.cwd));
        return SUSPENDED_EXIT_CODE;
      }
      if (settled.status !== "completed") throw settled.error;
      output = settled.output;
    } else {
      output = await result;
    }
    o.stop();
    o.io.out(`${JSON.stringify(output, null, 2)}\n`);
    if (o.summary) o.io.err(await journalSummary(o.store, runId, o.io.cwd));
    return 0;
  } catch (error) {
    o.stop();
    if (!isRunError(error)) throw error;
    o.io.err(`blockwork: run ${runId} failed${error.path ? ` at block ${error.path}` : ""} (${error.code}): ${error.info.message}\n`);
    if (error.info.thrown !== undefined) {
      const store = o.storeArg === undefined ? "" : ` --store ${o.storeArg}`;
      const hint = `(its stack trace: blockwork runs show ${runId.slice(0, 8)} --verbose${store})`;
      const lines = thrownLines(error.info.thrown, { cwd: o.io.cwd, verbose: o.io.verbose === true, stackHint: o.store instanceof MemoryStore ? "(its stack trace: run again with --verbose)" : hint });
      if (lines.length > 0) o.io.err(`${lines.join("\n")}\n`);
    }
    if (o.summary) o.io.err(await journalSummary(o.store, runId, o.io.cwd));
    return 1;
  }
}

/** What a suspended run waits for, and the commands that resume it. */
function suspendedMessage(runId: string, suspensions: readonly Suspension[], storeArg: string | undefined, def?: GraphDef): string {
  const lines = [`blockwork: run ${runId} is suspended: ${suspensions.length === 1 ? "a block waits" : `${suspensions.length} blocks wait`} to be resumed.`];
  for (const s of suspensions) {
    lines.push(`  ${s.id}  ${JSON.stringify(s.payload)}`);
  }
  const first = suspensions[0];
  if (first !== undefined) lines.push(...resumeHint(runId, first.id, def === undefined ? undefined : resumeSchemaAt(def, first.path), storeArg));
  return `${lines.join("\n")}\n`;
}

/** The GraphDef a run runs on, as the store keeps it; undefined when it cannot be read. */
export async function graphOfRun(store: Store, runId: string): Promise<GraphDef | undefined> {
  try {
    const record = await store.getRun(runId);
    return record === undefined ? undefined : await store.getGraph(record.version);
  } catch {
    return undefined;
  }
}

/** A few lines about what the journal holds for a run. */
async function journalSummary(store: Store, runId: string, cwd: string): Promise<string> {
  const [record, journal] = await Promise.all([store.getRun(runId), store.journal(runId)]);
  const count = (kind: JournalEntry["kind"]) => journal.filter((e) => e.kind === kind).length;
  const bytes = journal.reduce((sum, e) => sum + JSON.stringify(e).length, 0);
  const duration = record ? `${record.updatedAt - record.createdAt} ms` : "?";
  const file = store instanceof SqliteStore ? relative(cwd, store.file) : undefined;
  const where =
    store instanceof PostgresStore
      ? `store: ${store.display} — the timeline: blockwork runs show ${runId} --store <the connection string>`
      : file === undefined
        ? "store: memory (gone when the process ends)"
        : `store: ${file} — the timeline: blockwork runs show ${runId} --store ${file}`;
  return [
    `run ${runId}: ${record?.status ?? "unknown"} in ${duration}, graph ${record?.graphId} version ${record?.version}`,
    `journal: ${journal.length} entries (${count("block.completed")} blocks completed, ${count("attempt.failed")} retried attempts, ${count("block.restarted")} restarts, ${count("block.failed")} typed failures routed, ${count("item.failed")} map items failed, ${count("block.suspended")} suspensions), ${bytes} bytes`,
    where,
    "",
  ].join("\n");
}

