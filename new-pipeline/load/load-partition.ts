import type { EventBus } from '../../core/bus/index.js';
import type { Warehouse } from '../../core/warehouse/index.js';
import { mergeDrift, type DriftRecord } from '../quality/payload-validation.js';
import type { StagedPartition } from '../run/staged-partition.js';
import { recordLineage } from './lineage.js';
import type { PipelineTables } from './pipeline-tables.js';

/** Topics the load announces on: every partition's outcome, and every field of drift seen for the first time. */
export const PARTITION_TOPIC = 'pipeline.partitions';
export const DRIFT_TOPIC = 'pipeline.drift';

export type LoadOutcome = 'loaded' | 'quarantined';

async function recordDrift(warehouse: Warehouse, table: string, observed: readonly DriftRecord[]): Promise<DriftRecord[]> {
  if (observed.length === 0) return [];
  const platform = observed[0]!.platform;
  const known = (await warehouse.query(`SELECT platform, field_path, first_seen_at, first_seen_run, last_seen_at FROM ${table} WHERE platform = ?`, [platform])).map(
    (row): DriftRecord => ({ platform, field_path: String(row.field_path), first_seen_at: String(row.first_seen_at), first_seen_run: String(row.first_seen_run), last_seen_at: String(row.last_seen_at) }),
  );
  const { records, added } = mergeDrift(known, observed);
  for (const record of records.filter((r) => observed.some((o) => o.field_path === r.field_path))) {
    await warehouse.replacePartition(table, { platform, field_path: record.field_path }, [{ ...record }]);
  }
  return added;
}

/**
 * Loads one staged partition in one transaction: its rows replace the partition's rows (never added to them), its
 * lineage manifest and quality result are recorded, and drift is merged. A quarantined partition records its
 * quality alone and leaves the rows it had. Events go out after the commit, so none announces a rolled-back load.
 */
export async function loadStagedPartition(warehouse: Warehouse, bus: EventBus, tables: PipelineTables, staged: StagedPartition, now: Date = new Date()): Promise<LoadOutcome> {
  const { key, quality } = staged;
  const loadedAt = now.toISOString();
  const outcome: LoadOutcome = quality.status === 'quarantined' ? 'quarantined' : 'loaded';
  const added = await warehouse.transaction(async () => {
    if (outcome === 'loaded') {
      await warehouse.replacePartition(tables.metricRows, { client_id: key.clientId, platform: key.platform, date: key.date }, staged.rows.map((row) => ({ ...row })));
      await recordLineage(warehouse, tables, { ...staged.lineage, loaded_at: loadedAt });
    }
    await warehouse.run(`INSERT INTO ${tables.quality} VALUES (?, ?, ?, CAST(? AS DATE), ?, ?, ?, CAST(? AS TIMESTAMP))`, [
      staged.lineage.run_id, key.clientId, key.platform, key.date, quality.status, quality.reason, JSON.stringify(quality.checks), loadedAt,
    ]);
    return recordDrift(warehouse, tables.drift, staged.drift);
  });
  await bus.publish(PARTITION_TOPIC, `partition.${outcome}`, { ...key, namespace: tables.namespace ?? null, run_id: staged.lineage.run_id, rows: staged.rows.length, quality: quality.status, reason: quality.reason });
  for (const record of added) await bus.publish(DRIFT_TOPIC, 'drift.detected', record);
  return outcome;
}
