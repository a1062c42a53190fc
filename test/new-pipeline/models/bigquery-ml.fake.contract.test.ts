/**
 * CONTRACT test of the BigQuery ML path run end to end: `runModels` on a BigQueryWarehouse whose real client is
 * pointed at the loopback fake of the BigQuery REST API (test/core/warehouse/fake-bigquery.ts). The fake's BigQuery
 * ML stand-in stores each CREATE MODEL's training rows and answers ML.FORECAST with BigQuery's documented columns
 * from a trivial forecaster (each series' mean ± z·sd). It proves that our statements run in order, that ML.FORECAST's
 * columns are read as documented, and what lands in the predictions table; not BigQuery ML's forecasts.
 */
import { BigQuery, type BigQueryOptions } from '@google-cloud/bigquery';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config.js';
import { addDays } from '../../../core/dates.js';
import type { MetricRow } from '../../../core/metric-row.js';
import { BigQueryWarehouse } from '../../../core/warehouse/bigquery/bigquery-warehouse.js';
import { ensurePipelineTables, SERVING_TABLES } from '../../../new-pipeline/load/pipeline-tables.js';
import { runModels } from '../../../new-pipeline/models/run-models.js';
import { normalQuantile, startFakeBigQuery, type FakeBigQuery } from '../../core/warehouse/fake-bigquery.js';
import { guardLoopback } from '../../core/warehouse/loopback-guard.js';

const PROJECT = 'bosco-contract';
const DATASET = 'bosco_test';
const DAY = '2026-11-22';
const fixedToken = { getRequestHeaders: async () => new Headers({ authorization: 'Bearer contract-test-token' }) } as unknown as BigQueryOptions['authClient'];
const config = parseConfig(
  {
    warehouse: { kind: 'bigquery', projectId: PROJECT, dataset: DATASET },
    clients: [{ id: 'acme' }, { id: 'birch' }],
    models: { trainingDays: 14, horizonDays: 5, minHistoryDays: 10, intervalLevel: 0.8 },
  },
  'test',
);
const TRAINING_FROM = addDays(DAY, 1 - 14);

const guard = guardLoopback();
afterAll(() => guard.restore());

/** Days from..to with a weekly-cycling spend, so every series has a spread. */
function series(client_id: string, platform: MetricRow['platform'], campaign_id: string, from: string, to: string, spend: boolean): MetricRow[] {
  const rows: MetricRow[] = [];
  for (let date = from, i = 0; date <= to; date = addDays(date, 1), i++) {
    rows.push({
      client_id, date, platform, account_id: `${client_id}-acct`, campaign_id, currency: 'USD',
      spend: spend ? 10 + (i % 7) : null, impressions: 1000, clicks: 50, conversions: 2 + (i % 3), revenue: 40 + 2 * (i % 5),
    });
  }
  return rows;
}

