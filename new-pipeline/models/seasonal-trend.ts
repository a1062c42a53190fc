import { addDays } from '../../core/dates.js';
import { daysBetween, weekday } from './calendar.js';
import { leastSquares, studentTQuantile, type LeastSquares } from './stats.js';
import type { Estimate, ForecastPoint, ModelId, NotEnoughHistory, Observation } from './types.js';

/**
 * The forecasting model: a linear trend plus one effect per weekday, fitted by least squares to the days of the
 * training window that have data,
 *
 *   y(t) = level + trend · t + weekly[weekday(t)] + ε,   t = days after the origin (the window's last day),
 *
 * with prediction intervals from the residual spread and each day's distance from the data (Student t). A
 * regression rather than Holt-Winters because it needs no gap filling (a day without a row is left out, not
 * taken as zero), has exact intervals, and its three numbers can be read out to a person.
 */
export const SEASONAL_TREND: ModelId = { name: 'seasonal_trend_regression', version: '1.0.0' };

export interface SeasonalTrendFit {
  status: 'ok';
  /** The window's last day: day 0 of the trend. */
  origin: string;
  /** The window's first day. */
  from: string;
  /** Days with data the fit used. */
  observations: number;
  /** Expected value on the origin, averaged over the week. */
  level: number;
  /** Change per day. */
  trend: number;
  /** Each weekday's effect, Sunday first (as `getUTCDay`); they sum to zero. */
  weekly: number[];
  /** Spread of the days around the fit. */
  residualSd: number;
  readonly regression: LeastSquares;
}

export interface FitOptions {
  /** The last day of the training window. */
  origin: string;
  /** Days in the window, ending on the origin. */
  trainingDays: number;
  /** Fewest days with data to fit at all. */
  minHistoryDays: number;
}

/** Intercept, trend, and Monday to Saturday against Sunday. */
function designRow(origin: string, date: string): number[] {
  const day = weekday(date);
  return [1, daysBetween(origin, date), ...[1, 2, 3, 4, 5, 6].map((d) => (d === day ? 1 : 0))];
}

export function fitSeasonalTrend(observations: readonly Observation[], options: FitOptions): SeasonalTrendFit | NotEnoughHistory {
  const from = addDays(options.origin, 1 - options.trainingDays);
  const used = observations.filter((o) => o.date >= from && o.date <= options.origin && Number.isFinite(o.value));
  const needed = options.minHistoryDays;
  if (used.length < needed) {
    return { status: 'not_enough_history', observations: used.length, needed, reason: `${used.length} day(s) with data from ${from} to ${options.origin}; the forecast needs ${needed}` };
  }
  const regression = leastSquares(
    used.map((o) => designRow(options.origin, o.date)),
    used.map((o) => o.value),
  );
  if (!regression) {
    return { status: 'not_enough_history', observations: used.length, needed, reason: `the days with data from ${from} to ${options.origin} do not cover every weekday` };
  }
  const [intercept, trend, ...rest] = regression.coefficients as [number, number, ...number[]];
  const effects = [0, ...rest];
  const mean = effects.reduce((sum, e) => sum + e, 0) / 7;
  return {
    status: 'ok',
    origin: options.origin,
    from,
    observations: used.length,
    level: intercept + mean,
    trend,
    weekly: effects.map((e) => e - mean),
    residualSd: regression.residualSd,
    regression,
  };
}

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);

/** Half the interval's width per unit of standard error, for a central interval holding `level` of outcomes. */
const quantile = (fit: SeasonalTrendFit, level: number) => studentTQuantile((1 + level) / 2, fit.regression.df);

function estimate(point: number, halfWidth: number): Estimate {
  return { point: Math.max(0, point), lower: Math.max(0, point - halfWidth), upper: Math.max(0, point + halfWidth) };
}

/** Each day's forecast with its prediction interval at `level` (e.g. 0.9). */
export function forecastDays(fit: SeasonalTrendFit, dates: readonly string[], level: number): ForecastPoint[] {
  const q = quantile(fit, level);
  return dates.map((date) => {
    const row = designRow(fit.origin, date);
    const se = fit.residualSd * Math.sqrt(1 + fit.regression.leverage(row));
    return { date, ...estimate(dot(row, fit.regression.coefficients), q * se) };
  });
}

/**
 * The total over `dates` with its prediction interval: the days' errors are independent, but they share the
 * fitted coefficients, so the coefficients' uncertainty is counted on the summed row, not day by day.
 */
export function forecastTotal(fit: SeasonalTrendFit, dates: readonly string[], level: number): Estimate {
  if (dates.length === 0) return { point: 0, lower: 0, upper: 0 };
  const summed = dates.map((date) => designRow(fit.origin, date)).reduce((sum, row) => sum.map((value, i) => value + row[i]!));
  const se = fit.residualSd * Math.sqrt(dates.length + fit.regression.leverage(summed));
  return estimate(dot(summed, fit.regression.coefficients), quantile(fit, level) * se);
}
