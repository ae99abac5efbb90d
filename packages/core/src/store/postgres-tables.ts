/** Qualified, quoted names of Blockwork's tables in one schema. */
export interface Tables {
  readonly schema: string;
  readonly migrations: string;
  readonly graphs: string;
  readonly runs: string;
  readonly journal: string;
  readonly tasks: string;
  readonly blobChunks: string;
  readonly blobs: string;
  readonly blobParts: string;
  readonly blobLinks: string;
  readonly processes: string;
  readonly runOwners: string;
  readonly memoryScopes: string;
  readonly memoryBatches: string;
  readonly memoryItems: string;
  /** The LISTEN/NOTIFY channel that tells watchers that a run changed (payload: the run id). */
  readonly runsChannel: string;
  /** The channel that tells workers that unclaimed tasks are ready. */
  readonly tasksChannel: string;
}

/** The table and channel names of the Blockwork tables in `schema`. */
export function tablesOf(schema: string): Tables {
  const q = (name: string) => `"${schema}"."${name}"`;
  return { schema, migrations: q("migrations"), graphs: q("graphs"), runs: q("runs"), journal: q("journal"), tasks: q("tasks"), blobChunks: q("blob_chunks"), blobs: q("blobs"), blobParts: q("blob_parts"), blobLinks: q("blob_links"), processes: q("processes"), runOwners: q("run_owners"), memoryScopes: q("memory_scopes"), memoryBatches: q("memory_batches"), memoryItems: q("memory_items"), runsChannel: `bw_runs_${schema}`, tasksChannel: `bw_tasks_${schema}` };
}
