// The public API of @blockwork/spec. Every export is named here: this file is the API review.

export { defineContract, failure, isBlock, isBlockFailure } from "./contract/block.js";
export type {
  AnyBlock,
  Block,
  BlockContext,
  BlockFailure,
  BlockRun,
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
  TypesFrom,
} from "./contract/block.js";
export { contractToDef, OPAQUE_KEYWORD, toJsonSchema } from "./contract/contract.js";
export type { AnySchema, Budget, Contract, ContractTypes, Unset } from "./contract/contract.js";

export { createGraph } from "./builder/graph-builder.js";
export type { GraphBuilder, GraphSpec } from "./builder/graph-builder.js";
export { firstOf, maybe } from "./builder/refs.js";
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
export type {
  BindingDef,
  BudgetDef,
  CodeNodeDef,
  ContractDef,
  EdgeCondition,
  EdgeDef,
  GraphDef,
  GraphNodeDef,
  ItemErrorMode,
  JoinMode,
  JsonSchema,
  JsonValue,
  MapNodeDef,
  NodeDef,
  NodeKind,
  RetryDef,
  ValuePath,
} from "./def/graph-def.js";
export { GRAPH_DEF_SCHEMA_ID, GraphDefSchema, graphDefJsonSchema, ID_PATTERN } from "./def/graph-def-schema.js";

export { BlockworkError, isBlockworkError, SPEC_ERROR_CODES } from "./errors.js";
export type { SpecErrorCode } from "./errors.js";

export { parseGraphDef, parseGraphDefJson, isGraphDefLike } from "./def/load.js";
export type { LoadProblem, LoadResult } from "./def/load.js";

export { check } from "./check/check.js";
export type { CheckOptions } from "./check/check.js";
export { ISSUE_CODES } from "./check/issues.js";
export { loopEdges } from "./check/loops.js";
export type { Issue, IssueCode, Severity } from "./check/issues.js";
export { formatDefPath, formatIssues, formatLocation, summarizeIssues } from "./check/format.js";
export type { FormatOptions } from "./check/format.js";

export { compat, enumerateValues, validateValue } from "./compat/index.js";
export type { CompatOptions, CompatResult, Draft, Enumeration, ValidationResult } from "./compat/index.js";

export { toMermaid } from "./export/mermaid.js";
export type { MermaidOptions } from "./export/mermaid.js";
