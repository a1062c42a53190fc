import Table from 'cli-table3';
import { loadConfig, type LoadedConfig } from '../../core/config.js';
import { resolveReportDate } from '../../core/dates.js';
import { BoscoError } from '../../core/errors.js';
import type { Warehouse } from '../../core/warehouse/index.js';
import { openWarehouseWaiting } from '../../core/warehouse/access.js';
import { checkNamespace } from '../../new-pipeline/load/pipeline-tables.js';
import type { BacktestReport } from '../../new-pipeline/models/backtest.js';
import { clientInsights, type Insights } from '../../new-pipeline/models/insights.js';
import { reconcilePredictions } from '../../new-pipeline/models/predictions.js';
import { runBacktest, runModels, type ModelsRunReport } from '../../new-pipeline/models/run-models.js';
import { modelTables, type ModelTables } from '../../new-pipeline/models/series.js';
import { FORECAST_METRICS } from '../../new-pipeline/models/types.js';
import { openStageStore, type StageRecord } from '../../flags/index.js';
import { stageOf } from '../../flags/cutover.js';
import { SHADOW_NAMESPACE } from '../../shadow/shadow-tables.js';
import { newRunId } from '../../reconcile/reconcile.js';
import { buildToleranceTable } from '../../reconcile/tolerance.js';

type Format = 'table' | 'json';

interface Common {
  config?: string;
  /**
   * Read `<namespace>.metric_rows` and write `<namespace>.predictions` (e.g. `shadow`). Without it, each client's
   * stage decides: the shadow namespace while it is in shadow, the serving tables otherwise.
   */
  namespace?: string;
  format?: Format;
  write?: (text: string) => void;
  isTTY?: boolean;
}

export interface ModelsRunCommandOptions extends Common {
  date: string;
  client?: string[];
  dryRun?: boolean;
}

export interface ModelsBacktestCommandOptions extends Common {
  from: string;
  to: string;
  client?: string[];
}

export interface ModelsReconcileCommandOptions extends Common {
  /** The day both sides forecast from. */
  date: string;
  /** The legacy side's predictions table (or view), e.g. `legacy_export.predictions`. */
  legacy: string;
  /** The new side's; default the namespace's (or the serving) predictions table. */
  new?: string;
  client?: string;
  /** Only the new side's rows of this model. */
  model?: string;
  rows?: boolean;
  limit?: number;
}

export interface InsightsCommandOptions extends Common {
  client: string;
  date?: string;
}

const writer = (options: Common) => options.write ?? ((text: string) => process.stdout.write(text));
const formatOf = (options: Common): Format => options.format ?? ((options.isTTY ?? Boolean(process.stdout.isTTY)) ? 'table' : 'json');

function tablesOf(options: Common): ModelTables {
  return modelTables(checkNamespace(options.namespace));
}

async function stageRecords(loaded: LoadedConfig): Promise<StageRecord[]> {
  const store = await openStageStore(loaded);
  try {
    return await store.list();
  } finally {
    await store.close();
  }
}

/**
 * Where a client's new-side rows are, as its stage says: the shadow namespace while it is in shadow; the serving
 * tables once it is live or complete, and for a legacy client (rows there come only from an operator's own
 * `bosco pipeline run`). `--namespace` overrides it.
 */
function namespaceForStage(records: readonly StageRecord[], clientId: string): string | undefined {
  return stageOf(records, clientId) === 'shadow' ? SHADOW_NAMESPACE : undefined;
}

async function withWarehouse<T>(loaded: LoadedConfig, work: (warehouse: Warehouse) => Promise<T>): Promise<T> {
  const warehouse = await openWarehouseWaiting(loaded);
  try {
    return await work(warehouse);
  } finally {
    await warehouse.close();
  }
}

