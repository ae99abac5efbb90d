import type { ErrorInfo, JournalEntry, RunRecord } from "@blockwork/core";
import type { JsonValue } from "@blockwork/spec";
import type { ReportRow } from "./db.js";

/**
 * A Blockwork run's state, as the LangGraph API shows it (`values`): the run's input, the output
 * of every block that completed (by block path, the latest activation's), and the graph's output
 * once the run completed. It is the journal folded: nothing else is kept.
 */
export type RunValues = {
  readonly input: JsonValue;
  readonly blocks: Record<string, JsonValue>;
  readonly output?: JsonValue;
};

/** A block waiting to be resumed, as LangGraph shows it (`Interrupt`). */
export interface InterruptJson {
  readonly id: string;
  readonly value: JsonValue;
  readonly when: "during";
  readonly resumable: true;
  readonly ns: string[];
}

/** The suspensions still open after a journal: suspended, and neither resumed nor restarted since. */
export function openSuspensions(entries: readonly JournalEntry[]): Map<string, { path: string; act: number; payload: JsonValue; at: number }> {
  const open = new Map<string, { path: string; act: number; payload: JsonValue; at: number }>();
  for (const entry of entries) {
    const id = `${entry.path}#${entry.act}`;
    if (entry.kind === "block.suspended") open.set(id, { path: entry.path, act: entry.act, payload: entry.payload, at: entry.at });
    else if (entry.kind === "block.restarted") {
      open.delete(id);
      // A restart takes the blocks in `restarted` along: their suspensions are dropped.
      const prefix = entry.path.includes("/") ? entry.path.slice(0, entry.path.lastIndexOf("/") + 1) : "";
      for (const [key, s] of open) if (entry.restarted.some((b) => s.path === `${prefix}${b}` || s.path.startsWith(`${prefix}${b}/`))) open.delete(key);
    } else if (entry.kind !== "run.upgraded" && entry.kind !== "loop.pass") open.delete(id);
  }
  return open;
}

export function interruptsOf(entries: readonly JournalEntry[]): InterruptJson[] {
  return [...openSuspensions(entries)].map(([id, s]) => interruptOf(id, s.path, s.payload));
}

function interruptOf(id: string, path: string, value: JsonValue): InterruptJson {
  return { id, value, when: "during", resumable: true, ns: [path] };
}

/** Folds journal entries into the run's values. */
export function valuesOf(input: JsonValue, entries: readonly JournalEntry[], record?: RunRecord): RunValues {
  const blocks: Record<string, JsonValue> = {};
  let current = input;
  for (const entry of entries) {
    if (entry.kind === "block.completed") blocks[entry.path] = entry.output;
    else if (entry.kind === "run.upgraded" && entry.input !== undefined) current = entry.input;
  }
  return { input: current, blocks, ...(record?.status === "completed" && record.output !== undefined ? { output: record.output } : {}) };
}

/** How a server run ended, for the last events of its stream and for `join` and `wait`. */
export type RunEnd =
  | { readonly status: "success"; readonly output: JsonValue }
  | { readonly status: "interrupted"; readonly interrupts: readonly InterruptJson[] }
  | { readonly status: "error"; readonly error: ErrorInfo }
  | { readonly status: "cancelled"; readonly error: ErrorInfo };

/** One event of a run's stream. `key` orders them; `id` is the key as text (the SSE id). */
export interface StreamEvent {
  readonly key: readonly [number, number, number];
  readonly id: string;
  /** The stream mode it belongs to, or `metadata` / `error`, which every stream has. */
  readonly mode: string;
  readonly event: string;
  readonly data: unknown;
}

