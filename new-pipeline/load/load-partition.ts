import type { EventBus } from '../../core/bus/index.js';
import { meter } from '../../core/telemetry.js';
import type { Warehouse } from '../../core/warehouse/index.js';
import { mergeDrift, type DriftRecord } from '../quality/payload-validation.js';
import type { StagedPartition } from '../run/staged-partition.js';
import { recordLineage } from './lineage.js';
import type { PipelineTables } from './pipeline-tables.js';

/** Topics the load announces on: every partition's outcome (and `quality.failed`), and every field of drift seen for the first time. */
export const PARTITION_TOPIC = 'pipeline.partitions';
export const DRIFT_TOPIC = 'pipeline.drift';

export type LoadOutcome = 'loaded' | 'quarantined';

const rowsLoaded = meter.createCounter('bosco.pipeline.rows_loaded', { description: 'canonical rows loaded into the warehouse, counted once committed' });

/** Quality results per INSERT, as for lineage. */
const RESULTS_PER_INSERT = 100;

async function recordDrift(warehouse: Warehouse, table: string, observed: readonly DriftRecord[]): Promise<DriftRecord[]> {
  const added: DriftRecord[] = [];
  for (const platform of new Set(observed.map((record) => record.platform))) {
    const seen = observed.filter((record) => record.platform === platform);
    const known = (await warehouse.query(`SELECT platform, field_path, first_seen_at, first_seen_run, last_seen_at FROM ${table} WHERE platform = ?`, [platform])).map(
      (row): DriftRecord => ({ platform, field_path: String(row.field_path), first_seen_at: String(row.first_seen_at), first_seen_run: String(row.first_seen_run), last_seen_at: String(row.last_seen_at) }),
    );
    const merged = mergeDrift(known, seen);
    const fields = new Set(seen.map((record) => record.field_path));
    for (const record of merged.records.filter((r) => fields.has(r.field_path))) {
      await warehouse.replacePartition(table, { platform, field_path: record.field_path }, [{ ...record }]);
    }
    added.push(...merged.added);
  }
  return added;
}

async function recordQuality(warehouse: Warehouse, table: string, batch: readonly StagedPartition[], checkedAt: string): Promise<void> {
  for (let start = 0; start < batch.length; start += RESULTS_PER_INSERT) {
    const chunk = batch.slice(start, start + RESULTS_PER_INSERT);
    await warehouse.run(
      `INSERT INTO ${table} VALUES ${chunk.map(() => '(?, ?, ?, CAST(? AS DATE), ?, ?, ?, CAST(? AS TIMESTAMP))').join(', ')}`,
      chunk.flatMap(({ key, quality, lineage }) => [lineage.run_id, key.clientId, key.platform, key.date, quality.status, quality.reason, JSON.stringify(quality.checks), checkedAt]),
    );
  }
}

/** What a committed batch did: each partition's outcome, in batch order, and the drift fields seen for the first time. */
export interface CommittedLoad {
  outcomes: LoadOutcome[];
  added: DriftRecord[];
}

/**
 * Writes staged partitions in one transaction: each one's rows replace its partition's rows (never added to them),
 * its lineage manifest and quality result are recorded, and drift is merged. A quarantined partition records its
 * quality alone and leaves the rows it had. The transaction commits every partition of the batch or none, so each
 * is whole afterwards, old or new; a batch is only a way to share one commit. Announces nothing (`announceLoad`).
 */
export async function commitStagedPartitions(warehouse: Warehouse, tables: PipelineTables, batch: readonly StagedPartition[], now: Date = new Date()): Promise<CommittedLoad> {
  const loadedAt = now.toISOString();
  const outcomes = batch.map((staged): LoadOutcome => (staged.quality.status === 'quarantined' ? 'quarantined' : 'loaded'));
  const loaded = batch.filter((_, i) => outcomes[i] === 'loaded');
  const added = await warehouse.transaction(async () => {
    for (const { key, rows } of loaded) {
      await warehouse.replacePartition(tables.metricRows, { client_id: key.clientId, platform: key.platform, date: key.date }, rows.map((row) => ({ ...row })));
    }
    await recordLineage(warehouse, tables, loaded.map((staged) => ({ ...staged.lineage, loaded_at: loadedAt })));
    await recordQuality(warehouse, tables.quality, batch, loadedAt);
    return recordDrift(warehouse, tables.drift, batch.flatMap((staged) => staged.drift));
  });
  for (const { key, rows } of loaded) rowsLoaded.add(rows.length, { platform: key.platform });
  return { outcomes, added };
}

/**
 * Announces a committed partition's outcome (`partition.loaded` or `partition.quarantined`); for a quarantine, then
 * `quality.failed` with the checks that failed (the event `bosco alerts watch` posts); then the drift fields in
 * `added` it was the first to carry.
 */
export async function announceLoad(bus: EventBus, tables: PipelineTables, staged: StagedPartition, outcome: LoadOutcome, added: readonly DriftRecord[] = []): Promise<void> {
  const { key, lineage, rows, quality } = staged;
  const namespace = tables.namespace ?? null;
  await bus.publish(PARTITION_TOPIC, `partition.${outcome}`, { ...key, namespace, run_id: lineage.run_id, rows: rows.length, quality: quality.status, reason: quality.reason });
  if (outcome === 'quarantined') {
    // Keyed like the other alert events (client_id), so a webhook reads every alert's client the same way.
    const failed = quality.checks.filter((check) => check.outcome === 'quarantine').map(({ check, count, message }) => ({ check, count, message }));
    await bus.publish(PARTITION_TOPIC, 'quality.failed', { client_id: key.clientId, platform: key.platform, date: key.date, namespace, run_id: lineage.run_id, reason: quality.reason, checks: failed });
  }
  for (const record of added) await bus.publish(DRIFT_TOPIC, 'drift.detected', record);
}

/**
 * Splits a batch's new drift fields among its partitions: each goes to the first partition that carried it, so it
 * is announced once, after that partition.
 */
export function driftByPartition(batch: readonly StagedPartition[], added: readonly DriftRecord[]): DriftRecord[][] {
  const left = new Map(added.map((record) => [`${record.platform}\u0000${record.field_path}`, record]));
  return batch.map((staged) =>
    staged.drift.flatMap((observed) => {
      const id = `${observed.platform}\u0000${observed.field_path}`;
      const record = left.get(id);
      left.delete(id);
      return record ? [record] : [];
    }),
  );
}
