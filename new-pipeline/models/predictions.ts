import { BoscoError } from '../../core/errors.js';
import type { Row, SqlValue, TableColumn, TableSpec, Warehouse } from '../../core/warehouse/index.js';
import { compareRelations } from '../../reconcile/engine.js';
import { newRunId } from '../../reconcile/reconcile.js';
import { runStatus } from '../../reconcile/rollup.js';
import type { ComparisonSpec, ReconcileReport, ToleranceTable } from '../../reconcile/types.js';
import { daysBetween } from './calendar.js';
import type { CampaignForecast } from './forecast.js';
import { lineageKey } from './series.js';
import { FORECAST_METRICS, type ModelId } from './types.js';

const column = (name: string, type: TableColumn['type'], required = false): TableColumn => ({ name, type, required });

/**
 * One row per forecast day of a campaign: the point and interval of each metric, and where it came from (model,
 * version, training window, the fingerprint of its inputs and the pipeline runs that loaded them). A run's
 * forecasts are one partition per day forecast from, client and model, so a rerun replaces exactly its own.
 */
export const PREDICTIONS_SPEC: TableSpec = {
  columns: [
    column('forecast_date', 'date', true),
    column('client_id', 'text', true),
    column('platform', 'text', true),
    column('account_id', 'text', true),
    column('campaign_id', 'text', true),
    column('date', 'date', true),
    column('horizon', 'integer', true),
    column('currency', 'text'),
    ...FORECAST_METRICS.flatMap((metric) => [column(metric, 'double'), column(`${metric}_lower`, 'double'), column(`${metric}_upper`, 'double')]),
    column('interval_level', 'double', true),
    column('model', 'text', true),
    column('model_version', 'text', true),
    column('training_from', 'date', true),
    column('training_to', 'date', true),
    column('input_sha256', 'text'),
    column('lineage_run_ids', 'json'),
    column('run_id', 'text', true),
    column('created_at', 'timestamp', true),
  ],
  partitionBy: 'forecast_date',
  clusterBy: ['client_id', 'platform'],
};

/** How a predictions table is compared: the canonical key (`date` is the day forecast), each metric's point, matched within the other side's interval. */
export const PREDICTION_COMPARISON: ComparisonSpec = {
  keys: ['client_id', 'date', 'platform', 'account_id', 'campaign_id'],
  clientKey: 'client_id',
  metrics: FORECAST_METRICS,
  intervals: Object.fromEntries(FORECAST_METRICS.map((metric) => [metric, { lower: `${metric}_lower`, upper: `${metric}_upper` }])),
};

export interface PredictionRun {
  /** The day forecast from: the training window's last day. */
  forecastDate: string;
  model: ModelId;
  intervalLevel: number;
  runId: string;
  createdAt: string;
  /** Per client and platform (`lineageKey`), the pipeline runs behind the inputs. */
  lineage: ReadonlyMap<string, readonly string[]>;
}

/** The predictions rows of one client's forecasts. */
export function predictionRows(forecasts: readonly CampaignForecast[], run: PredictionRun): Row[] {
  return forecasts.flatMap((forecast) => {
    const days = Object.values(forecast.daily)[0] ?? [];
    return days.map((day, i) => {
      const row: Row = {
        forecast_date: run.forecastDate,
        client_id: forecast.client_id,
        platform: forecast.platform,
        account_id: forecast.account_id,
        campaign_id: forecast.campaign_id,
        date: day.date,
        horizon: daysBetween(run.forecastDate, day.date),
        currency: forecast.currency,
        interval_level: run.intervalLevel,
        model: run.model.name,
        model_version: run.model.version,
        training_from: forecast.trainingFrom,
        training_to: run.forecastDate,
        input_sha256: forecast.inputSha256,
        lineage_run_ids: JSON.stringify(run.lineage.get(lineageKey(forecast.client_id, forecast.platform)) ?? []),
        run_id: run.runId,
        created_at: run.createdAt,
      };
      for (const metric of FORECAST_METRICS) {
        const point = forecast.daily[metric]?.[i];
        row[metric] = point?.point ?? null;
        row[`${metric}_lower`] = point?.lower ?? null;
        row[`${metric}_upper`] = point?.upper ?? null;
      }
      return row;
    });
  });
}

