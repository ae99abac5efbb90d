import { type Attributes, type Context, context as otelContext, ProxyTracerProvider, ROOT_CONTEXT, type Span, type SpanContext, SpanStatusCode, type Tracer, type TracerProvider, trace } from "@opentelemetry/api";
import type { ErrorInfo } from "../errors.js";
import type { RunEvent } from "../events.js";
import { BLOCKWORK_ATTRIBUTES as A, GEN_AI_ATTRIBUTES as G } from "./attributes.js";
import { formatTraceparent, parseTraceparent } from "./traceparent.js";

/** The name of the tracer that makes a run's spans (`TracerProvider.getTracer`). */
export const BLOCKWORK_TRACER = "@blockwork/core";

/**
 * How a run is traced with OpenTelemetry (`RunOptions.tracing`; see docs/observability.md).
 * Without it, a run uses the globally registered tracer provider, which is a no-op until an
 * OpenTelemetry SDK registers one: then the run makes no spans and pays nothing per block.
 */
export interface TracingOptions {
  /** Default: the global provider (`trace.getTracerProvider()` of `@opentelemetry/api`). */
  readonly tracerProvider?: TracerProvider;
  /**
   * The context the run span is a child of. Default: the active context where `run` is called
   * (so a run started inside a request's span joins that request's trace). A resumed run ignores
   * it: it continues the trace kept in its record.
   */
  readonly context?: Context;
}

/** What a run is, for its spans. */
export interface TracedRun {
  readonly id: string;
  readonly graphId: string;
  readonly version: string;
  /** A resume: the trace context kept in the run's record, if it has one. */
  readonly resumed: boolean;
  readonly traceparent?: string | undefined;
}

/**
 * The spans of one run, built from its events, or undefined when the run is not traced
 * (`tracing: false`, no tracer provider registered, or a sampler that drops the run): then no
 * listener is attached and the run's hot path is as it was.
 */
export function traceRun(tracing: TracingOptions | false | undefined, run: TracedRun): RunTrace | undefined {
  if (tracing === false) return undefined;
  const tracer = tracerOf(tracing?.tracerProvider);
  if (tracer === undefined) return undefined;
  const stored = run.resumed ? parseTraceparent(run.traceparent) : undefined;
  const base = stored ? trace.setSpanContext(ROOT_CONTEXT, stored) : (tracing?.context ?? otelContext.active());
  const traced = new RunTrace(tracer, base, run);
  return traced.recording ? traced : undefined;
}

/**
 * The tracer to use, or undefined when the global provider has no SDK behind it (the API's proxy
 * without a delegate): the common untraced case is decided without making a span.
 */
function tracerOf(provider: TracerProvider | undefined): Tracer | undefined {
  if (provider !== undefined) return provider.getTracer(BLOCKWORK_TRACER);
  const global = trace.getTracerProvider();
  return global instanceof ProxyTracerProvider ? global.getDelegateTracer(BLOCKWORK_TRACER) : global.getTracer(BLOCKWORK_TRACER);
}

/** One open span, or one that will be made if something inside it needs a parent. */
interface Node {
  readonly key: string;
  readonly name: string;
  readonly attributes: Attributes;
  readonly start: number;
  /** Undefined: the run span is its parent. */
  readonly parent: Node | undefined;
  /** Made on demand: a block that started and ended while a resumed run replayed its journal gets none. */
  span: Span | undefined;
  /** What opened inside it (map items, made up here because a graph item reports no events of its own, included): what is still open ends with it. */
  children: Set<Node> | undefined;
  /** When the last thing inside it ended: a made-up item ends then. */
  lastEnd: number;
}

/** Epoch milliseconds with sub-millisecond precision, on the clock the SDK uses for its own times. */
const now = (): number => performance.timeOrigin + performance.now();

/**
 * Turns a run's events into spans: one per run (per segment: a suspension or a crash ends one, a
 * resume starts the next in the same trace), per block attempt, per supervisor restart and
 * escalation, per model call (GenAI semantic conventions) and per tool call, nested as the run is.
 * @internal
 */
