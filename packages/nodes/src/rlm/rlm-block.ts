import { deepStrict } from "@blockwork/core";
import type { BlobAccess, BlobHandle, BlockContext, BlockContract, BlockTypes, CodeBlock, JsonSchema, JsonValue } from "@blockwork/spec";
import { blobHandlesIn, isBlobHandle, toJsonSchema } from "@blockwork/spec";
import type { z } from "zod";
import { countContextTokens } from "../agent/prompt.js";
import { lazyModel } from "../model/env.js";
import type { ChatMessage, Model } from "../model/model.js";
import { searchBlob } from "./blob-tools.js";
import { bindingsSource, bootstrapSource, HOST_FUNCTIONS } from "./bootstrap.js";
import { RlmError, type RlmErrorKind } from "./errors.js";
import { cutToTokens, describeVariables, extractCode, rlmSystemPrompt } from "./prompt.js";
import { type CellRun, type HostReply, Sandbox } from "./sandbox.js";

/** The limits of one rlm block execution, all enforced by the host (see docs/rlm.md). */
export interface RlmBudget {
  /** Cells (model turns) before the block gives up. Default 12. */
  readonly cells?: number;
  /** Tokens the block's own context may hold (instructions, variables, cells and outputs). Default 8,000. */
  readonly contextTokens?: number;
  /** Tokens a model may write per call. Default 1,024. */
  readonly outputTokens?: number;
  /** Tokens one sub-call's context (prompt and data) may hold. Default 8,000. */
  readonly subContextTokens?: number;
  /** Model calls in all: the block's turns and every sub-call. Default 60. */
  readonly modelCalls?: number;
  /** Tokens in all, context and output, of every call. Default 250,000. */
  readonly tokens?: number;
  /** Wall-clock milliseconds for the whole block. Default 300,000. */
  readonly wallMs?: number;
  /** Interpreter milliseconds per cell (host calls not counted). Default 2,000. */
  readonly cpuMsPerCell?: number;
  /** Bytes of sandbox memory (a fixed WebAssembly memory). Default 64 MiB. */
  readonly memoryBytes?: number;
  /** US dollars for every call together (needs `pricing`). */
  readonly costUsd?: number;
  /** How deep calls may nest below the block: 0 forbids sub-calls, 1 (default) allows llm_query/llm_batch. */
  readonly depth?: number;
  /** Tokens of a cell's output shown to the model (the rest is cut, and the model told). Default 1,000. */
  readonly cellOutputTokens?: number;
  /** Bytes one blob_slice may return. Default 1 MiB. */
  readonly sliceBytes?: number;
}

/** Options of {@link rlmBlock}. */
export interface RlmOptions {
  /** What the block does. With the contract and a description of the variables, this is the whole starting context. */
  readonly instructions: string;
  /** The model that writes the cells. Default: the model named by `BLOCKWORK_MODEL`. */
  readonly model?: Model;
  /** The model behind llm_query/llm_batch. Default: `model`. */
  readonly subModel?: Model;
  readonly budget?: RlmBudget;
  /** Sub-calls of one llm_batch run at once. Default 4. */
  readonly concurrency?: number;
  /** US dollars per million tokens, to report and budget cost. */
  readonly pricing?: { readonly inputPerMillion: number; readonly outputPerMillion: number };
  readonly temperature?: number;
}

const DEFAULTS = {
  cells: 12,
  contextTokens: 8_000,
  outputTokens: 1_024,
  subContextTokens: 8_000,
  modelCalls: 60,
  tokens: 250_000,
  wallMs: 300_000,
  cpuMsPerCell: 2_000,
  memoryBytes: 64 * 1024 * 1024,
  depth: 1,
  cellOutputTokens: 1_000,
  sliceBytes: 1024 * 1024,
} as const;

type Limits = typeof DEFAULTS & { readonly costUsd?: number };

const SUB_SYSTEM = "You answer one request about the data you are given, in plain text, briefly. You see nothing but this request and its data.";

