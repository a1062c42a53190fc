import { addDays } from '../../core/dates.js';
import { daysBetween, daysFrom, monthEnd, monthStart } from './calendar.js';
import { forecastDays, forecastTotal, type SeasonalTrendFit } from './seasonal-trend.js';
import type { Estimate, NotEnoughHistory, Observation } from './types.js';

export type PacingStatus = 'over' | 'under' | 'on_pace' | 'no_budget' | 'not_enough_history';

/** A client's spend this month against its monthly budget. */
export interface Pacing {
  status: PacingStatus;
  /** The month of the day the pacing is for, YYYY-MM. */
  month: string;
  /** The monthly budget from config; null when none is configured. */
  budget: number | null;
  /** Spend from the first of the month through the day. */
  spent_to_date: number;
  /** Spent so far plus the forecast of the month's remaining days, with its interval; null without enough history. */
  projected: Estimate | null;
  /** Projected spend over budget; null without a budget, or with a budget of zero. */
  pace_ratio: number | null;
  /** The day spend so far plus forecast reaches the budget (with a budget of 0: the first day with spend); null when it does not this month. */
  runs_out_on: string | null;
  /** Days of the month after the day. */
  days_left: number;
  /** One sentence for a person. */
  explanation: string;
}

export interface PacingInput {
  /** The last day with data; pacing covers its month. */
  date: string;
  budget: number | undefined;
  /** The client's daily spend over its budgeted campaigns (a day without rows counts as no spend). */
  spend: readonly Observation[];
  /** The client's daily spend model, fitted through `date`. */
  fit: SeasonalTrendFit | NotEnoughHistory;
  /** Within budget × (1 ± band) is on pace. */
  band: number;
  /** Level of the projection's interval. */
  level: number;
}

const money = (value: number) => value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const round2 = (value: number) => Math.round(value * 100) / 100;
const rounded = (estimate: Estimate): Estimate => ({ point: round2(estimate.point), lower: round2(estimate.lower), upper: round2(estimate.upper) });

/** The first day on which cumulative spend reaches the budget (with a budget of 0: the first day with spend). */
function dayBudgetReached(days: readonly Observation[], budget: number): string | null {
  let cumulative = 0;
  for (const { date, value } of days) {
    cumulative += value;
    if (cumulative > 0 && cumulative >= budget) return date;
  }
  return null;
}

/**
 * Projects month-end spend and compares it with the budget. Pure. The last day of a month has nothing left to
 * forecast, so its projection is what was spent, history or not; a budget of 0 is over as soon as anything is spent.
 */
export function budgetPacing(input: PacingInput): Pacing {
  const { date, band } = input;
  const first = monthStart(date);
  const last = monthEnd(date);
  const remaining = daysFrom(addDays(date, 1), last);
  const monthSpend = input.spend.filter((o) => o.date >= first && o.date <= date);
  const spent = round2(monthSpend.reduce((sum, o) => sum + o.value, 0));
  const budget = input.budget ?? null;
  const base = { month: date.slice(0, 7), budget, spent_to_date: spent, days_left: daysBetween(date, last) };

  if (remaining.length > 0 && input.fit.status !== 'ok') {
    // Too little history to project, but a budget already spent needs no projection to be over.
    const ranOut = budget === null ? null : dayBudgetReached(monthSpend, budget);
    if (budget !== null && ranOut) {
      const ratio = budget > 0 ? Math.round((spent / budget) * 1000) / 1000 : null;
      return {
        ...base,
        status: 'over',
        projected: null,
        pace_ratio: ratio,
        runs_out_on: ranOut,
        explanation: `Already over budget: ${money(spent)} spent against a budget of ${money(budget)}; the budget ran out on ${ranOut} (the rest of the month is not projected: ${input.fit.reason}).`,
      };
    }
    return { ...base, status: 'not_enough_history', projected: null, pace_ratio: null, runs_out_on: null, explanation: `Not enough history to project this month's spend: ${input.fit.reason}.` };
  }
  const fit = input.fit.status === 'ok' ? input.fit : undefined;
  const future = fit ? forecastDays(fit, remaining, input.level) : [];
  const rest = fit ? forecastTotal(fit, remaining, input.level) : { point: 0, lower: 0, upper: 0 };
  const projected = rounded({ point: spent + rest.point, lower: spent + rest.lower, upper: spent + rest.upper });
  const range = `${money(projected.point)} (${money(projected.lower)}–${money(projected.upper)})`;

  if (budget === null) {
    return { ...base, status: 'no_budget', projected, pace_ratio: null, runs_out_on: null, explanation: `No monthly budget is configured; projected month-end spend ${range}.` };
  }
  const runsOutOn = dayBudgetReached([...monthSpend, ...future.map((f) => ({ date: f.date, value: f.point }))], budget);
  const ratio = budget > 0 ? Math.round((projected.point / budget) * 1000) / 1000 : null;
  const status = budget === 0 ? (projected.point > 0 ? 'over' : 'on_pace') : ratio! > 1 + band ? 'over' : ratio! < 1 - band ? 'under' : 'on_pace';
  const share = ratio === null ? '' : ` (${Math.round(ratio * 100)}%)`;
  const runOut = runsOutOn ? (runsOutOn <= date ? `; the budget ran out on ${runsOutOn}` : `; at the forecast pace it runs out on ${runsOutOn}`) : '';
  const left = status === 'under' ? `; ${money(budget - projected.point)} would be left unspent` : '';
  return {
    ...base,
    status,
    projected,
    pace_ratio: ratio,
    runs_out_on: runsOutOn,
    explanation: `Projected month-end spend ${range} against a budget of ${money(budget)}${share}: ${status.replaceAll('_', ' ')}${runOut}${left}.`,
  };
}
