import { addDays } from '../../../core/dates.js';
import { BoscoError } from '../../../core/errors.js';
import { platformRefused } from '../legacy-http.js';
import type { LegacyCampaignDay, LegacyPlatformPuller, PullRequest } from './types.js';

/** The Admin API version the legacy code was written against. */
const API_VERSION = '2024-01';
/** Orders per page: 100 nodes keep the query's cost (2 + 6 per order) well under Shopify's 1000 points. */
const PAGE_SIZE = 100;
/** The campaign of orders without UTM attribution, as GA4 spells an unknown dimension value. */
const UNATTRIBUTED_CAMPAIGN = '(not set)';

const SHOP_QUERY = 'query LegacyShop { shop { ianaTimezone currencyCode } }';
const ORDERS_QUERY = `query LegacyOrders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT) {
    edges { node { createdAt totalPriceSet { shopMoney { amount currencyCode } } customerJourneySummary { lastVisit { utmParameters { campaign } } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface GraphqlAnswer<T> {
  data?: T;
  errors?: Array<{ message?: string; extensions?: { code?: string } }> | string;
}

/** Shopify's cost throttle and its own internal errors come as HTTP 200 with an error code. */
function transient(body: unknown): string | undefined {
  const errors = (body as GraphqlAnswer<unknown> | undefined)?.errors;
  return Array.isArray(errors) ? errors.map((error) => error.extensions?.code).find((code) => code === 'THROTTLED' || code === 'INTERNAL_SERVER_ERROR') : undefined;
}

interface OrdersData {
  orders: {
    edges: Array<{ node: { createdAt: string; totalPriceSet: { shopMoney: { amount: string; currencyCode: string } }; customerJourneySummary?: { lastVisit?: { utmParameters?: { campaign?: string | null } | null } | null } | null } }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

/** The UTC instant (ms) at which `date` begins in `timeZone`, across DST changes. */
function midnightUtc(date: string, timeZone: string): number {
  const naive = Date.parse(`${date}T00:00:00Z`);
  const formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const offsetAt = (instant: number) => {
    const p = Object.fromEntries(formatter.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
    return Date.parse(`${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}Z`) - instant;
  };
  // The offset at the naive guess can be the other side of a DST change; a second pass settles it.
  return naive - offsetAt(naive - offsetAt(naive));
}

/** Shopify DateTime: UTC to the second. */
const isoSeconds = (instant: number) => new Date(instant).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A shop handle, the `<shop>` of `<shop>.myshopify.com`; the configured id may carry the domain. */
function shopHandle(accountId: string): string {
  const handle = accountId.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\.myshopify\.com\/?$/, '');
  if (!/^[a-z0-9][a-z0-9-]*$/.test(handle)) {
    throw new BoscoError('CONFIG_INVALID', `shopify account '${accountId}' is not a shop name`, { hint: "use the shop's handle, the <shop> of <shop>.myshopify.com" });
  }
  return handle;
}

/** A real shop is its own host (`https://{shop}.myshopify.com`); a base URL without `{shop}` serves every shop under `/shops/{shop}`. */
function graphqlUrl(baseUrl: string, accountId: string): string {
  const handle = shopHandle(accountId);
  const base = baseUrl.includes('{shop}') ? baseUrl.replaceAll('{shop}', handle) : `${baseUrl}/shops/${handle}`;
  return `${base}/admin/api/${API_VERSION}/graphql.json`;
}

async function graphql<T>(request: PullRequest, url: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await request.http.send('shopify', request.accountId, { method: 'POST', url, headers: { 'x-shopify-access-token': request.credential }, body: { query, variables } }, transient);
  const answer = response.body as GraphqlAnswer<T>;
  if (response.status !== 200 || answer?.errors !== undefined || !answer.data) {
    const errors = answer?.errors;
    const detail = typeof errors === 'string' ? errors : (errors ?? []).map((error) => error.message).join('; ');
    throw platformRefused('shopify', request.accountId, `GraphQL answered HTTP ${response.status}: ${detail || 'no message'}`);
  }
  return answer.data;
}

/**
 * Shopify Admin GraphQL orders of one day, bucketed by `bucketTimeZone` (default the shop's own zone) and summed per
 * UTM campaign: conversions are orders, revenue their total price in shop money; Shopify has no spend, impressions or
 * clicks. The rows are written as one page.
 */
export const legacyShopify: LegacyPlatformPuller = {
  platform: 'shopify',
  reportsWholeDays: false,
  async pull(request) {
    const url = graphqlUrl(request.baseUrl, request.accountId);
    const { shop } = await graphql<{ shop: { ianaTimezone: string; currencyCode: string } }>(request, url, SHOP_QUERY, {});
    const zone = request.bucketTimeZone ?? shop.ianaTimezone;
    const from = isoSeconds(midnightUtc(request.day, zone));
    const to = isoSeconds(midnightUtc(addDays(request.day, 1), zone));
    const campaigns = new Map<string, LegacyCampaignDay>();
    for (let after: string | null = null; ; ) {
      const { orders }: OrdersData = await graphql<OrdersData>(request, url, ORDERS_QUERY, { first: PAGE_SIZE, after, query: `created_at:>='${from}' AND created_at:<'${to}'` });
      for (const { node } of orders.edges) {
        const campaignId = node.customerJourneySummary?.lastVisit?.utmParameters?.campaign || UNATTRIBUTED_CAMPAIGN;
        const row = campaigns.get(campaignId) ?? { campaignId, spend: null, impressions: null, clicks: null, conversions: 0, revenue: 0 };
        row.conversions += 1;
        row.revenue += Number(node.totalPriceSet.shopMoney.amount);
        campaigns.set(campaignId, row);
      }
      if (!orders.pageInfo.hasNextPage || !orders.pageInfo.endCursor) break;
      after = orders.pageInfo.endCursor;
    }
    return { currency: shop.currencyCode, pages: [[...campaigns.values()]] };
  },
};
