import { z } from 'zod';

/** Platforms the canonical model knows. Adding one is adding a name here and a connector. */
export const PLATFORMS = ['google_ads', 'meta_ads', 'ga4', 'shopify', 'tiktok_ads'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** The grain of a daily metric row: one row per client, reporting day, platform, account and campaign. */
export const KEY_COLUMNS = ['client_id', 'date', 'platform', 'account_id', 'campaign_id'] as const;
export type KeyColumn = (typeof KEY_COLUMNS)[number];

export const METRIC_COLUMNS = ['spend', 'impressions', 'clicks', 'conversions', 'revenue'] as const;
export type MetricName = (typeof METRIC_COLUMNS)[number];

export const ATTRIBUTE_COLUMNS = ['currency'] as const;

export type ColumnType = 'text' | 'date' | 'integer' | 'decimal';

/** Every store holds the canonical rows with exactly these columns and logical types, in this order. */
export const CANONICAL_COLUMNS: ReadonlyArray<{ name: string; type: ColumnType }> = [
  { name: 'client_id', type: 'text' },
  { name: 'date', type: 'date' },
  { name: 'platform', type: 'text' },
  { name: 'account_id', type: 'text' },
  { name: 'campaign_id', type: 'text' },
  { name: 'currency', type: 'text' },
  { name: 'spend', type: 'decimal' },
  { name: 'impressions', type: 'integer' },
  { name: 'clicks', type: 'integer' },
  { name: 'conversions', type: 'decimal' },
  { name: 'revenue', type: 'decimal' },
];

export const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

const metricValue = z.number().finite().nonnegative().nullable();

/** The canonical daily metric row: the contract between legacy, new pipeline and reconciler. */
export const MetricRowSchema = z.object({
  client_id: z.string().min(1),
  /** The client's reporting day, YYYY-MM-DD. */
  date: z.string().regex(ISO_DATE, 'expected YYYY-MM-DD'),
  platform: z.enum(PLATFORMS),
  /** Ids are always strings: platform ids exceed JavaScript's safe integers. */
  account_id: z.string().min(1),
  campaign_id: z.string().min(1),
  /** ISO 4217 code of spend and revenue. */
  currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as USD'),
  spend: metricValue,
  impressions: z.number().int().nonnegative().nullable(),
  clicks: z.number().int().nonnegative().nullable(),
  conversions: metricValue,
  revenue: metricValue,
});
export type MetricRow = z.infer<typeof MetricRowSchema>;