export class RunTrace {
  /** The trace context a resume continues: the first run span's, kept in the run's record. */
  readonly traceparent: string;
  private segment: Span | undefined;
  private segments = 0;
  private readonly open = new Map<string, Node>();
  private readonly restarts = new Map<string, Span>();
  private replaying: boolean;
  private ended = false;

  constructor(
    private readonly tracer: Tracer,
    private readonly base: Context,
    private readonly run: TracedRun,
  ) {
    this.replaying = run.resumed;
    const first = this.startSegment();
    this.segment = first;
    this.traceparent = run.resumed && run.traceparent !== undefined && parseTraceparent(run.traceparent) ? run.traceparent : formatTraceparent(first.spanContext());
  }

  /**
   * Runs a block attempt's code with the attempt's span as the active context, so that spans the
   * code makes (an instrumented HTTP client, say) are its children. Needs a registered context
   * manager (an SDK's `register()` installs one); without, it only calls `run`.
   */
  readonly around = <T>(path: string, act: number, run: () => T): T => {
    const node = this.open.get(`${path}#${act}`);
    if (node?.span === undefined) return run();
    return otelContext.with(trace.setSpan(this.base, node.span), run);
  };

  get recording(): boolean {
    return this.segment?.isRecording() === true;
  }

  /** The listener for the run's events. */
  readonly listen = (event: RunEvent): void => {
    if (this.ended) return;
    switch (event.type) {
      case "run.started":
      case "run.resumed":
        if (event.type === "run.resumed") {
          this.replaying = false;
          this.segment?.setAttribute(A.replayed, event.replayed);
        }
        return;
      case "run.completed":
        this.finish("completed");
        return;
      case "run.failed":
        this.finish("failed", event.error);
        return;
      case "run.cancelled":
        this.finish("cancelled");
        return;
      case "run.suspended":
        this.suspend(event.suspensions.map((s) => s.id));
        return;
      case "run.upgraded":
        // The new version replays the journal and starts its own scopes: the old ones end here.
        this.closeAll("moved");
        this.segment?.setAttribute(A.graphVersion, event.to);
        this.segment?.addEvent("blockwork.run.upgraded", { [A.upgradeFrom]: event.from, [A.upgradeTo]: event.to, [A.upgradeMigrated]: [...event.migrated] });
        return;
      case "run.rerouted":
        this.segment?.addEvent("blockwork.run.rerouted", { [A.upgradeFrom]: event.from, [A.upgradeTo]: event.to, [A.rerouteSummary]: event.summary, [A.errorCode]: event.error.code });
        return;
      case "block.started":
        this.blockStarted(event.path, event.act, event.attempt);
        return;
      case "block.completed":
        this.blockEnded(`${event.path}#${event.act}`, "completed");
        return;
      case "block.failed":
        this.blockEnded(`${event.path}#${event.act}`, event.typed ? "typed_error" : "failed", event.error, !event.typed);
        return;
      case "block.retried":
        this.blockEnded(`${event.path}#${event.act}`, "retried", event.error, true, { [A.retryDelayMs]: event.delayMs });
        return;
      case "block.suspended":
        this.blockEnded(`${event.path}#${event.act}`, "suspended", undefined, false, { [A.suspension]: event.suspension });
        return;
      case "block.resumed":
        if (!this.replaying) this.spanOfParent(event.path)?.addEvent("blockwork.block.resumed", { [A.blockPath]: event.path, [A.suspension]: event.suspension });
        return;
      case "block.restarted":
        this.restarted(event);
        return;
      case "block.escalated":
        this.escalated(event);
        return;
      case "block.usage":
        this.modelCall(event);
        return;
      case "block.tool":
        this.toolCall(event);
        return;
      case "block.step":
        if (!this.replaying && !event.replayed) this.attemptSpan(event.path, event.act)?.addEvent("blockwork.block.step", { [A.step]: event.step });
        return;
      case "loop.pass":
        if (!this.replaying && !event.replayed) this.spanOfParent(event.path)?.addEvent("blockwork.loop.pass", { [A.blockPath]: event.path, [A.loopPass]: event.pass, [A.loopFrom]: event.from });
        return;
      case "edge.taken":
        return;
    }
  };