/** The journaled result of one model call (a turn of the block, or a sub-call). */
interface CallRecord {
  readonly [key: string]: JsonValue;
  readonly text: string;
  readonly contextTokens: number;
  readonly outputTokens: number;
  readonly latencyMs: number;
  readonly model: string;
}

/** The journaled result of one cell: what the model was shown, and what it cost. */
interface CellRecord {
  readonly [key: string]: JsonValue;
  readonly cell: number;
  readonly code: string;
  /** What the model is shown of the output (cut to `cellOutputTokens`). */
  readonly output: string;
  readonly outputTokens: number;
  readonly printedChars: number;
  readonly cut: boolean;
  readonly cpuMs: number;
  readonly memoryBytes: number;
  readonly subCalls: number;
  readonly error: string | null;
  readonly answer: "none" | "not ready" | "valid" | "invalid";
}

/**
 * A block that works on its data through code, for data far larger than any context: its input
 * (blob handles and values) is bound as variables in a sandbox (QuickJS in WebAssembly, in a
 * worker thread), the model writes JavaScript cells, the host runs them and shows the model their
 * output, cut to a token budget. Code reads blobs through `blob_slice` and `blob_search`, and
 * delegates to fresh sub-contexts through `llm_query` and `llm_batch`. The block ends when the
 * code sets `answer = { content, ready: true }` and `content` passes the output contract.
 *
 * Every budget (cells, context, model calls, tokens, wall time, CPU per cell, memory, cost,
 * depth) is enforced by the host; running out ends the block with an `RlmError` whose `kind` says
 * which. Every model turn, cell and sub-call is a durable step: journaled, shown as `block.step`
 * and `block.usage` events, and not run again (no model call) when a crashed run resumes.
 *
 * @example
 * const answer = rlmBlock(
 *   defineContract({ id: "answer", input: z.object({ corpus: blob(), question: z.string() }), output: z.object({ answer: z.string() }) }),
 *   { instructions: "Answer the question from the corpus. Search it; do not read it all.", budget: { cells: 8 } },
 * );
 */
export function rlmBlock<T extends BlockTypes>(contract: BlockContract<T>, options: RlmOptions): CodeBlock<T> {
  const schemas = {
    output: deepStrict(contract.contract.output as z.ZodType),
    error: contract.contract.error === undefined ? undefined : deepStrict(contract.contract.error as z.ZodType),
    outputJson: toJsonSchema(contract.contract.output as z.ZodType, "input"),
    errorJson: contract.contract.error === undefined ? undefined : toJsonSchema(contract.contract.error as z.ZodType, "input"),
  };
  const run = (input: unknown, ctx: BlockContext<unknown, unknown>) => new RlmRun(contract.id, options, schemas, input, ctx).run();
  return contract.implement(run as never);
}

interface Schemas {
  readonly output: z.ZodType;
  readonly error: z.ZodType | undefined;
  readonly outputJson: JsonSchema;
  readonly errorJson: JsonSchema | undefined;
}

