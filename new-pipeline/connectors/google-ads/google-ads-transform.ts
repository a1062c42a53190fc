import type { GoogleAdsRow } from './google-ads-connector.js';
import { fromMicros } from '../../transform/decimal.js';
import { readCount, readDouble } from '../../transform/read-values.js';
import type { PlatformTransform } from '../../transform/types.js';

export const googleAdsTransform: PlatformTransform<GoogleAdsRow> = {
  platform: 'google_ads',
  transformVersion: '1.0.0',
  description: 'cost_micros to units; conversions and revenue are metrics.conversions and metrics.conversions_value (the actions the account counts in "Conversions")',
  read(row) {
    const field = (name: string) => `campaign ${row.campaign.id}: metrics.${name}`;
    return {
      day: row.segments.date,
      campaignId: row.campaign.id,
      currency: row.customer.currencyCode,
      spend: fromMicros(readCount('google_ads', field('costMicros'), row.metrics.costMicros)),
      impressions: readCount('google_ads', field('impressions'), row.metrics.impressions),
      clicks: readCount('google_ads', field('clicks'), row.metrics.clicks),
      conversions: readDouble('google_ads', field('conversions'), row.metrics.conversions),
      revenue: readDouble('google_ads', field('conversionsValue'), row.metrics.conversionsValue),
    };
  },
};