describe('BigQuery ML forecasts through the loopback fake (runModels on BigQuery)', () => {
  let fake: FakeBigQuery;
  let warehouse: BigQueryWarehouse;
  const rows = [
    ...series('acme', 'meta_ads', 'm1', '2026-10-25', DAY, true),
    ...series('acme', 'shopify', 'store', '2026-10-25', DAY, false),
    ...series('acme', 'meta_ads', 'stopped', '2026-10-25', '2026-11-20', true),
    ...series('acme', 'meta_ads', 'new', '2026-11-18', DAY, true),
    ...series('birch', 'google_ads', 'g1', '2026-10-25', DAY, true),
  ];

  beforeEach(async () => {
    fake = await startFakeBigQuery({ projectId: PROJECT, dataset: DATASET });
    const client = new BigQuery({ projectId: PROJECT, apiEndpoint: fake.endpoint, authClient: fixedToken, autoRetry: false });
    warehouse = new BigQueryWarehouse({ projectId: PROJECT, dataset: DATASET, client });
    await ensurePipelineTables(warehouse);
    for (const client_id of ['acme', 'birch']) {
      await warehouse.replacePartition(SERVING_TABLES.metricRows, { client_id }, rows.filter((row) => row.client_id === client_id).map((row) => ({ ...row })));
    }
    const load = (run_id: string, date: string, loaded_at: string) => ({ run_id, client_id: 'acme', platform: 'meta_ads', date, loaded_at });
    await warehouse.replacePartition(SERVING_TABLES.lineage, { client_id: 'acme' }, [
      load('run-old', '2026-11-20', '2026-11-21T06:00:00Z'),
      load('run-new', '2026-11-20', '2026-11-21T07:00:00Z'),
      load('run-22', DAY, '2026-11-23T06:00:00Z'),
      load('run-before', '2026-09-01', '2026-09-02T06:00:00Z'),
    ]);
  });
  afterEach(async () => {
    await warehouse.close();
    await fake.close();
    expect(fake.unexpected).toEqual([]);
    expect(guard.refused).toEqual([]);
  });

  const statements = () => fake.requests.filter((r) => r.path === `/projects/${PROJECT}/queries`);

  it('trains one ARIMA_PLUS model per metric, forecasts with the configured horizon and level, and writes one partition per client', async () => {
    const before = fake.requests.length;
    const report = await runModels(warehouse, { date: DAY, config, runId: 'run-a', now: new Date('2026-11-23T06:00:00Z') });

    expect(fake.requests.slice(before).filter((r) => r.response?.status !== 200).map((r) => r.response?.body)).toEqual([]);
    expect([...fake.models.keys()]).toEqual(['spend', 'conversions', 'revenue'].map((metric) => `${DATASET}.bosco_forecast_${metric}`));
    for (const metric of ['spend', 'conversions', 'revenue']) {
      const model = fake.models.get(`${DATASET}.bosco_forecast_${metric}`)!;
      expect(model.options).toEqual({
        model_type: 'ARIMA_PLUS', time_series_timestamp_col: 'date', time_series_data_col: metric,
        time_series_id_col: ['client_id', 'platform', 'account_id', 'campaign_id'], data_frequency: 'DAILY', horizon: 5, auto_arima: true, decompose_time_series: true,
      });
    }
    // Running campaigns with at least 10 days in the 14-day window: m1, store (no spend: not in the spend model), g1.
    expect(fake.models.get(`${DATASET}.bosco_forecast_spend`)!.trainingRows).toBe(2 * 14);
    expect(fake.models.get(`${DATASET}.bosco_forecast_revenue`)!.trainingRows).toBe(3 * 14);
    expect(fake.forecasts).toEqual(['spend', 'conversions', 'revenue'].map((metric) => ({ model: `${DATASET}.bosco_forecast_${metric}`, horizon: 5, confidenceLevel: 0.8 })));

    expect(report).toMatchObject({ model: { name: 'bqml_arima_plus' }, training: { from: TRAINING_FROM, to: DAY }, forecast_days: { from: '2026-11-23', to: '2026-11-27' } });
    expect(report.clients).toEqual([
      { client_id: 'acme', status: 'forecast', campaigns: 2, skipped: 0, rows: 10 },
      { client_id: 'birch', status: 'forecast', campaigns: 1, skipped: 0, rows: 5 },
    ]);
    // One MERGE per client, each replacing that client's partition of the day and model.
    const merges = statements().slice().filter((r) => String(r.body.query).startsWith('MERGE INTO `predictions`'));
    expect(merges.map((r) => r.body.queryParameters.slice(-3).map((p: { parameterValue: { value: unknown } }) => p.parameterValue.value))).toEqual([
      [DAY, 'acme', 'bqml_arima_plus'],
      [DAY, 'birch', 'bqml_arima_plus'],
    ]);

    const partitions = await warehouse.query(
      `SELECT client_id, model, model_version, count(*) AS n, count(DISTINCT campaign_id) AS campaigns, CAST(min(date) AS STRING) AS first_day, CAST(max(date) AS STRING) AS last_day,
         min(horizon) AS min_horizon, max(horizon) AS max_horizon, CAST(min(training_from) AS STRING) AS training_from, CAST(max(training_to) AS STRING) AS training_to,
         min(interval_level) AS level, COUNTIF(run_id != 'run-a') AS other_runs
       FROM predictions GROUP BY client_id, model, model_version ORDER BY client_id`,
    );
    const common = { model: 'bqml_arima_plus', model_version: '1.0.0', first_day: '2026-11-23', last_day: '2026-11-27', min_horizon: 1, max_horizon: 5, training_from: TRAINING_FROM, training_to: DAY, level: 0.8, other_runs: 0 };
    expect(partitions).toEqual([
      { client_id: 'acme', n: 10, campaigns: 2, ...common },
      { client_id: 'birch', n: 5, campaigns: 1, ...common },
    ]);

    // The stand-in's forecast is the training window's mean ± z·sd: our columns carry ML.FORECAST's as documented.
    const window = rows.filter((row) => row.client_id === 'acme' && row.campaign_id === 'm1' && row.date >= TRAINING_FROM);
    const spends = window.map((row) => row.spend!);
    const mean = spends.reduce((a, b) => a + b, 0) / spends.length;
    const sd = Math.sqrt(spends.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (spends.length - 1));
    const m1 = await warehouse.query(
      "SELECT CAST(date AS STRING) AS day, horizon, currency, spend, spend_lower, spend_upper, input_sha256, lineage_run_ids FROM predictions WHERE campaign_id = 'm1' ORDER BY date",
    );
    expect(m1.map((row) => [row.day, row.horizon])).toEqual([1, 2, 3, 4, 5].map((h) => [addDays(DAY, h), h]));
    const z = normalQuantile(0.9);
    for (const row of m1) {
      expect(row.spend).toBeCloseTo(mean, 9);
      expect(row.spend_lower).toBeCloseTo(mean - z * sd, 9);
      expect(row.spend_upper).toBeCloseTo(mean + z * sd, 9);
      expect(row).toMatchObject({ currency: 'USD', input_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(JSON.parse(String(row.lineage_run_ids))).toEqual(['run-22', 'run-new']);
    }
    // Shopify reports no spend: its forecast has none either, not a zero.
    const [store] = await warehouse.query("SELECT spend, spend_lower, revenue, lineage_run_ids FROM predictions WHERE campaign_id = 'store' LIMIT 1");
    expect(store).toMatchObject({ spend: null, spend_lower: null, revenue: expect.any(Number), lineage_run_ids: null });
  });

  it('replaces its partitions on a rerun instead of adding to them', async () => {
    await runModels(warehouse, { date: DAY, config, runId: 'run-a' });
    await runModels(warehouse, { date: DAY, config, runId: 'run-b' });
    const runs = await warehouse.query('SELECT run_id, count(*) AS n FROM predictions GROUP BY run_id');
    expect(runs).toEqual([{ run_id: 'run-b', n: 15 }]);
    expect(fake.forecasts).toHaveLength(6);
  });
});
