import type { BoscoConfig, ModelSettings } from '../../core/config.js';
import { addDays } from '../../core/dates.js';
import type { Platform } from '../../core/metric-row.js';
import type { Warehouse } from '../../core/warehouse/index.js';
import { detectAnomalies, type Anomaly } from './anomalies.js';
import { monthStart } from './calendar.js';
import { forecastCampaigns, type CampaignForecast, type SkippedCampaign } from './forecast.js';
import { budgetPacing, type Pacing } from './pacing.js';
import { BUDGETED_PLATFORMS, marginalReturn, recommendMoves, type MarginalReturn, type Recommendation } from './recommendations.js';
import { SEASONAL_TREND, fitSeasonalTrend } from './seasonal-trend.js';
import { clientTotal, keyOf, modelTables, readSeries, type CampaignSeries, type ModelTables } from './series.js';
import { FORECAST_METRICS, type Estimate, type ForecastMetric, type SeriesKey } from './types.js';

/** A campaign's forecast as insights show it: each day, and the total over the days, per metric (rounded to cents). */
export interface InsightForecast extends SeriesKey {
  daily: Array<{ date: string } & Partial<Record<ForecastMetric, Estimate>>>;
  total: CampaignForecast['total'];
}

/** What `GET /v1/clients/:id/insights` and `bosco insights` answer for one client and day. */
export interface Insights {
  client_id: string;
  /** The last day with data: forecasts cover the days after it, anomalies are this day's. */
  date: string;
  currency: string | null;
  /** `not_enough_history` when no campaign could be forecast; `reason` says why. */
  status: 'ok' | 'not_enough_history';
  reason?: string;
  model: { name: string; version: string; training_from: string; training_to: string; horizon_days: number; interval_level: number; anomaly_level: number };
  forecasts: InsightForecast[];
  /** Campaigns not forecast, with why (stopped, too little history). */
  skipped: SkippedCampaign[];
  pacing: Pacing;
  anomalies: Anomaly[];
  recommendations: Recommendation[];
}

export interface InsightsInput {
  clientId: string;
  date: string;
  currency: string | null;
  monthlyBudget: number | undefined;
  settings: ModelSettings;
}

const cents = (value: number) => Math.round(value * 100) / 100;
const roundEstimate = (e: Estimate): Estimate => ({ point: cents(e.point), lower: cents(e.lower), upper: cents(e.upper) });

function forInsights(forecast: CampaignForecast): InsightForecast {
  const dates = (Object.values(forecast.daily)[0] ?? []).map((f) => f.date);
  const daily = dates.map((date, i) => {
    const day: InsightForecast['daily'][number] = { date };
    for (const metric of FORECAST_METRICS) {
      const point = forecast.daily[metric]?.[i];
      if (point) day[metric] = roundEstimate(point);
    }
    return day;
  });
  const total = Object.fromEntries(Object.entries(forecast.total).map(([metric, estimate]) => [metric, roundEstimate(estimate)]));
  return { ...keyOf(forecast), daily, total };
}

/** The days insights read: the anomaly model's window (ending the day before), and the month so far for pacing. */
export function insightsRange(date: string, settings: Pick<ModelSettings, 'trainingDays'>): { from: string; to: string } {
  const from = addDays(date, -settings.trainingDays);
  return { from: monthStart(date) < from ? monthStart(date) : from, to: date };
}

/** Forecasts, pacing, anomalies and recommendations from a client's series. Pure. */
export function buildInsights(series: readonly CampaignSeries[], input: InsightsInput): Insights {
  const { date, settings } = input;
  const { forecasts, skipped } = forecastCampaigns(series, date, settings);
  const options = { origin: date, trainingDays: settings.trainingDays, minHistoryDays: settings.minHistoryDays };
  // GA4's cost is the ad platforms' imported again: counting it would double the spend paced against the budget.
  const spend = clientTotal(series.filter((s) => BUDGETED_PLATFORMS.includes(s.platform as Platform)), 'spend');
  const pacing = budgetPacing({ date, budget: input.monthlyBudget, spend, fit: fitSeasonalTrend(spend, options), band: settings.pacingBand, level: settings.intervalLevel });
  const byKey = new Map(series.map((s) => [`${s.platform}\u0000${s.account_id}\u0000${s.campaign_id}`, s]));
  const returns = forecasts.flatMap((forecast): MarginalReturn[] => {
    const campaign = byKey.get(`${forecast.platform}\u0000${forecast.account_id}\u0000${forecast.campaign_id}`);
    const forecastSpend = forecast.total.spend?.point;
    const found = campaign && forecastSpend !== undefined ? marginalReturn(campaign, date, forecastSpend, { ...settings, minDailySpend: settings.recommendations.minDailySpend }) : undefined;
    return found ? [found] : [];
  });
  const reason =
    forecasts.length > 0
      ? undefined
      : series.length === 0
        ? `no rows for client ${input.clientId} from ${addDays(date, 1 - settings.trainingDays)} to ${date}`
        : `no campaign of client ${input.clientId} could be forecast: ${skipped[0]?.reason ?? 'none is running'}`;
  return {
    client_id: input.clientId,
    date,
    currency: input.currency,
    status: forecasts.length > 0 ? 'ok' : 'not_enough_history',
    ...(reason ? { reason } : {}),
    model: { ...SEASONAL_TREND, training_from: addDays(date, 1 - settings.trainingDays), training_to: date, horizon_days: settings.horizonDays, interval_level: settings.intervalLevel, anomaly_level: settings.anomalyLevel },
    forecasts: forecasts.map(forInsights),
    skipped,
    pacing,
    anomalies: detectAnomalies(series, date, settings),
    recommendations: recommendMoves(returns, settings.recommendations, input.currency),
  };
}

/**
 * A client's insights for `date` (the last day with data), read from the warehouse and modelled in TypeScript.
 * Never throws for a client without data: it answers `not_enough_history`. The serving API calls this for
 * `GET /v1/clients/:id/insights`; tenant checks are the caller's.
 */
export async function clientInsights(warehouse: Warehouse, clientId: string, date: string, config: BoscoConfig, options: { tables?: ModelTables } = {}): Promise<Insights> {
  const tables = options.tables ?? modelTables();
  const series = await readSeries(warehouse, tables.metricRows, { ...insightsRange(date, config.models), clients: [clientId] });
  const client = config.clients.find((c) => c.id === clientId);
  return buildInsights(series, {
    clientId,
    date,
    currency: client?.currency ?? series[0]?.currency ?? null,
    monthlyBudget: client?.budgets?.monthly,
    settings: config.models,
  });
}
