import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { duckdbDialect } from '../../../core/warehouse/duckdb/duckdb-dialect.js';
import type { Row, Warehouse } from '../../../core/warehouse/index.js';
import { ensurePredictionsTable, PREDICTION_COMPARISON, reconcilePredictions, writePredictions } from '../../../new-pipeline/models/predictions.js';
import { comparisonPlan } from '../../../reconcile/sql-plan.js';
import { buildToleranceTable, intervalsMatch, METRIC_ROW_COMPARISON } from '../../../reconcile/tolerance.js';
import { memoryWarehouse } from '../../helpers/warehouse.js';

type Side = [number | null, number | null, number | null];
interface Case {
  name: string;
  tolerance: { abs: number; rel: number };
  legacy: Side;
  new: Side;
  match: boolean;
}

const { cases } = JSON.parse(readFileSync(join(import.meta.dirname, 'interval-match-cases.json'), 'utf8')) as { cases: Case[] };

describe('forecast matching (golden cases shared by every engine)', () => {
  it.each(cases)('the pure rule: $name', (c) => {
    const [legacy, legacyLower, legacyUpper] = c.legacy;
    const [next, newLower, newUpper] = c.new;
    expect(intervalsMatch(legacy, next, c.tolerance, { lower: legacyLower, upper: legacyUpper }, { lower: newLower, upper: newUpper })).toBe(c.match);
  });

  describe('the SQL plan on DuckDB', () => {
    let warehouse: Warehouse;
    beforeAll(async () => {
      warehouse = await memoryWarehouse();
    });
    afterAll(() => warehouse.close());

    it.each(cases)('$name', async (c) => {
      const spec = { keys: ['k'], clientKey: 'k', metrics: ['m'], intervals: { m: { lower: 'm_lo', upper: 'm_hi' } } };
      const plan = comparisonPlan(warehouse.dialect, spec, { defaults: { m: c.tolerance }, clients: {} });
      const side = (name: string, [point, lower, upper]: Side) =>
        warehouse.run(`CREATE OR REPLACE TEMP TABLE ${name} AS SELECT 'c' AS k, CAST(? AS DOUBLE) AS m, CAST(? AS DOUBLE) AS m_lo, CAST(? AS DOUBLE) AS m_hi`, [point, lower, upper]);
      await side('l', c.legacy);
      await side('n', c.new);
      const counts = plan.tally(await warehouse.query(plan.comparison('l', 'n'))).get('c');
      expect(counts?.matched).toBe(1);
      expect(counts?.mismatched.m === 0).toBe(c.match);
    });
  });

  it('leaves the metric-row comparison as it was: no interval test in its plan', () => {
    const plan = comparisonPlan(duckdbDialect, METRIC_ROW_COMPARISON, buildToleranceTable(METRIC_ROW_COMPARISON.metrics));
    expect(plan.comparison('l', 'n')).not.toContain('BETWEEN');
    expect(plan.comparison('l', 'n')).not.toContain('_lower');
  });
});

/** One predictions row: a campaign's forecast of one day, spend 100 in [90, 110] unless overridden. */
function predictionRow(overrides: Row = {}): Row {
  return {
    forecast_date: '2026-11-22',
    client_id: 'acme',
    platform: 'meta_ads',
    account_id: '1001',
    campaign_id: 'c1',
    date: '2026-11-23',
    horizon: 1,
    currency: 'USD',
    spend: 100,
    spend_lower: 90,
    spend_upper: 110,
    conversions: 4,
    conversions_lower: 3,
    conversions_upper: 5,
    revenue: 300,
    revenue_lower: 250,
    revenue_upper: 350,
    interval_level: 0.9,
    model: 'seasonal_trend_regression',
    model_version: '1.0.0',
    training_from: '2026-09-28',
    training_to: '2026-11-22',
    input_sha256: 'abc',
    lineage_run_ids: '[]',
    run_id: 'r1',
    created_at: '2026-11-23T06:00:00.000Z',
    ...overrides,
  };
}