/** A client the config names, or one with rows: anything else is a typo, not a client without history. */
async function checkClients(warehouse: Warehouse, loaded: LoadedConfig, tables: ModelTables, clients: readonly string[] | undefined): Promise<void> {
  const hasRows = (await warehouse.describe(tables.metricRows)).length > 0;
  for (const clientId of clients ?? []) {
    if (loaded.config.clients.some((c) => c.id === clientId)) continue;
    const [found] = hasRows ? await warehouse.query(`SELECT count(*) AS n FROM (SELECT client_id FROM ${tables.metricRows} WHERE client_id = ? LIMIT 1) one`, [clientId]) : [];
    if (Number(found?.n ?? 0) === 0) {
      throw new BoscoError('UNKNOWN_CLIENT', `client '${clientId}' is not in the config and has no rows in ${tables.metricRows}`, {
        hint: 'check the client id (ids are compared exactly, case included), or add the client to "clients" in the config',
      });
    }
  }
}

const money = (value: number | null | undefined) => (value === null || value === undefined ? '' : value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
const percent = (value: number | null) => (value === null ? '' : `${value.toFixed(2)}%`);
const plainTable = (head: string[]) => new Table({ head, style: { head: [], border: [] } });

function renderRun(report: ModelsRunReport): string {
  const table = plainTable(['client', 'status', 'campaigns', 'skipped', 'rows', 'reason']);
  for (const c of report.clients) table.push([c.client_id, c.status, c.campaigns, c.skipped, c.rows, c.reason ?? '']);
  const rows = report.clients.reduce((sum, c) => sum + c.rows, 0);
  return [
    `Models run ${report.forecast_date} · ${report.model.name} ${report.model.version} · trained on ${report.training.from}..${report.training.to} · forecasts ${report.forecast_days.from}..${report.forecast_days.to}`,
    report.clients.length > 0 ? table.toString() : '(no clients)',
    ...(report.statements ?? []).map((sql) => `${sql};`),
    report.dry_run ? `dry run: ${rows} row(s) would be written to ${report.predictions_table}; nothing was written` : `wrote ${rows} row(s) to ${report.predictions_table} (run ${report.run_id})`,
  ].join('\n') + '\n';
}

/** `bosco models run --date D`: forecasts every client's running campaigns from D into the predictions table. */
export async function modelsRunCommand(options: ModelsRunCommandOptions): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const date = resolveReportDate(options.date, loaded.config.reportingTimeZone);
  const runs = options.namespace !== undefined ? [{ tables: tablesOf(options), clients: options.client, skipClients: undefined }] : await runsByStage(loaded, options.client);
  const reports = await withWarehouse(loaded, async (warehouse) => {
    const done: ModelsRunReport[] = [];
    for (const run of runs) {
      await checkClients(warehouse, loaded, run.tables, run.clients);
      done.push(await runModels(warehouse, { date, config: loaded.config, clients: run.clients, skipClients: run.skipClients, tables: run.tables, dryRun: options.dryRun, runId: newRunId() }));
    }
    return done;
  });
  writer(options)(formatOf(options) === 'json' ? reports.map((r) => JSON.stringify(r) + '\n').join('') : reports.map(renderRun).join('\n'));
  return 0;
}

/**
 * The model runs a `models run` without `--namespace` makes: one over the serving tables (every client with rows
 * there, or the named ones not in shadow) and one over the shadow namespace for the clients in shadow, if any.
 */
async function runsByStage(loaded: LoadedConfig, named: readonly string[] | undefined): Promise<Array<{ tables: ModelTables; clients: string[] | undefined; skipClients: string[] | undefined }>> {
  const records = await stageRecords(loaded);
  const candidates = named ?? loaded.config.clients.map((c) => c.id);
  const inShadow = candidates.filter((id) => stageOf(records, id) === 'shadow');
  const serving = named ? named.filter((id) => !inShadow.includes(id)) : undefined;
  return [
    ...(serving === undefined || serving.length > 0 ? [{ tables: modelTables(undefined), clients: serving, skipClients: inShadow }] : []),
    ...(inShadow.length > 0 ? [{ tables: modelTables(SHADOW_NAMESPACE), clients: inShadow, skipClients: undefined }] : []),
  ];
}

