import { createHash } from 'node:crypto';
import type { SqlDialect, SqlValue, Warehouse } from '../../core/warehouse/index.js';
import { pipelineTables } from '../load/pipeline-tables.js';
import { FORECAST_METRICS, type ForecastMetric, type Observation, type SeriesKey } from './types.js';

/** The tables the models read and write: the serving tables, or those of a namespace such as `shadow`. */
export interface ModelTables {
  /** Canonical rows the series are read from. */
  metricRows: string;
  /** Partition manifests: the lineage of the inputs. */
  lineage: string;
  /** Where forecasts land. */
  predictions: string;
}

export function modelTables(namespace?: string): ModelTables {
  const tables = pipelineTables(namespace);
  return { metricRows: tables.metricRows, lineage: tables.lineage, predictions: namespace ? `${namespace}.predictions` : 'predictions' };
}

/** A campaign's daily values; NULL where the platform does not report the metric (Shopify has no spend). */
export type DayValues = Record<ForecastMetric, number | null>;

export interface CampaignSeries extends SeriesKey {
  /** The rows' currency (the client's, after the pipeline's conversion). */
  currency: string | null;
  /** By day, YYYY-MM-DD; a day without a row is absent. */
  days: Map<string, DayValues>;
}

export interface SeriesRange {
  from: string;
  to: string;
  /** Only these clients; default every client with rows. */
  clients?: readonly string[];
}

function rangeFilter(clients: readonly string[] | undefined): { where: string; params: (range: SeriesRange) => SqlValue[] } {
  const byClient = clients && clients.length > 0 ? ` AND client_id IN (${clients.map(() => '?').join(', ')})` : '';
  return { where: `date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)${byClient}`, params: (range) => [range.from, range.to, ...(byClient ? clients! : [])] };
}

/** The daily series of every campaign in the range: the warehouse sums, TypeScript models. */
function seriesSql(d: SqlDialect, table: string, clients?: readonly string[]): string {
  const sums = FORECAST_METRICS.map((metric) => `sum(${d.quoteIdent(metric)}) AS ${d.quoteIdent(metric)}`).join(', ');
  return `SELECT client_id, platform, account_id, campaign_id, date, ${d.anyValue('currency')} AS currency, ${sums}
    FROM ${table} WHERE ${rangeFilter(clients).where}
    GROUP BY client_id, platform, account_id, campaign_id, date
    ORDER BY client_id, platform, account_id, campaign_id, date`;
}

/** The campaign a series (or anything keyed like one) belongs to. */
export const keyOf = (key: SeriesKey): SeriesKey => ({ client_id: key.client_id, platform: key.platform, account_id: key.account_id, campaign_id: key.campaign_id });

const seriesId = (key: SeriesKey) => [key.client_id, key.platform, key.account_id, key.campaign_id].join('\u0000');
const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));

/** Reads every campaign's series in the range; none when the table does not exist yet. */
export async function readSeries(warehouse: Warehouse, table: string, range: SeriesRange): Promise<CampaignSeries[]> {
  if ((await warehouse.describe(table)).length === 0) return [];
  const rows = await warehouse.query(seriesSql(warehouse.dialect, table, range.clients), rangeFilter(range.clients).params(range));
  const series = new Map<string, CampaignSeries>();
  for (const row of rows) {
    const key: SeriesKey = { client_id: String(row.client_id), platform: String(row.platform), account_id: String(row.account_id), campaign_id: String(row.campaign_id) };
    const id = seriesId(key);
    let entry = series.get(id);
    if (!entry) {
      entry = { ...key, currency: row.currency === null ? null : String(row.currency), days: new Map() };
      series.set(id, entry);
    }
    entry.days.set(String(row.date), { spend: numberOrNull(row.spend), conversions: numberOrNull(row.conversions), revenue: numberOrNull(row.revenue) });
  }
  return [...series.values()];
}

/** One metric of a series as observations, oldest first; days where it is NULL are left out. */
export function observationsOf(series: Pick<CampaignSeries, 'days'>, metric: ForecastMetric): Observation[] {
  return [...series.days]
    .flatMap(([date, values]) => (values[metric] === null ? [] : [{ date, value: values[metric] }]))
    .sort((a, b) => (a.date < b.date ? -1 : 1));
}

/** A client's daily total of a metric over all its campaigns; a day where no campaign reports it is left out. */
export function clientTotal(series: readonly CampaignSeries[], metric: ForecastMetric): Observation[] {
  const totals = new Map<string, number>();
  for (const campaign of series) {
    for (const [date, values] of campaign.days) {
      const value = values[metric];
      if (value !== null) totals.set(date, (totals.get(date) ?? 0) + value);
    }
  }
  return [...totals].map(([date, value]) => ({ date, value })).sort((a, b) => (a.date < b.date ? -1 : 1));
}

/** A fingerprint of exactly the inputs a forecast was fitted on: the series' days in its training window. */
export function inputSha256(series: Pick<CampaignSeries, 'days'>, from: string, to: string): string {
  const days = [...series.days]
    .filter(([date]) => date >= from && date <= to)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([date, values]) => [date, ...FORECAST_METRICS.map((metric) => values[metric])]);
  return createHash('sha256').update(JSON.stringify(days)).digest('hex');
}

/**
 * Per client and platform, the runs whose loads the warehouse holds for the days of the range (the latest load of
 * each day): the lineage of a forecast's inputs. Empty when no lineage was recorded (rows written another way).
 */
export async function readLineageRuns(warehouse: Warehouse, table: string, range: SeriesRange): Promise<Map<string, string[]>> {
  if ((await warehouse.describe(table)).length === 0) return new Map();
  const filter = rangeFilter(range.clients);
  const rows = await warehouse.query(
    `SELECT client_id, platform, run_id FROM (
       SELECT client_id, platform, run_id, row_number() OVER (PARTITION BY client_id, platform, date ORDER BY loaded_at DESC) AS bosco_rank
       FROM ${table} WHERE ${filter.where}) latest
     WHERE bosco_rank = 1 GROUP BY client_id, platform, run_id ORDER BY client_id, platform, run_id`,
    filter.params(range),
  );
  const runs = new Map<string, string[]>();
  for (const row of rows) {
    const key = lineageKey(String(row.client_id), String(row.platform));
    runs.set(key, [...(runs.get(key) ?? []), String(row.run_id)]);
  }
  return runs;
}

export const lineageKey = (clientId: string, platform: string) => `${clientId}\u0000${platform}`;
