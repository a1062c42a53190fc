import { BoscoError } from '../../core/errors.js';
import { isRealIsoDate } from '../../core/dates.js';
import { bigqueryDialect as d } from '../../core/warehouse/bigquery/bigquery-dialect.js';
import type { SqlValue, Warehouse } from '../../core/warehouse/index.js';
import { ensurePredictionsTable, PREDICTIONS_SPEC } from './predictions.js';
import type { ModelTables } from './series.js';
import { FORECAST_METRICS, type ForecastMetric, type ModelId } from './types.js';

/**
 * On BigQuery the forecasts are made where the data is, by BigQuery ML: one ARIMA_PLUS model per metric over every
 * running campaign's series (`time_series_id_col`), then `ML.FORECAST`, written to the same predictions table as
 * the embedded model's. ARIMA_PLUS finds the weekly cycle itself (STL decomposition) and gives prediction intervals
 * at the requested level.
 */
export const ARIMA_PLUS: ModelId = { name: 'bqml_arima_plus', version: '1.0.0' };

const SERIES_ID = ['client_id', 'platform', 'account_id', 'campaign_id'] as const;
const FORECAST_TABLE = 'bosco_arima_forecast';

export interface ArimaPlusOptions {
  tables: ModelTables;
  /** The dataset the models are created in; default the warehouse's own (names left unqualified). */
  dataset?: string;
  /** The training window's last day: the day forecast from. */
  forecastDate: string;
  trainingFrom: string;
  horizonDays: number;
  intervalLevel: number;
  /** Series with fewer days with data are left out, as the embedded model leaves them out. */
  minHistoryDays: number;
  /** Whether the lineage table exists to read the input runs from. */
  withLineage: boolean;
}

export interface Statement {
  sql: string;
  params: SqlValue[];
}

export interface ArimaPlusPlan {
  /**
   * One `CREATE OR REPLACE MODEL` per metric. Its values are literals, checked here first: BigQuery takes no query
   * parameters in a CREATE MODEL, nor in ML.FORECAST's settings.
   */
  createModels: Statement[];
  /** The session's table of every series' forecast, the metrics side by side, with each series' input fingerprint and currency. */
  forecasts: Statement;
  /** Clients the forecast covers. */
  clients: Statement;
  /** One client's predictions rows from that table, for `replacePartition`. */
  clientRows(clientId: string, run: { runId: string; createdAt: string }): { select: string; params: SqlValue[] };
}

const q = d.quoteIdent;
const modelName = (dataset: string | undefined, metric: ForecastMetric) => q(dataset ? `${dataset}.bosco_forecast_${metric}` : `bosco_forecast_${metric}`);

function checked(options: ArimaPlusOptions): void {
  const bad = [
    !isRealIsoDate(options.forecastDate) && `forecast date '${options.forecastDate}'`,
    !isRealIsoDate(options.trainingFrom) && `training start '${options.trainingFrom}'`,
    !(Number.isInteger(options.horizonDays) && options.horizonDays >= 1) && `horizon ${options.horizonDays}`,
    !(options.intervalLevel > 0 && options.intervalLevel < 1) && `interval level ${options.intervalLevel}`,
    !(Number.isInteger(options.minHistoryDays) && options.minHistoryDays >= 1) && `minimum history ${options.minHistoryDays}`,
    options.dataset !== undefined && !/^[A-Za-z0-9_]+$/.test(options.dataset) && `dataset '${options.dataset}'`,
  ].find(Boolean);
  if (bad) throw new BoscoError('USAGE', `cannot build the BigQuery ML statements: bad ${bad}`, { hint: 'check --date and the models settings in the config' });
}

