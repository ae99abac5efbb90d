// The public API of @blockwork/core. Every export is named here.

export { isRunError, RUNTIME_ERROR_CODES, RunError } from "./errors.js";
export type { ErrorInfo, RuntimeErrorCode } from "./errors.js";

export { resume, run } from "./run/run.js";
export type { ResumeOptions, RunHandle, RunOptions } from "./run/run.js";
export type { RunEvent, RunEventType } from "./run/events.js";

export { canonicalJson, graphVersion } from "./plan/version.js";

// Running runs across processes: fold a journal, run one task, append what it produced.
export { foldRun, newRunRecord, runTask } from "./run/fold.js";
export type { ReadyTask, RunFold, RunOutcome, TaskResult, UnnumberedEntry } from "./run/fold.js";

export { MemoryStore } from "./store/memory-store.js";
export { SqliteStore } from "./store/sqlite-store.js";
export type { SqliteStoreOptions } from "./store/sqlite-store.js";
export type { JournalEntry, MaybePromise, RunQuery, RunRecord, RunSource, RunStatus, Store } from "./store/store.js";
