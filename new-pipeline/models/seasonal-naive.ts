import { addDays } from '../../core/dates.js';
import { daysBetween, epochDay } from './calendar.js';
import { normalQuantile } from './stats.js';
import type { ForecastPoint, ModelId, Observation } from './types.js';

/**
 * The baseline a model must beat: each day is forecast as the same weekday of the last week with data (one week
 * back for the next 7 days). Its interval is the usual one for it: the spread of the window's week-on-week
 * differences, times √(weeks ahead).
 */
export const SEASONAL_NAIVE: ModelId = { name: 'seasonal_naive', version: '1.0.0' };

export function seasonalNaive(observations: readonly Observation[], options: { origin: string; trainingDays: number }, dates: readonly string[], level: number): ForecastPoint[] {
  const from = addDays(options.origin, 1 - options.trainingDays);
  const byDay = new Map(observations.filter((o) => o.date >= from && o.date <= options.origin).map((o) => [epochDay(o.date), o.value]));
  const differences = [...byDay].flatMap(([day, value]) => {
    const weekBefore = byDay.get(day - 7);
    return weekBefore === undefined ? [] : [value - weekBefore];
  });
  if (differences.length < 2) return [];
  const sd = Math.sqrt(differences.reduce((sum, d) => sum + d * d, 0) / differences.length);
  const z = normalQuantile((1 + level) / 2);
  return dates.flatMap((date) => {
    const weeksAhead = Math.ceil(daysBetween(options.origin, date) / 7);
    const reference = byDay.get(epochDay(date) - 7 * weeksAhead);
    if (weeksAhead < 1 || reference === undefined) return [];
    const halfWidth = z * sd * Math.sqrt(weeksAhead);
    return [{ date, point: reference, lower: Math.max(0, reference - halfWidth), upper: reference + halfWidth }];
  });
}
