import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalEventLog } from '../../../core/bus/local/local-event-log.js';
import { parseConfig } from '../../../core/config.js';
import type { MetricRow, Platform } from '../../../core/metric-row.js';
import { DuckDbWarehouse } from '../../../core/warehouse/duckdb/duckdb-warehouse.js';
import type { Warehouse } from '../../../core/warehouse/index.js';
import { DRIFT_TOPIC, PARTITION_TOPIC } from '../../../new-pipeline/load/load-partition.js';
import { SERVING_TABLES } from '../../../new-pipeline/load/pipeline-tables.js';
import { partitionQuality } from '../../../new-pipeline/quality/partition-quality.js';
import type { DriftRecord } from '../../../new-pipeline/quality/payload-validation.js';
import { LOAD_BATCH, loadDay, type PipelineContext } from '../../../new-pipeline/run/run-pipeline.js';
import { stagedPath, writeStaged, type StagedPartition } from '../../../new-pipeline/run/staged-partition.js';
import { canonicalRow, DAY } from '../../helpers/pipeline-factories.js';
import { makeTempDir } from '../../helpers/cli.js';

const { metricRows: METRIC_ROWS, lineage: LINEAGE, quality: QUALITY } = SERVING_TABLES;

/** A staged partition of `clientId` on google_ads, with `campaigns` rows whose spend is `spend`. */
function stagedPartition(clientId: string, options: { campaigns?: number; spend?: number; platform?: Platform; drift?: DriftRecord[]; rows?: MetricRow[] } = {}): StagedPartition {
  const platform = options.platform ?? 'google_ads';
  const key = { date: DAY, platform, clientId };
  const rows = options.rows ?? Array.from({ length: options.campaigns ?? 3 }, (_, i) => canonicalRow({ client_id: clientId, platform, campaign_id: `c${i}`, spend: options.spend ?? 1 }));
  return {
    key,
    quality: partitionQuality(key, []),
    lineage: {
      ...key, run_id: 'load-test', api: 'test', connector_version: '1', transform_version: '1', raw_path: `/raw/${clientId}`, raw_sha256: 'f'.repeat(64),
      requests: 1, records: rows.length, rows: rows.length, schema_fingerprint: '0123456789abcdef', accounts: {}, fetched_at: `${DAY}T06:00:00.000Z`,
    },
    drift: options.drift ?? [],
    rows,
  };
}

const drift = (field: string): DriftRecord => ({ platform: 'google_ads', field_path: field, first_seen_at: `${DAY}T06:00:00.000Z`, first_seen_run: 'load-test', last_seen_at: `${DAY}T06:00:00.000Z` });
const clientIds = (count: number) => Array.from({ length: count }, (_, i) => `client-${String(i).padStart(4, '0')}`);

