import type { ModelSettings } from '../../core/config.js';
import { addDays } from '../../core/dates.js';
import { daysFrom } from './calendar.js';
import { fitSeasonalTrend, forecastDays, forecastTotal } from './seasonal-trend.js';
import { inputSha256, keyOf, observationsOf, type CampaignSeries } from './series.js';
import { FORECAST_METRICS, type Estimate, type ForecastMetric, type ForecastPoint, type SeriesKey } from './types.js';

/** One campaign's forecast from one origin. */
export interface CampaignForecast extends SeriesKey {
  currency: string | null;
  /** Per metric, each day after the origin; a metric the platform does not report, or with too few days, is absent. */
  daily: Partial<Record<ForecastMetric, ForecastPoint[]>>;
  /** Per metric, the total over those days with its interval. */
  total: Partial<Record<ForecastMetric, Estimate>>;
  /** sha256 of the days the fit used. */
  inputSha256: string;
  /** The first day of the training window that has data: later than the nominal window's start for a young campaign. */
  trainingFrom: string;
}

/** A campaign left out, and why. */
export interface SkippedCampaign extends SeriesKey {
  reason: string;
}

export type ForecastSettings = Pick<ModelSettings, 'trainingDays' | 'horizonDays' | 'minHistoryDays' | 'intervalLevel'>;

/** The days a forecast from `origin` covers. */
export const horizonDates = (origin: string, days: number) => daysFrom(addDays(origin, 1), addDays(origin, days));

/**
 * Forecasts every campaign running on `origin` (one with no row that day has stopped or is paused, and is not
 * forecast) from the training window ending on it.
 */
export function forecastCampaigns(series: readonly CampaignSeries[], origin: string, settings: ForecastSettings): { forecasts: CampaignForecast[]; skipped: SkippedCampaign[] } {
  const forecasts: CampaignForecast[] = [];
  const skipped: SkippedCampaign[] = [];
  const dates = horizonDates(origin, settings.horizonDays);
  const options = { origin, trainingDays: settings.trainingDays, minHistoryDays: settings.minHistoryDays };
  for (const campaign of series) {
    const key = keyOf(campaign);
    if (!campaign.days.has(origin)) {
      skipped.push({ ...key, reason: `no row on ${origin}: the campaign is not running` });
      continue;
    }
    const daily: CampaignForecast['daily'] = {};
    const total: CampaignForecast['total'] = {};
    const reasons: string[] = [];
    for (const metric of FORECAST_METRICS) {
      const observations = observationsOf(campaign, metric);
      if (observations.length === 0) continue;
      const fit = fitSeasonalTrend(observations, options);
      if (fit.status !== 'ok') {
        reasons.push(`${metric}: ${fit.reason}`);
        continue;
      }
      daily[metric] = forecastDays(fit, dates, settings.intervalLevel);
      total[metric] = forecastTotal(fit, dates, settings.intervalLevel);
    }
    if (Object.keys(daily).length === 0) {
      skipped.push({ ...key, reason: `not enough history: ${reasons[0] ?? 'no metric has values'}` });
      continue;
    }
    const windowFrom = addDays(origin, 1 - settings.trainingDays);
    const trainingFrom = [...campaign.days.keys()].filter((date) => date >= windowFrom && date <= origin).sort()[0]!;
    forecasts.push({ ...key, currency: campaign.currency, daily, total, inputSha256: inputSha256(campaign, windowFrom, origin), trainingFrom });
  }
  return { forecasts, skipped };
}
