import { z } from "zod";

// Request bodies of the LangGraph API routes the server implements, as the SDK's `Client` sends
// them (snake_case; fields the SDK leaves undefined are absent). Unknown fields are dropped, so
// newer clients keep working; fields Blockwork cannot honour are refused by the service with 422.
// `schemas.test-d.ts` checks these against the SDK's own types.

const json: z.ZodType<unknown> = z.unknown();
const metadata = z.record(z.string(), json);
const streamMode = z.enum(["values", "messages", "updates", "events", "debug", "tasks", "checkpoints", "custom", "messages-tuple"]);

/** LangGraph's `Config`. */
export const ConfigSchema = z.object({
  tags: z.array(z.string()).optional(),
  recursion_limit: z.number().optional(),
  configurable: z.record(z.string(), json).optional(),
});

/** LangGraph's `Command`: only `resume` is supported; `update` and `goto` are refused (422). */
export const CommandSchema = z.object({
  resume: json.optional(),
  update: z.union([z.record(z.string(), json), z.array(z.tuple([z.string(), json])), z.null()]).optional(),
  goto: json.optional(),
});

/** The body of `POST /threads/{id}/runs`, `/runs/stream`, `/runs/wait` and the threadless routes. */
export const RunCreateSchema = z.object({
  assistant_id: z.string().min(1).max(200),
  input: z.record(z.string(), json).nullish(),
  command: CommandSchema.nullish(),
  config: ConfigSchema.nullish(),
  context: json.optional(),
  metadata: metadata.nullish(),
  stream_mode: z.union([streamMode, z.array(streamMode)]).nullish(),
  stream_subgraphs: z.boolean().nullish(),
  stream_resumable: z.boolean().nullish(),
  feedback_keys: z.array(z.string()).nullish(),
  interrupt_before: z.union([z.literal("*"), z.array(z.string())]).nullish(),
  interrupt_after: z.union([z.literal("*"), z.array(z.string())]).nullish(),
  checkpoint: json.optional(),
  checkpoint_id: z.string().nullish(),
  webhook: z.string().nullish(),
  multitask_strategy: z.enum(["reject", "interrupt", "rollback", "enqueue"]).nullish(),
  on_completion: z.enum(["complete", "continue", "delete", "keep"]).nullish(),
  on_disconnect: z.enum(["cancel", "continue"]).nullish(),
  after_seconds: z.number().nullish(),
  if_not_exists: z.enum(["create", "reject"]).nullish(),
  checkpoint_during: z.boolean().nullish(),
  durability: z.enum(["exit", "async", "sync"]).nullish(),
  langsmith_tracer: json.optional(),
});
export type RunCreateBody = z.infer<typeof RunCreateSchema>;

/** `POST /threads`. */
export const ThreadCreateSchema = z.object({
  thread_id: z.uuid().optional(),
  metadata: metadata.optional(),
  if_exists: z.enum(["raise", "do_nothing"]).optional(),
  supersteps: z.array(json).optional(),
  ttl: json.optional(),
});

/** `PATCH /threads/{id}`. */
export const ThreadPatchSchema = z.object({ metadata: metadata.optional(), ttl: json.optional() });

const threadStatus = z.enum(["idle", "busy", "interrupted", "error"]);

/** `POST /threads/search`. */
export const ThreadSearchSchema = z.object({
  metadata: metadata.optional(),
  ids: z.array(z.string()).max(1_000).optional(),
  values: z.record(z.string(), json).optional(),
  status: threadStatus.optional(),
  limit: z.number().int().min(1).max(1_000).default(10),
  offset: z.number().int().min(0).default(0),
  sort_by: z.enum(["thread_id", "status", "created_at", "updated_at", "state_updated_at"]).optional(),
  sort_order: z.enum(["asc", "desc"]).optional(),
  select: z.array(z.string()).optional(),
});

/** `POST /threads/count`. */
export const ThreadCountSchema = z.object({ metadata: metadata.optional(), values: z.record(z.string(), json).optional(), status: threadStatus.optional() });

/** `POST /threads/{id}/history`. */
export const HistorySchema = z.object({
  limit: z.number().int().min(1).max(1_000).default(10),
  before: z.union([z.string(), z.object({ configurable: z.object({ checkpoint_id: z.string() }).partial() }).transform((c) => c.configurable.checkpoint_id)]).optional(),
  metadata: metadata.optional(),
  checkpoint: z.object({ checkpoint_id: z.string().optional() }).optional(),
});

/** `POST /assistants/search`. */
export const AssistantSearchSchema = z.object({
  graph_id: z.string().optional(),
  name: z.string().optional(),
  metadata: metadata.optional(),
  limit: z.number().int().min(1).max(1_000).default(10),
  offset: z.number().int().min(0).default(0),
  sort_by: z.enum(["assistant_id", "graph_id", "name", "created_at", "updated_at"]).optional(),
  sort_order: z.enum(["asc", "desc"]).optional(),
  select: z.array(z.string()).optional(),
});

/** `POST /assistants/count`. */
export const AssistantCountSchema = z.object({ graph_id: z.string().optional(), name: z.string().optional(), metadata: metadata.optional() });

/** The viewer's resume form: `POST /api/runs/{id}/resume`. */
export const ResumeSchema = z.object({ block: z.string().min(1), data: json });

/** A thread or run id in a path: LangGraph's are UUIDs. */
export const IdSchema = z.uuid();
