import { addDays } from '../../../core/dates.js';
import { weekday } from '../../../new-pipeline/models/calendar.js';
import type { CampaignSeries, DayValues } from '../../../new-pipeline/models/series.js';
import type { Observation } from '../../../new-pipeline/models/types.js';

/** A seeded stream of numbers in [0, 1) (mulberry32): the same draws on every run. */
export function randomStream(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Standard normal draws from a stream (Box-Muller). */
export function normalStream(seed: number): () => number {
  const next = randomStream(seed);
  return () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

export interface SyntheticSeries {
  /** The last day. */
  to: string;
  days: number;
  /** Value on the last day, averaged over the week. */
  level: number;
  /** Change per day. */
  trend: number;
  /** Weekday effects, Sunday first, summing to zero. */
  weekly: readonly number[];
  noiseSd: number;
  seed: number;
}

/** The true value of a synthetic series on `date` (noise left out). */
export function truth(s: SyntheticSeries, date: string): number {
  const t = Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${s.to}T00:00:00Z`)) / 86_400_000);
  return s.level + s.trend * t + s.weekly[weekday(date)]!;
}

/** A series with a known trend, weekly cycle and Gaussian noise, one observation a day, ending on `to`. */
export function syntheticSeries(s: SyntheticSeries): Observation[] {
  const noise = normalStream(s.seed);
  return Array.from({ length: s.days }, (_, i) => {
    const date = addDays(s.to, i - s.days + 1);
    return { date, value: truth(s, date) + s.noiseSd * noise() };
  });
}

/** Weekday effects for ad data: weekends dip. */
export const WEEKEND_DIP = [-30, 10, 12, 12, 10, 16, -30];

/** A campaign's series from per-day values; metrics not given are NULL. */
export function campaignSeries(days: Record<string, Partial<DayValues>>, key: Partial<CampaignSeries> = {}): CampaignSeries {
  return {
    client_id: 'acme',
    platform: 'google_ads',
    account_id: 'acct-1',
    campaign_id: 'camp-1',
    currency: 'USD',
    days: new Map(Object.entries(days).map(([date, v]) => [date, { spend: v.spend ?? null, conversions: v.conversions ?? null, revenue: v.revenue ?? null }])),
    ...key,
  };
}

/** A campaign's series with every metric following the same synthetic shape, scaled. */
export function steadyCampaign(s: SyntheticSeries, scale: Partial<Record<keyof DayValues, number>> = { spend: 1, conversions: 0.05, revenue: 3 }, key: Partial<CampaignSeries> = {}): CampaignSeries {
  const days: Record<string, Partial<DayValues>> = {};
  for (const { date, value } of syntheticSeries(s)) {
    days[date] = Object.fromEntries(Object.entries(scale).map(([metric, factor]) => [metric, value * factor!]));
  }
  return campaignSeries(days, key);
}
