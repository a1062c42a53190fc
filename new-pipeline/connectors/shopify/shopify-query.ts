/**
 * What the Shopify connector sends: the API version, the GraphQL documents, their calculated cost, where a shop's
 * GraphQL endpoint is, and the UTC bounds of a shop's reporting day.
 *
 * The documents select only what the metrics need. Never add `customer`, `email`, `phone`, `billingAddress`,
 * `shippingAddress`, `note` or visit URLs here: whatever is selected is landed, and those are personal data.
 */
import { BoscoError } from '../../../core/errors.js';
import { addDays } from '../../../core/dates.js';

/** The quarterly Admin API version every path is built with: the stable release of October 1, 2026. */
export const SHOPIFY_API_VERSION = '2026-10';

/** First request: the shop's reporting time zone and currency, needed to turn the day into a UTC range. */
export const SHOP_QUERY = 'query BoscoShop { shop { ianaTimezone currencyCode } }';

/**
 * One page of the day's orders. `shop` is selected again on every page so that each landed page carries the time
 * zone its orders are bucketed by and can be re-parsed on its own. `sortKey: CREATED_AT` keeps cursors stable.
 */
export const ORDERS_QUERY = `query BoscoOrders($first: Int!, $after: String, $query: String) {
  shop { ianaTimezone currencyCode }
  orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT) {
    edges {
      cursor
      node {
        id
        name
        createdAt
        totalPriceSet { shopMoney { amount currencyCode } }
        customerJourneySummary { lastVisit { utmParameters { campaign source medium } } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

/**
 * Shopify's calculated cost of `ORDERS_QUERY`: objects cost 1 and scalars 0; a connection costs 2 plus `first` times
 * one node's cost. A node here is the Order (1) + totalPriceSet (1) + shopMoney (1) + customerJourneySummary (1) +
 * lastVisit (1) + utmParameters (1) = 6; `shop` adds 1.
 */
export const ORDER_NODE_COST = 6;
const CONNECTION_COST = 2;
const SHOP_COST = 1;
/** Shopify rejects any single query whose requested cost exceeds this (`MAX_COST_EXCEEDED`), whatever the plan. */
export const SHOPIFY_MAX_QUERY_COST = 1000;
/** The most nodes a connection hands out per page. */
export const SHOPIFY_MAX_PAGE_SIZE = 250;

export function ordersQueryCost(first: number): number {
  return SHOP_COST + CONNECTION_COST + first * ORDER_NODE_COST;
}

/**
 * Orders per page. 250 (the connection maximum) would cost 1503 points with this selection, over the 1000-point
 * ceiling; 150 costs 903, the largest round size under it.
 */
export const SHOPIFY_DEFAULT_PAGE_SIZE = 150;

/** A shop's handle, the `{shop}` of `{shop}.myshopify.com`; the configured account id may carry the domain. */
export function shopHandle(accountId: string): string {
  const handle = accountId.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\.myshopify\.com\/?$/, '');
  if (!/^[a-z0-9][a-z0-9-]*$/.test(handle)) {
    throw new BoscoError('CONFIG_INVALID', `shopify account '${accountId}' is not a shop name`, {
      hint: 'use the shop\'s handle, the <shop> of <shop>.myshopify.com (letters, digits and hyphens)',
    });
  }
  return handle;
}

/** The Admin GraphQL endpoint, relative to the shop's base URL. */
export const SHOPIFY_GRAPHQL_PATH = `/admin/api/${SHOPIFY_API_VERSION}/graphql.json`;

/**
 * Where a shop's requests go. A real shop is its own host, so the base URL is a template: `https://{shop}.myshopify.com`
 * (the default). A base URL without `{shop}` is one host serving every shop, the shop then being a path prefix,
 * `{baseUrl}/shops/{shop}`: that is how the simulator addresses shops, since it cannot have a hostname per shop on
 * 127.0.0.1.
 */
export function shopBaseUrl(baseUrl: string, accountId: string): string {
  const handle = shopHandle(accountId);
  const base = baseUrl.replace(/\/+$/, '');
  return base.includes('{shop}') ? base.replaceAll('{shop}', handle) : `${base}/shops/${handle}`;
}

/** One formatter per zone: building one costs far more than using it, and every orders page needs its shop's. */
const wallClocks = new Map<string, Intl.DateTimeFormat>();

/** The UTC instant (ms) at which `date` begins in `timeZone`, across DST changes. */
export function localMidnightUtc(date: string, timeZone: string): number {
  const naive = Date.parse(`${date}T00:00:00Z`);
  let formatter = wallClocks.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    wallClocks.set(timeZone, formatter);
  }
  // The zone's offset at an instant: its wall clock read as if it were UTC, minus the instant.
  const offsetAt = (instant: number) => {
    const p = Object.fromEntries(formatter!.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
    return Date.parse(`${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}Z`) - instant;
  };
  // The offset at the naive guess can be the other side of a DST change; a second pass settles it.
  return naive - offsetAt(naive - offsetAt(naive));
}

/** ISO 8601 in UTC without milliseconds, the way Shopify writes and reads DateTime. */
export const isoSeconds = (instant: number) => new Date(instant).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Days already bounded, per zone and date: every orders page of a shop's day needs its bounds again. */
const dayBounds = new Map<string, { from: number; to: number }>();
const MAX_DAY_BOUNDS = 4096;

/** `[local midnight of date, next local midnight)` as UTC epoch ms: a shop's reporting day is 23, 24 or 25 hours long. */
export function shopDayUtcBounds(date: string, timeZone: string): { from: number; to: number } {
  const key = `${timeZone} ${date}`;
  let bounds = dayBounds.get(key);
  if (!bounds) {
    if (dayBounds.size >= MAX_DAY_BOUNDS) dayBounds.clear();
    bounds = { from: localMidnightUtc(date, timeZone), to: localMidnightUtc(addDays(date, 1), timeZone) };
    dayBounds.set(key, bounds);
  }
  return bounds;
}

/** `shopDayUtcBounds` as Shopify writes DateTime. */
export function shopDayUtcRange(date: string, timeZone: string): { from: string; to: string } {
  const { from, to } = shopDayUtcBounds(date, timeZone);
  return { from: isoSeconds(from), to: isoSeconds(to) };
}

/** The orders `query` argument in Shopify's search syntax: created at or after `from`, strictly before `to`. */
export function createdAtSearch(range: { from: string; to: string }): string {
  return `created_at:>='${range.from}' AND created_at:<'${range.to}'`;
}

/** The GraphQL request body: the document and its variables (so values never need escaping into the text). */
export interface GraphqlBody {
  query: string;
  variables: Record<string, unknown>;
}

export interface OrdersVariables {
  first: number;
  after: string | null;
  query: string;
}
