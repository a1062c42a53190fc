/**
 * CONTRACT test of the BigQuery ML statements. BigQuery cannot be reached from here, and no emulator runs BigQuery
 * ML, so this checks the statements the models module sends (SQL text and positional parameters) against what
 * BigQuery's CREATE MODEL (ARIMA_PLUS) and ML.FORECAST documentation asks for, and that the rows it writes are the
 * predictions table's columns. It proves the request, not BigQuery ML's forecasts. The statements are also run, through
 * the loopback fake's BigQuery ML stand-in, in bigquery-ml.fake.contract.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ARIMA_PLUS, arimaPlusPlan, type ArimaPlusOptions } from '../../../new-pipeline/models/bigquery-ml.js';
import { PREDICTIONS_SPEC } from '../../../new-pipeline/models/predictions.js';
import { modelTables } from '../../../new-pipeline/models/series.js';

const options = (overrides: Partial<ArimaPlusOptions> = {}): ArimaPlusOptions => ({
  tables: modelTables(),
  dataset: 'bosco_ds',
  forecastDate: '2026-11-22',
  trainingFrom: '2026-09-28',
  horizonDays: 7,
  intervalLevel: 0.9,
  minHistoryDays: 14,
  withLineage: true,
  ...overrides,
});
const flat = (sql: string) => sql.replace(/\s+/g, ' ').trim();
const placeholders = (sql: string) => (sql.match(/\?/g) ?? []).length;
const RUN = { runId: 'rc-20261123T060000-abcdef', createdAt: '2026-11-23T06:00:00.000Z' };

describe('BigQuery ML statements (SQL text and parameters)', () => {
  it('creates one ARIMA_PLUS model per metric over every running campaign’s daily series', () => {
    const plan = arimaPlusPlan(options());
    expect(plan.createModels).toHaveLength(3);
    for (const [i, metric] of ['spend', 'conversions', 'revenue'].entries()) {
      const { sql, params } = plan.createModels[i]!;
      expect(params).toEqual([]);
      expect(flat(sql)).toMatch(new RegExp(`^CREATE OR REPLACE MODEL \`bosco_ds\\.bosco_forecast_${metric}\` OPTIONS \\(`));
      expect(flat(sql)).toContain(
        `OPTIONS ( model_type = 'ARIMA_PLUS', time_series_timestamp_col = 'date', time_series_data_col = '${metric}', ` +
          `time_series_id_col = ['client_id', 'platform', 'account_id', 'campaign_id'], data_frequency = 'DAILY', horizon = 7, auto_arima = TRUE, decompose_time_series = TRUE ) AS ` +
          `SELECT date, client_id, platform, account_id, campaign_id, \`${metric}\` FROM (`,
      );
      expect(flat(sql)).toContain(`SUM(\`${metric}\`) AS \`${metric}\``);
      expect(flat(sql)).toContain("FROM metric_rows JOIN (SELECT DISTINCT client_id, platform, account_id, campaign_id FROM metric_rows WHERE date = DATE '2026-11-22') USING (client_id, platform, account_id, campaign_id)");
      expect(flat(sql)).toContain("WHERE date BETWEEN DATE '2026-09-28' AND DATE '2026-11-22' GROUP BY date, client_id, platform, account_id, campaign_id");
      expect(flat(sql)).toMatch(new RegExp(`WHERE \`${metric}\` IS NOT NULL QUALIFY COUNT\\(\\*\\) OVER \\(PARTITION BY client_id, platform, account_id, campaign_id\\) >= 14$`));
    }
  });

  it('forecasts with ML.FORECAST at the horizon and confidence level, the metrics side by side and cut at zero', () => {
    const { sql, params } = arimaPlusPlan(options({ horizonDays: 5, intervalLevel: 0.8 })).forecasts;
    expect(params).toEqual([]);
    const text = flat(sql);
    expect(text).toMatch(/^CREATE OR REPLACE TEMP TABLE bosco_arima_forecast AS WITH /);
    for (const metric of ['spend', 'conversions', 'revenue']) {
      expect(text).toContain(
        `SELECT client_id, platform, account_id, campaign_id, DATE(forecast_timestamp) AS date, forecast_value AS \`${metric}\`, ` +
          `prediction_interval_lower_bound AS \`${metric}_lower\`, prediction_interval_upper_bound AS \`${metric}_upper\` ` +
          `FROM ML.FORECAST(MODEL \`bosco_ds.bosco_forecast_${metric}\`, STRUCT(5 AS horizon, 0.8 AS confidence_level))`,
      );
      expect(text).toContain(`LEFT JOIN ${metric}_forecast USING (client_id, platform, account_id, campaign_id, date)`);
      expect(text).toContain(`GREATEST(\`${metric}_lower\`, 0) AS \`${metric}_lower\``);
    }
    expect(text).toContain('TO_HEX(SHA256(TO_JSON_STRING(ARRAY_AGG(STRUCT(date, `spend`, `conversions`, `revenue`) ORDER BY date)))) AS input_sha256');
  });

  it('writes a client’s rows with every predictions column, by name, and every value as a parameter', () => {
    const rows = arimaPlusPlan(options()).clientRows('acme', RUN);
    const named = [...rows.select.matchAll(/(?:AS|f\.)\s*`([a-z_0-9]+)`(?=,|\s*FROM)/g)].map((m) => m[1]);
    expect(named).toEqual(PREDICTIONS_SPEC.columns.map((c) => c.name));
    expect(rows.params).toEqual(['2026-11-22', '2026-11-22', 0.9, ARIMA_PLUS.name, ARIMA_PLUS.version, '2026-09-28', '2026-11-22', RUN.runId, RUN.createdAt, 'acme', '2026-09-28', '2026-11-22', 'acme']);
    expect(placeholders(rows.select)).toBe(rows.params.length);
    expect(flat(rows.select)).toContain('FROM bosco_arima_forecast f LEFT JOIN ( SELECT client_id, platform, TO_JSON(ARRAY_AGG(DISTINCT run_id ORDER BY run_id)) AS lineage_run_ids');
    expect(flat(rows.select)).toContain('QUALIFY ROW_NUMBER() OVER (PARTITION BY client_id, platform, date ORDER BY loaded_at DESC) = 1');
    expect(flat(rows.select)).toMatch(/WHERE f\.client_id = \?$/);
    expect(rows.select).not.toContain('acme');
  });

  it('writes NULL lineage, and asks nothing of a lineage table, when there is none', () => {
    const rows = arimaPlusPlan(options({ withLineage: false })).clientRows('acme', RUN);
    expect(rows.select).not.toContain('partition_lineage');
    expect(rows.select).toContain('CAST(NULL AS JSON) AS `lineage_run_ids`');
    expect(rows.params).toHaveLength(10);
    expect(placeholders(rows.select)).toBe(10);
  });

  it('reads and writes a namespace’s tables, and leaves the model unqualified without a dataset', () => {
    const plan = arimaPlusPlan(options({ tables: modelTables('shadow'), dataset: undefined }));
    expect(plan.createModels[0]!.sql).toContain('CREATE OR REPLACE MODEL `bosco_forecast_spend`');
    expect(plan.createModels[0]!.sql).toContain('FROM shadow.metric_rows JOIN');
    expect(plan.clientRows('acme', RUN).select).toContain('FROM shadow.partition_lineage');
  });

  it('refuses values it would have to write into the SQL text unchecked', () => {
    expect(() => arimaPlusPlan(options({ forecastDate: "2026-11-22' OR '1'='1" }))).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => arimaPlusPlan(options({ dataset: 'ds`; DROP TABLE x' }))).toThrow(/bad dataset/);
    expect(() => arimaPlusPlan(options({ intervalLevel: 1 }))).toThrow(/interval level/);
    expect(() => arimaPlusPlan(options({ horizonDays: 1.5 }))).toThrow(/horizon/);
  });
});
