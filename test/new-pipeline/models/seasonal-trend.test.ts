import { describe, expect, it } from 'vitest';
import { addDays } from '../../../core/dates.js';
import { horizonDates } from '../../../new-pipeline/models/forecast.js';
import { seasonalNaive } from '../../../new-pipeline/models/seasonal-naive.js';
import { fitSeasonalTrend, forecastDays, forecastTotal, type SeasonalTrendFit } from '../../../new-pipeline/models/seasonal-trend.js';
import { normalStream, syntheticSeries, truth, WEEKEND_DIP, type SyntheticSeries } from './factories.js';

const ORIGIN = '2026-11-22';
const OPTIONS = { origin: ORIGIN, trainingDays: 56, minHistoryDays: 14 };
const series = (overrides: Partial<SyntheticSeries> = {}): SyntheticSeries => ({ to: ORIGIN, days: 56, level: 500, trend: 2.5, weekly: WEEKEND_DIP, noiseSd: 8, seed: 7, ...overrides });

const fitted = (s: SyntheticSeries) => fitSeasonalTrend(syntheticSeries(s), OPTIONS) as SeasonalTrendFit;

describe('the seasonal trend model', () => {
  it('recovers a known level, trend and weekly cycle from noisy days', () => {
    const fit = fitted(series());
    expect(fit.status).toBe('ok');
    expect(fit.observations).toBe(56);
    expect(fit.trend).toBeCloseTo(2.5, 0);
    expect(Math.abs(fit.level - 500)).toBeLessThan(6);
    WEEKEND_DIP.forEach((effect, day) => expect(Math.abs(fit.weekly[day]! - effect), `weekday ${day}`).toBeLessThan(6));
    expect(fit.weekly.reduce((sum, e) => sum + e, 0)).toBeCloseTo(0, 9);
    expect(fit.residualSd).toBeGreaterThan(6);
    expect(fit.residualSd).toBeLessThan(10);
  });

  it('recovers them exactly from a series without noise', () => {
    const fit = fitted(series({ noiseSd: 0, trend: -1.25, level: 80 }));
    expect(fit.trend).toBeCloseTo(-1.25, 9);
    expect(fit.level).toBeCloseTo(80, 9);
    expect(forecastDays(fit, ['2026-11-28'], 0.9)[0]).toMatchObject({ point: expect.closeTo(80 - 1.25 * 6 + WEEKEND_DIP[6]!, 9) });
  });

  it('forecasts the next week within a few percent of the truth, with the weekly cycle', () => {
    const s = series();
    const fit = fitted(s);
    const forecast = forecastDays(fit, horizonDates(ORIGIN, 7), 0.9);
    expect(forecast.map((f) => f.date)).toEqual(['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29']);
    for (const f of forecast) expect(Math.abs(f.point - truth(s, f.date)) / truth(s, f.date), f.date).toBeLessThan(0.03);
    expect(forecast[5]!.point).toBeLessThan(forecast[4]!.point - 30);
  });

  it('holds about the promised share of future days in its intervals', () => {
    // 400 independent series, each scored on its next 7 days: 2,800 chances to fall outside.
    let inside = 0;
    let total = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const s = series({ seed, trend: (seed % 5) - 2 });
      const future = normalStream(10_000 + seed);
      for (const f of forecastDays(fitted(s), horizonDates(ORIGIN, 7), 0.9)) {
        const actual = truth(s, f.date) + s.noiseSd * future();
        inside += f.lower <= actual && actual <= f.upper ? 1 : 0;
        total += 1;
      }
    }
    expect(inside / total).toBeGreaterThan(0.87);
    expect(inside / total).toBeLessThan(0.93);
  });

  it('widens the interval of a week’s total less than seven days’ intervals added up', () => {
    const fit = fitted(series());
    const dates = horizonDates(ORIGIN, 7);
    const days = forecastDays(fit, dates, 0.9);
    const total = forecastTotal(fit, dates, 0.9);
    expect(total.point).toBeCloseTo(days.reduce((sum, d) => sum + d.point, 0), 6);
    expect(total.upper - total.point).toBeLessThan(days.reduce((sum, d) => sum + (d.upper - d.point), 0));
    expect(forecastTotal(fit, [], 0.9)).toEqual({ point: 0, lower: 0, upper: 0 });
  });

  it('leaves a day without a row out instead of taking it as zero', () => {
    const full = syntheticSeries(series({ noiseSd: 0 }));
    const gappy = full.filter((_, i) => i % 9 !== 4);
    const fit = fitSeasonalTrend(gappy, OPTIONS) as SeasonalTrendFit;
    expect(fit.observations).toBe(gappy.length);
    expect(fit.level).toBeCloseTo(500, 6);
  });

  it('never forecasts below zero', () => {
    const fit = fitted(series({ level: 3, trend: -0.5, weekly: [0, 0, 0, 0, 0, 0, 0], noiseSd: 1 }));
    for (const f of forecastDays(fit, horizonDates(ORIGIN, 7), 0.9)) {
      expect(f.point).toBeGreaterThanOrEqual(0);
      expect(f.lower).toBeGreaterThanOrEqual(0);
    }
  });

  it('answers "not enough history" for too few days, or days that miss a weekday', () => {
    expect(fitSeasonalTrend(syntheticSeries(series({ days: 10 })), OPTIONS)).toMatchObject({ status: 'not_enough_history', observations: 10, needed: 14 });
    expect(fitSeasonalTrend([], OPTIONS)).toMatchObject({ status: 'not_enough_history', observations: 0 });
    const noSundays = syntheticSeries(series()).filter((o) => new Date(`${o.date}T00:00:00Z`).getUTCDay() !== 0);
    expect(fitSeasonalTrend(noSundays, OPTIONS)).toMatchObject({ status: 'not_enough_history', reason: expect.stringContaining('every weekday') });
  });

  it('uses only the training window’s days', () => {
    const old = syntheticSeries(series({ to: addDays(ORIGIN, -56), level: 10_000 }));
    const fit = fitSeasonalTrend([...old, ...syntheticSeries(series({ noiseSd: 0 }))], OPTIONS) as SeasonalTrendFit;
    expect(fit.observations).toBe(56);
    expect(fit.level).toBeCloseTo(500, 6);
  });
});

describe('the seasonal naive baseline', () => {
  it('forecasts each day as the same weekday of the last week', () => {
    const history = syntheticSeries(series());
    const forecast = seasonalNaive(history, OPTIONS, horizonDates(ORIGIN, 7), 0.9);
    const lastWeek = history.slice(-7);
    expect(forecast.map((f) => f.point)).toEqual(lastWeek.map((o) => o.value));
    expect(forecast.every((f) => f.lower < f.point && f.point < f.upper)).toBe(true);
  });

  it('forecasts nothing for a day whose weekday last week has no row', () => {
    const history = syntheticSeries(series()).filter((o) => o.date !== '2026-11-17');
    expect(seasonalNaive(history, OPTIONS, ['2026-11-24', '2026-11-25'], 0.9).map((f) => f.date)).toEqual(['2026-11-25']);
  });
});
