import { platformRefused } from '../legacy-http.js';
import type { LegacyCampaignDay, LegacyPlatformPuller } from './types.js';

const BASE_PATH = '/open_api/v1.3';

/** 40100: over the app's QPS limit; 5xxxx: TikTok's internal errors. Both come as HTTP 200 with the code. */
function transient(body: unknown): string | undefined {
  const code = (body as Envelope<unknown> | undefined)?.code;
  return code === 40100 || (code !== undefined && code >= 50000) ? `code ${code}` : undefined;
}

/** Conversion metrics the report is asked for; the client's definition picks which of them count. */
const CONVERSION_METRICS = ['complete_payment', 'conversion'];

interface Envelope<T> {
  code?: number;
  message?: string;
  data?: T;
}

type ReportData = {
  list?: Array<{ dimensions: { campaign_id: string }; metrics: Record<string, string> }>;
  page_info?: { page: number; total_page: number };
};

/**
 * TikTok's synchronous integrated report, campaign by day, with the report's default page size (the legacy code never
 * set `page_size`); the advertiser's currency comes from advertiser/info first. Every answer is HTTP 200 with a `code`.
 */
export const legacyTiktokAds: LegacyPlatformPuller = {
  platform: 'tiktok_ads',
  reportsWholeDays: true,
  async pull({ http, baseUrl, credential, accountId, day, conversions }) {
    const headers = { 'access-token': credential };
    const call = async <T>(path: string, query: Record<string, string>): Promise<T> => {
      const response = await http.send('tiktok_ads', accountId, { method: 'GET', url: `${baseUrl}${BASE_PATH}${path}?${new URLSearchParams(query)}`, headers }, transient);
      const envelope = response.body as Envelope<T>;
      if (response.status !== 200 || envelope?.code !== 0 || !envelope.data) {
        throw platformRefused('tiktok_ads', accountId, `${path} answered HTTP ${response.status}, code ${envelope?.code ?? '?'}: ${envelope?.message ?? 'no message'}`);
      }
      return envelope.data;
    };

    const info = await call<{ list?: Array<{ currency?: string }> }>('/advertiser/info/', { advertiser_ids: JSON.stringify([accountId]), fields: JSON.stringify(['currency']) });
    const currency = info.list?.[0]?.currency;
    const pages: LegacyCampaignDay[][] = [];
    for (let page = 1; ; page++) {
      const report = await call<ReportData>('/report/integrated/get/', {
        advertiser_id: accountId,
        report_type: 'BASIC',
        data_level: 'AUCTION_CAMPAIGN',
        dimensions: JSON.stringify(['campaign_id', 'stat_time_day']),
        metrics: JSON.stringify(['spend', 'impressions', 'clicks', ...CONVERSION_METRICS, 'total_complete_payment_rate']),
        start_date: day,
        end_date: day,
        page: String(page),
      });
      pages.push(
        (report.list ?? []).map(({ dimensions, metrics }) => ({
          campaignId: dimensions.campaign_id,
          spend: Number(metrics.spend ?? 0),
          impressions: Number(metrics.impressions ?? 0),
          clicks: Number(metrics.clicks ?? 0),
          conversions: conversions.reduce((total, name) => total + Number(metrics[name] ?? 0), 0),
          revenue: Number(metrics.total_complete_payment_rate ?? 0),
        })),
      );
      if (page >= (report.page_info?.total_page ?? 0)) return { currency, pages };
    }
  },
};
