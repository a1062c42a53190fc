import { describe, expect, it } from 'vitest';
import { addDays } from '../../../core/dates.js';
import { monthEnd } from '../../../new-pipeline/models/calendar.js';
import { budgetPacing, type PacingInput } from '../../../new-pipeline/models/pacing.js';
import { fitSeasonalTrend } from '../../../new-pipeline/models/seasonal-trend.js';
import type { Observation } from '../../../new-pipeline/models/types.js';

/** `perDay` every day of the 56 days up to `date`: a flat spend with no weekly cycle, so projections are exact. */
function flatSpend(date: string, perDay: number, days = 56): Observation[] {
  return Array.from({ length: days }, (_, i) => ({ date: addDays(date, i - days + 1), value: perDay }));
}

function pacing(date: string, budget: number | undefined, spend: Observation[], overrides: Partial<PacingInput> = {}) {
  const fit = fitSeasonalTrend(spend, { origin: date, trainingDays: 56, minHistoryDays: 14 });
  return budgetPacing({ date, budget, spend, fit, band: 0.05, level: 0.9, ...overrides });
}

describe('budget pacing', () => {
  it('projects month-end spend from spend so far and the forecast, and flags overspend with the day the budget runs out', () => {
    // 100 a day: 2,000 by the 20th, 3,000 by the 30th; a 2,500 budget runs out on the 25th.
    const result = pacing('2026-11-20', 2500, flatSpend('2026-11-20', 100));
    expect(result).toMatchObject({ status: 'over', month: '2026-11', budget: 2500, spent_to_date: 2000, days_left: 10, runs_out_on: '2026-11-25', pace_ratio: 1.2 });
    expect(result.projected!.point).toBeCloseTo(3000, 6);
    expect(result.explanation).toContain('runs out on 2026-11-25');
  });

  it('flags underspend and says how much would be left', () => {
    const result = pacing('2026-11-20', 4000, flatSpend('2026-11-20', 100));
    expect(result).toMatchObject({ status: 'under', runs_out_on: null, pace_ratio: 0.75 });
    expect(result.explanation).toContain('1,000.00 would be left unspent');
  });

  it('is on pace within the band', () => {
    expect(pacing('2026-11-20', 3100, flatSpend('2026-11-20', 100)).status).toBe('on_pace');
  });

  it('on the last day of a month has nothing left to forecast: the projection is what was spent, history or not', () => {
    const full = pacing('2026-11-30', 3000, flatSpend('2026-11-30', 100));
    expect(full).toMatchObject({ status: 'on_pace', days_left: 0, spent_to_date: 3000, projected: { point: 3000, lower: 3000, upper: 3000 }, runs_out_on: '2026-11-30' });
    const young = pacing('2026-11-30', 3000, flatSpend('2026-11-30', 100, 5));
    expect(young).toMatchObject({ status: 'under', spent_to_date: 500, projected: { point: 500, lower: 500, upper: 500 } });
  });

  it('on the first day of a month counts only that day as spent, not the month before', () => {
    const result = pacing('2026-12-01', 3100, flatSpend('2026-12-01', 100));
    expect(result).toMatchObject({ month: '2026-12', spent_to_date: 100, days_left: 30 });
    expect(result.projected!.point).toBeCloseTo(3100, 6);
    expect(result.status).toBe('on_pace');
  });

  it('knows how long February is, leap year or not', () => {
    expect(monthEnd('2027-02-10')).toBe('2027-02-28');
    expect(monthEnd('2028-02-10')).toBe('2028-02-29');
    expect(pacing('2028-02-10', 2900, flatSpend('2028-02-10', 100)).projected!.point).toBeCloseTo(2900, 6);
  });

  it('with a budget of zero is over as soon as anything is spent, and says since when', () => {
    const result = pacing('2026-11-20', 0, flatSpend('2026-11-20', 100));
    expect(result).toMatchObject({ status: 'over', pace_ratio: null, runs_out_on: '2026-11-01' });
    const idle = pacing('2026-11-20', 0, flatSpend('2026-11-20', 0));
    expect(idle).toMatchObject({ status: 'on_pace', runs_out_on: null });
  });

  it('says when no budget is configured, and still projects the spend', () => {
    const result = pacing('2026-11-20', undefined, flatSpend('2026-11-20', 100));
    expect(result).toMatchObject({ status: 'no_budget', budget: null, pace_ratio: null });
    expect(result.projected!.point).toBeCloseTo(3000, 6);
    expect(result.explanation).toContain('No monthly budget');
  });

  it('answers "not enough history" for a client without data instead of failing', () => {
    const result = pacing('2026-11-20', 1000, []);
    expect(result).toMatchObject({ status: 'not_enough_history', spent_to_date: 0, projected: null, runs_out_on: null, budget: 1000 });
    expect(result.explanation).toMatch(/^Not enough history/);
  });

  it('reports a budget already spent as over, with the day it ran out, even without the history to project', () => {
    // Five days of 100: too young to fit, but a 250 budget was gone on the third day.
    const young = pacing('2026-11-20', 250, flatSpend('2026-11-20', 100, 5));
    expect(young).toMatchObject({ status: 'over', spent_to_date: 500, projected: null, pace_ratio: 2, runs_out_on: '2026-11-18' });
    expect(young.explanation).toMatch(/^Already over budget: 500.00 spent against a budget of 250.00; the budget ran out on 2026-11-18/);
    expect(pacing('2026-11-20', 0, flatSpend('2026-11-20', 100, 5))).toMatchObject({ status: 'over', pace_ratio: null, runs_out_on: '2026-11-16' });
    expect(pacing('2026-11-20', 1000, flatSpend('2026-11-20', 100, 5)).status).toBe('not_enough_history');
  });

  it('reports a budget already spent by the day with the day it ran out', () => {
    const result = pacing('2026-11-20', 1500, flatSpend('2026-11-20', 100));
    expect(result.runs_out_on).toBe('2026-11-15');
    expect(result.explanation).toContain('the budget ran out on 2026-11-15');
  });
});
