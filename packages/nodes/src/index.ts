/**
 * Reusable blocks: agent blocks (a model, a small budgeted context, contract-checked output), rlm
 * blocks, model adapters, tools, human blocks, the coordinator agent and `simulate`. Every export is named here.
 *
 * @module @blockwork/nodes
 */

export { agentBlock, agentInfo } from "./agent/agent-block.js";
export type { AgentBudget, AgentInfo, AgentOptions } from "./agent/agent-block.js";
export { AgentError, isAgentError } from "./agent/errors.js";
export type { AgentErrorKind } from "./agent/errors.js";
export { parseJsonLeniently } from "./agent/parse.js";
export type { Parsed } from "./agent/parse.js";
export { buildMessages, countContextTokens } from "./agent/prompt.js";

// rlm blocks: data by reference, explored by code the model writes, in a sandbox.
export { rlmBlock } from "./rlm/rlm-block.js";
export type { RlmBudget, RlmOptions } from "./rlm/rlm-block.js";
export { isRlmError, RlmError } from "./rlm/errors.js";
export type { RlmErrorKind } from "./rlm/errors.js";

export { defineTool, jsonSchemaTool, ToolInputError } from "./tool/tool.js";
export type { AgentTool, ToolDefinition } from "./tool/tool.js";

export { ModelConfigError, ModelError } from "./model/model.js";
export type { ChatMessage, FinishReason, Model, ModelErrorKind, ModelRequest, ModelResponse, ToolCall, ToolSpec } from "./model/model.js";
export { fromAiSdk } from "./model/ai-sdk.js";
export { openAICompatible } from "./model/openai-compatible.js";
export type { OpenAICompatibleOptions } from "./model/openai-compatible.js";
export { lazyModel, modelFromEnv, PROVIDERS } from "./model/env.js";

export { simulate } from "./simulate/simulate.js";
export type { SimulateOptions, SimulationReport } from "./simulate/simulate.js";
export { arbitraryOf, edgeCaseArbitraryOf } from "./simulate/values.js";
export { formatVerifyReport, verifyBlock, verifyGraph } from "./lego/verify.js";
export type { BlockVerdict, VerifyFailure, VerifyFailureKind, VerifyOptions, VerifyReport } from "./lego/verify.js";
export { declaredBlocks, withImplementations } from "./lego/implementations.js";
export { contractModuleOf, extractCode, implementBlock, implementContext } from "./lego/implement.js";
export type { ImplementAttempt, ImplementOptions, ImplementResult, RefusalKind } from "./lego/implement.js";
export { contractTypesSource } from "./lego/contract-types.js";
export { checkPolicy } from "./lego/policy.js";
export { loadTypeScript, MemoryTypeChecker } from "./lego/typecheck.js";
export type { TypeDiagnostic, VirtualFiles } from "./lego/typecheck.js";
export type { DeclaredEntry, ModuleImporter } from "./lego/implementations.js";

export { summarizeUsage } from "./usage.js";
export type { UsageSummary, UsageTotals } from "./usage.js";

// The coordinator agent: proposes checked patches to a graph for a goal or a run's failure.
export { coordinate, previewContext } from "./coordinator/coordinator.js";
export { coordinatorReroute } from "./coordinator/reroute.js";
export type { CoordinatorRerouteOptions } from "./coordinator/reroute.js";
export { COORDINATOR_INSTRUCTIONS } from "./coordinator/instructions.js";
export { summarizeCatalogue, summarizeGraph } from "./coordinator/summary.js";
export type { BlockSummary, CatalogueSummary, GraphSummary } from "./coordinator/summary.js";
export type { ContextReport, CoordinatorInput } from "./coordinator/context.js";
export type {
  AttemptFeedback,
  CoordinateOptions,
  CoordinatorAttempt,
  CoordinatorBudget,
  CoordinatorCall,
  CoordinatorFailure,
  CoordinatorFailureReason,
  CoordinatorResult,
  CoordinatorSuccess,
  CoordinatorTask,
  CoordinatorUsage,
  FailureReport,
} from "./coordinator/types.js";

export { humanBlock } from "./human/human.js";
export type { HumanBuilder } from "./human/human.js";

// Agent memory: tools, context assembly and supervised compaction (docs/memory.md).
export { AgentMemory, MEMORY_TOOLS, memoryUseDef, textTokens } from "./memory/agent-memory.js";
export type { AgentMemoryOptions, ContextShares, MemoryUse } from "./memory/agent-memory.js";
export { CompactionInput, CompactionOutput, compact, compactionContract, summaryIssues } from "./memory/compaction.js";
export type { Compactor } from "./memory/compaction.js";
