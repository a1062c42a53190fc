import type { Ga4ReportRow } from './ga4-connector.js';
import { readCount, readDecimal } from '../../transform/read-values.js';
import type { PlatformTransform } from '../../transform/types.js';

export const ga4Transform: PlatformTransform<Ga4ReportRow> = {
  platform: 'ga4',
  transformVersion: '1.0.0',
  description: 'spend, impressions and clicks are the advertiserAd* metrics; conversions are keyEvents, revenue totalRevenue, in the property currency',
  read(row) {
    const field = (name: string) => `campaign ${row.sessionCampaignId}: ${name}`;
    return {
      day: `${row.date.slice(0, 4)}-${row.date.slice(4, 6)}-${row.date.slice(6, 8)}`,
      campaignId: row.sessionCampaignId,
      spend: readDecimal('ga4', field('advertiserAdCost'), row.advertiserAdCost),
      impressions: readCount('ga4', field('advertiserAdImpressions'), row.advertiserAdImpressions),
      clicks: readCount('ga4', field('advertiserAdClicks'), row.advertiserAdClicks),
      conversions: readDecimal('ga4', field('keyEvents'), row.keyEvents),
      revenue: readDecimal('ga4', field('totalRevenue'), row.totalRevenue),
    };
  },
};