/** One execution (attempt) of an rlm block. */
class RlmRun {
  private readonly limits: Limits;
  private readonly model: Model;
  private readonly subModel: Model;
  private readonly blobs: BlobAccess;
  private readonly step: NonNullable<BlockContext<unknown, unknown>["step"]>;
  private readonly allowed: Map<string, BlobHandle>;
  private readonly controller = new AbortController();
  /** The budget that ran out (or the provider failure) that ends the block, set where it happened. */
  private failure: Error | undefined;
  private calls = 0;
  private tokens = 0;
  /** Calls in flight and the context tokens they reserved: concurrent sub-calls must not all pass the same check. */
  private reserved = { calls: 0, tokens: 0 };
  private costUsd = 0;
  private cell = 0;
  private subCallsInCell = 0;
  private sandbox: Sandbox | undefined;
  private wallTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly id: string,
    private readonly options: RlmOptions,
    private readonly schemas: Schemas,
    private readonly input: unknown,
    private readonly ctx: BlockContext<unknown, unknown>,
  ) {
    this.limits = { ...DEFAULTS, ...(options.budget ?? {}) } as Limits;
    this.model = options.model ?? lazyModel();
    this.subModel = options.subModel ?? this.model;
    if (ctx.blobs === undefined || ctx.step === undefined) {
      throw new Error(`rlm block ${id} needs the Blockwork runtime (ctx.blobs and ctx.step): run it in a graph with run() or a worker`);
    }
    this.blobs = ctx.blobs;
    this.step = ctx.step.bind(ctx);
    // Code may read the blobs of its input, and no other: an address is not a capability.
    this.allowed = new Map(blobHandlesIn(input).map((h) => [h.$blob, h]));
  }

  async run(): Promise<unknown> {
    const onAbort = () => this.stop(new Error(`the block was stopped: ${String(this.ctx.signal.reason ?? "aborted")}`));
    if (this.ctx.signal.aborted) onAbort();
    else this.ctx.signal.addEventListener("abort", onAbort, { once: true });
    this.wallTimer = setTimeout(
      () => this.stop(new RlmError("time_exceeded", `${this.id}: ran longer than its wall-time budget of ${this.limits.wallMs} ms`, { wallMs: this.limits.wallMs })),
      Math.max(0, this.limits.wallMs),
    );
    try {
      return await this.loop();
    } catch (error) {
      // What ended the block (a budget, the wall clock) wins over what it caused (an aborted call).
      throw this.failure ?? error;
    } finally {
      clearTimeout(this.wallTimer);
      this.ctx.signal.removeEventListener("abort", onAbort);
      await this.sandbox?.close();
    }
  }

  /** Ends the block with `error`: the sandbox is stopped, calls in flight are aborted. */
  private stop(error: Error): void {
    this.failure ??= error;
    this.controller.abort(error);
    void this.sandbox?.close(error.message);
  }

  private async loop(): Promise<unknown> {
    const limits = this.limits;
    try {
      this.sandbox = await Sandbox.open(
        { memoryBytes: limits.memoryBytes, stackBytes: 256 * 1024, cpuMsPerCell: limits.cpuMsPerCell, outputChars: Math.max(4_096, limits.cellOutputTokens * 16) },
        bootstrapSource(seedOf(this.ctx.idempotencyKey)),
        (name, args) => this.host(name, args),
      );
    } catch (error) {
      throw new RlmError("sandbox_failed", `${this.id}: the sandbox did not start: ${error instanceof Error ? error.message : String(error)}`);
    }
    const reserved = new Set<string>(HOST_FUNCTIONS);
    const bindings = bindingsSource(this.input, reserved);
    const bound = await this.sandbox.run(bindings.code, 0);
    if (bound.error !== undefined) throw new RlmError("sandbox_failed", `${this.id}: binding the input in the sandbox failed: ${bound.error.message}`);

    const system = rlmSystemPrompt({
      instructions: this.options.instructions,
      output: this.schemas.outputJson,
      error: this.schemas.errorJson,
      cells: limits.cells,
      subCalls: limits.depth >= 1,
      sliceBytes: limits.sliceBytes,
    });
    let messages: ChatMessage[] = [
      { role: "system", content: system },
      { role: "user", content: describeVariables(this.input, bindings.names) },
    ];
    for (let n = 1; n <= limits.cells; n++) {
      this.cell = n;
      this.subCallsInCell = 0;
      messages = this.fit(messages);
      const turn = await this.call(`t${n}`, this.model, messages, { responseFormat: false, depth: 0, outcome: "cell" });
      this.throwIfFailed();
      const code = extractCode(turn.text);
      if (code === undefined) {
        messages = [...messages, { role: "assistant", content: turn.text }, { role: "user", content: "Your message has no ```js code block. Write one cell: exactly one fenced JavaScript code block." }];
        continue;
      }
      const started = performance.now();
      const ran = await (this.sandbox as Sandbox).run(code, n);
      this.throwIfFailed();
      this.throwIfOverLimits(ran, n);
      const verdict = this.judge(ran.answer);
      const computed = this.cellRecord(n, code, ran, verdict.state);
      let replayed = true;
      const record = (await this.step(`c${n}`, () => {
        replayed = false;
        return computed;
      })) as CellRecord;
      this.ctx.report({
        type: "step",
        step: `c${n}`,
        detail: { cell: n, outputTokens: record.outputTokens, printedChars: record.printedChars, cpuMs: record.cpuMs, subCalls: record.subCalls, answer: record.answer, ms: Math.round(performance.now() - started), ...(record.error !== null ? { error: record.error } : {}) },
        replayed,
      });
      if (verdict.state === "valid") return verdict.kind === "error" ? this.ctx.fail(verdict.value) : verdict.value;
      messages = [...messages, { role: "assistant", content: turn.text }, { role: "user", content: feedbackOf(record, verdict.feedback) }];
    }
    throw new RlmError("cells_exceeded", `${this.id}: ${limits.cells} cells ran and no answer passed the output contract (budget.cells)`, { cells: limits.cells });
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private throwIfOverLimits(ran: CellRun, n: number): void {
    if (ran.interrupted === "cpu") {
      throw new RlmError("cpu_exceeded", `${this.id}: cell ${n} ran longer than its CPU budget of ${this.limits.cpuMsPerCell} ms (budget.cpuMsPerCell)`, { cell: n, cpuMs: Math.round(ran.cpuMs), budget: this.limits.cpuMsPerCell });
    }
    const outOfMemory = ran.interrupted === "memory" || (ran.error?.name === "InternalError" && /out of memory/.test(ran.error.message));
    if (outOfMemory) {
      throw new RlmError("memory_exceeded", `${this.id}: cell ${n} ran out of the sandbox's ${this.limits.memoryBytes} bytes of memory (budget.memoryBytes)`, { cell: n, budget: this.limits.memoryBytes });
    }
    if (ran.interrupted === "crashed" || ran.interrupted === "stopped") throw new RlmError("sandbox_failed", `${this.id}: cell ${n}: ${ran.error?.message ?? "the sandbox stopped"}`, { cell: n });
  }

  /** Reads the `answer` variable: not set, not ready, valid for the contract, or why not. */
  private judge(answerJson: string | undefined): { state: CellRecord["answer"]; kind?: "output" | "error"; value?: unknown; feedback?: string } {
    if (answerJson === undefined) return { state: "none" };
    let answer: { content?: unknown; ready?: boolean; error?: unknown; tooLarge?: number; unreadable?: string } | null;
    try {
      answer = JSON.parse(answerJson);
    } catch {
      return { state: "invalid", feedback: "`answer` could not be read as JSON." };
    }
    if (answer === null) return { state: "none" };
    if (answer.tooLarge !== undefined) return { state: "invalid", feedback: `\`answer\` is ${answer.tooLarge} characters of JSON; an answer may have at most 1,000,000.` };
    if (answer.ready !== true) return { state: answer.content === undefined ? "none" : "not ready" };
    if (answer.error !== undefined && this.schemas.error !== undefined) {
      const parsed = this.schemas.error.safeParse(answer.error);
      if (parsed.success) return { state: "valid", kind: "error", value: parsed.data };
      return { state: "invalid", feedback: `answer.error does not match the error schema: ${issuesOf(parsed.error)}. Fix exactly these and set answer again.` };
    }
    const parsed = this.schemas.output.safeParse(answer.content);
    if (parsed.success) return { state: "valid", kind: "output", value: parsed.data };
    return { state: "invalid", feedback: `answer.content does not match the output schema: ${issuesOf(parsed.error)}. Fix exactly these and set answer again.` };
  }

  private cellRecord(n: number, code: string, ran: CellRun, answer: CellRecord["answer"]): CellRecord {
    const errorText = ran.error === undefined ? null : `${ran.error.name}: ${ran.error.message}${ran.error.stack ? `\n${ran.error.stack.split("\n").slice(0, 6).join("\n")}` : ""}`.slice(0, 2_000);
    const printed = ran.output + (ran.droppedChars > 0 ? `\n…[${ran.droppedChars} more characters printed, not kept]` : "");
    const shown = cutToTokens(printed, this.limits.cellOutputTokens);
    return {
      cell: n,
      code,
      output: shown.cut ? `${shown.text}\n…[output cut at ${this.limits.cellOutputTokens} tokens of about ${shown.tokens}; print less, or keep results in variables]` : shown.text,
      outputTokens: Math.min(shown.tokens, this.limits.cellOutputTokens),
      printedChars: ran.output.length + ran.droppedChars,
      cut: shown.cut,
      cpuMs: Math.round(ran.cpuMs * 100) / 100,
      memoryBytes: ran.memoryBytes,
      subCalls: this.subCallsInCell,
      error: errorText,
      answer,
    };
  }

  /**
   * Keeps the block's context within `contextTokens`: the oldest cell outputs are elided first,
   * then the oldest cells' code (the last exchange always stays), else the block fails.
   */
  private fit(messages: ChatMessage[]): ChatMessage[] {
    const budget = this.limits.contextTokens;
    let fitted = messages;
    let needed = countContextTokens(fitted);
    for (let i = 2; needed > budget && i < fitted.length - 2; i++) {
      const message = fitted[i] as ChatMessage;
      const elided = message.role === "user" ? "[the output of this cell was elided to keep the context within its budget]" : "[the code of this cell was elided to keep the context within its budget]";
      if (message.content === elided) continue;
      fitted = fitted.map((m, j) => (j === i ? ({ ...m, content: elided } as ChatMessage) : m));
      needed = countContextTokens(fitted);
    }
    if (needed > budget) {
      throw new RlmError("context_overflow", `${this.id}: the context needs ${needed} tokens, over the budget of ${budget} by ${needed - budget}, even with earlier cells elided (budget.contextTokens)`, { needed, budget });
    }
    return fitted;
  }

  /** One model call as a durable step: journaled, counted against every budget, reported. */
  private async call(key: string, model: Model, messages: ChatMessage[], o: { responseFormat: boolean; depth: number; outcome: string }): Promise<CallRecord> {
    const contextTokens = countContextTokens(messages);
    let replayed = true;
    const record = (await this.step(key, async () => {
      replayed = false;
      this.checkBefore(key, contextTokens, o.depth);
      const started = performance.now();
      const remaining = this.limits.tokens - this.tokens - this.reserved.tokens - contextTokens;
      this.reserved.calls++;
      this.reserved.tokens += contextTokens;
      let response: Awaited<ReturnType<Model["generate"]>>;
      try {
        response = await model.generate({
          messages,
          maxOutputTokens: Math.max(1, Math.min(this.limits.outputTokens, remaining)),
          ...(this.options.temperature !== undefined ? { temperature: this.options.temperature } : {}),
          signal: this.controller.signal,
        });
      } finally {
        this.reserved.calls--;
        this.reserved.tokens -= contextTokens;
      }
      const record: CallRecord = {
        text: response.text,
        contextTokens,
        outputTokens: response.usage?.outputTokens ?? cutToTokens(response.text, 1 << 30).tokens,
        latencyMs: Math.round(performance.now() - started),
        model: model.id,
      };
      return record;
    })) as CallRecord;
    this.count(record, key);
    this.ctx.report({ type: "usage", model: record.model, call: this.calls, contextTokens: record.contextTokens, outputTokens: record.outputTokens, latencyMs: replayed ? 0 : record.latencyMs, outcome: replayed ? `${o.outcome} (replayed)` : o.outcome, ...(this.options.pricing ? { costUsd: this.priceOf(record) } : {}) });
    if (key.includes(".")) this.ctx.report({ type: "step", step: key, detail: { contextTokens: record.contextTokens, outputTokens: record.outputTokens, latencyMs: record.latencyMs }, replayed });
    return record;
  }

  /** Before a model call: every budget it could break. Throws (and stops the block) when one is spent. */
  private checkBefore(key: string, contextTokens: number, depth: number): void {
    const l = this.limits;
    if (depth > l.depth) this.fatal("depth_exceeded", `${this.id}: ${key} would be a call at depth ${depth}, deeper than budget.depth ${l.depth}`, { depth, budget: l.depth });
    const calls = this.calls + this.reserved.calls;
    if (calls + 1 > l.modelCalls) this.fatal("model_calls_exceeded", `${this.id}: ${key} would be model call ${calls + 1}, over budget.modelCalls ${l.modelCalls}`, { calls, budget: l.modelCalls });
    const used = this.tokens + this.reserved.tokens;
    if (used + contextTokens >= l.tokens) {
      this.fatal("tokens_exceeded", `${this.id}: ${key} needs ${contextTokens} context tokens with ${l.tokens - used} of budget.tokens ${l.tokens} left`, { used, needed: contextTokens, budget: l.tokens });
    }
    if (l.costUsd !== undefined && this.costUsd >= l.costUsd) this.fatal("budget_exceeded", `${this.id}: the calls cost $${this.costUsd.toFixed(4)}, the budget of $${l.costUsd} is spent`, { costUsd: this.costUsd, budget: l.costUsd });
  }

  private count(record: CallRecord, key: string): void {
    this.calls++;
    this.tokens += record.contextTokens + record.outputTokens;
    this.costUsd += this.priceOf(record);
    const l = this.limits;
    if (this.tokens > l.tokens) this.fatal("tokens_exceeded", `${this.id}: after ${key} the calls used ${this.tokens} tokens, over budget.tokens ${l.tokens}`, { used: this.tokens, budget: l.tokens });
    if (l.costUsd !== undefined && this.costUsd > l.costUsd) this.fatal("budget_exceeded", `${this.id}: the calls cost $${this.costUsd.toFixed(4)}, over the budget of $${l.costUsd}`, { costUsd: this.costUsd, budget: l.costUsd });
  }

  private priceOf(record: CallRecord): number {
    const p = this.options.pricing;
    return p ? (record.contextTokens * p.inputPerMillion + record.outputTokens * p.outputPerMillion) / 1e6 : 0;
  }

  private fatal(kind: RlmErrorKind, message: string, details: Record<string, unknown>): never {
    const error = new RlmError(kind, message, details);
    this.failure ??= error;
    throw error;
  }

  // --- host functions ---------------------------------------------------------------------------

  private async host(name: string, args: readonly unknown[]): Promise<HostReply> {
    if (this.failure !== undefined) return { fatal: this.failure.message };
    try {
      switch (name) {
        case "llm_query":
          return { value: await this.subCall(this.nextSubKey(), args[0], args[1]) };
        case "llm_batch":
          return { value: await this.batch(args[0]) };
        case "blob_slice":
          return { value: await this.slice(args[0], args[1], args[2]) };
        case "blob_search": {
          const handle = this.handle(args[0], "blob_search");
          if (typeof args[1] !== "string") return { error: "blob_search(handle, needle, options): needle must be a string" };
          const options = args[2] === undefined || args[2] === null ? {} : args[2];
          if (typeof options !== "object" || Array.isArray(options)) return { error: "blob_search(handle, needle, options): options must be an object" };
          return { value: await searchBlob(this.blobs, handle, args[1], options as never) };
        }
        default:
          return { error: `there is no host function ${JSON.stringify(name).slice(0, 60)}` };
      }
    } catch (error) {
      // A budget that ran out, or a provider failure: the block ends with it, whatever the code does.
      const failure = this.failure as Error | undefined;
      if (failure !== undefined) {
        this.stop(failure);
        return { fatal: failure.message };
      }
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }

  private nextSubKey(): string {
    return `c${this.cell}.q${++this.subCallsInCell}`;
  }

  private async subCall(key: string, prompt: unknown, data: unknown): Promise<string> {
    if (typeof prompt !== "string") throw new Error("llm_query(prompt, data): prompt must be a string");
    const dataText = data === undefined || data === null ? "" : typeof data === "string" ? data : JSON.stringify(data);
    const messages: ChatMessage[] = [
      { role: "system", content: SUB_SYSTEM },
      { role: "user", content: dataText === "" ? prompt : `${prompt}\n\nData:\n${dataText}` },
    ];
    const needed = countContextTokens(messages);
    if (needed > this.limits.subContextTokens) {
      throw new Error(`llm_query: the prompt and data need ${needed} tokens, over the sub-call budget of ${this.limits.subContextTokens} (budget.subContextTokens); pass a smaller slice`);
    }
    try {
      return (await this.call(key, this.subModel, messages, { responseFormat: false, depth: 1, outcome: "sub-call" })).text;
    } catch (error) {
      // A provider failure ends the block as it would an agent block (its kind goes to retry policies).
      if (isProviderFailure(error)) this.failure ??= error as Error;
      throw error;
    }
  }

  private async batch(prompts: unknown): Promise<string[]> {
    if (!Array.isArray(prompts)) throw new Error("llm_batch(prompts): prompts must be an array of strings or { prompt, data } objects");
    const jobs = prompts.map((p, i) => {
      if (typeof p === "string") return { prompt: p, data: undefined };
      if (typeof p === "object" && p !== null && typeof (p as { prompt?: unknown }).prompt === "string") return p as { prompt: string; data?: unknown };
      throw new Error(`llm_batch(prompts): item ${i} is neither a string nor { prompt, data }`);
    });
    // Keys in order, before anything runs: a replay gives each item its own journaled answer.
    const keys = jobs.map(() => this.nextSubKey());
    const results: string[] = new Array(jobs.length);
    let next = 0;
    const worker = async () => {
      while (next < jobs.length && this.failure === undefined) {
        const i = next++;
        const job = jobs[i] as { prompt: string; data?: unknown };
        results[i] = await this.subCall(keys[i] as string, job.prompt, job.data);
      }
    };
    await Promise.all(Array.from({ length: Math.min(Math.max(1, this.options.concurrency ?? 4), jobs.length) }, worker));
    this.throwIfFailed();
    return results;
  }

  private async slice(handleArg: unknown, start: unknown, end: unknown): Promise<string> {
    const handle = this.handle(handleArg, "blob_slice");
    const from = start === undefined || start === null ? 0 : start;
    const to = end === undefined || end === null ? handle.size : end;
    if (!Number.isInteger(from) || !Number.isInteger(to) || (from as number) < 0 || (to as number) < 0) throw new Error("blob_slice(handle, start, end): start and end must be whole, non-negative byte offsets");
    const bytes = Math.min(to as number, handle.size) - (from as number);
    if (bytes > this.limits.sliceBytes) throw new Error(`blob_slice returns at most ${this.limits.sliceBytes} bytes per call (asked for ${bytes}); slice smaller pieces, or use blob_search`);
    return this.blobs.text(handle, { start: from as number, end: to as number });
  }

  private handle(value: unknown, fn: string): BlobHandle {
    if (!isBlobHandle(value)) throw new Error(`${fn}: the first argument must be a blob handle (a variable bound from the input)`);
    const known = this.allowed.get(value.$blob);
    if (known === undefined) throw new Error(`${fn}: this block may read only the blobs of its input`);
    return known;
  }
}

function feedbackOf(record: CellRecord, answerFeedback: string | undefined): string {
  const parts = [`Cell ${record.cell} output${record.cut ? " (cut)" : ""}:`, record.output === "" ? "(nothing printed)" : record.output];
  if (record.error !== null) parts.push(`The cell threw: ${record.error}`);
  if (answerFeedback !== undefined) parts.push(answerFeedback);
  else if (record.answer === "not ready") parts.push("answer is set but not ready.");
  return parts.join("\n");
}

function issuesOf(error: z.ZodError): string {
  return error.issues
    .slice(0, 8)
    .map((i) => `${i.path.length ? i.path.map(String).join(".") : "(the content)"}: ${i.message}`)
    .join("; ");
}

function isProviderFailure(error: unknown): boolean {
  return error instanceof Error && (error.name === "ModelError" || error.name === "ModelConfigError");
}

/** A 32-bit seed from the idempotency key: Math.random in the sandbox repeats when an attempt is replayed. */
function seedOf(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return h >>> 0;
}