  private startSegment(): Span {
    const resumed = this.run.resumed || this.segments > 0;
    this.segments++;
    return this.tracer.startSpan(
      `run ${this.run.graphId}`,
      {
        startTime: now(),
        attributes: { [A.runId]: this.run.id, [A.graphId]: this.run.graphId, [A.graphVersion]: this.run.version, [A.runResumed]: resumed, [A.runSegment]: this.segments },
      },
      // Later segments (after a suspension in this process) are children of the first run span.
      this.segments === 1 ? this.base : trace.setSpanContext(this.base, parseTraceparent(this.traceparent) as SpanContext),
    );
  }

  /** The current run span; a run that goes on after a suspension in this process starts a new one. */
  private runSpan(): Span {
    if (this.segment === undefined) this.segment = this.startSegment();
    return this.segment;
  }

  private blockStarted(path: string, act: number, attempt: number): void {
    const key = `${path}#${act}`;
    const restart = this.restarts.get(path);
    if (restart !== undefined) {
      restart.end(now());
      this.restarts.delete(path);
    }
    const before = this.open.get(key);
    if (before !== undefined) this.close(before, "abandoned");
    const parent = this.parentOf(path);
    const node = this.node(key, `block ${spanPath(path)}`, { [A.runId]: this.run.id, [A.blockPath]: path, [A.blockId]: lastSegment(path), [A.blockActivation]: act, [A.blockAttempt]: attempt }, parent);
    if (!this.replaying) this.spanOf(node);
  }

  private blockEnded(key: string, outcome: string, error?: ErrorInfo, isError = false, more?: Attributes): void {
    const node = this.open.get(key);
    if (node === undefined) return;
    if (node.span === undefined) {
      // Started and ended while replaying: the earlier run segment has (or had) its span.
      this.forget(node);
      return;
    }
    if (more) node.span.setAttributes(more);
    this.close(node, outcome, error, isError);
  }

  private node(key: string, name: string, attributes: Attributes, parent: Node | undefined): Node {
    const start = now();
    const node: Node = { key, name, attributes, start, parent, span: undefined, children: undefined, lastEnd: start };
    this.open.set(key, node);
    if (parent) (parent.children ??= new Set()).add(node);
    return node;
  }

  private spanOf(node: Node): Span {
    if (node.span !== undefined) return node.span;
    const parent = node.parent ? this.spanOf(node.parent) : this.runSpan();
    node.span = this.tracer.startSpan(node.name, { startTime: node.start, attributes: node.attributes }, trace.setSpan(this.base, parent));
    return node.span;
  }

  /**
   * The node a block at `path` is inside: its subgraph's or map's block (`sub@2/x` is in `sub`'s
   * activation 2), a graph item of a map (`m/3/x` is in item 3 of `m`), or the nearest open
   * ancestor; undefined for the run span.
   */
  private parentOf(path: string): Node | undefined {
    const cut = path.lastIndexOf("/");
    return cut < 0 ? undefined : this.container(path.slice(0, cut));
  }

  private container(prefix: string): Node | undefined {
    const cut = prefix.lastIndexOf("/");
    const last = prefix.slice(cut + 1);
    const at = last.lastIndexOf("@");
    const act = at > 0 ? Number(last.slice(at + 1)) : 1;
    const blockPath = at > 0 ? prefix.slice(0, cut + 1 + at) : prefix;
    const found = this.open.get(`${blockPath}#${act}`);
    if (found !== undefined) return found;
    if (cut < 0) return undefined;
    const outer = this.container(prefix.slice(0, cut));
    if (!/^\d+$/.test(last) || outer === undefined) return outer;
    // A map's graph item: a span for the item, made up here, ends with the map.
    const key = `${prefix}#item`;
    const made = this.open.get(key);
    if (made !== undefined) return made;
    return this.node(key, `item ${spanPath(prefix)}`, { [A.runId]: this.run.id, [A.blockPath]: prefix, [A.mapItem]: Number(last) }, outer);
  }

