// The public API of @blockwork/spec. Every export is named here: this file is the API review.

export { defineContract, failure, isBlock, isBlockFailure, isBlockSuspension, suspension } from "./contract/block.js";
export type {
  AnyBlock,
  Block,
  BlockContext,
  BlockContextBase,
  BlockFailure,
  BlockReport,
  BlockResult,
  BlockStep,
  BlockRun,
  BlockSuspension,
  BlockContract,
  ContractSpec,
  BlockTypes,
  CodeBlock,
  ErrorFrom,
  GraphBlock,
  IdFrom,
  InputFrom,
  MapBlock,
  OutputFrom,
  Suspendable,
  TypesFrom,
} from "./contract/block.js";
export { contractToDef, OPAQUE_KEYWORD, toJsonSchema } from "./contract/contract.js";
export { deepStrict } from "./contract/strict.js";
export { formatZodIssues, zodIssueTexts } from "./contract/zod-issues.js";
export type { ZodIssueFormat } from "./contract/zod-issues.js";
export { blob, BLOB_ADDRESS, BLOB_CONTENT_PROPERTY, BLOB_KEYWORD, BLOB_PREVIEW_CHARS, blobHandlesIn, blobJsonSchema, blobSchemaInfo, isBlobHandle } from "./contract/blob.js";
export type { BlobAccess, BlobHandle, BlobOptions, BlobSchema } from "./contract/blob.js";
export type { AnySchema, Budget, Contract, ContractTypes, Unset } from "./contract/contract.js";

export { createGraph } from "./builder/graph-builder.js";
export type { GraphBuilder, GraphSpec } from "./builder/graph-builder.js";
export { firstOf, maybe } from "./builder/refs.js";
export type { RouteMatch } from "./builder/match.js";
export { P } from "./pattern/pattern.js";
export { compilePattern, PATTERN_KEYWORDS } from "./pattern/predicate.js";
export type { PatternPredicate } from "./pattern/predicate.js";
export { ItemFailureSchema, mapOf } from "./builder/map.js";
export type { MapOptions, MapTypes } from "./builder/map.js";
export type { Binding, BindingFor, Ref } from "./builder/refs.js";
export type {
  AddOptions,
  BindFn,
  BuilderState,
  CaseKey,
  ContractError,
  DiscriminantOf,
  EdgeOptions,
  Target,
} from "./builder/types.js";

export { GRAPH_DEF_FORMAT } from "./def/graph-def.js";
export { canonicalJson, graphVersion } from "./def/version.js";
export type {
  BindingDef,
  BudgetDef,
  CodeNodeDef,
  ContractDef,
  EdgeCondition,
  EdgeDef,
  FailureAction,
  GraphDef,
  GraphNodeDef,
  ItemErrorMode,
  JoinMode,
  JsonSchema,
  JsonValue,
  MapNodeDef,
  NodeDef,
  NodeKind,
  RestartDef,
  RestartType,
  RetryDef,
  SupervisionDef,
  SupervisionStrategy,
  ValuePath,
} from "./def/graph-def.js";
export { GRAPH_DEF_SCHEMA_ID, GraphDefSchema, graphDefJsonSchema, ID_PATTERN } from "./def/graph-def-schema.js";

export { BlockworkError, isBlockworkError, SPEC_ERROR_CODES } from "./errors.js";
export type { SpecErrorCode } from "./errors.js";

export { parseGraphDef, parseGraphDefJson, isGraphDefLike } from "./def/load.js";
export { documentProblems, MAX_DOCUMENT_DEPTH } from "./def/guard.js";

export { attachMemoryUse, defineMemory, MEMORY_TIERS, MemoryScopeDefSchema, MemoryUseDefSchema, memoryUseOf, RetentionPolicySchema } from "./memory/memory-def.js";
export type { CompactionPolicy, MemoryKinds, MemoryLevel, MemoryScope, MemoryScopeDef, MemorySpec, MemoryTier, MemoryUseDef, RetentionPolicy, RetentionWindow, TierPolicy } from "./memory/memory-def.js";
export type { LoadProblem, LoadResult } from "./def/load.js";

export { check } from "./check/check.js";
export type { CheckOptions } from "./check/check.js";
export { ISSUE_CODES } from "./check/issues.js";
export { loopEdges } from "./check/loops.js";
export type { Issue, IssueCode, Severity } from "./check/issues.js";
export { formatDefPath, formatIssues, formatLocation, summarizeIssues } from "./check/format.js";
export type { FormatOptions } from "./check/format.js";

export { compat, enumerateValues, validateValue } from "./compat/index.js";
export type { AnalysisLimits, CompatOptions, CompatResult, Draft, Enumeration, ValidationResult } from "./compat/index.js";

export { toMermaid } from "./export/mermaid.js";
export { toXStateConfig } from "./export/xstate.js";
export type { XStateMachineConfig, XStateStateConfig, XStateTransition } from "./export/xstate.js";
export type { MermaidOptions, MermaidRun, MermaidStatus } from "./export/mermaid.js";

// Patches: typed, checked edits of a GraphDef (what the coordinator agent proposes).
export { applyPatch } from "./patch/apply.js";
export type { PatchResult } from "./patch/apply.js";
export {
  AddBlockOp,
  BindOp,
  BindOutputOp,
  ConnectOp,
  DisconnectOp,
  PATCH_OPS,
  PatchBindingSchema,
  PatchConditionSchema,
  patchJsonSchema,
  PatchOpSchema,
  PatchSchema,
  parsePatch,
  RemoveBlockOp,
  ReplaceBlockOp,
  SetCaseOp,
  SetContractOp,
  SetEntryOp,
  SetLoopBoundOp,
  SetOtherwiseOp,
  UnbindOp,
  UnbindOutputOp,
} from "./patch/patch-schema.js";
export type { Patch, PatchOp, PatchOpName, PatchParseProblem, PatchParseResult } from "./patch/patch-schema.js";
export { formatPatchProblems, PATCH_PROBLEM_CODES } from "./patch/problems.js";
export type { PatchProblem, PatchProblemCode } from "./patch/problems.js";
export { changeOf, describeChange, isEmptyChange } from "./patch/change.js";
export type { BlockAspect, GraphChange } from "./patch/change.js";
export { formatBinding, formatCondition, formatEdge, formatSchema } from "./patch/notation.js";
export type { FormatSchemaOptions } from "./patch/notation.js";
export type { MermaidHighlight } from "./export/mermaid.js";

// Catalogues: the blocks available to an editor, by contract; and GraphDefs made runnable again.
export { catalogueOf, defineCatalogue, isCatalogue, mergeCatalogues } from "./catalogue/catalogue.js";
export type { Catalogue, CatalogueEntry, CatalogueEntryInfo, CatalogueItem } from "./catalogue/catalogue.js";
export { contractFromDef, graphFromDef } from "./catalogue/graph-from-def.js";
export type { GraphFromDefOptions, ImplementationSource } from "./catalogue/graph-from-def.js";

export { diffGraphs } from "./diff/diff.js";
export { formatDiff } from "./diff/format.js";
export type { DiffFormatOptions } from "./diff/format.js";
export { CHANGE_CODES } from "./diff/types.js";
export type { CallersImpact, ChangeCode, DiffChange, DiffOptions, DiffVerdict, FlowImpact, GraphDiff, PositionVerdict } from "./diff/types.js";
