import type { ModelSettings } from '../../core/config.js';
import { addDays } from '../../core/dates.js';
import type { Platform } from '../../core/metric-row.js';
import { leastSquares, studentTQuantile } from './stats.js';
import { keyOf, type CampaignSeries } from './series.js';
import type { SeriesKey } from './types.js';

/**
 * Platforms whose campaigns have budgets to move. GA4 reports cost imported from the ad platforms (counting it
 * again would double it) and Shopify has no spend.
 */
export const BUDGETED_PLATFORMS: readonly Platform[] = ['google_ads', 'meta_ads', 'tiktok_ads'];

/** What one more unit of spend returned on a campaign over the training window. */
export interface MarginalReturn extends SeriesKey {
  /** Extra revenue per extra unit of spend: the slope of the daily revenue on the daily spend. */
  marginal_roas: number;
  /** Its interval at the forecast level. */
  lower: number;
  upper: number;
  /** Revenue over spend across the window, for comparison. */
  average_roas: number;
  /** Days with both spend and revenue. */
  days: number;
  window: { from: string; to: string };
  /** Forecast spend over the coming days: what a move would take a share of. */
  forecast_spend: number;
}

/** Move budget from one campaign to another, with the evidence for it. */
export interface Recommendation {
  from: MarginalReturn;
  to: MarginalReturn;
  /** Spend to move over the forecast days, in the client's currency. */
  amount: number;
  /** amount × (the receiving campaign's marginal ROAS − the giving one's): the revenue the move should add if those slopes hold. */
  expected_revenue_change: number;
  /** One sentence for a person. */
  reason: string;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * The campaign's marginal ROAS: least squares of daily revenue on daily spend over the training window ending on
 * `origin`. Undefined when it cannot be told: too few days, too little spend, or spend that never varied.
 */
export function marginalReturn(
  series: CampaignSeries,
  origin: string,
  forecastSpend: number,
  settings: Pick<ModelSettings, 'trainingDays' | 'minHistoryDays' | 'intervalLevel'> & { minDailySpend: number },
): MarginalReturn | undefined {
  const from = addDays(origin, 1 - settings.trainingDays);
  const observed = [...series.days].filter(([date, v]) => date >= from && date <= origin && v.spend !== null && v.revenue !== null).sort(([a], [b]) => a.localeCompare(b));
  const days = observed.map(([, v]) => [v.spend!, v.revenue!] as const);
  const spend = days.reduce((sum, [s]) => sum + s, 0);
  const revenue = days.reduce((sum, [, r]) => sum + r, 0);
  if (days.length < settings.minHistoryDays || spend / days.length < settings.minDailySpend) return undefined;
  const fit = leastSquares(
    days.map(([s]) => [1, s]),
    days.map(([, r]) => r),
  );
  if (!fit) return undefined;
  const slope = fit.coefficients[1]!;
  const halfWidth = studentTQuantile((1 + settings.intervalLevel) / 2, fit.df) * fit.residualSd * Math.sqrt(fit.leverage([0, 1]));
  return {
    ...keyOf(series),
    marginal_roas: round(slope, 3),
    lower: round(slope - halfWidth, 3),
    upper: round(slope + halfWidth, 3),
    average_roas: round(revenue / spend, 3),
    days: days.length,
    // The days actually fitted: a young campaign's window starts at its first day, not the nominal window's.
    window: { from: observed[0]![0], to: origin },
    forecast_spend: round(forecastSpend),
  };
}

const describe = (r: MarginalReturn) => `${r.platform} campaign ${r.campaign_id}`;

/**
 * The rule, whole: pair the campaign whose marginal ROAS is surely highest (highest lower bound) with the one whose
 * is surely lowest (lowest upper bound), and move `shiftShare` of the latter's forecast spend to the former, as long
 * as their intervals do not overlap; then the next pair, each campaign used once, at most `max` moves. Pure.
 */
export function recommendMoves(returns: readonly MarginalReturn[], settings: { shiftShare: number; max: number }, currency: string | null): Recommendation[] {
  const eligible = returns.filter((r) => BUDGETED_PLATFORMS.includes(r.platform as Platform) && r.forecast_spend > 0);
  const receivers = [...eligible].sort((a, b) => b.lower - a.lower);
  const givers = [...eligible].sort((a, b) => a.upper - b.upper);
  const used = new Set<MarginalReturn>();
  const moves: Recommendation[] = [];
  const unit = currency ? ` ${currency}` : '';
  for (const to of receivers) {
    if (moves.length >= settings.max) break;
    if (used.has(to)) continue;
    const from = givers.find((g) => !used.has(g) && g !== to);
    if (!from || !(to.lower > from.upper)) break;
    used.add(to).add(from);
    const amount = round(settings.shiftShare * from.forecast_spend);
    moves.push({
      from,
      to,
      amount,
      expected_revenue_change: round(amount * (to.marginal_roas - from.marginal_roas)),
      reason:
        `Move ${amount.toFixed(2)}${unit} of the next days' spend from ${describe(from)} to ${describe(to)}: over ${from.window.from}..${from.window.to}, ` +
        `each extra unit of spend returned ${from.marginal_roas} (${from.lower}..${from.upper}) on the first and ${to.marginal_roas} (${to.lower}..${to.upper}) on the second.`,
    });
  }
  return moves;
}