  private spanOfParent(path: string): Span | undefined {
    const parent = this.parentOf(path);
    return parent ? this.spanOf(parent) : this.runSpan();
  }

  /** The open attempt span of a leaf block, else what it is inside. */
  private attemptSpan(path: string, act: number): Span | undefined {
    const node = this.open.get(`${path}#${act}`);
    return node ? this.spanOf(node) : this.spanOfParent(path);
  }

  private close(node: Node, outcome: string, error?: ErrorInfo, isError = false): void {
    // What is still open inside it ends first (a map's other items when one failed it, say): a made-up
    // item with the map's outcome, a block as abandoned.
    if (node.children) for (const child of [...node.children]) if (this.open.get(child.key) === child) this.close(child, child.key.endsWith("#item") ? outcome : "abandoned");
    node.children = undefined;
    node.parent?.children?.delete(node);
    const end = now();
    this.open.delete(node.key);
    if (node.parent) node.parent.lastEnd = Math.max(node.parent.lastEnd, end);
    const span = node.span;
    if (span === undefined) return;
    span.setAttribute(A.outcome, outcome);
    if (error !== undefined) setError(span, error, isError);
    // A made-up item ends with the last thing inside it, not when its map does.
    span.end(node.key.endsWith("#item") ? node.lastEnd : end);
  }

  private forget(node: Node): void {
    if (this.open.get(node.key) === node) this.open.delete(node.key);
    node.parent?.children?.delete(node);
    if (node.children) for (const child of [...node.children]) this.forget(child);
  }

  private restarted(event: Extract<RunEvent, { type: "block.restarted" }>): void {
    if (this.replaying) return;
    const parent = this.spanOfParent(event.path);
    const span = this.tracer.startSpan(
      `restart ${spanPath(event.path)}`,
      {
        startTime: now(),
        attributes: {
          [A.runId]: this.run.id,
          [A.blockPath]: event.path,
          [A.blockActivation]: event.act,
          [A.restartNumber]: event.restart,
          [A.restartDelayMs]: event.delayMs,
          [A.restartBlocks]: [...event.restarted],
          [A.errorCode]: event.error.code,
          [A.errorType]: event.error.code,
        },
      },
      trace.setSpan(this.base, parent ?? this.runSpan()),
    );
    // It lasts until the block starts again (its backoff), or until the run ends.
    this.restarts.get(event.path)?.end(now());
    this.restarts.set(event.path, span);
  }

  private escalated(event: Extract<RunEvent, { type: "block.escalated" }>): void {
    if (this.replaying) return;
    const at = now();
    const span = this.tracer.startSpan(
      `escalate ${spanPath(event.path)}`,
      { startTime: at, attributes: { [A.runId]: this.run.id, [A.blockPath]: event.path, [A.blockActivation]: event.act, [A.escalationReason]: event.reason } },
      trace.setSpan(this.base, this.spanOfParent(event.path) ?? this.runSpan()),
    );
    setError(span, event.error, true);
    span.end(at);
  }

