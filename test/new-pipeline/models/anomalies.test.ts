import { describe, expect, it } from 'vitest';
import { anomalyOf, detectAnomalies } from '../../../new-pipeline/models/anomalies.js';
import { steadyCampaign, WEEKEND_DIP, type SyntheticSeries } from './factories.js';

const DAY = '2026-11-22';
const SETTINGS = { trainingDays: 56, minHistoryDays: 14, anomalyLevel: 0.99 };
const shape = (overrides: Partial<SyntheticSeries> = {}): SyntheticSeries => ({ to: DAY, days: 60, level: 400, trend: 1, weekly: WEEKEND_DIP, noiseSd: 5, seed: 3, ...overrides });
const KEY = { client_id: 'acme', platform: 'meta_ads', account_id: '1001', campaign_id: 'c1' };

describe('anomalies', () => {
  it('flags a value outside the interval, with how far outside and which way', () => {
    const forecast = { date: DAY, point: 100, lower: 80, upper: 120 };
    expect(anomalyOf(KEY, 'spend', 150, forecast)).toMatchObject({ direction: 'above', outside_by: 30, deviation_pct: 50, expected: 100 });
    expect(anomalyOf(KEY, 'spend', 50, forecast)).toMatchObject({ direction: 'below', outside_by: 30, deviation_pct: -50 });
    expect(anomalyOf(KEY, 'spend', 120, forecast)).toBeUndefined();
    expect(anomalyOf(KEY, 'spend', 3, { date: DAY, point: 0, lower: 0, upper: 0 })).toMatchObject({ deviation_pct: null, outside_by: 3 });
  });

  it('flags yesterday’s spike per metric against the model fitted on the days before it', () => {
    const campaign = steadyCampaign(shape());
    const normal = campaign.days.get(DAY)!;
    campaign.days.set(DAY, { ...normal, spend: normal.spend! * 3 });
    const anomalies = detectAnomalies([campaign], DAY, SETTINGS);
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toMatchObject({ ...KEY, platform: 'google_ads', account_id: 'acct-1', campaign_id: 'camp-1', metric: 'spend', date: DAY, direction: 'above' });
    expect(anomalies[0]!.outside_by).toBeGreaterThan(600);
    expect(anomalies[0]!.deviation_pct).toBeGreaterThan(150);
  });

  it('flags a collapse below the interval', () => {
    const campaign = steadyCampaign(shape());
    campaign.days.set(DAY, { spend: 5, conversions: 0.25, revenue: 15 });
    expect(detectAnomalies([campaign], DAY, SETTINGS).map((a) => `${a.metric} ${a.direction}`).sort()).toEqual(['conversions below', 'revenue below', 'spend below']);
  });

  it('leaves an ordinary day alone, and campaigns without a row that day or without history', () => {
    expect(detectAnomalies([steadyCampaign(shape())], DAY, SETTINGS)).toEqual([]);
    expect(detectAnomalies([steadyCampaign(shape({ to: '2026-11-21' }))], DAY, SETTINGS)).toEqual([]);
    expect(detectAnomalies([steadyCampaign(shape({ days: 8 }))], DAY, SETTINGS)).toEqual([]);
  });
});
