import type { Platform } from '../../../core/metric-row.js';
import type { LegacyHttp } from '../legacy-http.js';

/** One campaign's day as the legacy loader read it, money in the account's currency. */
export interface LegacyCampaignDay {
  campaignId: string;
  /** Null where the platform has no such metric (Shopify has no spend, impressions or clicks). */
  spend: number | null;
  impressions: number | null;
  clicks: number | null;
  conversions: number;
  revenue: number;
}

/** One account's day: its currency and its rows, one entry per API page, in the order the pages came. */
export interface PulledAccount {
  /** ISO 4217 code of the account's money; undefined when the day had no rows to say it. */
  currency?: string;
  pages: LegacyCampaignDay[][];
}

export interface PullRequest {
  http: LegacyHttp;
  baseUrl: string;
  credential: string;
  accountId: string;
  /** The day asked for: a whole-day report's day, or the day whose orders are kept. */
  day: string;
  /** For platforms that report instants (Shopify): the zone whose calendar day buckets them; default the account's own. */
  bucketTimeZone?: string;
  /** The action types (Meta) or report metrics (TikTok) summed into conversions and revenue. */
  conversions: readonly string[];
}

/** How the legacy system pulled one platform, written against the API as the old code called it. */
export interface LegacyPlatformPuller {
  readonly platform: Platform;
  /**
   * True when the API reports whole days in the account's zone (the day is a request parameter); false when it
   * reports instants that the loader buckets into days itself.
   */
  readonly reportsWholeDays: boolean;
  pull(request: PullRequest): Promise<PulledAccount>;
}
