/** The metrics the models forecast. Impressions and clicks are not budgeted and not forecast. */
export const FORECAST_METRICS = ['spend', 'conversions', 'revenue'] as const;
export type ForecastMetric = (typeof FORECAST_METRICS)[number];

/** A model as the predictions table names it. */
export interface ModelId {
  name: string;
  version: string;
}

/** One day's value of a series. A day without a row is absent, not zero: it may be a partition that failed to load. */
export interface Observation {
  date: string;
  value: number;
}

/** A forecast for one day: the point and its prediction interval, never below zero (no metric can be). */
export interface ForecastPoint {
  date: string;
  point: number;
  lower: number;
  upper: number;
}

/** An interval around a value, e.g. a projected total. */
export interface Estimate {
  point: number;
  lower: number;
  upper: number;
}

/** Why a series was not forecast: too few days, or days that cannot tell the weekly cycle apart. */
export interface NotEnoughHistory {
  status: 'not_enough_history';
  /** Days with data in the training window. */
  observations: number;
  /** Days needed. */
  needed: number;
  reason: string;
}

/** The campaign a series belongs to: the canonical key without the day. */
export interface SeriesKey {
  client_id: string;
  platform: string;
  account_id: string;
  campaign_id: string;
}
