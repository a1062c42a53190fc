import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type BoscoConfig } from '../../../core/config.js';
import type { Warehouse } from '../../../core/warehouse/index.js';
import { clientInsights } from '../../../new-pipeline/models/insights.js';
import { memoryWarehouse } from '../../helpers/warehouse.js';
import { loadMetricRows, simClient, simMetricRows } from './sim-rows.js';

const DAY = '2026-11-22';

describe('client insights', () => {
  let warehouse: Warehouse;
  let config: BoscoConfig;
  let spiked: { platform: string; campaign_id: string };

  beforeAll(async () => {
    warehouse = await memoryWarehouse();
    const rows = simMetricRows([simClient(1)], '2026-09-01', DAY);
    // One campaign spends five times its usual on the day: the anomaly to find.
    const target = rows.find((r) => r.date === DAY && r.platform === 'tiktok_ads')!;
    target.spend = target.spend! * 5;
    spiked = { platform: target.platform, campaign_id: target.campaign_id };
    await loadMetricRows(warehouse, rows);
    const monthToDate = rows.filter((r) => r.date >= '2026-11-01' && r.platform !== 'ga4').reduce((sum, r) => sum + (r.spend ?? 0), 0);
    config = parseConfig({ clients: [simClient(1, { budgets: { monthly: Math.round(monthToDate) } }), { id: 'fresh', budgets: { monthly: 5000 } }] }, 'test');
  });
  afterAll(() => warehouse.close());

  it('answers forecasts, budget pacing, anomalies and recommendations for a client with history', async () => {
    const insights = await clientInsights(warehouse, 'client-1', DAY, config);
    expect(insights).toMatchObject({ client_id: 'client-1', date: DAY, currency: 'USD', status: 'ok', model: { name: 'seasonal_trend_regression', training_from: '2026-09-28', training_to: DAY, horizon_days: 7 } });
    expect(insights.forecasts.length).toBeGreaterThan(20);
    const forecast = insights.forecasts.find((f) => f.platform === 'google_ads')!;
    expect(forecast.daily.map((d) => d.date)).toEqual(['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29']);
    expect(forecast.total.spend!.point).toBeCloseTo(forecast.daily.reduce((sum, d) => sum + d.spend!.point, 0), 0);

    // The budget is what the ad platforms spent by the 22nd (GA4's imported cost left out), so the rest of the month overspends it, from the 23rd.
    expect(insights.pacing).toMatchObject({ status: 'over', month: '2026-11', days_left: 8, runs_out_on: '2026-11-23' });
    expect(insights.pacing.pace_ratio!).toBeGreaterThan(1.2);

    expect(insights.anomalies[0]).toMatchObject({ ...spiked, metric: 'spend', date: DAY, direction: 'above' });
    expect(insights.anomalies[0]!.deviation_pct!).toBeGreaterThan(300);

    expect(insights.recommendations.length).toBeGreaterThan(0);
    for (const move of insights.recommendations) {
      expect(move.to.lower).toBeGreaterThan(move.from.upper);
      expect(move.amount).toBeCloseTo(0.2 * move.from.forecast_spend, 1);
      expect(['google_ads', 'meta_ads', 'tiktok_ads']).toContain(move.from.platform);
      expect(move.reason).toMatch(/^Move [\d.]+ USD/);
    }
  });

  it('answers "not enough history" for a client without data, with its budget, instead of failing', async () => {
    const insights = await clientInsights(warehouse, 'fresh', DAY, config);
    expect(insights).toMatchObject({
      client_id: 'fresh',
      status: 'not_enough_history',
      reason: `no rows for client fresh from 2026-09-28 to ${DAY}`,
      forecasts: [],
      anomalies: [],
      recommendations: [],
      pacing: { status: 'not_enough_history', budget: 5000, spent_to_date: 0, projected: null },
    });
  });

  it('answers "not enough history" for a client whose campaigns are all too young', async () => {
    const young = await memoryWarehouse();
    try {
      await loadMetricRows(young, simMetricRows([simClient(4)], '2026-11-15', DAY));
      const insights = await clientInsights(young, 'client-4', DAY, parseConfig({}, 'test'));
      expect(insights.status).toBe('not_enough_history');
      expect(insights.reason).toContain('not enough history');
      expect(insights.skipped.length).toBeGreaterThan(0);
      expect(insights.pacing.status).toBe('not_enough_history');
    } finally {
      await young.close();
    }
  });
});
