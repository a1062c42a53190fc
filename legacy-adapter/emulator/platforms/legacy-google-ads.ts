import { platformRefused } from '../legacy-http.js';
import type { LegacyCampaignDay, LegacyPlatformPuller } from './types.js';

/** The API version the legacy code was written against. */
const API_VERSION = 'v17';

const QUERY_FIELDS = ['customer.currency_code', 'campaign.id', 'metrics.cost_micros', 'metrics.impressions', 'metrics.clicks', 'metrics.conversions', 'metrics.conversions_value'];

interface StreamRow {
  customer?: { currencyCode?: string };
  campaign?: { id?: string };
  metrics?: { costMicros?: string; impressions?: string; clicks?: string; conversions?: number; conversionsValue?: number };
}

/** Google Ads searchStream: one POST, answered with every batch at once; each batch is one page of rows. */
export const legacyGoogleAds: LegacyPlatformPuller = {
  platform: 'google_ads',
  reportsWholeDays: true,
  async pull({ http, baseUrl, credential, accountId, day }) {
    const customerId = accountId.replaceAll('-', '');
    // The credential is the one the new pipeline reads: `<access token>|<developer token>[|<login customer id>]`.
    const [accessToken = '', developerToken, loginCustomerId] = credential.split('|').map((part) => part.trim());
    const response = await http.send('google_ads', accountId, {
      method: 'POST',
      url: `${baseUrl}/${API_VERSION}/customers/${customerId}/googleAds:searchStream`,
      headers: {
        authorization: `Bearer ${accessToken}`,
        ...(developerToken ? { 'developer-token': developerToken } : {}),
        ...(loginCustomerId ? { 'login-customer-id': loginCustomerId.replaceAll('-', '') } : {}),
      },
      body: { query: `SELECT ${QUERY_FIELDS.join(', ')} FROM campaign WHERE segments.date = '${day}'` },
    });
    if (response.status !== 200 || !Array.isArray(response.body)) {
      const error = (response.body as { error?: { message?: string } } | undefined)?.error;
      throw platformRefused('google_ads', accountId, `searchStream answered HTTP ${response.status}: ${error?.message ?? 'no message'}`);
    }
    let currency: string | undefined;
    const pages = (response.body as Array<{ results?: StreamRow[] }>).map((batch) =>
      (batch.results ?? []).map((row): LegacyCampaignDay => {
        currency ??= row.customer?.currencyCode;
        const metrics = row.metrics ?? {};
        // proto3 JSON leaves out zeros, so a missing metric is 0.
        return {
          campaignId: String(row.campaign?.id),
          spend: Number(metrics.costMicros ?? 0) / 1e6,
          impressions: Number(metrics.impressions ?? 0),
          clicks: Number(metrics.clicks ?? 0),
          conversions: metrics.conversions ?? 0,
          revenue: metrics.conversionsValue ?? 0,
        };
      }),
    );
    return { currency, pages };
  },
};
