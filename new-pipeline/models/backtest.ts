import { addDays } from '../../core/dates.js';
import { daysFrom } from './calendar.js';
import { horizonDates, type ForecastSettings } from './forecast.js';
import { SEASONAL_NAIVE, seasonalNaive } from './seasonal-naive.js';
import { SEASONAL_TREND, fitSeasonalTrend, forecastDays } from './seasonal-trend.js';
import { observationsOf, type CampaignSeries } from './series.js';
import { FORECAST_METRICS, type ForecastMetric, type ForecastPoint, type ModelId } from './types.js';

/** How well one model forecast one platform's metric. */
export interface AccuracyScore {
  /** Mean absolute percentage error, in percent, over the points whose actual is not zero (null when none is). */
  mape: number | null;
  /** Absolute errors over absolute actuals, in percent: MAPE's robust sibling, not thrown by days near zero. */
  wape: number | null;
  /** Share of actuals inside the prediction interval, 0 to 1. */
  coverage: number;
}

export interface BacktestRow {
  /** A platform, or `all`. */
  platform: string;
  metric: ForecastMetric;
  /** Forecast days scored: those with an actual and a forecast from both the model and the baseline. */
  points: number;
  /** Of them, those whose actual is not zero (the MAPE's points). */
  nonzero_points: number;
  model: AccuracyScore;
  baseline: AccuracyScore;
  /** The model's MAPE is below the baseline's. */
  beats_baseline: boolean;
}

export interface BacktestReport {
  /** The first and last forecast origins. */
  from: string;
  to: string;
  horizon_days: number;
  interval_level: number;
  model: ModelId;
  baseline: ModelId;
  /** Campaign × origin forecasts scored. */
  forecasts: number;
  rows: BacktestRow[];
  /** `pass` when the model beats the baseline on every platform and metric with points. */
  status: 'pass' | 'fail';
}

interface Tally {
  points: number;
  nonzero: number;
  actualSum: number;
  model: { apeSum: number; absSum: number; covered: number };
  baseline: { apeSum: number; absSum: number; covered: number };
}

const newTally = (): Tally => ({ points: 0, nonzero: 0, actualSum: 0, model: { apeSum: 0, absSum: 0, covered: 0 }, baseline: { apeSum: 0, absSum: 0, covered: 0 } });
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

function add(side: Tally['model'], forecast: ForecastPoint, actual: number): void {
  const error = Math.abs(forecast.point - actual);
  side.absSum += error;
  if (actual !== 0) side.apeSum += error / Math.abs(actual);
  if (forecast.lower <= actual && actual <= forecast.upper) side.covered += 1;
}

function score(tally: Tally, side: Tally['model']): AccuracyScore {
  return {
    mape: tally.nonzero > 0 ? round((100 * side.apeSum) / tally.nonzero, 2) : null,
    wape: tally.actualSum > 0 ? round((100 * side.absSum) / tally.actualSum, 2) : null,
    coverage: tally.points > 0 ? round(side.covered / tally.points, 4) : 0,
  };
}

/**
 * Backtests the model against the seasonal naive baseline: from every origin in `from`..`to`, each campaign running
 * that day is forecast from its own past only, and every forecast day that has an actual is scored, both models on
 * the same days. Pure: the series carry every day needed (the training windows and the days after `to`).
 */
export function backtestSeries(series: readonly CampaignSeries[], range: { from: string; to: string }, settings: ForecastSettings): BacktestReport {
  const tallies = new Map<string, Tally>();
  const tallyOf = (platform: string, metric: ForecastMetric) => {
    const key = `${platform}\u0000${metric}`;
    let tally = tallies.get(key);
    if (!tally) tallies.set(key, (tally = newTally()));
    return tally;
  };
  let forecasts = 0;
  const origins = daysFrom(range.from, range.to).map((origin) => ({ origin, dates: horizonDates(origin, settings.horizonDays) }));
  for (const campaign of series) {
    for (const metric of FORECAST_METRICS) {
      const observations = observationsOf(campaign, metric);
      for (const { origin, dates } of origins) {
        if (!campaign.days.has(origin)) continue;
        const options = { origin, trainingDays: settings.trainingDays, minHistoryDays: settings.minHistoryDays };
        const past = observations.filter((o) => o.date <= origin);
        const fit = fitSeasonalTrend(past, options);
        if (fit.status !== 'ok') continue;
        forecasts += 1;
        const model = forecastDays(fit, dates, settings.intervalLevel);
        const baseline = new Map(seasonalNaive(past, options, dates, settings.intervalLevel).map((f) => [f.date, f]));
        for (const forecast of model) {
          const actual = campaign.days.get(forecast.date)?.[metric];
          const naive = baseline.get(forecast.date);
          if (actual === null || actual === undefined || !naive) continue;
          for (const tally of [tallyOf(campaign.platform, metric), tallyOf('all', metric)]) {
            tally.points += 1;
            tally.actualSum += Math.abs(actual);
            if (actual !== 0) tally.nonzero += 1;
            add(tally.model, forecast, actual);
            add(tally.baseline, naive, actual);
          }
        }
      }
    }
  }
  const rows = [...tallies]
    .map(([key, tally]): BacktestRow => {
      const [platform, metric] = key.split('\u0000') as [string, ForecastMetric];
      const model = score(tally, tally.model);
      const baseline = score(tally, tally.baseline);
      return { platform, metric, points: tally.points, nonzero_points: tally.nonzero, model, baseline, beats_baseline: model.mape !== null && baseline.mape !== null && model.mape < baseline.mape };
    })
    .sort((a, b) => (a.platform === 'all' ? 1 : 0) - (b.platform === 'all' ? 1 : 0) || a.platform.localeCompare(b.platform) || FORECAST_METRICS.indexOf(a.metric) - FORECAST_METRICS.indexOf(b.metric));
  const scored = rows.filter((row) => row.nonzero_points > 0);
  return {
    from: range.from,
    to: range.to,
    horizon_days: settings.horizonDays,
    interval_level: settings.intervalLevel,
    model: SEASONAL_TREND,
    baseline: SEASONAL_NAIVE,
    forecasts,
    rows,
    status: scored.length > 0 && scored.every((row) => row.beats_baseline) ? 'pass' : 'fail',
  };
}

/** The days a backtest must read: each origin's training window, through the last origin's forecast days. */
export function backtestRange(range: { from: string; to: string }, settings: ForecastSettings): { from: string; to: string } {
  return { from: addDays(range.from, 1 - settings.trainingDays), to: addDays(range.to, settings.horizonDays) };
}
