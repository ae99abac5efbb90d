// The attribute names of a run's spans (docs/observability.md lists them with their meaning).

/** Blockwork's own span attributes (`blockwork.*`), and the general OpenTelemetry ones it sets. */
export const BLOCKWORK_ATTRIBUTES = {
  runId: "blockwork.run.id",
  graphId: "blockwork.graph.id",
  graphVersion: "blockwork.graph.version",
  runResumed: "blockwork.run.resumed",
  /** 1 for the run's first span in this process, 2 for the next after a suspension, ... */
  runSegment: "blockwork.run.segment",
  /** A resumed run: how many journal entries it replayed. */
  replayed: "blockwork.run.replayed",
  suspensions: "blockwork.run.suspensions",
  blockPath: "blockwork.block.path",
  blockId: "blockwork.block.id",
  blockActivation: "blockwork.block.activation",
  blockAttempt: "blockwork.block.attempt",
  mapItem: "blockwork.map.item",
  /** How the span's run, attempt or block ended: `completed`, `failed`, `typed_error`, `retried`, `suspended`, `cancelled`, `moved`, `abandoned`. */
  outcome: "blockwork.outcome",
  errorCode: "blockwork.error.code",
  errorPath: "blockwork.error.path",
  /** The OpenTelemetry general attribute for the class of an error. */
  errorType: "error.type",
  retryDelayMs: "blockwork.retry.delay_ms",
  suspension: "blockwork.suspension.id",
  restartNumber: "blockwork.restart.number",
  restartDelayMs: "blockwork.restart.delay_ms",
  restartBlocks: "blockwork.restart.blocks",
  escalationReason: "blockwork.escalation.reason",
  step: "blockwork.step.key",
  loopPass: "blockwork.loop.pass",
  loopFrom: "blockwork.loop.from",
  upgradeFrom: "blockwork.upgrade.from",
  upgradeTo: "blockwork.upgrade.to",
  upgradeMigrated: "blockwork.upgrade.migrated",
  rerouteSummary: "blockwork.reroute.summary",
  modelCall: "blockwork.model.call",
  modelOutcome: "blockwork.model.outcome",
  contextTokens: "blockwork.model.context_tokens",
  costUsd: "blockwork.model.cost_usd",
  httpStatus: "http.response.status_code",
} as const;

/** The OpenTelemetry GenAI semantic conventions' attributes that model and tool call spans carry. */
export const GEN_AI_ATTRIBUTES = {
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  /** The older name of `gen_ai.provider.name`, still read by many backends. */
  system: "gen_ai.system",
  requestModel: "gen_ai.request.model",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
  finishReasons: "gen_ai.response.finish_reasons",
  toolName: "gen_ai.tool.name",
  toolCallId: "gen_ai.tool.call.id",
} as const;
