import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "@blockwork/core";
import * as vitest from "vitest";
import { pgStore, requirePostgres } from "../../../test/pg.js";
import { BlockworkCheckpointSaver } from "../src/langgraph/index.js";

// The official LangGraph checkpointer conformance suite (@langchain/langgraph-checkpoint-validation,
// through its validate() API: its CLI is broken in 1.1.1) against Blockwork's SQLite and
// PostgreSQL stores. Its spec files use vitest's globals, which this repository does not turn on:
// they are provided here before the suite is imported.
Object.assign(globalThis, {
  describe: vitest.describe,
  it: vitest.it,
  expect: vitest.expect,
  beforeAll: vitest.beforeAll,
  afterAll: vitest.afterAll,
  beforeEach: vitest.beforeEach,
  afterEach: vitest.afterEach,
});
const { deltaChannelHistoryTests, validate } = await import("@langchain/langgraph-checkpoint-validation");

const dir = mkdtempSync(join(tmpdir(), "bw-lg-checkpoints-"));
let files = 0;

validate<BlockworkCheckpointSaver>({
  checkpointerName: "BlockworkCheckpointSaver(SqliteStore)",
  createCheckpointer: () => new BlockworkCheckpointSaver(new SqliteStore(join(dir, `store-${++files}.sqlite`))),
  destroyCheckpointer: async (saver) => {
    await saver.store.close();
  },
  afterAll: () => rmSync(dir, { recursive: true, force: true }),
});

validate<BlockworkCheckpointSaver>({
  checkpointerName: "BlockworkCheckpointSaver(PostgresStore)",
  beforeAll: () => requirePostgres(),
  // A fresh schema per checkpointer (the suite reuses thread ids such as "1" across its parts).
  createCheckpointer: () => new BlockworkCheckpointSaver(pgStore("lgcp", { maxConnections: 2 })),
  destroyCheckpointer: async (saver) => {
    await saver.store.close();
  },
});

// The suite's opt-in part (not run by validate()): DeltaChannel history from the stored writes.
deltaChannelHistoryTests({
  checkpointerName: "BlockworkCheckpointSaver(SqliteStore)",
  createCheckpointer: () => new BlockworkCheckpointSaver(new SqliteStore(join(dir, `store-${++files}.sqlite`))),
  destroyCheckpointer: async (saver) => {
    await saver.store.close();
  },
});
deltaChannelHistoryTests({
  checkpointerName: "BlockworkCheckpointSaver(PostgresStore)",
  createCheckpointer: () => new BlockworkCheckpointSaver(pgStore("lgdelta", { maxConnections: 2 })),
  destroyCheckpointer: async (saver) => {
    await saver.store.close();
  },
});