describe('the load step: staged partitions into the warehouse, in shared transactions', () => {
  const open: Array<{ warehouse: Warehouse; cleanup: () => void }> = [];
  afterEach(async () => {
    for (const { warehouse, cleanup } of open.splice(0)) {
      await warehouse.close();
      cleanup();
    }
  });

  async function workspace(): Promise<PipelineContext & { bus: LocalEventLog }> {
    const dir = makeTempDir();
    const warehouse = await DuckDbWarehouse.open({ path: join(dir.path, 'warehouse.duckdb') });
    open.push({ warehouse, cleanup: dir.cleanup });
    return { config: parseConfig({}, 'test'), workspaceDir: dir.path, warehouse, bus: new LocalEventLog(join(dir.path, 'events')), tables: SERVING_TABLES, runId: 'load-test' };
  }

  const stage = async (context: PipelineContext, partitions: StagedPartition[]) => {
    for (const partition of partitions) await writeStaged(context.workspaceDir, partition);
  };
  const spendByClient = async (context: PipelineContext) =>
    new Map((await context.warehouse.query(`SELECT client_id, count(*) AS n, sum(spend) AS spend FROM ${METRIC_ROWS} GROUP BY client_id`)).map((row) => [row.client_id, { n: row.n, spend: row.spend }]));

  it('loads more partitions than one batch holds, each with exactly its own rows, lineage and quality result', async () => {
    const context = await workspace();
    const clients = clientIds(LOAD_BATCH.partitions + 50);
    await stage(context, clients.map((client) => stagedPartition(client)));
    const reported: string[] = [];
    const results = await loadDay(context, DAY, {}, (result) => reported.push(result.clientId));

    expect(results.map((r) => [r.clientId, r.status, r.rows])).toEqual(clients.map((client) => [client, 'loaded', 3]));
    expect(reported).toEqual(clients);
    const spend = await spendByClient(context);
    expect(clients.every((client) => spend.get(client)?.n === 3 && spend.get(client)?.spend === 3)).toBe(true);
    expect(await context.warehouse.query(`SELECT count(*) AS n, count(DISTINCT client_id) AS clients FROM ${LINEAGE}`)).toEqual([{ n: clients.length, clients: clients.length }]);
    expect(await context.warehouse.query(`SELECT count(*) AS n FROM ${QUALITY} WHERE status = 'pass'`)).toEqual([{ n: clients.length }]);
    const events = await context.bus.read<{ clientId: string }>(PARTITION_TOPIC);
    expect(events.map((e) => e.data.clientId)).toEqual(clients);
  });

  it('fails only the partition the warehouse refuses, and loads the rest of its batch', async () => {
    const context = await workspace();
    const clients = clientIds(5);
    await stage(context, clients.map((client) => stagedPartition(client, { spend: 1 })));
    await loadDay(context, DAY);

    const refused = stagedPartition(clients[2]!, { rows: [{ ...canonicalRow({ client_id: clients[2]! }), impressions: 'lots' as unknown as number }] });
    await stage(context, [...clients.map((client) => stagedPartition(client, { spend: 2 })), refused]);
    const results = await loadDay(context, DAY);

    expect(results.map((r) => r.status)).toEqual(['loaded', 'loaded', 'failed', 'loaded', 'loaded']);
    expect(results[2]!.reason).toMatch(/lots/);
    const spend = await spendByClient(context);
    expect(clients.map((client) => spend.get(client)?.spend)).toEqual([6, 6, 3, 6, 6]);
    // The refused partition left no lineage or quality result of its failed load behind.
    expect(await context.warehouse.query(`SELECT count(*) AS n FROM ${LINEAGE} WHERE client_id = ?`, [clients[2]!])).toEqual([{ n: 1 }]);
  });

  it('fails a staged file that cannot be read on its own, and keeps the order of the day', async () => {
    const context = await workspace();
    const clients = clientIds(3);
    await stage(context, clients.map((client) => stagedPartition(client)));
    writeFileSync(stagedPath(context.workspaceDir, { date: DAY, platform: 'google_ads', clientId: clients[1]! }), 'not gzip');
    const results = await loadDay(context, DAY);
    expect(results.map((r) => [r.clientId, r.status])).toEqual([
      [clients[0], 'loaded'],
      [clients[1], 'failed'],
      [clients[2], 'loaded'],
    ]);
    expect(results[1]!.reason).toMatch(/not a whole gzip file/);
  });

  it('records quarantined partitions without touching their rows, alongside loaded ones', async () => {
    const context = await workspace();
    await stage(context, [stagedPartition('acme', { spend: 5 }), stagedPartition('beta', { spend: 5 })]);
    await loadDay(context, DAY);
    const quarantined = stagedPartition('acme', { rows: [] });
    quarantined.quality = partitionQuality(quarantined.key, [{ check: 'fx.rate', outcome: 'quarantine', count: 1, message: 'no FX rate', sample: [] }]);
    await stage(context, [quarantined, stagedPartition('beta', { spend: 7 })]);
    const results = await loadDay(context, DAY);
    expect(results.map((r) => [r.clientId, r.status])).toEqual([
      ['acme', 'quarantined'],
      ['beta', 'loaded'],
    ]);
    const spend = await spendByClient(context);
    expect([spend.get('acme')?.spend, spend.get('beta')?.spend]).toEqual([15, 21]);
    expect(await context.warehouse.query(`SELECT status, reason FROM ${QUALITY} WHERE client_id = 'acme' ORDER BY checked_at DESC LIMIT 1`)).toEqual([{ status: 'quarantined', reason: 'no FX rate' }]);
  });

  it('announces a drift field once, after the first partition of the batch that carried it', async () => {
    const context = await workspace();
    await stage(context, [stagedPartition('acme', { drift: [drift('results[].new_field')] }), stagedPartition('beta', { drift: [drift('results[].new_field'), drift('results[].other')] })]);
    await loadDay(context, DAY);
    const events = await context.bus.read<DriftRecord>(DRIFT_TOPIC);
    expect(events.map((e) => e.data.field_path)).toEqual(['results[].new_field', 'results[].other']);
    expect(await context.warehouse.query(`SELECT field_path FROM schema_drift ORDER BY field_path`)).toEqual([{ field_path: 'results[].new_field' }, { field_path: 'results[].other' }]);

    await loadDay(context, DAY);
    expect(await context.bus.read(DRIFT_TOPIC)).toHaveLength(2);
  });

  it('leaves every partition whole, old or new, when the load stops between partitions', async () => {
    const context = await workspace();
    const clients = clientIds(LOAD_BATCH.partitions + 20);
    await stage(context, clients.map((client) => stagedPartition(client, { campaigns: 2, spend: 1 })));
    await loadDay(context, DAY);
    await stage(context, clients.map((client) => stagedPartition(client, { campaigns: 4, spend: 1 })));
    let seen = 0;
    await expect(
      loadDay(context, DAY, {}, () => {
        if (++seen === 4) throw new Error('crash injected between partitions');
      }),
    ).rejects.toThrow('crash injected');
    const counts = [...(await spendByClient(context)).values()].map((c) => c.n);
    expect(counts.every((n) => n === 2 || n === 4)).toBe(true);
    await loadDay(context, DAY);
    expect([...(await spendByClient(context)).values()].every((c) => c.n === 4)).toBe(true);
  });
});
