import type { GraphBlock, GraphDef } from "@blockwork/spec";
import { RunError } from "../errors.js";
import { planOf } from "../plan/plan.js";
import { foldRun } from "../run/fold.js";
import { planUpgrade, type UpgradeOptions, type UpgradeResult } from "../run/upgrade.js";
import { JOURNAL_COLUMNS, journalRows, type PostgresStore, type RunRow, recordOf } from "../store/postgres-store.js";
import type { JournalEntry } from "../store/store.js";
import { appending, entryParams } from "./decision.js";
import { insertReady, NOW_MS, notifyRun, removeStale } from "./queue.js";

// biome-ignore lint: any graph block.
type AnyGraph = GraphBlock<any>;

/**
 * Moves a run that workers execute to a new graph version, at a block boundary: in one
 * transaction (the run's row locked), it is refused while a worker holds a lease on one of its
 * blocks (try again: the boundary is the moment no block runs), then checked like `upgrade`, the
 * upgrade journaled, the run pinned to the new version, and its ready tasks queued anew.
 * Workers must be able to load the new graph (from `source`, or their `graphs`).
 */
export async function upgradeOnWorkers(store: PostgresStore, runId: string, options: Omit<UpgradeOptions, "store"> & { readonly to: AnyGraph }): Promise<UpgradeResult> {
  const t = store.tables;
  const target = planOf(options.to);
  return store.transaction(async (client) => {
    const { rows } = await client.query<RunRow>(`SELECT * FROM ${t.runs} WHERE id = $1 FOR UPDATE`, [runId]);
    const row = rows[0];
    if (row === undefined) throw new RunError({ code: "run_not_found", message: `run ${runId} is not in ${store.display}` });
    if (row.status !== "running" && row.status !== "suspended") throw new RunError({ code: "upgrade_refused", message: `cannot be moved to the new version: it has already ended (${row.status})` }, { runId });
    const leased = await client.query<{ key: string }>(`SELECT key FROM ${t.tasks} WHERE run_id = $1 AND lease_owner IS NOT NULL AND lease_until > now()`, [runId]);
    if (leased.rows.length > 0) {
      throw new RunError({ code: "upgrade_refused", message: `cannot be moved to the new version now: a worker is running ${leased.rows.map((r) => r.key).join(", ")}; try again at the next block boundary` }, { runId });
    }
    const record = recordOf(row);
    const journal = journalRows((await client.query(`SELECT ${JOURNAL_COLUMNS} FROM ${t.journal} WHERE run_id = $1 ORDER BY seq`, [runId])).rows);
    const old = await client.query<{ def: GraphDef }>(`SELECT def FROM ${t.graphs} WHERE version = $1`, [record.version]);
    const planned = planUpgrade(record, journal, old.rows[0]?.def, options.to, options.migrate);
    const entry = { ...planned.entry, seq: (journal[journal.length - 1]?.seq ?? 0) + 1 } as JournalEntry;
    await client.query(`INSERT INTO ${t.graphs} (version, graph_id, def) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING`, [target.version, target.def.id, JSON.stringify(target.def)]);
    await client.query(
      `${appending(t.journal)} UPDATE ${t.runs} SET last_seq = greatest(last_seq, $9), version = $10, source = COALESCE($11, source), updated_at = ${NOW_MS} WHERE id = $1`,
      [...entryParams(runId, [entry]), entry.seq, target.version, options.source ? JSON.stringify(options.source) : null],
    );
    const fold = foldRun(options.to, { ...record, version: target.version }, [...journal, entry]);
    await removeStale(client, t, runId, fold.ready);
    await insertReady(client, t, record, fold.ready);
    await notifyRun(client, t, runId);
    const { entry: _entry, ...result } = planned;
    return result;
  });
}
