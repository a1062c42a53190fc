import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type BoscoConfig } from '../../../core/config.js';
import { PLATFORMS } from '../../../core/metric-row.js';
import type { Warehouse } from '../../../core/warehouse/index.js';
import { pipelineTables, SERVING_TABLES } from '../../../new-pipeline/load/pipeline-tables.js';
import { runBacktest, runModels } from '../../../new-pipeline/models/run-models.js';
import { modelTables } from '../../../new-pipeline/models/series.js';
import { memoryWarehouse } from '../../helpers/warehouse.js';
import { loadMetricRows, simClient, simMetricRows } from './sim-rows.js';

const DAY = '2026-11-22';
const clients = [simClient(1), simClient(2)];
const config: BoscoConfig = parseConfig({ clients: [...clients, { id: 'newcomer' }] }, 'test');
const count = async (warehouse: Warehouse, sql: string, params: string[] = []) => Number((await warehouse.query(`SELECT count(*) AS n FROM (${sql}) counted`, params))[0]!.n);

describe('models run and backtest on the simulator’s data in DuckDB', () => {
  let warehouse: Warehouse;
  beforeAll(async () => {
    warehouse = await memoryWarehouse();
    // Rows written straight from the simulator's ground truth (see sim-rows.ts), not through fetch/transform/load.
    await loadMetricRows(warehouse, simMetricRows(clients, '2026-08-20', DAY));
    // Two loads of one partition: only the later one is what the warehouse holds.
    await warehouse.run(
      `INSERT INTO ${SERVING_TABLES.lineage} (run_id, client_id, platform, date, loaded_at) VALUES
        ('run-old', 'client-1', 'meta_ads', DATE '2026-11-20', TIMESTAMPTZ '2026-11-21 06:00:00Z'),
        ('run-new', 'client-1', 'meta_ads', DATE '2026-11-20', TIMESTAMPTZ '2026-11-21 07:00:00Z'),
        ('run-22', 'client-1', 'meta_ads', DATE '2026-11-22', TIMESTAMPTZ '2026-11-23 06:00:00Z'),
        ('run-before', 'client-1', 'meta_ads', DATE '2026-09-01', TIMESTAMPTZ '2026-09-02 06:00:00Z')`,
    );
  });
  afterAll(() => warehouse.close());

  it('forecasts every running campaign 7 days ahead into predictions, with model, window and the lineage of its inputs', async () => {
    const report = await runModels(warehouse, { date: DAY, config, runId: 'run-a', now: new Date('2026-11-23T06:00:00Z') });
    expect(report).toMatchObject({ forecast_date: DAY, model: { name: 'seasonal_trend_regression', version: '1.0.0' }, training: { from: '2026-09-28', to: DAY }, forecast_days: { from: '2026-11-23', to: '2026-11-29' }, predictions_table: 'predictions', dry_run: false });
    const byClient = Object.fromEntries(report.clients.map((c) => [c.client_id, c]));
    expect(byClient['client-1']).toMatchObject({ status: 'forecast', rows: byClient['client-1']!.campaigns * 7 });
    expect(byClient.newcomer).toMatchObject({ status: 'not_enough_history', campaigns: 0, rows: 0, reason: `no rows from 2026-09-28 to ${DAY}` });

    const running = await count(warehouse, `SELECT DISTINCT client_id, platform, account_id, campaign_id FROM metric_rows WHERE date = DATE '${DAY}'`);
    expect(await count(warehouse, 'SELECT * FROM predictions')).toBe(running * 7);
    const [row] = await warehouse.query("SELECT * FROM predictions WHERE client_id = 'client-1' AND platform = 'meta_ads' ORDER BY campaign_id, date LIMIT 1");
    expect(row).toMatchObject({ forecast_date: DAY, date: '2026-11-23', horizon: 1, model: 'seasonal_trend_regression', model_version: '1.0.0', training_from: '2026-09-28', training_to: DAY, interval_level: 0.9, run_id: 'run-a', currency: 'USD' });
    expect(row!.input_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(String(row!.lineage_run_ids))).toEqual(['run-22', 'run-new']);
    expect(Number(row!.spend_lower)).toBeLessThanOrEqual(Number(row!.spend));
    expect(Number(row!.spend)).toBeLessThanOrEqual(Number(row!.spend_upper));
    const shop = await warehouse.query("SELECT spend, revenue FROM predictions WHERE platform = 'shopify' LIMIT 1");
    expect(shop[0]).toMatchObject({ spend: null, revenue: expect.any(Number) });
  });

  it('replaces its own partitions on a rerun, and a dry run writes nothing', async () => {
    const before = await count(warehouse, 'SELECT * FROM predictions');
    await runModels(warehouse, { date: DAY, config, runId: 'run-b' });
    expect(await count(warehouse, 'SELECT * FROM predictions')).toBe(before);
    expect(await count(warehouse, "SELECT * FROM predictions WHERE run_id = 'run-a'")).toBe(0);

    const dry = await runModels(warehouse, { date: '2026-11-21', config, runId: 'run-dry', dryRun: true });
    expect(dry.dry_run).toBe(true);
    expect(dry.clients.find((c) => c.client_id === 'client-2')!.rows).toBeGreaterThan(0);
    expect(await count(warehouse, "SELECT * FROM predictions WHERE forecast_date = DATE '2026-11-21'")).toBe(0);

    await runModels(warehouse, { date: '2026-11-21', config, runId: 'run-c', clients: ['client-2'] });
    expect(await count(warehouse, "SELECT DISTINCT client_id FROM predictions WHERE forecast_date = DATE '2026-11-21'")).toBe(1);
    expect(await count(warehouse, `SELECT * FROM predictions WHERE forecast_date = DATE '${DAY}'`)).toBe(before);
  });

  it('reads and writes a namespace’s tables', async () => {
    const shadow = pipelineTables('shadow');
    await loadMetricRows(warehouse, simMetricRows([simClient(3)], '2026-09-01', DAY), shadow);
    const report = await runModels(warehouse, { date: DAY, config: parseConfig({}, 'test'), runId: 'run-s', tables: modelTables('shadow') });
    expect(report.clients.map((c) => c.client_id)).toEqual(['client-3']);
    expect(await count(warehouse, "SELECT * FROM shadow.predictions WHERE client_id = 'client-3'")).toBe(report.clients[0]!.rows);
    expect(await count(warehouse, "SELECT * FROM predictions WHERE client_id = 'client-3'")).toBe(0);
  });

  it('beats the same-weekday-last-week baseline on every platform and metric, with intervals that hold about 90%', async () => {
    const report = await runBacktest(warehouse, { from: '2026-10-20', to: '2026-11-15', config });
    expect(report.status).toBe('pass');
    expect(report.model.name).toBe('seasonal_trend_regression');
    expect(report.baseline.name).toBe('seasonal_naive');
    expect(new Set(report.rows.map((r) => r.platform))).toEqual(new Set([...PLATFORMS, 'all']));
    for (const row of report.rows) {
      expect(row.beats_baseline, `${row.platform} ${row.metric}`).toBe(true);
      expect(row.model.mape!, `${row.platform} ${row.metric}`).toBeLessThan(row.baseline.mape!);
      expect(row.model.coverage, `${row.platform} ${row.metric}`).toBeGreaterThan(0.85);
      expect(row.model.coverage, `${row.platform} ${row.metric}`).toBeLessThan(0.96);
    }
    const all = report.rows.find((r) => r.platform === 'all' && r.metric === 'spend')!;
    expect(all.model.mape!).toBeLessThan(0.9 * all.baseline.mape!);
  });
});
