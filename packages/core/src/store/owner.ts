import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { RunError } from "../errors.js";

/**
 * The process that executes a run, as a store records it (see `Store.claimRun`): one owner per run,
 * a process on a host, with a heartbeat.
 */
export interface RunOwner {
  readonly pid: number;
  readonly host: string;
  /** Epoch milliseconds: when it took the run. */
  readonly claimedAt: number;
  /** Epoch milliseconds: its last heartbeat. */
  readonly heartbeatAt: number;
  /** Whether the owner is alive (see `docs/runtime.md`, "One owner per run"); a dead owner's run is orphaned. */
  readonly live: boolean;
}

/** Who this process is, to the owner tables of a store. */
export interface ProcessIdentity {
  /** Random per process: a pid is reused, this is not. */
  readonly token: string;
  readonly pid: number;
  readonly host: string;
  /** The process's start time as the kernel counts it (`/proc/<pid>/stat`), or "" where unknown. */
  readonly started: string;
}

let self: ProcessIdentity | undefined;

/** This process (computed once). */
export function thisProcess(): ProcessIdentity {
  self ??= { token: randomUUID(), pid: process.pid, host: hostname(), started: startTimeOf(process.pid) ?? "" };
  return self;
}

/** The start time of a process from `/proc` (Linux), or undefined when there is no such process or no `/proc`. */
function startTimeOf(pid: number): string | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return fields[19];
}

/** An owner row as a store holds it. */
export interface OwnerRow {
  readonly token: string;
  readonly pid: number;
  readonly host: string;
  readonly started: string;
  readonly claimedAt: number;
  readonly heartbeatAt: number;
}

/** @internal An owner row joined with its process row, as both stores' SQL returns it. */
export interface OwnerJoinRow {
  readonly token: string;
  readonly pid: number | null;
  readonly host: string | null;
  readonly started: string | null;
  readonly claimed_at: number;
  readonly heartbeat_at: number | null;
}

/** @internal An owner row from its SQL join (a process row gone counts as a dead owner: heartbeat 0). */
export function ownerRowOf(row: OwnerJoinRow | undefined): OwnerRow | undefined {
  if (row === undefined) return undefined;
  return { token: row.token, pid: row.pid ?? 0, host: row.host ?? "", started: row.started ?? "", claimedAt: row.claimed_at, heartbeatAt: row.heartbeat_at ?? 0 };
}

/**
 * Whether the owner of a run is alive. On this host a dead owner is known at once: its pid is gone,
 * or it is another process now (its start time, from `/proc`, differs). Otherwise — alive on this
 * host, or on another host — the heartbeat decides: live while it is younger than `staleMs`.
 */
export function isLive(row: OwnerRow, staleMs: number, now = Date.now()): boolean {
  const me = thisProcess();
  if (row.token === me.token) return true;
  // A process that has died stays dead (its token is never used again): asked once.
  if (dead.has(row.token)) return false;
  let gone: boolean;
  if (row.host === me.host && row.started !== "" && me.started !== "") gone = startTimeOf(row.pid) !== row.started;
  else gone = row.host === me.host && !pidExists(row.pid);
  if (gone) {
    if (dead.size > 10_000) dead.clear();
    dead.add(row.token);
    return false;
  }
  // Alive, or on another host: its heartbeat decides (a process that can no longer write, its
  // disk full, stops beating and gives its runs up after `staleMs`).
  return now - row.heartbeatAt < staleMs;
}

/** Tokens of processes on this host known to have died. */
const dead = new Set<string>();

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, and belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The owner as the API shows it. */
export function ownerOf(row: OwnerRow, staleMs: number): RunOwner {
  return { pid: row.pid, host: row.host, claimedAt: row.claimedAt, heartbeatAt: row.heartbeatAt, live: isLive(row, staleMs) };
}

/** "process 1234 on host build-7 (heartbeat 2 s ago)". */
function describeOwner(row: Pick<OwnerRow, "pid" | "host" | "heartbeatAt">, now = Date.now()): string {
  const ago = Math.max(0, Math.round((now - row.heartbeatAt) / 1000));
  return `process ${row.pid} on host ${row.host} (heartbeat ${ago} s ago)`;
}

/** The refusal to take a run a live process executes. */
export function ownedError(runId: string, row: OwnerRow): RunError {
  return new RunError(
    {
      code: "run_owned",
      message: `run ${runId} is being executed by ${describeOwner(row)}; only one process executes a run. Wait for it to end or stop that process (a dead owner's run is taken over), or resume the run through the process that owns it.`,
    },
    { runId },
  );
}

/** The error of an append (or outcome) written by a process that no longer owns the run. */
export function takenOverError(runId: string, row: Pick<OwnerRow, "pid" | "host" | "heartbeatAt"> | undefined): RunError {
  const by = row === undefined ? "no process (its ownership was released)" : describeOwner(row);
  return new RunError(
    { code: "run_taken_over", message: `run ${runId} is no longer owned by this process (it is owned by ${by}): this process stops executing it; nothing it did after losing the run was journaled` },
    { runId },
  );
}
