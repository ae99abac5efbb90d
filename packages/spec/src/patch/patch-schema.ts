import { z } from "zod";
import { toJsonSchema } from "../contract/contract.js";
import type { BindingDef, EdgeCondition, JsonSchema, JsonValue, ValuePath } from "../def/graph-def.js";
import { ID_PATTERN } from "../def/graph-def-schema.js";

/**
 * The patch language: typed operations on a GraphDef, as zod schemas. A model's JSON answer is
 * validated against {@link PatchSchema}, and {@link patchJsonSchema} is what a model is shown.
 *
 * The binding schema restates the GraphDef's (def/graph-def-schema.ts) with `z.lazy` for its
 * recursion instead of getters: `deepStrict` (which agent blocks apply to their output contract)
 * stops at a lazy schema, while it would recurse forever through getters. A test checks that every
 * binding this schema accepts is one the GraphDef schema accepts.
 */

// Shared pieces are registered with an id, so the JSON Schema a model sees states each once ($defs).
const Id = z.string().regex(ID_PATTERN, "must be a block id: a letter or _, then letters, digits, _ or - (at most 128)").meta({ id: "BlockId" });
const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const Path = z
  .array(z.union([z.string(), z.number().int().min(0).max(1e9)]))
  .meta({ id: "ValuePath", description: "keys and indices into the value; [] is the whole value" });
const Json: z.ZodType<JsonValue> = z
  .lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(Json), z.record(z.string(), Json)]))
  .meta({ id: "JsonValue" }) as z.ZodType<JsonValue>;
const Schema = z.union([z.boolean(), z.record(z.string(), z.unknown())]).meta({ id: "JsonSchema", description: "a JSON Schema (draft 2020-12)" });

/** Where an input value comes from: the GraphDef's `BindingDef`, as a patch writes it. */
export const PatchBindingSchema: z.ZodType<BindingDef> = z
  .lazy(() =>
    z.discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("input"), path: Path }).describe("a path into the graph's input"),
      z
        .strictObject({ kind: z.literal("output"), node: Id, path: Path, optional: z.boolean().optional() })
        .describe("a path into the output of a block that certainly ran before the reader; optional: true when it may not have run (the field must then be optional)"),
      z.strictObject({ kind: z.literal("literal"), value: Json }).describe("a constant"),
      z.strictObject({ kind: z.literal("object"), fields: z.record(z.string(), PatchBindingSchema) }).describe("an object built field by field"),
      z.strictObject({ kind: z.literal("first"), of: z.array(PatchBindingSchema).min(1) }).describe("the first alternative whose source ran (a merge after a route); end with a literal for a default"),
    ]),
  )
  .meta({ id: "PatchBinding" }) as z.ZodType<BindingDef>;

/** When an edge is taken: the GraphDef's `EdgeCondition`. */
export const PatchConditionSchema: z.ZodType<EdgeCondition> = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("case"), field: z.string().min(1), equals: Scalar }).describe("the source's output[field] equals `equals`"),
    z.strictObject({ kind: z.literal("otherwise") }).describe("no case edge of the same source matched"),
    z.strictObject({ kind: z.literal("error") }).describe("the source failed with a typed error"),
  ])
  .meta({ id: "EdgeCondition" });

const Max = z.number().int().min(1).max(1e6).meta({ id: "Max", description: "how many times the edge may be taken in one run (every cycle needs one bounded edge)" });

const op = <const $Op extends string, $Shape extends z.ZodRawShape>(name: $Op, shape: $Shape, description: string) =>
  z.strictObject({ op: z.literal(name), ...shape }).describe(description);

