import { describe, expect, it } from 'vitest';
import { addDays } from '../../../core/dates.js';
import { marginalReturn, recommendMoves, type MarginalReturn } from '../../../new-pipeline/models/recommendations.js';
import type { CampaignSeries } from '../../../new-pipeline/models/series.js';
import { campaignSeries, normalStream } from './factories.js';

const DAY = '2026-11-22';
const SETTINGS = { trainingDays: 56, minHistoryDays: 14, intervalLevel: 0.9, minDailySpend: 1 };

/** 56 days of spend around `spend` a day, and revenue = base + roas × spend (plus noise). */
function campaign(id: string, roas: number, options: { spend?: number; platform?: string; base?: number; noise?: number; seed?: number } = {}): CampaignSeries {
  const draw = normalStream(options.seed ?? id.length * 97);
  const days: Record<string, { spend: number; revenue: number }> = {};
  for (let i = 0; i < 56; i++) {
    const spend = (options.spend ?? 100) * (1 + 0.3 * Math.sin(i));
    days[addDays(DAY, -i)] = { spend, revenue: (options.base ?? 50) + roas * spend + (options.noise ?? 5) * draw() };
  }
  return campaignSeries(days, { campaign_id: id, platform: options.platform ?? 'google_ads' });
}

const returnOf = (series: CampaignSeries, forecastSpend = 700) => marginalReturn(series, DAY, forecastSpend, SETTINGS)!;

describe('budget recommendations', () => {
  it('estimates a campaign’s marginal ROAS as the slope of revenue on spend, apart from its average ROAS', () => {
    const r = returnOf(campaign('c-1', 2.5, { base: 200 }));
    expect(r.marginal_roas).toBeCloseTo(2.5, 1);
    expect(r.lower).toBeLessThan(r.marginal_roas);
    expect(r.upper).toBeGreaterThan(r.marginal_roas);
    expect(r.average_roas).toBeGreaterThan(4);
    expect(r).toMatchObject({ days: 56, window: { from: '2026-09-28', to: DAY }, forecast_spend: 700 });
  });

  it('moves a share of the low-return campaign’s forecast spend to the high-return one, with the evidence', () => {
    const low = returnOf(campaign('low', 0.8, { platform: 'meta_ads' }), 1000);
    const high = returnOf(campaign('high', 4));
    const [move, ...rest] = recommendMoves([low, high], { shiftShare: 0.2, max: 3 }, 'USD');
    expect(rest).toEqual([]);
    expect(move).toMatchObject({ from: { campaign_id: 'low' }, to: { campaign_id: 'high' }, amount: 200 });
    expect(move!.expected_revenue_change).toBeCloseTo(200 * (high.marginal_roas - low.marginal_roas), 6);
    expect(move!.reason).toContain('Move 200.00 USD');
    expect(move!.reason).toContain('from meta_ads campaign low to google_ads campaign high');
  });

  it('recommends nothing when the campaigns’ returns cannot be told apart', () => {
    const a = returnOf(campaign('a', 2, { noise: 60, seed: 1 }));
    const b = returnOf(campaign('b', 2.2, { noise: 60, seed: 2 }));
    expect(a.upper).toBeGreaterThan(b.lower);
    expect(recommendMoves([a, b], { shiftShare: 0.2, max: 3 }, 'USD')).toEqual([]);
  });

  it('pairs best with worst, uses each campaign once, and stops at the maximum', () => {
    const returns = [0.5, 1, 3, 5, 6, 0.2].map((roas, i) => returnOf(campaign(`c${i}`, roas, { seed: i + 1 })));
    const moves = recommendMoves(returns, { shiftShare: 0.1, max: 2 }, null);
    expect(moves.map((m) => `${m.from.campaign_id}→${m.to.campaign_id}`)).toEqual(['c5→c4', 'c0→c3']);
    expect(moves[0]!.amount).toBe(70);
  });

  it('leaves out platforms without budgets to move, and campaigns it cannot judge', () => {
    const ga4 = returnOf(campaign('ga4', 0.1, { platform: 'ga4' }));
    const high = returnOf(campaign('high', 4));
    expect(recommendMoves([ga4, high], { shiftShare: 0.2, max: 3 }, 'USD')).toEqual([]);
    const tiny: MarginalReturn | undefined = marginalReturn(campaign('tiny', 3, { spend: 0.5 }), DAY, 3, SETTINGS);
    expect(tiny).toBeUndefined();
    const flat = campaignSeries(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [addDays(DAY, -i), { spend: 10, revenue: 30 + i }])));
    expect(marginalReturn(flat, DAY, 70, SETTINGS)).toBeUndefined();
  });
});
