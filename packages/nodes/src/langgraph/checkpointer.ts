// A Blockwork store (SQLite or PostgreSQL) as a LangGraph checkpointer.
import type { PostgresStore, SqliteStore } from "@blockwork/core";
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  copyCheckpoint,
  maxChannelVersion,
  type PendingWrite,
  type SerializerProtocol,
  TASKS,
  WRITES_IDX_MAP,
} from "@langchain/langgraph-checkpoint";
import { pgTables, sqliteTables, type CheckpointRow, type CheckpointTables, type WriteRow } from "./checkpoint-tables.js";

/** The stores {@link BlockworkCheckpointSaver} keeps LangGraph checkpoints in. */
export type CheckpointStore = SqliteStore | PostgresStore;

/**
 * A Blockwork store as a LangGraph checkpointer (`BaseCheckpointSaver`): a LangGraph app compiled
 * with `compile({ checkpointer: new BlockworkCheckpointSaver(store) })` keeps its threads in the
 * same SQLite file or PostgreSQL schema as Blockwork's runs. The checkpoints live in three tables
 * of their own (`lg_checkpoints`, `lg_channel_values`, `lg_writes`, created on first use); a
 * channel's value is stored once per version it was written at, not once per checkpoint.
 *
 * It passes the official `@langchain/langgraph-checkpoint-validation` suite on both stores (see
 * docs/langgraph.md). The store stays open when the saver is done: close the store.
 *
 * @example
 * const store = new SqliteStore(".blockwork/app.sqlite");
 * const app = new StateGraph(State).addNode(...).compile({ checkpointer: new BlockworkCheckpointSaver(store) });
 * await app.invoke({ topic: "tea" }, { configurable: { thread_id: "t-1" } });
 */
export class BlockworkCheckpointSaver extends BaseCheckpointSaver {
  /** The store the checkpoints are kept in. */
  readonly store: CheckpointStore;
  private readonly tables: CheckpointTables;

