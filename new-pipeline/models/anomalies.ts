import { addDays } from '../../core/dates.js';
import type { ModelSettings } from '../../core/config.js';
import { fitSeasonalTrend, forecastDays } from './seasonal-trend.js';
import { keyOf, observationsOf, type CampaignSeries } from './series.js';
import { FORECAST_METRICS, type ForecastMetric, type ForecastPoint, type SeriesKey } from './types.js';

/** A day whose value fell outside the interval the model gave it the day before. */
export interface Anomaly extends SeriesKey {
  metric: ForecastMetric;
  date: string;
  actual: number;
  /** The model's forecast for the day, from the days before it. */
  expected: number;
  lower: number;
  upper: number;
  direction: 'above' | 'below';
  /** How far outside the interval: actual − upper, or lower − actual. */
  outside_by: number;
  /** (actual − expected) / expected, in percent; null when nothing was expected. */
  deviation_pct: number | null;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The anomaly `actual` is against its forecast, if it is outside the interval. Pure. */
export function anomalyOf(key: SeriesKey, metric: ForecastMetric, actual: number, forecast: ForecastPoint): Anomaly | undefined {
  if (actual >= forecast.lower && actual <= forecast.upper) return undefined;
  const above = actual > forecast.upper;
  return {
    ...key,
    metric,
    date: forecast.date,
    actual,
    expected: round(forecast.point),
    lower: round(forecast.lower),
    upper: round(forecast.upper),
    direction: above ? 'above' : 'below',
    outside_by: round(above ? actual - forecast.upper : forecast.lower - actual),
    deviation_pct: forecast.point > 0 ? round((100 * (actual - forecast.point)) / forecast.point, 1) : null,
  };
}

/**
 * Each campaign's metrics on `date` against the model fitted on the days before it, at the anomaly level (wider
 * than a forecast's, so that among hundreds of campaign metrics a day of ordinary noise is rarely flagged).
 * Largest deviations first.
 */
export function detectAnomalies(series: readonly CampaignSeries[], date: string, settings: Pick<ModelSettings, 'trainingDays' | 'minHistoryDays' | 'anomalyLevel'>): Anomaly[] {
  const options = { origin: addDays(date, -1), trainingDays: settings.trainingDays, minHistoryDays: settings.minHistoryDays };
  const anomalies: Anomaly[] = [];
  for (const campaign of series) {
    const today = campaign.days.get(date);
    if (!today) continue;
    const key = keyOf(campaign);
    for (const metric of FORECAST_METRICS) {
      const actual = today[metric];
      if (actual === null) continue;
      const fit = fitSeasonalTrend(observationsOf(campaign, metric), options);
      if (fit.status !== 'ok') continue;
      const anomaly = anomalyOf(key, metric, actual, forecastDays(fit, [date], settings.anomalyLevel)[0]!);
      if (anomaly) anomalies.push(anomaly);
    }
  }
  const size = (a: Anomaly) => Math.abs(a.actual - a.expected) / Math.max(Math.abs(a.expected), 1);
  return anomalies.sort((a, b) => size(b) - size(a));
}
