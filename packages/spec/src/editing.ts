/**
 * Changing GraphDefs. Checked patches (what the coordinator agent proposes), their notation,
 * catalogues of the blocks an editor may add, and GraphDefs made runnable again (graphFromDef).
 * Every export is named here.
 *
 * @module @blockwork/spec/editing
 */
// Patches: typed, checked edits of a GraphDef.
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

// Catalogues: the blocks available to an editor, by contract; and GraphDefs made runnable again.
export { catalogueOf, defineCatalogue, isCatalogue, mergeCatalogues } from "./catalogue/catalogue.js";
export type { Catalogue, CatalogueEntry, CatalogueEntryInfo, CatalogueItem } from "./catalogue/catalogue.js";
export { contractFromDef, graphFromDef } from "./catalogue/graph-from-def.js";
export type { GraphFromDefOptions, ImplementationSource } from "./catalogue/graph-from-def.js";