/** Adds a block from the catalogue under `id` (default: the catalogue id), with its input binding. */
export const AddBlockOp = op(
  "add_block",
  { block: Id, id: Id.optional(), input: PatchBindingSchema.optional(), join: z.enum(["all", "any"]).optional() },
  "Add the catalogue block `block` as block `id` (default: the catalogue id). It runs only once an edge (connect) or the entry (set_entry) leads to it.",
);
/** Removes a block, the edges into and out of it, and its place in the entry. */
export const RemoveBlockOp = op("remove_block", { id: Id }, "Remove a block with the edges into and out of it. Bindings that read it are left for you to rebind.");
/** Adds an edge. */
export const ConnectOp = op(
  "connect",
  { from: Id, to: Id, when: PatchConditionSchema.optional(), max: Max.optional(), onExhausted: Id.optional() },
  "Add an edge: `to` runs after `from` (on a route case, otherwise, or a typed error with `when`); onExhausted: where to go when `max` is used up.",
);
/** Removes the edges from `from` to `to` (only those with condition `when`, when given). */
export const DisconnectOp = op("disconnect", { from: Id, to: Id, when: PatchConditionSchema.optional() }, "Remove the edges from -> to (only those with this condition, when `when` is given).");
/** Binds one input field of a block (or its whole input, without `field`). */
export const BindOp = op("bind", { block: Id, field: z.string().min(1).optional(), binding: PatchBindingSchema }, "Bind one input field of a block (its whole input when `field` is omitted).");
/** Removes the binding of one input field of a block (or its whole input binding). */
export const UnbindOp = op("unbind", { block: Id, field: z.string().min(1).optional() }, "Remove the binding of one input field of a block (its whole input binding when `field` is omitted).");
/** Binds one field of the graph's output (or the whole output). */
export const BindOutputOp = op("bind_output", { field: z.string().min(1).optional(), binding: PatchBindingSchema }, "Bind one field of the graph's output (the whole output when `field` is omitted).");
/** Removes the binding of one field of the graph's output (or the whole output binding). */
export const UnbindOutputOp = op("unbind_output", { field: z.string().min(1).optional() }, "Remove the binding of one field of the graph's output (the whole output binding when `field` is omitted).");
/** Routes one value of a discriminant field to a block, replacing the case edge for that value. */
export const SetCaseOp = op(
  "set_case",
  { from: Id, field: z.string().min(1), equals: Scalar, to: Id, max: Max.optional(), onExhausted: Id.optional() },
  "Route: when from's output[field] equals `equals`, go to `to` (replaces the case edge for that value).",
);
/** Sets (or, with `to: null`, removes) the otherwise edge of a route. */
export const SetOtherwiseOp = op(
  "set_otherwise",
  { from: Id, to: Id.nullable(), max: Max.optional(), onExhausted: Id.optional() },
  "Set the otherwise edge of a route (taken when no case matches); `to: null` removes it.",
);
/** Sets or removes the bound of one existing edge. */
export const SetLoopBoundOp = op(
  "set_loop_bound",
  { from: Id, to: Id, when: PatchConditionSchema.optional(), max: Max.nullable(), onExhausted: Id.nullable().optional() },
  "Set the bound of the one edge from -> to (give `when` if there are several). max: null removes the bound; onExhausted: null removes it, omitted keeps it.",
);
/** Replaces a block by a catalogue block with a compatible contract; the id, edges and bindings stay. */
export const ReplaceBlockOp = op(
  "replace_block",
  { id: Id, block: Id, input: PatchBindingSchema.optional() },
  "Replace block `id` by the catalogue block `block`, keeping the id, edges and bindings (or give a new `input` binding). The replacement must accept what the block is given and produce what its readers read.",
);
/** Changes the graph's own contract. */
export const SetContractOp = op(
  "set_contract",
  { input: Schema.optional(), output: Schema.optional(), error: Schema.nullable().optional() },
  "Change the graph's own contract (JSON Schemas; error: null removes it). The output is exact: list every field in required and set additionalProperties: false.",
);
/** Sets the blocks that start the graph. */
export const SetEntryOp = op("set_entry", { entry: z.array(Id).min(1) }, "Set the blocks that start when the graph starts.");

/** One operation of a patch. */
export const PatchOpSchema = z.discriminatedUnion("op", [
  AddBlockOp,
  RemoveBlockOp,
  ConnectOp,
  DisconnectOp,
  BindOp,
  UnbindOp,
  BindOutputOp,
  UnbindOutputOp,
  SetCaseOp,
  SetOtherwiseOp,
  SetLoopBoundOp,
  ReplaceBlockOp,
  SetContractOp,
  SetEntryOp,
]);

/** A patch: operations applied in order, with the reason for the change. */
export const PatchSchema = z.strictObject({
  reason: z.string().optional().describe("one sentence: what the change does and why"),
  ops: z.array(PatchOpSchema).describe("applied in order to the graph as it is now"),
});

/** One operation of a patch, as data. */
export type PatchOp = z.output<typeof PatchOpSchema>;
/** The names of the operations. */
export type PatchOpName = PatchOp["op"];
/** A patch, as data. */
export interface Patch {
  readonly reason?: string | undefined;
  readonly ops: readonly PatchOp[];
}

/** The operation names, in the order the reference lists them. */
export const PATCH_OPS = PatchOpSchema.options.map((o) => o.shape.op.value) as readonly PatchOpName[];

/**
 * The JSON Schema of a patch (draft 2020-12), with a description on every operation: what a model
 * is asked to answer with.
 */
export function patchJsonSchema(): JsonSchema {
  return toJsonSchema(PatchSchema, "input");
}

/** A problem found while reading a patch: where in it, and what is wrong. */
export interface PatchParseProblem {
  readonly path: ValuePath;
  readonly message: string;
}

/** What parsing a patch document returns: the patch, or every problem found in it. */
export type PatchParseResult = { readonly ok: true; readonly patch: Patch } | { readonly ok: false; readonly problems: readonly PatchParseProblem[] };

/**
 * Validates a value (for example a model's parsed JSON answer) as a patch.
 *
 * @example
 * const parsed = parsePatch(JSON.parse(answer));
 * if (!parsed.ok) console.log(parsed.problems);
 */
export function parsePatch(value: unknown): PatchParseResult {
  const parsed = PatchSchema.safeParse(value);
  if (parsed.success) return { ok: true, patch: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => ({ path: i.path.filter((p): p is string | number => typeof p !== "symbol"), message: i.message })) };
}
