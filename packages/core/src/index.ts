/**
 * The runtime: `run`, `resume`, run events, supervision, suspend and resume, in-flight upgrades,
 * agent memory, and the stores (memory, SQLite, PostgreSQL) with workers. Every export is named here.
 *
 * @module @blockwork/core
 */

export { describeThrown, headlineOf, isRunError, kindOf, RUNTIME_ERROR_CODES, RunError, THROWN_LIMITS } from "./errors.js";
export type { AttemptRecord, ErrorInfo, EscalationStep, FailureRecord, RuntimeErrorCode, ThrownError } from "./errors.js";
export { checkRunId, MAX_RUN_ID_LENGTH, runIdProblem } from "./run/run-id.js";

export { resume, run } from "./run/run.js";
export type { HandleUpgradeOptions, ResumeOptions, RunHandle, RunOptions, RunSettled } from "./run/run.js";
export { planUpgrade, positionOf, structuralGraph, upgrade } from "./run/upgrade.js";
export type { Migration, UpgradeOptions, UpgradePlan, UpgradeResult } from "./run/upgrade.js";
export type { EscalatedFailure, RerouteApproval, ReroutePolicy, RerouteProposal } from "./run/reroute.js";
export type { RunEvent, RunEventType, Suspension } from "./events.js";

// OpenTelemetry: spans of runs, blocks, restarts, model and tool calls (docs/observability.md).
export { BLOCKWORK_TRACER } from "./trace/run-trace.js";
export type { TracingOptions } from "./trace/run-trace.js";
export { BLOCKWORK_ATTRIBUTES, GEN_AI_ATTRIBUTES } from "./trace/attributes.js";

// Supervision: the supervisor and block lifecycle machines (XState), and a tracker of block states.
export { policyAction, supervisorMachine } from "./supervise/supervisor.js";
export { blockLifecycle, trackBlocks } from "./supervise/lifecycle.js";
export type { BlockChange, BlockState, BlockTracker, LifecycleEvent } from "./supervise/lifecycle.js";
export { stateDiagram } from "./supervise/diagram.js";

export { canonicalJson, deepStrict, graphVersion } from "@blockwork/spec";

// Running runs across processes: fold a journal, run one task, append what it produced.
export { foldRun, newRunRecord, resumedEntry, runTask } from "./run/fold.js";
export type { ReadyTask, RunFold, RunOutcome, TaskResult, UnnumberedEntry } from "./run/fold.js";

export { MemoryStore } from "./store/memory-store.js";
export { CHUNK_BYTES, handleOf } from "./store/blob-data.js";
export type { BlobCollectOptions, BlobCollectResult, BlobContent, BlobPutOptions, BlobRange, BlobRecord } from "./store/blob-data.js";
export { SqliteStore } from "./store/sqlite-store.js";
export type { SqliteStoreOptions } from "./store/sqlite-store.js";
export { SQLITE_SCHEMA_VERSION } from "./store/sqlite-store.js";
export type { RunOwner } from "./store/owner.js";
export type { JournalEntry, MaybePromise, RunPatch, RunQuery, RunRecord, RunSource, RunStatus, Store } from "./store/store.js";

// PostgreSQL: a store shared by worker processes on many machines, and the workers themselves.
export { PostgresStore } from "./store/postgres-store.js";
export type { PostgresStoreOptions } from "./store/postgres-store.js";
export { isPostgresUrl } from "./store/postgres-connect.js";
export { startWorker } from "./worker/worker.js";
export type { Worker, WorkerEvent, WorkerOptions, WorkerStats } from "./worker/worker.js";
export type { GraphLoader } from "./worker/graphs.js";
export { cancelRun, enqueueRun, submitRun } from "./worker/submit.js";
export { resumeOnWorkers } from "./worker/resume.js";
export { upgradeOnWorkers } from "./worker/upgrade.js";
export type { SubmitOptions } from "./worker/submit.js";
export { settleOnWorkers, waitForRun, watchRun } from "./worker/watch.js";
export type { WatchOptions } from "./worker/watch.js";

// Agent memory: scopes of typed items in three tiers, journaled in batches, kept by retention policies (docs/memory.md).
export { applyOp, emptyScope, foldBatches, queryWords } from "./memory/memory-model.js";
export type { ApplyResult, EvictionReason, MemoryBackend, MemoryBatch, MemoryClock, MemoryItem, MemoryOp, MemoryProvenance, MemoryQuery, ScopeState, StoredBatch } from "./memory/memory-model.js";
export { RetainedScope, staleness } from "./memory/retention.js";
export type { Eviction, Overflow, RetentionPlan } from "./memory/retention.js";
export { MemorySpace } from "./memory/memory-space.js";
export type { CommitResult, CompactionRequest, MemoryDraft, MemorySpaceOptions } from "./memory/memory-space.js";
export { isMemoryError, MEMORY_ERROR_CODES, MemoryError } from "./memory/memory-error.js";
export type { MemoryErrorCode } from "./memory/memory-error.js";
export { InProcessMemory } from "./memory/in-process-memory.js";
export { SqliteMemory } from "./memory/sqlite-memory.js";
export { PostgresMemory } from "./memory/postgres-memory.js";
