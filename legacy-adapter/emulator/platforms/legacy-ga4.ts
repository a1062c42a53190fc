import { platformRefused } from '../legacy-http.js';
import type { LegacyCampaignDay, LegacyPlatformPuller } from './types.js';

const METRICS = ['advertiserAdCost', 'advertiserAdImpressions', 'advertiserAdClicks', 'keyEvents', 'totalRevenue'];

interface RunReportAnswer {
  metricHeaders?: Array<{ name: string }>;
  rows?: Array<{ dimensionValues: Array<{ value: string }>; metricValues: Array<{ value: string }> }>;
  rowCount?: number;
  metadata?: { currencyCode?: string };
  error?: { message?: string };
}

/**
 * GA4 Data API runReport by campaign for one day, with the API's default page size, paged by `offset` until
 * `rowCount`; the property's currency comes in `metadata`.
 */
export const legacyGa4: LegacyPlatformPuller = {
  platform: 'ga4',
  reportsWholeDays: true,
  async pull({ http, baseUrl, credential, accountId, day }) {
    const url = `${baseUrl}/v1beta/properties/${accountId}:runReport`;
    let currency: string | undefined;
    const pages: LegacyCampaignDay[][] = [];
    for (let offset = 0; ; ) {
      const response = await http.send('ga4', accountId, {
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${credential}` },
        body: {
          dateRanges: [{ startDate: day, endDate: day }],
          dimensions: [{ name: 'sessionCampaignId' }],
          metrics: METRICS.map((name) => ({ name })),
          offset: String(offset),
        },
      });
      const answer = response.body as RunReportAnswer;
      if (response.status !== 200 || !Array.isArray(answer?.metricHeaders)) {
        throw platformRefused('ga4', accountId, `runReport answered HTTP ${response.status}: ${answer?.error?.message ?? 'no message'}`);
      }
      currency ??= answer.metadata?.currencyCode;
      // Metrics are read by header name: the answer's order is the API's to choose.
      const at = new Map(answer.metricHeaders.map((header, i) => [header.name, i]));
      const value = (row: NonNullable<RunReportAnswer['rows']>[number], name: string) => Number(row.metricValues[at.get(name) ?? -1]?.value ?? 0);
      const rows = answer.rows ?? [];
      pages.push(
        rows.map((row) => ({
          campaignId: row.dimensionValues[0]!.value,
          spend: value(row, 'advertiserAdCost'),
          impressions: value(row, 'advertiserAdImpressions'),
          clicks: value(row, 'advertiserAdClicks'),
          conversions: value(row, 'keyEvents'),
          revenue: value(row, 'totalRevenue'),
        })),
      );
      offset += rows.length;
      if (rows.length === 0 || offset >= (answer.rowCount ?? 0)) return { currency, pages };
    }
  },
};