  constructor(store: CheckpointStore, serde?: SerializerProtocol) {
    super(serde);
    this.store = store;
    this.tables = "database" in store ? sqliteTables(store.database) : pgTables(store);
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const { thread_id, checkpoint_ns = "", checkpoint_id } = (config.configurable ?? {}) as Configurable;
    if (thread_id === undefined) return undefined;
    const row = await this.tables.checkpoint(String(thread_id), String(checkpoint_ns), checkpoint_id === undefined || checkpoint_id === null ? undefined : String(checkpoint_id));
    return row === undefined ? undefined : this.tupleOf(row);
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { thread_id, checkpoint_ns, checkpoint_id } = (config.configurable ?? {}) as Configurable;
    const before = options.before?.configurable?.["checkpoint_id"] as string | undefined;
    const filter = Object.entries(options.filter ?? {}).filter(([, value]) => value !== undefined);
    const rows = await this.tables.checkpoints({
      ...(thread_id !== undefined && thread_id !== null ? { thread: String(thread_id) } : {}),
      ...(checkpoint_ns !== undefined && checkpoint_ns !== null ? { ns: String(checkpoint_ns) } : {}),
      ...(checkpoint_id !== undefined && checkpoint_id !== null ? { id: String(checkpoint_id) } : {}),
      ...(before !== undefined ? { before } : {}),
    });
    let left = options.limit ?? Number.POSITIVE_INFINITY;
    for (const row of rows) {
      if (left <= 0) return;
      // The metadata filter compares top-level keys, like LangGraph's own savers.
      const metadata = (await this.serde.loadsTyped(row.type, row.metadata)) as Record<string, unknown>;
      if (!filter.every(([key, value]) => deepEqual(metadata[key], value))) continue;
      left -= 1;
      yield await this.tupleOf(row, metadata as CheckpointMetadata);
    }
  }

  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    if (config.configurable === undefined) throw new Error("BlockworkCheckpointSaver.put: the config has no `configurable` (it needs configurable.thread_id)");
    const { thread_id, checkpoint_ns = "", checkpoint_id: parent } = config.configurable as Configurable;
    if (thread_id === undefined || thread_id === null || thread_id === "") throw new Error('BlockworkCheckpointSaver.put: the config has no "thread_id" in `configurable`');
    const thread = String(thread_id);
    const ns = String(checkpoint_ns);
    const { channel_values: values, ...rest } = copyCheckpoint(checkpoint);
    // Only the channels written at this checkpoint (newVersions) are stored; the others are read
    // from the version an ancestor stored.
    const channels = await Promise.all(
      Object.entries(newVersions).map(async ([channel, version]) => {
        if (!(channel in values)) return { channel, version: String(version), type: "empty", value: null };
        const [type, value] = await this.serde.dumpsTyped(values[channel]);
        return { channel, version: String(version), type, value };
      }),
    );
    const [[type, body], [metaType, meta]] = await Promise.all([this.serde.dumpsTyped({ ...rest, channel_values: {} }), this.serde.dumpsTyped(metadata)]);
    if (type !== metaType) throw new Error(`BlockworkCheckpointSaver.put: the checkpoint and its metadata serialised to different types (${type}, ${metaType})`);
    await this.tables.put({ thread, ns, id: checkpoint.id, parent: parent === undefined || parent === null ? null : String(parent), type, checkpoint: body, metadata: meta }, channels);
    return { configurable: { thread_id: thread, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    const { thread_id, checkpoint_ns = "", checkpoint_id } = (config.configurable ?? {}) as Configurable;
    if (thread_id === undefined || thread_id === null) throw new Error('BlockworkCheckpointSaver.putWrites: the config has no "thread_id" in `configurable`');
    if (checkpoint_id === undefined || checkpoint_id === null) throw new Error('BlockworkCheckpointSaver.putWrites: the config has no "checkpoint_id" in `configurable`');
    // Special channels (errors, interrupts, resumes) keep their last write; others their first.
    const replace = writes.every(([channel]) => channel in WRITES_IDX_MAP);
    const rows: WriteRow[] = await Promise.all(
      writes.map(async ([channel, value], idx) => {
        const [type, data] = await this.serde.dumpsTyped(value);
        return { task: taskId, idx: WRITES_IDX_MAP[channel] ?? idx, channel, type, value: data };
      }),
    );
    await this.tables.putWrites(String(thread_id), String(checkpoint_ns), String(checkpoint_id), rows, replace);
  }

  async deleteThread(threadId: string): Promise<void> {
    await this.tables.deleteThread(threadId);
  }

  private async tupleOf(row: CheckpointRow, knownMetadata?: CheckpointMetadata): Promise<CheckpointTuple> {
    const checkpoint = (await this.serde.loadsTyped(row.type, row.checkpoint)) as Checkpoint;
    const values: Record<string, unknown> = {};
    const wanted = Object.entries(checkpoint.channel_versions).map(([channel, version]) => ({ channel, version: String(version) }));
    for (const blob of await this.tables.channelValues(row.thread, row.ns, wanted)) {
      if (blob.type !== "empty") values[blob.channel] = await this.serde.loadsTyped(blob.type, blob.value as Uint8Array);
    }
    checkpoint.channel_values = values;
    // Checkpoints of format < 4 kept pending sends in the parent's writes: move them into the channel.
    if (checkpoint.v < 4 && row.parent !== null) await this.migratePendingSends(checkpoint, row, row.parent);
    const pendingWrites: CheckpointPendingWrite[] = await Promise.all(
      (await this.tables.writes(row.thread, row.ns, row.id)).map(async (w) => [w.task, w.channel, await this.serde.loadsTyped(w.type, w.value)] as CheckpointPendingWrite),
    );
    const at = (id: string) => ({ configurable: { thread_id: row.thread, checkpoint_ns: row.ns, checkpoint_id: id } });
    return {
      config: at(row.id),
      checkpoint,
      metadata: knownMetadata ?? ((await this.serde.loadsTyped(row.type, row.metadata)) as CheckpointMetadata),
      ...(row.parent !== null ? { parentConfig: at(row.parent) } : {}),
      pendingWrites,
    };
  }

  private async migratePendingSends(checkpoint: Checkpoint, row: CheckpointRow, parent: string): Promise<void> {
    const sends = (await this.tables.writes(row.thread, row.ns, parent)).filter((w) => w.channel === TASKS);
    (checkpoint.channel_values as Record<string, unknown>)[TASKS] = await Promise.all(sends.map((w) => this.serde.loadsTyped(w.type, w.value)));
    const versions = Object.values(checkpoint.channel_versions);
    (checkpoint.channel_versions as Record<string, number | string>)[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }
}

interface Configurable {
  readonly thread_id?: string | number | null;
  readonly checkpoint_ns?: string | null;
  readonly checkpoint_id?: string | null;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
