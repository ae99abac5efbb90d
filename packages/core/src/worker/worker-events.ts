/** What a worker reports: its tasks, and problems it works around (an unreachable database, a graph it cannot load). */
export type WorkerEvent =
  | { readonly type: "task.claimed"; readonly runId: string; readonly key: string; readonly attempt: number }
  /** Recorded; `reconciled` when the lease had passed to another worker meanwhile (its run of the block is discarded). */
  | { readonly type: "task.recorded"; readonly runId: string; readonly key: string; readonly entries: number; readonly outcome?: "completed" | "failed"; readonly reconciled?: true }
  /** Another worker recorded this block first, or took it over while it ran here: this run of it is discarded (the block ran twice, the journal holds it once). */
  | { readonly type: "task.superseded"; readonly runId: string; readonly key: string; readonly reason: string }
  /** The run no longer needs this block (it ended, was cancelled or moved to another version): nothing recorded, nothing lost. */
  | { readonly type: "task.discarded"; readonly runId: string; readonly key: string; readonly reason: string }
  /** An outcome this worker had and did not record (it stopped during an outage, or the database refused it): the block runs again once its lease expires. */
  | { readonly type: "task.lost"; readonly runId: string; readonly key: string; readonly reason: string }
  /** The database could not be reached at start; the worker tries again in `retryInMs`. */
  | { readonly type: "worker.waiting"; readonly message: string; readonly attempt: number; readonly retryInMs: number }
  /** Given back unfinished (shutdown, or a graph this worker cannot load), to be claimed again. */
  | { readonly type: "task.released"; readonly runId: string; readonly key: string; readonly reason: string }
  | { readonly type: "worker.error"; readonly message: string; readonly runId?: string; readonly key?: string }
  | { readonly type: "worker.stopped"; readonly stats: WorkerStats };

/** What a worker did, counted honestly: every claimed task ends in exactly one of recorded, superseded, discarded, lost, released (or a failed run). */
export interface WorkerStats {
  /** Tasks claimed (from the queue, or leased in the transaction that made them ready). */
  claimed: number;
  /** Outcomes recorded by this worker. */
  recorded: number;
  /** Of `recorded`: recorded after the lease had expired and another worker had claimed the block again; that worker's run of it is discarded. */
  reconciled: number;
  /** Blocks this worker ran (or started) whose outcome another worker recorded: they ran twice, the journal holds them once. */
  superseded: number;
  /** Blocks whose run no longer needed them (ended, cancelled, moved to another version). */
  discarded: number;
  /** Outcomes this worker had and did not record (it stopped while the database was away, or the database refused them): their blocks run again. */
  lost: number;
  /** Tasks given back unfinished (shutdown, or a graph this worker cannot load). */
  released: number;
  runsCompleted: number;
  runsFailed: number;
  errors: number;
}
