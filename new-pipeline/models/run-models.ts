import type { BoscoConfig } from '../../core/config.js';
import { addDays } from '../../core/dates.js';
import { getLogger } from '../../core/logger.js';
import { inSpan } from '../../core/telemetry.js';
import type { Row, Warehouse } from '../../core/warehouse/index.js';
import { backtestRange, backtestSeries, type BacktestReport } from './backtest.js';
import { ARIMA_PLUS, arimaPlusPlan, runArimaPlus } from './bigquery-ml.js';
import { forecastCampaigns, horizonDates } from './forecast.js';
import { ensurePredictionsTable, predictionRows, writePredictions } from './predictions.js';
import { SEASONAL_TREND } from './seasonal-trend.js';
import { modelTables, readLineageRuns, readSeries, type CampaignSeries, type ModelTables } from './series.js';
import type { ModelId } from './types.js';

export interface ModelsRunOptions {
  /** The last day with data: the day forecast from. */
  date: string;
  config: BoscoConfig;
  /** Only these clients; default every configured client and every client with rows in the window. */
  clients?: readonly string[];
  /** Left out of that default: clients another run forecasts from their own tables (those in shadow). */
  skipClients?: readonly string[];
  /** Default: the serving tables. */
  tables?: ModelTables;
  /** Compute, but write nothing (on BigQuery: build the statements, run nothing). */
  dryRun?: boolean;
  runId: string;
  now?: Date;
}

export interface ClientRunResult {
  client_id: string;
  status: 'forecast' | 'not_enough_history';
  /** Campaigns forecast. */
  campaigns: number;
  /** Campaigns left out (stopped, or too little history). */
  skipped: number;
  /** Predictions rows written (or, on a dry run, that would be). */
  rows: number;
  /** Why nothing was forecast. */
  reason?: string;
}

export interface ModelsRunReport {
  run_id: string;
  forecast_date: string;
  model: ModelId;
  training: { from: string; to: string };
  forecast_days: { from: string; to: string };
  predictions_table: string;
  dry_run: boolean;
  clients: ClientRunResult[];
  /** BigQuery dry run: the statements a run would send. */
  statements?: string[];
}

const groupByClient = (series: readonly CampaignSeries[]) => {
  const byClient = new Map<string, CampaignSeries[]>();
  for (const s of series) byClient.set(s.client_id, [...(byClient.get(s.client_id) ?? []), s]);
  return byClient;
};

/**
 * Forecasts every client's running campaigns from `date` and replaces their partitions of the predictions table in
 * one transaction. On DuckDB the series are summed in SQL and modelled in TypeScript; on BigQuery, BigQuery ML does
 * both where the data is.
 */
export async function runModels(warehouse: Warehouse, options: ModelsRunOptions): Promise<ModelsRunReport> {
  const settings = options.config.models;
  const tables = options.tables ?? modelTables();
  const trainingFrom = addDays(options.date, 1 - settings.trainingDays);
  const days = horizonDates(options.date, settings.horizonDays);
  const createdAt = (options.now ?? new Date()).toISOString();
  const log = getLogger().child({ run_id: options.runId, date: options.date });
  const base = {
    run_id: options.runId,
    forecast_date: options.date,
    training: { from: trainingFrom, to: options.date },
    forecast_days: { from: days[0]!, to: days.at(-1)! },
    predictions_table: tables.predictions,
    dry_run: Boolean(options.dryRun),
  };
  return inSpan('bosco.models.run', { 'bosco.run_id': options.runId, 'bosco.date': options.date }, async () => {
    if (warehouse.dialect.name === 'bigquery') {
      const arima = { tables, forecastDate: options.date, trainingFrom, horizonDays: settings.horizonDays, intervalLevel: settings.intervalLevel, minHistoryDays: settings.minHistoryDays };
      if (options.dryRun) {
        const plan = arimaPlusPlan({ ...arima, withLineage: true });
        return { ...base, model: ARIMA_PLUS, clients: [], statements: [...plan.createModels.map((s) => s.sql), plan.forecasts.sql] };
      }
      const dataset = options.config.warehouse.kind === 'bigquery' ? options.config.warehouse.dataset : undefined;
      const written = await runArimaPlus(warehouse, { ...arima, dataset, clients: options.clients, runId: options.runId, createdAt });
      const clients = written.map(({ clientId, rows }): ClientRunResult => ({ client_id: clientId, status: 'forecast', campaigns: rows / settings.horizonDays, skipped: 0, rows }));
      log.info({ clients: clients.length }, 'models run finished (BigQuery ML)');
      return { ...base, model: ARIMA_PLUS, clients };
    }

    const range = { from: trainingFrom, to: options.date, clients: options.clients };
    const byClient = groupByClient(await readSeries(warehouse, tables.metricRows, range));
    const lineage = await readLineageRuns(warehouse, tables.lineage, range);
    const clientIds = [...new Set([...(options.clients ?? options.config.clients.map((c) => c.id)), ...(options.clients ? [] : byClient.keys())])]
      .filter((id) => options.clients || !options.skipClients?.includes(id))
      .sort();
    const run = { forecastDate: options.date, model: SEASONAL_TREND, intervalLevel: settings.intervalLevel, runId: options.runId, createdAt, lineage };
    const results: ClientRunResult[] = [];
    const partitions: Array<{ clientId: string; rows: Row[] }> = [];
    for (const clientId of clientIds) {
      const series = byClient.get(clientId) ?? [];
      const { forecasts, skipped } = forecastCampaigns(series, options.date, settings);
      const rows = predictionRows(forecasts, run);
      const reason = series.length === 0 ? `no rows from ${trainingFrom} to ${options.date}` : forecasts.length === 0 ? skipped[0]?.reason : undefined;
      results.push({ client_id: clientId, status: forecasts.length > 0 ? 'forecast' : 'not_enough_history', campaigns: forecasts.length, skipped: skipped.length, rows: rows.length, ...(reason ? { reason } : {}) });
      // A client with nothing to forecast keeps no stale forecasts either: its partition is replaced by none.
      partitions.push({ clientId, rows });
    }
    if (!options.dryRun && partitions.length > 0) {
      await ensurePredictionsTable(warehouse, tables.predictions);
      await warehouse.transaction(async () => {
        for (const { clientId, rows } of partitions) await writePredictions(warehouse, tables.predictions, { forecastDate: options.date, clientId, model: SEASONAL_TREND.name }, rows);
      });
    }
    log.info({ clients: results.length, rows: results.reduce((sum, r) => sum + r.rows, 0), dry_run: base.dry_run }, 'models run finished');
    return { ...base, model: SEASONAL_TREND, clients: results };
  });
}

/** Backtests the model against the seasonal naive baseline on the warehouse's rows, from every origin in the range. */
export async function runBacktest(warehouse: Warehouse, options: { from: string; to: string; config: BoscoConfig; clients?: readonly string[]; tables?: ModelTables }): Promise<BacktestReport> {
  const tables = options.tables ?? modelTables();
  const settings = options.config.models;
  return inSpan('bosco.models.backtest', { 'bosco.from': options.from, 'bosco.to': options.to }, async () => {
    const series = await readSeries(warehouse, tables.metricRows, { ...backtestRange(options, settings), clients: options.clients });
    return backtestSeries(series, options, settings);
  });
}
