/** What a worker reports: its tasks, and problems it works around (an unreachable database, a graph it cannot load). */
export type WorkerEvent =
  | { readonly type: "task.claimed"; readonly runId: string; readonly key: string; readonly attempt: number }
  | { readonly type: "task.recorded"; readonly runId: string; readonly key: string; readonly entries: number; readonly outcome?: "completed" | "failed" }
  /** The claim was gone when the outcome was to be recorded (or the lease was lost while running): nothing was recorded. */
  | { readonly type: "task.lost"; readonly runId: string; readonly key: string; readonly reason: string }
  /** Given back unfinished (shutdown, or a graph this worker cannot load), to be claimed again. */
  | { readonly type: "task.released"; readonly runId: string; readonly key: string; readonly reason: string }
  | { readonly type: "worker.error"; readonly message: string; readonly runId?: string; readonly key?: string }
  | { readonly type: "worker.stopped"; readonly stats: WorkerStats };

/** What a worker has done since it started (counters). */
export interface WorkerStats {
  claimed: number;
  recorded: number;
  lost: number;
  released: number;
  runsCompleted: number;
  runsFailed: number;
  errors: number;
}
