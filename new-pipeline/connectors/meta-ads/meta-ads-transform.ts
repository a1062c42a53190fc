import { BoscoError } from '../../../core/errors.js';
import type { MetaInsightsRow } from './meta-ads-connector.js';
import type { MetaActionStat } from './meta-ads-schema.js';
import { addDecimals, ZERO, type Decimal } from '../../transform/decimal.js';
import { readCount, readDecimal } from '../../transform/read-values.js';
import type { PlatformTransform } from '../../transform/types.js';

export const metaAdsTransform: PlatformTransform<MetaInsightsRow> = {
  platform: 'meta_ads',
  transformVersion: '1.0.0',
  description: "conversions and revenue are the entries of actions and action_values whose action_type the client counts (default 'purchase')",
  read(row, { conversions }) {
    if (row.date_start !== row.date_stop) {
      throw new BoscoError('PAYLOAD_INVALID', `meta_ads record: campaign ${row.campaign_id}: spans ${row.date_start} to ${row.date_stop}, not one day`, {
        hint: 'the insights request must use time_increment=1',
      });
    }
    const counted = new Set(conversions);
    // No entry for a counted type means Meta attributed none of it that day: zero, not unknown.
    const total = (stats: MetaActionStat[] | undefined, field: string): Decimal =>
      (stats ?? [])
        .filter((stat) => counted.has(stat.action_type))
        .reduce((sum, stat) => addDecimals(sum, readDecimal('meta_ads', `campaign ${row.campaign_id}: ${field}[${stat.action_type}]`, stat.value)), ZERO);
    return {
      day: row.date_start,
      campaignId: row.campaign_id,
      currency: row.account_currency,
      spend: readDecimal('meta_ads', `campaign ${row.campaign_id}: spend`, row.spend),
      impressions: readCount('meta_ads', `campaign ${row.campaign_id}: impressions`, row.impressions),
      clicks: readCount('meta_ads', `campaign ${row.campaign_id}: clicks`, row.clicks),
      conversions: total(row.actions, 'actions'),
      revenue: total(row.action_values, 'action_values'),
    };
  },
};
