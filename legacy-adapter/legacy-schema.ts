import type { Mapping } from '../core/config.js';

/**
 * The legacy platform's daily export table, `legacy_export.daily_stats`, as the old system writes it:
 * its own column names, cost in micros, platform codes, and the day as a UTC timestamp.
 */
export const LEGACY_EXPORT_TABLE = 'legacy_export.daily_stats';

export const LEGACY_PLATFORM_CODES: Record<string, string> = {
  GADS: 'google_ads',
  FB: 'meta_ads',
  GA4: 'ga4',
  SHOP: 'shopify',
  TT: 'tiktok_ads',
};

/** The mapping from the legacy export to `MetricRow`; config can name it as `bosco_legacy_v1`. */
export const BOSCO_LEGACY_V1: Mapping = {
  columns: {
    client_id: 'client_ref',
    date: { column: 'stat_ts', type: 'timestamp' },
    platform: { column: 'src', values: LEGACY_PLATFORM_CODES },
    account_id: 'account_ref',
    campaign_id: 'campaign_ref',
    currency: 'ccy',
    spend: { column: 'cost_micros', scale: 0.000001 },
    impressions: 'impr',
    clicks: 'clk',
    conversions: 'conv',
    revenue: { column: 'rev_micros', scale: 0.000001 },
  },
};

/** Mappings every workspace knows without configuring them. */
export const BUILT_IN_MAPPINGS: Record<string, Mapping> = { bosco_legacy_v1: BOSCO_LEGACY_V1 };
