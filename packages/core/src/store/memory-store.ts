import type { GraphDef } from "@blockwork/spec";
import type { JournalEntry, RunPatch, RunQuery, RunRecord, Store } from "./store.js";

interface Entry {
  run: RunRecord;
  journal: JournalEntry[];
}

/**
 * Runs and journals in memory: fast, and gone with the process. Useful for tests, for runs that
 * need no durability, and as the reference the store conformance tests hold the others to.
 */
export class MemoryStore implements Store {
  readonly durable = false;
  private readonly runs = new Map<string, Entry>();
  private readonly graphs = new Map<string, GraphDef>();

  saveGraph(version: string, def: GraphDef): void {
    if (!this.graphs.has(version)) this.graphs.set(version, def);
  }

  getGraph(version: string): GraphDef | undefined {
    return this.graphs.get(version);
  }

  createRun(run: RunRecord): void {
    if (this.runs.has(run.id)) throw new Error(`run ${run.id} already exists in the store`);
    this.runs.set(run.id, { run, journal: [] });
  }

  getRun(id: string): RunRecord | undefined {
    return this.runs.get(id)?.run;
  }

  listRuns(query: RunQuery = {}): RunRecord[] {
    const all = [...this.runs.values()].map((e) => e.run).filter((r) => query.status === undefined || r.status === query.status);
    return all.sort((a, b) => b.createdAt - a.createdAt).slice(0, query.limit ?? 50);
  }

  finishRun(id: string, outcome: Pick<RunRecord, "status" | "output" | "error" | "updatedAt">): void {
    const entry = this.runs.get(id);
    if (!entry) throw new Error(`run ${id} is not in the store`);
    const { status, output, error, updatedAt } = outcome;
    entry.run = { ...entry.run, status, updatedAt, ...(output !== undefined ? { output } : {}), ...(error !== undefined ? { error } : {}) };
  }

  updateRun(id: string, patch: RunPatch): void {
    const entry = this.runs.get(id);
    if (!entry) throw new Error(`run ${id} is not in the store`);
    if (entry.run.status !== "running" && entry.run.status !== "suspended") return;
    entry.run = { ...entry.run, ...patch };
  }

  append(runId: string, entry: JournalEntry): void {
    const run = this.runs.get(runId);
    if (!run) throw new Error(`run ${runId} is not in the store`);
    const last = run.journal[run.journal.length - 1];
    if (last !== undefined && entry.seq <= last.seq) throw new Error(`run ${runId}: journal entry ${entry.seq} is already written`);
    run.journal.push(entry);
  }

  journal(runId: string): JournalEntry[] {
    return [...(this.runs.get(runId)?.journal ?? [])];
  }

  close(): void {}
}
