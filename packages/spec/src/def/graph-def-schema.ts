import { z } from "zod";
import { GRAPH_DEF_FORMAT } from "./graph-def.js";
import { MemoryUseDefSchema } from "../memory/memory-def.js";

/** Block and graph ids: a letter or `_`, then letters, digits, `_` or `-` (at most 128). */
export const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

const Id = z
  .string()
  .regex(ID_PATTERN, "must start with a letter or _ and contain only letters, digits, _ and - (at most 128)");

const JsonSchemaSchema = z.union([z.boolean(), z.record(z.string(), z.unknown())], {
  error: "must be a JSON Schema (an object or a boolean)",
});

const BudgetSchema = z.strictObject({
  timeoutMs: z.number().int().positive().optional(),
  attempts: z.number().int().min(1).optional(),
  tokens: z.number().int().positive().optional(),
  costUsd: z.number().nonnegative().optional(),
});

const ContractSchema = z.strictObject({
  input: JsonSchemaSchema,
  output: JsonSchemaSchema,
  error: JsonSchemaSchema.optional(),
  resume: JsonSchemaSchema.optional(),
  budget: BudgetSchema.optional(),
});

const PathSchema = z.array(z.union([z.string(), z.number().int().nonnegative()]));

const BindingSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("input"), path: PathSchema }),
  z.strictObject({ kind: z.literal("output"), node: Id, path: PathSchema, optional: z.boolean().optional() }),
  z.strictObject({ kind: z.literal("literal"), value: z.json() }),
  z.strictObject({
    kind: z.literal("object"),
    get fields() {
      return z.record(z.string(), BindingSchema);
    },
  }),
  z.strictObject({
    kind: z.literal("first"),
    get of() {
      return z.array(BindingSchema).min(1);
    },
  }),
]);

const EdgeConditionSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("case"),
    field: z.string().min(1),
    equals: z.union([z.string(), z.number(), z.boolean(), z.null()]),
  }),
  z.strictObject({
    kind: z.literal("match"),
    pattern: JsonSchemaSchema.describe("the JSON Schema of the values this case matches (a ts-pattern pattern)"),
    guard: z.string().min(1).optional().describe("the predicate of a pattern with a part JSON Schema cannot describe (P.when), by name"),
  }),
  z.strictObject({ kind: z.literal("otherwise") }),
  z.strictObject({ kind: z.literal("error") }),
]);

const EdgeSchema = z.strictObject({
  from: Id,
  to: Id,
  when: EdgeConditionSchema.optional(),
  max: z.number().int().min(1).optional(),
  onExhausted: Id.optional(),
});

const RetrySchema = z.strictObject({
  attempts: z.number().int().min(1).optional(),
  initialDelayMs: z.number().nonnegative().optional(),
  maxDelayMs: z.number().nonnegative().optional(),
  factor: z.number().min(1).optional(),
  jitter: z.number().min(0).max(1).optional(),
});

const RestartSchema = z.strictObject({
  type: z.enum(["permanent", "transient", "temporary"]),
  intensity: z.number().int().min(0).optional(),
  periodMs: z.number().positive().optional(),
  initialDelayMs: z.number().nonnegative().optional(),
  maxDelayMs: z.number().nonnegative().optional(),
  factor: z.number().min(1).optional(),
  jitter: z.number().min(0).max(1).optional(),
  on: z.record(z.string().min(1), z.enum(["restart", "escalate"])).optional(),
});

const nodeBase = {
  id: Id,
  description: z.string().optional(),
  contract: ContractSchema,
  input: BindingSchema.optional(),
  join: z.enum(["all", "any"]).optional(),
  retry: RetrySchema.optional(),
  restart: RestartSchema.optional(),
};

const DeclaredSchema = z.strictObject({
  purpose: z.string(),
  examples: z.array(z.strictObject({ input: z.json(), output: z.json(), note: z.string().optional() })),
  properties: z.array(z.string()).optional(),
});

const CodeNodeSchema = z.strictObject({ ...nodeBase, kind: z.literal("code"), block: z.string().min(1), memory: MemoryUseDefSchema.optional(), declared: DeclaredSchema.optional() });
const GraphNodeSchema = z.strictObject({
  ...nodeBase,
  kind: z.literal("graph"),
  // Annotated because the node and graph schemas refer to each other.
  get graph(): z.ZodType {
    return graphDefSchema;
  },
});

const NodeSchema = z.discriminatedUnion("kind", [
  CodeNodeSchema,
  GraphNodeSchema,
  z.strictObject({
    ...nodeBase,
    kind: z.literal("map"),
    item: z.discriminatedUnion("kind", [CodeNodeSchema, GraphNodeSchema]),
    concurrency: z.number().int().min(1).optional(),
    onItemError: z.enum(["fail", "collect"]).optional(),
  }),
]);

const graphDefObject = z
  .strictObject({
    $schema: z.string().optional(),
    format: z.literal(GRAPH_DEF_FORMAT),
    id: Id,
    description: z.string().optional(),
    contract: ContractSchema,
    entry: z.array(Id),
    nodes: z.array(NodeSchema),
    edges: z.array(EdgeSchema),
    output: BindingSchema.optional(),
    supervision: z.strictObject({ strategy: z.enum(["one_for_one", "one_for_all", "rest_for_one"]) }).optional(),
  })
  .meta({
    id: "GraphDef",
    title: "Blockwork GraphDef",
    description: "A Blockwork graph as plain data: contract, blocks, edges (control flow) and bindings (data flow).",
  });

/**
 * The zod schema of a GraphDef. Its JSON Schema is published as `@blockwork/spec/graph-def.schema.json`.
 *
 * Widened through `unknown`: relating the full object type to `z.ZodType` structurally costs the
 * compiler about a second, and nothing needs the precise type (loading casts to `GraphDef`).
 */
export const GraphDefSchema = graphDefObject as unknown as z.ZodType;
const graphDefSchema: z.ZodType = GraphDefSchema;

/** The `$id` of the published GraphDef JSON Schema. */
export const GRAPH_DEF_SCHEMA_ID = "urn:blockwork:graph-def:1";

/** The JSON Schema of GraphDef itself (draft 2020-12), as published in the package. */
export function graphDefJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(GraphDefSchema, { target: "draft-2020-12", io: "input", reused: "ref" });
  return { ...schema, $id: GRAPH_DEF_SCHEMA_ID };
}
