import { platformRefused } from '../legacy-http.js';
import type { LegacyCampaignDay, LegacyPlatformPuller } from './types.js';

/** The Graph API version the legacy code was written against. */
const API_VERSION = 'v19.0';

const INSIGHTS_FIELDS = ['campaign_id', 'spend', 'impressions', 'clicks', 'actions', 'action_values', 'account_currency'];

interface ActionStat {
  action_type: string;
  value: string;
}

interface InsightsPage {
  data?: Array<{ campaign_id: string; account_currency?: string; spend?: string; impressions?: string; clicks?: string; actions?: ActionStat[]; action_values?: ActionStat[] }>;
  paging?: { cursors?: { after?: string }; next?: string };
  error?: { message?: string; code?: number; is_transient?: boolean };
}

/** Graph marks its throttles and passing failures `is_transient`, whatever the HTTP status. */
function transient(body: unknown): string | undefined {
  const error = (body as InsightsPage | undefined)?.error;
  return error?.is_transient ? `Graph error ${error.code ?? '?'} (transient)` : undefined;
}

/**
 * Meta Ads Insights at campaign level, one day, with Graph's default page size (the legacy code never set `limit`).
 * Pages are followed by the `after` cursor against the configured host, never by `paging.next`, which names Graph's
 * public host.
 */
export const legacyMetaAds: LegacyPlatformPuller = {
  platform: 'meta_ads',
  reportsWholeDays: true,
  async pull({ http, baseUrl, credential, accountId, day, conversions }) {
    const counted = new Set(conversions);
    const sum = (stats: ActionStat[] | undefined) => (stats ?? []).filter((stat) => counted.has(stat.action_type)).reduce((total, stat) => total + Number(stat.value), 0);
    const query = new URLSearchParams({ level: 'campaign', time_increment: '1', time_range: JSON.stringify({ since: day, until: day }), fields: INSIGHTS_FIELDS.join(',') });
    const url = `${baseUrl}/${API_VERSION}/act_${accountId.replace(/^act_/, '')}/insights`;
    let currency: string | undefined;
    const pages: LegacyCampaignDay[][] = [];
    for (;;) {
      const response = await http.send('meta_ads', accountId, { method: 'GET', url: `${url}?${query}`, headers: { authorization: `Bearer ${credential}` } }, transient);
      const page = response.body as InsightsPage;
      if (response.status !== 200 || !Array.isArray(page?.data)) {
        throw platformRefused('meta_ads', accountId, `insights answered HTTP ${response.status}: ${page?.error?.message ?? 'no message'}`);
      }
      pages.push(
        page.data.map((row) => {
          currency ??= row.account_currency;
          return {
            campaignId: row.campaign_id,
            spend: Number(row.spend ?? 0),
            impressions: Number(row.impressions ?? 0),
            clicks: Number(row.clicks ?? 0),
            conversions: sum(row.actions),
            revenue: sum(row.action_values),
          };
        }),
      );
      const after = page.paging?.cursors?.after;
      if (!page.paging?.next || !after) return { currency, pages };
      query.set('after', after);
    }
  },
};
