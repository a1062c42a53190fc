import { BoscoError } from '../../../core/errors.js';
import type { TiktokReportRow } from './tiktok-ads-connector.js';
import { addDecimals, ZERO } from '../../transform/decimal.js';
import { readCount, readDecimal } from '../../transform/read-values.js';
import type { PlatformTransform } from '../../transform/types.js';

/** The report metric a conversion name counts; config validates the names, this guards callers that bypass it. */
function conversionMetric(row: TiktokReportRow, name: string): string {
  if (name === 'complete_payment' || name === 'conversion') return row.metrics[name];
  throw new BoscoError('CONFIG_INVALID', `tiktok_ads: '${name}' is not a conversion metric the connector fetches`, {
    hint: 'count complete_payment or conversion in clients[].conversions.tiktok_ads',
  });
}

export const tiktokAdsTransform: PlatformTransform<TiktokReportRow> = {
  platform: 'tiktok_ads',
  transformVersion: '1.0.0',
  description: "conversions are the counted report metrics (default complete_payment, i.e. purchases); revenue is total_complete_payment_rate, the purchases' total value",
  read(row, { conversions }) {
    const { campaign_id: campaignId } = row.dimensions;
    const field = (name: string) => `campaign ${campaignId}: metrics.${name}`;
    return {
      day: row.dimensions.stat_time_day.slice(0, 10),
      campaignId,
      spend: readDecimal('tiktok_ads', field('spend'), row.metrics.spend),
      impressions: readCount('tiktok_ads', field('impressions'), row.metrics.impressions),
      clicks: readCount('tiktok_ads', field('clicks'), row.metrics.clicks),
      conversions: conversions.reduce((sum, name) => addDecimals(sum, readDecimal('tiktok_ads', field(name), conversionMetric(row, name))), ZERO),
      revenue: readDecimal('tiktok_ads', field('total_complete_payment_rate'), row.metrics.total_complete_payment_rate),
    };
  },
};