describe('reconciling two predictions tables', () => {
  let warehouse: Warehouse;
  beforeEach(async () => {
    warehouse = await memoryWarehouse();
  });
  afterEach(() => warehouse.close());

  async function table(name: string, rows: Row[]): Promise<void> {
    await ensurePredictionsTable(warehouse, name);
    const partitions = new Map<string, Row[]>();
    for (const row of rows) partitions.set(`${row.forecast_date}|${row.client_id}|${row.model}`, [...(partitions.get(`${row.forecast_date}|${row.client_id}|${row.model}`) ?? []), row]);
    for (const [key, partRows] of partitions) {
      const [forecastDate, clientId, model] = key.split('|') as [string, string, string];
      await writePredictions(warehouse, name, { forecastDate, clientId, model }, partRows);
    }
  }

  const tolerances = (rel = 0) => buildToleranceTable(PREDICTION_COMPARISON.metrics, { spend: { rel }, conversions: { rel }, revenue: { rel } });
  const reconcile = (overrides: Partial<Parameters<typeof reconcilePredictions>[1]> = {}) =>
    reconcilePredictions(warehouse, { legacy: 'legacy_export.predictions', next: 'predictions', forecastDate: '2026-11-22', tolerances: tolerances(), differencesLimit: 100, ...overrides });

  it('passes forecasts whose points lie inside each other’s intervals, in the reconcile JSON contract', async () => {
    await table('legacy_export.predictions', [predictionRow({ spend: 104, model: 'legacy_v3' }), predictionRow({ campaign_id: 'c2', model: 'legacy_v3' })]);
    await table('predictions', [predictionRow(), predictionRow({ campaign_id: 'c2', revenue: 340 })]);
    const report = await reconcile();
    expect(report).toMatchObject({ run_id: expect.stringMatching(/^rc-/), date: '2026-11-22', status: 'pass' });
    expect(report.clients).toEqual([
      expect.objectContaining({ client_id: 'acme', status: 'pass', rows: { legacy: 2, new: 2, matched: 2, missing_in_new: 0, missing_in_legacy: 0, duplicate_keys: 0 } }),
    ]);
    expect(report.clients[0]!.metrics.map((m) => m.metric)).toEqual(['spend', 'conversions', 'revenue']);
    expect(report.clients[0]!.metrics[0]).toMatchObject({ legacy_total: 204, new_total: 200, delta: -4, rows_mismatched: 0, status: 'pass' });
  });

  it('reports a forecast outside the other side’s interval as a value mismatch, and one side’s extra campaign as missing', async () => {
    await table('legacy_export.predictions', [predictionRow({ spend: 160, spend_lower: 150, spend_upper: 170 }), predictionRow({ campaign_id: 'c3' })]);
    await table('predictions', [predictionRow(), predictionRow({ campaign_id: 'c2' })]);
    const report = await reconcile();
    expect(report.status).toBe('fail');
    expect(report.clients[0]!.rows).toMatchObject({ matched: 1, missing_in_new: 1, missing_in_legacy: 1 });
    expect(report.differences).toEqual([
      { client_id: 'acme', date: '2026-11-23', platform: 'meta_ads', account_id: '1001', campaign_id: 'c3', kind: 'missing_in_new', metric: null, legacy: null, new: null },
      { client_id: 'acme', date: '2026-11-23', platform: 'meta_ads', account_id: '1001', campaign_id: 'c2', kind: 'missing_in_legacy', metric: null, legacy: null, new: null },
      { client_id: 'acme', date: '2026-11-23', platform: 'meta_ads', account_id: '1001', campaign_id: 'c1', kind: 'value_mismatch', metric: 'spend', legacy: 160, new: 100 },
    ]);
  });

  it('matches within the configured relative tolerance when the intervals do not reach', async () => {
    await table('legacy_export.predictions', [predictionRow({ spend: 104, spend_lower: 103, spend_upper: 105 })]);
    await table('predictions', [predictionRow({ spend: 100, spend_lower: 99, spend_upper: 101 })]);
    expect((await reconcile()).status).toBe('fail');
    expect((await reconcile({ tolerances: tolerances(0.05) })).status).toBe('pass');
  });

  it('reads a legacy table without intervals: its points are matched against the new intervals', async () => {
    await warehouse.run('CREATE SCHEMA legacy_export');
    await warehouse.run(
      `CREATE TABLE legacy_export.predictions AS SELECT DATE '2026-11-22' AS forecast_date, 'acme' AS client_id, DATE '2026-11-23' AS date, 'meta_ads' AS platform,
         '1001' AS account_id, 'c1' AS campaign_id, 95.0 AS spend, 3.5 AS conversions, 320.0 AS revenue`,
    );
    await table('predictions', [predictionRow()]);
    expect((await reconcile()).status).toBe('pass');
  });

  it('compares only the day forecast from, one client and one model of the new side when asked', async () => {
    await table('legacy_export.predictions', [predictionRow(), predictionRow({ client_id: 'other', spend: 999 })]);
    await table('predictions', [
      predictionRow(),
      predictionRow({ forecast_date: '2026-11-21', spend: 500 }),
      predictionRow({ model: 'bqml_arima_plus', spend: 700 }),
      predictionRow({ client_id: 'other' }),
    ]);
    const report = await reconcile({ clientId: 'acme', model: 'seasonal_trend_regression' });
    expect(report.status).toBe('pass');
    expect(report.clients.map((c) => c.client_id)).toEqual(['acme']);
  });

  it('names a missing table or column instead of failing in SQL', async () => {
    await table('predictions', [predictionRow()]);
    await expect(reconcile()).rejects.toMatchObject({ code: 'SOURCE_NOT_FOUND', message: expect.stringContaining('legacy_export.predictions') });
    await warehouse.run('CREATE SCHEMA legacy_export');
    await warehouse.run("CREATE TABLE legacy_export.predictions AS SELECT DATE '2026-11-22' AS forecast_date, 'acme' AS client_id");
    await expect(reconcile()).rejects.toMatchObject({ code: 'SOURCE_MISSING_COLUMN', hint: expect.stringContaining('create a view') });
    await expect(reconcile({ legacy: 'x; DROP TABLE predictions' })).rejects.toMatchObject({ code: 'USAGE' });
  });
});