  private modelCall(event: Extract<RunEvent, { type: "block.usage" }>): void {
    if (this.replaying || event.outcome.endsWith("(replayed)")) return;
    const parent = this.attemptSpan(event.path, event.act) ?? this.runSpan();
    const end = now();
    const colon = event.model.indexOf(":");
    const provider = colon > 0 ? event.model.slice(0, colon) : undefined;
    const model = colon > 0 ? event.model.slice(colon + 1) : event.model;
    const attributes: Attributes = {
      [G.operationName]: "chat",
      [G.requestModel]: model,
      [A.runId]: this.run.id,
      [A.blockPath]: event.path,
      [A.blockAttempt]: event.attempt,
      [A.modelCall]: event.call,
      [A.modelOutcome]: event.outcome,
      [A.contextTokens]: event.contextTokens,
    };
    if (provider !== undefined) {
      attributes[G.providerName] = provider;
      attributes[G.system] = provider;
    }
    if (event.inputTokens !== undefined) attributes[G.inputTokens] = event.inputTokens;
    if (event.outputTokens !== undefined) attributes[G.outputTokens] = event.outputTokens;
    if (event.finishReason !== undefined) attributes[G.finishReasons] = [event.finishReason];
    if (event.costUsd !== undefined) attributes[A.costUsd] = event.costUsd;
    if (event.status !== undefined) attributes[A.httpStatus] = event.status;
    const span = this.tracer.startSpan(`chat ${model}`, { startTime: end - event.latencyMs, attributes }, trace.setSpan(this.base, parent));
    if (!FINE.has(event.outcome)) {
      span.setAttribute(A.errorType, event.outcome);
      span.setStatus({ code: SpanStatusCode.ERROR, message: event.answered === false ? `the call got no answer (${event.outcome})` : `the answer failed: ${event.outcome}` });
    }
    span.end(end);
  }

  private toolCall(event: Extract<RunEvent, { type: "block.tool" }>): void {
    if (this.replaying) return;
    const parent = this.attemptSpan(event.path, event.act) ?? this.runSpan();
    const end = now();
    const attributes: Attributes = { [G.operationName]: "execute_tool", [G.toolName]: event.tool, [A.runId]: this.run.id, [A.blockPath]: event.path, [A.blockAttempt]: event.attempt };
    if (event.callId !== undefined) attributes[G.toolCallId] = event.callId;
    const span = this.tracer.startSpan(`execute_tool ${event.tool}`, { startTime: end - event.durationMs, attributes }, trace.setSpan(this.base, parent));
    if (!event.ok) {
      span.setAttribute(A.errorType, "tool_error");
      span.setStatus({ code: SpanStatusCode.ERROR, message: event.error ?? "the tool failed" });
    }
    span.end(end);
  }

  /** Ends every open span, innermost first. */
  private closeAll(outcome: string): void {
    const nodes = [...this.open.values()].reverse();
    for (const node of nodes) if (this.open.get(node.key) === node) this.close(node, outcome);
    for (const span of this.restarts.values()) span.end(now());
    this.restarts.clear();
  }

  /** Nothing can go on until a resume: this segment ends (a resume continues the trace). */
  private suspend(suspensions: readonly string[]): void {
    this.closeAll("suspended");
    const span = this.segment;
    if (span === undefined) return;
    span.setAttributes({ [A.outcome]: "suspended", [A.suspensions]: [...suspensions] });
    span.end(now());
    this.segment = undefined;
  }

  private finish(outcome: string, error?: ErrorInfo): void {
    this.closeAll(outcome === "completed" ? "abandoned" : outcome);
    const span = this.runSpan();
    span.setAttribute(A.outcome, outcome);
    if (error !== undefined) setError(span, error, true);
    span.end(now());
    this.segment = undefined;
    this.ended = true;
  }
}

/** Model call outcomes that are no failure: an answer, or a request for tools. */
const FINE = new Set(["ok", "tool-calls"]);

function setError(span: Span, error: ErrorInfo, isError: boolean): void {
  span.setAttributes({ [A.errorCode]: error.code, [A.errorType]: error.code });
  if (error.path !== undefined) span.setAttribute(A.errorPath, error.path);
  if (!isError) return;
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  span.recordException({ name: error.code, message: error.message });
}

/** A span name of few values: activations (`@2`) and map item numbers (`*`) left out; the attributes have them. */
function spanPath(path: string): string {
  return path.replace(/@\d+(?=\/|$)/g, "").replace(/(^|\/)\d+(?=\/|$)/g, "$1*");
}

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