function renderBacktest(report: BacktestReport): string {
  const table = plainTable(['platform', 'metric', 'points', 'MAPE model', 'MAPE naive', 'WAPE model', 'WAPE naive', 'coverage model', 'coverage naive', 'beats naive']);
  for (const r of report.rows) {
    table.push([r.platform, r.metric, r.points, percent(r.model.mape), percent(r.baseline.mape), percent(r.model.wape), percent(r.baseline.wape), `${(r.model.coverage * 100).toFixed(1)}%`, `${(r.baseline.coverage * 100).toFixed(1)}%`, r.beats_baseline ? 'yes' : 'NO']);
  }
  const verdict =
    report.status === 'pass'
      ? `PASS: ${report.model.name} beats the ${report.baseline.name} baseline (same weekday last week) on every platform and metric`
      : report.rows.length === 0
        ? 'FAIL: nothing to score (no campaign had enough history and actuals in the range)'
        : `FAIL: ${report.model.name} does not beat the ${report.baseline.name} baseline on ${report.rows.filter((r) => r.nonzero_points > 0 && !r.beats_baseline).map((r) => `${r.platform} ${r.metric}`).join(', ')}`;
  return [
    `Backtest · forecast origins ${report.from}..${report.to} · ${report.horizon_days}-day forecasts · ${Math.round(report.interval_level * 100)}% intervals · ${report.forecasts} forecasts scored`,
    report.rows.length > 0 ? table.toString() : '(no forecasts)',
    'MAPE over days with a non-zero actual; coverage: share of actuals inside the prediction interval.',
    verdict,
  ].join('\n') + '\n';
}

/**
 * `bosco models backtest --from D1 --to D2`: from every day in the range, forecasts each running campaign from its
 * past alone and scores the days that have actuals against the same-weekday-last-week baseline. Exit 0 when the
 * model beats the baseline on every platform and metric, 1 when not.
 */
export async function modelsBacktestCommand(options: ModelsBacktestCommandOptions): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const zone = loaded.config.reportingTimeZone;
  const from = resolveReportDate(options.from, zone);
  const to = resolveReportDate(options.to, zone);
  if (from > to) throw new BoscoError('USAGE', `--from ${from} is after --to ${to}`, { hint: 'give the earlier day as --from' });
  const tables = tablesOf(options);
  const report = await withWarehouse(loaded, async (warehouse) => {
    await checkClients(warehouse, loaded, tables, options.client);
    return runBacktest(warehouse, { from, to, config: loaded.config, clients: options.client, tables });
  });
  writer(options)(formatOf(options) === 'json' ? JSON.stringify(report) + '\n' : renderBacktest(report));
  return report.status === 'pass' ? 0 : 1;
}

/**
 * `bosco models reconcile --date D --legacy <table>`: the legacy system's predictions against the new ones, with the
 * reconcile engine and its JSON contract; a forecast matches inside the other side's interval or within
 * `models.reconcile.tolerances`. Exit 0 when every client matches, 1 when not. Not written to the reconcile history.
 */
export async function modelsReconcileCommand(options: ModelsReconcileCommandOptions): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const date = resolveReportDate(options.date, loaded.config.reportingTimeZone);
  const next = options.new ?? tablesOf(options).predictions;
  const format = formatOf(options);
  const wantDifferences = options.rows || format !== 'json';
  const report = await withWarehouse(loaded, (warehouse) =>
    reconcilePredictions(warehouse, {
      legacy: options.legacy,
      next,
      forecastDate: date,
      clientId: options.client,
      model: options.model,
      tolerances: buildToleranceTable(FORECAST_METRICS, loaded.config.models.reconcile.tolerances),
      differencesLimit: wantDifferences ? (options.limit ?? loaded.config.reconcile.limit) : undefined,
    }),
  );
  if (format === 'json') {
    const { differences, ...rest } = report;
    writer(options)(JSON.stringify(options.rows ? { ...rest, differences: differences ?? [] } : rest) + '\n');
  } else {
    const { renderTable } = await import('../../reconcile/render/table.js');
    writer(options)(renderTable(report, { legacyLabel: options.legacy, newLabel: next, rows: Boolean(options.rows), color: options.isTTY ?? Boolean(process.stdout.isTTY) }));
  }
  return report.status === 'pass' ? 0 : 1;
}

