/**
 * Reading GraphDefs without running them. The static checker and its issue formatting, the schema
 * compatibility engine, the graph diff, and the Mermaid and xstate exporters. Every export is
 * named here.
 *
 * @module @blockwork/spec/analysis
 */
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
export type { MermaidHighlight } from "./export/mermaid.js";

export { diffGraphs } from "./diff/diff.js";
export { formatDiff } from "./diff/format.js";
export type { DiffFormatOptions } from "./diff/format.js";
export { CHANGE_CODES } from "./diff/types.js";
export type { CallersImpact, ChangeCode, DiffChange, DiffOptions, DiffVerdict, FlowImpact, GraphDiff, PositionVerdict } from "./diff/types.js";
