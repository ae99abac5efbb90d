/**
 * The authoring entry of @blockwork/spec: contracts (zod), blocks, the typed graph builder,
 * GraphDef (the one plain-data form of a graph) and loading it, memory declarations. Two audiences
 * have their own entries, `@blockwork/spec/analysis` (the static checker, the schema compatibility
 * engine, the diff, the Mermaid and XState exporters) and `@blockwork/spec/editing` (patches,
 * catalogues); this entry re-exports both whole, so an import from the root keeps working. Every
 * export is named in this file or in those two: they are the API review.
 *
 * @module @blockwork/spec
 */

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
export { declareBlock, declaredInfo, propertyFailure, unimplementedBlocks } from "./contract/declare.js";
export type { BlockExample, BlockProperty, DeclaredBlock, DeclaredInfo, DeclareSpec, InputOutput } from "./contract/declare.js";
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
  DeclaredDef,
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

export * from "./analysis.js";
export * from "./editing.js";
