import type { RunEvent } from "@blockwork/core";
import type { Io } from "./io.js";

/**
 * Shows a run's progress. On a terminal: one status line redrawn ten times a second (the blocks
 * running now with their elapsed time, how many completed, retries); elsewhere (CI logs, pipes):
 * one plain line per block event, so logs stay readable.
 */
export interface Progress {
  readonly onEvent: (event: RunEvent) => void;
  stop(): void;
}

export function createProgress(io: Io, options: { quiet?: boolean } = {}): Progress {
  if (options.quiet) return { onEvent: () => {}, stop: () => {} };
  return io.isTTY ? liveProgress(io) : plainProgress(io);
}

function plainProgress(io: Io): Progress {
  let start = 0;
  return {
    onEvent(event) {
      if (event.type === "run.started") start = event.at;
      const line = describe(event);
      if (line !== undefined) io.err(`[+${String(event.at - start).padStart(6)} ms] ${line}\n`);
    },
    stop() {},
  };
}

function liveProgress(io: Io): Progress {
  const running = new Map<string, number>();
  let start = Date.now();
  let completed = 0;
  let retries = 0;
  let runId = "";
  const render = () => {
    const now = Date.now();
    const blocks = [...running.entries()].map(([path, at]) => `${path} ${seconds(now - at)}`).slice(0, 4);
    const more = running.size > 4 ? ` +${running.size - 4}` : "";
    const parts = [`run ${runId.slice(0, 8)}`, seconds(now - start), `${completed} done`, retries ? `${retries} retries` : "", blocks.length ? `running: ${blocks.join(", ")}${more}` : ""];
    io.err(`\u001b[2K\r${spinner(now)} ${parts.filter(Boolean).join(" · ")}`);
  };
  const timer = setInterval(render, 100);
  timer.unref();
  return {
    onEvent(event) {
      switch (event.type) {
        case "run.started":
          start = event.at;
          runId = event.runId;
          break;
        case "block.started":
          running.set(event.path, event.at);
          break;
        case "block.completed":
          running.delete(event.path);
          completed++;
          break;
        case "block.failed":
          running.delete(event.path);
          break;
        case "block.retried":
          retries++;
          break;
        default:
          break;
      }
    },
    stop() {
      clearInterval(timer);
      io.err("\u001b[2K\r");
    },
  };
}

function describe(event: RunEvent): string | undefined {
  switch (event.type) {
    case "run.started":
      return `run ${event.runId} started: graph ${event.graph} (version ${event.version})${event.resumed ? ", resumed" : ""}`;
    case "run.resumed":
      return `replayed ${event.replayed} journal entries`;
    case "block.started":
      return `started   ${event.path}${event.act > 1 ? ` (pass ${event.act})` : ""}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ""}`;
    case "block.completed":
      return `completed ${event.path}${event.replayed ? " (from the journal)" : ` in ${event.durationMs} ms`}`;
    case "block.failed":
      return `failed    ${event.path}: ${event.error.message}`;
    case "block.retried":
      return `retrying  ${event.path} in ${event.delayMs} ms (attempt ${event.attempt}): ${event.error.message}`;
    case "run.completed":
      return `run completed in ${event.durationMs} ms`;
    case "run.failed":
      return `run failed after ${event.durationMs} ms: ${event.error.message}`;
    case "run.cancelled":
      return `run cancelled after ${event.durationMs} ms`;
    case "run.upgraded":
      return `run upgraded from version ${event.from} to ${event.to}${event.migrated.length ? ` (migrated: ${event.migrated.join(", ")})` : ""}`;
    case "run.rerouted":
      return `run rerouted from version ${event.from} to ${event.to} after ${event.error.code}: ${event.summary.split("\n")[0]}`;
    case "run.suspended":
      return `run suspended: waiting for ${event.suspensions.map((s) => s.id).join(", ")}`;
    case "block.restarted":
      return `restart   ${event.path} in ${event.delayMs} ms (restart ${event.restart}${event.restarted.length > 1 ? `, with ${event.restarted.filter((id) => !event.path.endsWith(id)).join(", ")}` : ""}): ${event.error.message}`;
    case "block.escalated":
      return `escalated ${event.path}: ${event.reason}`;
    case "block.suspended":
      return `suspended ${event.path}: ${JSON.stringify(event.payload)}`;
    case "block.resumed":
      return `resumed   ${event.path}`;
    case "block.step":
      return `step      ${event.path} ${event.step}${event.replayed ? " (from the journal)" : ""}${stepFacts(event.detail)}`;
    case "edge.taken":
      return undefined;
  }
}

/** The numbers of a step worth a glance (an rlm cell's tokens and CPU, a sub-call's context). */
function stepFacts(detail: Readonly<Record<string, unknown>>): string {
  const facts: string[] = [];
  if (typeof detail["contextTokens"] === "number") facts.push(`${detail["contextTokens"]} context tokens`);
  if (typeof detail["outputTokens"] === "number") facts.push(`${detail["outputTokens"]} tokens out`);
  if (typeof detail["cpuMs"] === "number") facts.push(`${detail["cpuMs"]} ms cpu`);
  if (typeof detail["error"] === "string") facts.push(`threw ${String(detail["error"]).split("\n")[0]}`);
  return facts.length ? `: ${facts.join(", ")}` : "";
}

const FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
function spinner(now: number): string {
  return FRAMES[Math.floor(now / 100) % FRAMES.length] as string;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