export function arimaPlusPlan(options: ArimaPlusOptions): ArimaPlusPlan {
  checked(options);
  const ids = SERIES_ID.join(', ');
  const window = `date BETWEEN ${d.dateLiteral(options.trainingFrom)} AND ${d.dateLiteral(options.forecastDate)}`;
  // Only campaigns with a row on the day forecast from are running; only those are forecast, as on DuckDB.
  const running = `(SELECT DISTINCT ${ids} FROM ${options.tables.metricRows} WHERE date = ${d.dateLiteral(options.forecastDate)})`;
  const daily = `SELECT date, ${ids}, ${d.anyValue('currency')} AS currency, ${FORECAST_METRICS.map((m) => `SUM(${q(m)}) AS ${q(m)}`).join(', ')}
      FROM ${options.tables.metricRows} JOIN ${running} USING (${ids})
      WHERE ${window}
      GROUP BY date, ${ids}`;

  const createModels = FORECAST_METRICS.map((metric) => ({
    sql: `CREATE OR REPLACE MODEL ${modelName(options.dataset, metric)}
OPTIONS (
  model_type = 'ARIMA_PLUS',
  time_series_timestamp_col = 'date',
  time_series_data_col = '${metric}',
  time_series_id_col = [${SERIES_ID.map((c) => `'${c}'`).join(', ')}],
  data_frequency = 'DAILY',
  horizon = ${options.horizonDays},
  auto_arima = TRUE,
  decompose_time_series = TRUE
) AS
SELECT date, ${ids}, ${q(metric)}
FROM (${daily})
WHERE ${q(metric)} IS NOT NULL
QUALIFY COUNT(*) OVER (PARTITION BY ${ids}) >= ${options.minHistoryDays}`,
    params: [],
  }));

  const settings = `STRUCT(${options.horizonDays} AS horizon, ${options.intervalLevel} AS confidence_level)`;
  const perMetric = FORECAST_METRICS.map(
    (metric) => `${metric}_forecast AS (
    SELECT ${ids}, DATE(forecast_timestamp) AS date, forecast_value AS ${q(metric)},
      prediction_interval_lower_bound AS ${q(`${metric}_lower`)}, prediction_interval_upper_bound AS ${q(`${metric}_upper`)}
    FROM ML.FORECAST(MODEL ${modelName(options.dataset, metric)}, ${settings}))`,
  );
  const keys = FORECAST_METRICS.map((metric) => `SELECT ${ids}, date FROM ${metric}_forecast`).join(' UNION DISTINCT ');
  // No metric can be negative; ARIMA's intervals can reach below zero, so they are cut at zero as on DuckDB.
  const metricColumns = FORECAST_METRICS.flatMap((metric) => [metric, `${metric}_lower`, `${metric}_upper`].map((c) => `GREATEST(${q(c)}, 0) AS ${q(c)}`));
  const forecasts = {
    sql: `CREATE OR REPLACE TEMP TABLE ${FORECAST_TABLE} AS
WITH ${perMetric.join(',\n  ')},
  inputs AS (
    SELECT ${ids}, ANY_VALUE(currency) AS currency,
      TO_HEX(SHA256(TO_JSON_STRING(ARRAY_AGG(STRUCT(date, ${FORECAST_METRICS.map(q).join(', ')}) ORDER BY date)))) AS input_sha256
    FROM (${daily}) GROUP BY ${ids})
SELECT ${ids}, date, ${metricColumns.join(', ')}, inputs.currency, inputs.input_sha256
FROM (${keys})
${FORECAST_METRICS.map((metric) => `LEFT JOIN ${metric}_forecast USING (${ids}, date)`).join('\n')}
LEFT JOIN inputs USING (${ids})`,
    params: [],
  };

  const lineage = options.withLineage
    ? `LEFT JOIN (
    SELECT client_id, platform, TO_JSON(ARRAY_AGG(DISTINCT run_id ORDER BY run_id)) AS lineage_run_ids
    FROM (SELECT client_id, platform, run_id FROM ${options.tables.lineage}
          WHERE client_id = ? AND date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
          QUALIFY ROW_NUMBER() OVER (PARTITION BY client_id, platform, date ORDER BY loaded_at DESC) = 1)
    GROUP BY client_id, platform) lineage USING (client_id, platform)`
    : '';
  const columns: Record<string, string> = {
    forecast_date: 'CAST(? AS DATE)',
    horizon: 'DATE_DIFF(f.date, CAST(? AS DATE), DAY)',
    interval_level: 'CAST(? AS FLOAT64)',
    model: '?',
    model_version: '?',
    training_from: 'CAST(? AS DATE)',
    training_to: 'CAST(? AS DATE)',
    lineage_run_ids: options.withLineage ? 'lineage.lineage_run_ids' : 'CAST(NULL AS JSON)',
    run_id: '?',
    created_at: 'CAST(? AS TIMESTAMP)',
  };
  const select = PREDICTIONS_SPEC.columns.map(({ name }) => (name in columns ? `${columns[name]} AS ${q(name)}` : `f.${q(name)}`));
  return {
    createModels,
    forecasts,
    clients: { sql: `SELECT DISTINCT client_id FROM ${FORECAST_TABLE} ORDER BY client_id`, params: [] },
    clientRows(clientId, run) {
      const sql = `SELECT ${select.join(', ')}
FROM ${FORECAST_TABLE} f
${lineage}
WHERE f.client_id = ?`;
      const params: SqlValue[] = [
        options.forecastDate,
        options.forecastDate,
        options.intervalLevel,
        ARIMA_PLUS.name,
        ARIMA_PLUS.version,
        options.trainingFrom,
        options.forecastDate,
        run.runId,
        run.createdAt,
        ...(options.withLineage ? [clientId, options.trainingFrom, options.forecastDate] : []),
        clientId,
      ];
      return { select: sql, params };
    },
  };
}

/** Runs the plan through the warehouse port: models, the forecast table, then each client's partition. */
export async function runArimaPlus(
  warehouse: Warehouse,
  options: Omit<ArimaPlusOptions, 'withLineage'> & { clients?: readonly string[]; runId: string; createdAt: string },
): Promise<Array<{ clientId: string; rows: number }>> {
  const withLineage = (await warehouse.describe(options.tables.lineage)).length > 0;
  const plan = arimaPlusPlan({ ...options, withLineage });
  for (const statement of plan.createModels) await warehouse.run(statement.sql, statement.params);
  await warehouse.dropTemp(FORECAST_TABLE);
  await warehouse.run(plan.forecasts.sql, plan.forecasts.params);
  await ensurePredictionsTable(warehouse, options.tables.predictions);
  const covered = (await warehouse.query(plan.clients.sql, plan.clients.params)).map((row) => String(row.client_id));
  const results: Array<{ clientId: string; rows: number }> = [];
  for (const clientId of covered.filter((id) => !options.clients || options.clients.includes(id))) {
    const rows = plan.clientRows(clientId, options);
    await warehouse.replacePartition(options.tables.predictions, { forecast_date: options.forecastDate, client_id: clientId, model: ARIMA_PLUS.name }, rows);
    const [counted] = await warehouse.query(`SELECT count(*) AS n FROM ${FORECAST_TABLE} WHERE client_id = ?`, [clientId]);
    results.push({ clientId, rows: Number(counted?.n ?? 0) });
  }
  return results;
}
