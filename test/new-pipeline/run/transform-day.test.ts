import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalEventLog } from '../../../core/bus/local/local-event-log.js';
import { parseConfig } from '../../../core/config.js';
import { addDays } from '../../../core/dates.js';
import { DuckDbWarehouse } from '../../../core/warehouse/duckdb/duckdb-warehouse.js';
import type { Warehouse } from '../../../core/warehouse/index.js';
import { landPartition } from '../../../new-pipeline/landing/raw-landing.js';
import { ensurePipelineTables, SERVING_TABLES } from '../../../new-pipeline/load/pipeline-tables.js';
import { transformDay, type PipelineContext } from '../../../new-pipeline/run/run-pipeline.js';
import { readStaged } from '../../../new-pipeline/run/staged-partition.js';
import { canonicalRow, DAY, googleAdsRow, googleAdsStreamBody, landedPage, landedPartition, partitionKey } from '../../helpers/pipeline-factories.js';
import { makeTempDir } from '../../helpers/cli.js';

const ACCOUNT = '1234567890';

describe('the transform step: landed partitions into staged, checked ones', () => {
  const open: Array<{ warehouse: Warehouse; cleanup: () => void }> = [];
  afterEach(async () => {
    for (const { warehouse, cleanup } of open.splice(0)) {
      await warehouse.close();
      cleanup();
    }
  });

  async function workspace(clients: string[]): Promise<PipelineContext> {
    const dir = makeTempDir();
    const warehouse = await DuckDbWarehouse.open({ path: join(dir.path, 'warehouse.duckdb') });
    open.push({ warehouse, cleanup: dir.cleanup });
    const config = parseConfig({ clients: clients.map((id) => ({ id, currency: 'USD', accounts: [{ platform: 'google_ads', accountId: ACCOUNT }] })) }, 'test');
    await ensurePipelineTables(warehouse);
    return { config, workspaceDir: dir.path, warehouse, bus: new LocalEventLog(join(dir.path, 'events')), tables: SERVING_TABLES, runId: 'transform-test' };
  }

  /** Lands one google_ads partition of `clientId` on DAY with `campaigns` campaigns. */
  async function land(context: PipelineContext, clientId: string, campaigns: number) {
    const rows = Array.from({ length: campaigns }, (_, i) => googleAdsRow({ campaignId: String(100 + i) }));
    const { header, pages } = landedPartition('google_ads', [landedPage('google_ads', ACCOUNT, googleAdsStreamBody(rows))], { [ACCOUNT]: { currency: 'USD', timeZone: 'America/New_York' } });
    await landPartition(context.workspaceDir, partitionKey('google_ads', { clientId }), header, pages);
  }

  /** What was loaded for `clientId` on each of the three days before DAY: `rows` rows a day. */
  async function loadedHistory(context: PipelineContext, clientId: string, rows: number) {
    for (let back = 1; back <= 3; back++) {
      const date = addDays(DAY, -back);
      const partition = { client_id: clientId, platform: 'google_ads', date };
      await context.warehouse.replacePartition(SERVING_TABLES.metricRows, partition, Array.from({ length: rows }, (_, i) => ({ ...canonicalRow({ client_id: clientId, date, campaign_id: `h${i}` }) })));
    }
  }

  it("checks each partition's volume against its own trailing days, and stages every partition in day order", async () => {
    const context = await workspace(['acme', 'beta', 'gamma']);
    await land(context, 'acme', 1);
    await land(context, 'beta', 10);
    await land(context, 'gamma', 2);
    await loadedHistory(context, 'acme', 10);
    await loadedHistory(context, 'beta', 10);

    const reported: string[] = [];
    const results = await transformDay(context, DAY, {}, (result) => reported.push(result.clientId));

    expect(results.map((r) => [r.clientId, r.status, r.quality, r.rows])).toEqual([
      ['acme', 'staged', 'warn', 1],
      ['beta', 'staged', 'pass', 10],
      ['gamma', 'staged', 'pass', 2],
    ]);
    expect(reported).toEqual(['acme', 'beta', 'gamma']);
    expect(results[0]!.reason).toMatch(/rows 1 is 0.1× the trailing 7-day median 10/);
    const staged = readStaged(context.workspaceDir, partitionKey('google_ads', { clientId: 'gamma' }));
    expect(staged.rows).toHaveLength(2);
    expect(staged.quality.checks.find((c) => c.check === 'volume.rows')?.message).toMatch(/not compared: 0 of the trailing 7 days/);
    expect(staged.lineage.raw_sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