function renderInsights(insights: Insights): string {
  const ccy = insights.currency ? ` ${insights.currency}` : '';
  const lines = [
    `Insights for ${insights.client_id} on ${insights.date} · ${insights.model.name} ${insights.model.version} · trained on ${insights.model.training_from}..${insights.model.training_to}`,
  ];
  if (insights.status !== 'ok') lines.push(`Not enough history: ${insights.reason}.`);

  lines.push('', `Forecast, next ${insights.model.horizon_days} days (${Math.round(insights.model.interval_level * 100)}% interval)${ccy}`);
  if (insights.forecasts.length > 0) {
    const table = plainTable(['platform', 'campaign', 'spend', 'conversions', 'revenue']);
    const cell = (e: { point: number; lower: number; upper: number } | undefined) => (e ? `${money(e.point)} (${money(e.lower)}–${money(e.upper)})` : '');
    for (const f of insights.forecasts) table.push([f.platform, f.campaign_id, cell(f.total.spend), cell(f.total.conversions), cell(f.total.revenue)]);
    lines.push(table.toString());
  } else lines.push('(none)');
  if (insights.skipped.length > 0) lines.push(`${insights.skipped.length} campaign(s) not forecast (stopped, or too little history).`);

  lines.push('', `Budget pacing ${insights.pacing.month}: ${insights.pacing.status.replaceAll('_', ' ')}`, insights.pacing.explanation);

  lines.push('', `Anomalies on ${insights.date} (outside the ${Math.round(insights.model.anomaly_level * 100)}% interval)`);
  if (insights.anomalies.length > 0) {
    const table = plainTable(['platform', 'campaign', 'metric', 'actual', 'expected', 'interval', 'outside by', 'deviation']);
    for (const a of insights.anomalies) {
      table.push([a.platform, a.campaign_id, a.metric, money(a.actual), money(a.expected), `${money(a.lower)}–${money(a.upper)}`, `${a.direction === 'above' ? '+' : '-'}${money(a.outside_by)}`, a.deviation_pct === null ? '' : `${a.deviation_pct > 0 ? '+' : ''}${a.deviation_pct}%`]);
    }
    lines.push(table.toString());
  } else lines.push('(none)');

  lines.push('', 'Recommendations');
  if (insights.recommendations.length > 0) {
    insights.recommendations.forEach((r, i) => lines.push(`${i + 1}. ${r.reason} Expected revenue change: ${money(r.expected_revenue_change)}${ccy}.`));
  } else lines.push('(none: no two campaigns’ marginal returns differ clearly enough)');
  return lines.join('\n') + '\n';
}

/** `bosco insights --client X [--date D]`: forecasts, budget pacing, anomalies and recommendations for one client. */
export async function insightsCommand(options: InsightsCommandOptions): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const date = resolveReportDate(options.date ?? 'yesterday', loaded.config.reportingTimeZone);
  const tables = options.namespace !== undefined ? tablesOf(options) : modelTables(namespaceForStage(await stageRecords(loaded), options.client));
  const insights = await withWarehouse(loaded, async (warehouse) => {
    await checkClients(warehouse, loaded, tables, [options.client]);
    return clientInsights(warehouse, options.client, date, loaded.config, { tables });
  });
  writer(options)(formatOf(options) === 'json' ? JSON.stringify(insights) + '\n' : renderInsights(insights));
  return 0;
}