/** Creates the predictions table unless it exists; call it before a transaction that writes to it. */
export async function ensurePredictionsTable(warehouse: Warehouse, table: string): Promise<void> {
  await warehouse.createTable(table, PREDICTIONS_SPEC);
}

/** Replaces one client's forecasts of one day and model. */
export async function writePredictions(warehouse: Warehouse, table: string, key: { forecastDate: string; clientId: string; model: string }, rows: readonly Row[]): Promise<void> {
  await warehouse.replacePartition(table, { forecast_date: key.forecastDate, client_id: key.clientId, model: key.model }, rows);
}

export interface PredictionsReconcileRequest {
  /** Warehouse tables (or views) holding each side's predictions, e.g. `legacy_export.predictions` and `predictions`. */
  legacy: string;
  next: string;
  /** The day both sides forecast from. */
  forecastDate: string;
  clientId?: string;
  /** Only the new side's rows of this model (a table may hold several); default all. */
  model?: string;
  tolerances: ToleranceTable;
  differencesLimit?: number;
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** A side as the comparison reads it: the key, and each metric's point and interval (NULL bounds where the side has none). */
async function stageSide(warehouse: Warehouse, role: 'legacy' | 'new', table: string, request: PredictionsReconcileRequest): Promise<string> {
  if (!TABLE_NAME.test(table)) {
    throw new BoscoError('USAGE', `'${table}' is not a table name`, { hint: 'name the predictions table as schema.table (letters, digits, underscores)' });
  }
  const present = new Set((await warehouse.describe(table)).map((c) => c.name));
  const needed = ['forecast_date', ...PREDICTION_COMPARISON.keys, ...FORECAST_METRICS];
  const missing = needed.find((name) => !present.has(name));
  if (missing) {
    throw new BoscoError(present.size === 0 ? 'SOURCE_NOT_FOUND' : 'SOURCE_MISSING_COLUMN', present.size === 0 ? `predictions table ${table} does not exist` : `predictions table ${table} has no column '${missing}'`, {
      hint: `a predictions table needs ${needed.join(', ')}, and may have <metric>_lower and <metric>_upper; create a view over it with those names`,
    });
  }
  const d = warehouse.dialect;
  const bounds = Object.values(PREDICTION_COMPARISON.intervals!).flatMap((interval) => [interval.lower, interval.upper]);
  const columns = [...PREDICTION_COMPARISON.keys, ...FORECAST_METRICS].map((name) => d.quoteIdent(name)).concat(bounds.map((name) => (present.has(name) ? d.quoteIdent(name) : `${d.tryDouble('NULL')} AS ${d.quoteIdent(name)}`)));
  const filters = ['forecast_date = CAST(? AS DATE)'];
  const params: SqlValue[] = [request.forecastDate];
  if (request.clientId !== undefined) {
    filters.push('client_id = ?');
    params.push(request.clientId);
  }
  if (role === 'new' && request.model !== undefined) {
    filters.push('model = ?');
    params.push(request.model);
  }
  const relation = `bosco_predictions_${role}`;
  await warehouse.dropTemp(relation);
  await warehouse.run(d.createTempTable(relation, `SELECT ${columns.join(', ')} FROM ${table} WHERE ${filters.join(' AND ')}`), params);
  return relation;
}

/**
 * Reconciles two predictions tables for one forecast day with the reconcile engine and its JSON contract: pairs on
 * the canonical key, and a metric matches when either side's point lies inside the other side's interval or within
 * the tolerance. Not written to the reconcile history: promotion gates read that, and a forecast is not a day's numbers.
 */
export async function reconcilePredictions(warehouse: Warehouse, request: PredictionsReconcileRequest): Promise<ReconcileReport> {
  const legacy = await stageSide(warehouse, 'legacy', request.legacy, request);
  const next = await stageSide(warehouse, 'new', request.next, request);
  try {
    const comparison = await compareRelations(warehouse, { legacy, next, spec: PREDICTION_COMPARISON, tolerances: request.tolerances, differencesLimit: request.differencesLimit });
    return {
      run_id: newRunId(),
      date: request.forecastDate,
      status: runStatus(comparison.clients),
      clients: comparison.clients,
      ...(comparison.differences ? { differences: comparison.differences } : {}),
    };
  } finally {
    await warehouse.dropTemp(legacy);
    await warehouse.dropTemp(next);
  }
}