/** Parses an SSE id (`seq.phase.n`); undefined for anything else. */
export function parseEventId(id: string | undefined): readonly [number, number, number] | undefined {
  if (id === undefined) return undefined;
  const m = /^(\d{1,15})\.(\d)\.(\d{1,15})$/.exec(id.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function after(a: readonly [number, number, number], b: readonly [number, number, number]): boolean {
  return a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] > b[2];
}

const PHASE = { start: 0, entry: 1, report: 2, end: 3 } as const;

/**
 * Turns a server run's journal entries (and the reports blocks made in this process) into its
 * stream, in order, for every mode at once; the caller keeps the modes asked for. The same
 * journal always gives the same events with the same ids, so a client that reconnects with
 * `Last-Event-ID` gets exactly the events after that one, whichever server it reaches.
 *
 * Events are keyed `(seq, phase, n)`: the start at the journal position where the server run
 * began, each entry's events at its `seq`, reports after the entry they followed, the end last.
 */
export class StreamBuilder {
  private state: { input: JsonValue; blocks: Record<string, JsonValue> };
  private lastReport = 0;

  constructor(
    private readonly ids: { readonly runId: string; readonly threadId: string; readonly bwRunId: string; readonly graphId: string; readonly createdAt: number },
    private readonly startSeq: number,
    input: JsonValue,
    before: readonly JournalEntry[],
  ) {
    const values = valuesOf(input, before);
    this.state = { input: values.input, blocks: { ...values.blocks } };
  }

  /** The metadata event and the state the run starts from. */
  start(): StreamEvent[] {
    const out = new Emitter([this.startSeq, PHASE.start]);
    out.push("metadata", "metadata", { run_id: this.ids.runId, thread_id: this.ids.threadId, attempt: 1 });
    out.push("values", "values", this.values());
    out.push("debug", "debug", { type: "checkpoint", timestamp: iso(this.ids.createdAt), step: this.startSeq, payload: { config: this.config(this.startSeq), values: this.values(), next: [], tasks: [] } });
    out.push("events", "events", this.event("on_chain_start", this.ids.graphId, { input: this.state.input }, this.startSeq));
    return out.events;
  }

  /** The events of one journal entry (entries must come in `seq` order). */
  entry(entry: JournalEntry): StreamEvent[] {
    const out = new Emitter([entry.seq, PHASE.entry]);
    const task = `${entry.path}#${entry.act}`;
    const timestamp = iso(entry.at);
    const result = (payload: Record<string, unknown>) => out.push("debug", "debug", { type: "task_result", timestamp, step: entry.seq, payload: { id: task, name: entry.path, ...payload } });
    switch (entry.kind) {
      case "block.completed":
        this.state.blocks[entry.path] = entry.output;
        out.push("updates", "updates", { [entry.path]: entry.output });
        out.push("values", "values", this.values());
        result({ error: null, result: entry.output, interrupts: [] });
        out.push("events", "events", this.event("on_chain_end", entry.path, { output: entry.output }, entry.seq));
        break;
      case "block.failed":
        result({ error: JSON.stringify(entry.error), result: null, interrupts: [], typed: true });
        out.push("events", "events", this.event("on_chain_error", entry.path, { error: entry.error, typed: true }, entry.seq));
        break;
      case "attempt.failed":
      case "item.failed":
      case "block.restarted": {
        const detail = entry.kind === "attempt.failed" ? { retry_in_ms: entry.delayMs } : entry.kind === "block.restarted" ? { restart: entry.restart, restarted: entry.restarted, delay_ms: entry.delayMs } : {};
        result({ error: entry.error.message, code: entry.error.code, result: null, interrupts: [], kind: entry.kind, attempt: entry.attempt, ...detail });
        out.push("events", "events", this.event("on_chain_error", entry.path, { error: entry.error, kind: entry.kind, attempt: entry.attempt, ...detail }, entry.seq));
        break;
      }
      case "block.suspended": {
        const interrupt = interruptOf(task, entry.path, entry.payload);
        out.push("updates", "updates", { __interrupt__: [interrupt] });
        result({ error: null, result: null, interrupts: [interrupt] });
        out.push("events", "events", this.event("on_interrupt", entry.path, { interrupt }, entry.seq));
        break;
      }
      case "block.resumed":
        out.push("debug", "debug", { type: "task", timestamp, step: entry.seq, payload: { id: task, name: entry.path, input: entry.data, resumed: true } });
        out.push("events", "events", this.event("on_chain_start", entry.path, { input: entry.data, resumed: true }, entry.seq));
        break;
      case "run.upgraded":
        if (entry.input !== undefined) this.state.input = entry.input;
        out.push("debug", "debug", { type: "upgrade", timestamp, step: entry.seq, payload: { from: entry.from, to: entry.to, migrated: entry.migrated } });
        break;
    }
    return out.events;
  }

  /** Reports (model and tool calls) with `n` above those already seen, each after its entry. */
  report(report: ReportRow): StreamEvent[] {
    if (report.n <= this.lastReport) return [];
    this.lastReport = report.n;
    const out = new Emitter([report.afterSeq, PHASE.report], report.n * 4);
    const event = report.event as Record<string, JsonValue>;
    out.push("custom", "custom", event);
    const isUsage = event["type"] === "block.usage";
    out.push("events", "events", this.event(isUsage ? "on_chat_model_end" : "on_tool_end", String(isUsage ? event["model"] : event["tool"]), event, report.afterSeq, String(event["path"] ?? "")));
    return out.events;
  }

  /** The last events: the final state, or the error. */
  end(endSeq: number, end: RunEnd): StreamEvent[] {
    const out = new Emitter([endSeq, PHASE.end]);
    switch (end.status) {
      case "success":
        out.push("values", "values", { ...this.values(), output: end.output });
        out.push("events", "events", this.event("on_chain_end", this.ids.graphId, { output: end.output }, endSeq));
        break;
      case "interrupted":
        out.push("values", "values", { ...this.values(), __interrupt__: end.interrupts });
        break;
      case "error":
      case "cancelled":
        out.push("error", "error", { error: end.error.code, message: end.error.message, ...(end.error.path ? { path: end.error.path } : {}) });
        break;
    }
    return out.events;
  }

  private values(): RunValues {
    return { input: this.state.input, blocks: { ...this.state.blocks } };
  }

  private config(step: number) {
    return { configurable: { thread_id: this.ids.threadId, checkpoint_ns: "", checkpoint_id: `${this.ids.bwRunId}:${step}` } };
  }

  private event(event: string, name: string, data: unknown, step: number, node?: string) {
    return { event, name, run_id: this.ids.runId, tags: [], metadata: { thread_id: this.ids.threadId, blockwork_run_id: this.ids.bwRunId, langgraph_node: node ?? name, langgraph_step: step }, parent_ids: [], data };
  }
}

class Emitter {
  readonly events: StreamEvent[] = [];
  constructor(
    private readonly at: readonly [number, number],
    private n = 0,
  ) {}

  push(mode: string, event: string, data: unknown): void {
    const key = [this.at[0], this.at[1], this.n++] as const;
    this.events.push({ key, id: key.join("."), mode, event, data });
  }
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
