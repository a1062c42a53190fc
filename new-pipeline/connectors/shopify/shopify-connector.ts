/**
 * Shopify connector, written against the Shopify Admin GraphQL API 2026-10
 * (`POST https://{shop}.myshopify.com/admin/api/2026-10/graphql.json`, header `X-Shopify-Access-Token`).
 *
 * One partition (a shop's day) is two or more requests, each a GraphQL body `{query, variables}`:
 *   1. `shop { ianaTimezone currencyCode }`: the shop's reporting time zone and currency;
 *   2. `orders(first:, after:, query: "created_at:>='<local midnight of D in UTC>' AND created_at:<'<next local
 *      midnight in UTC>'", sortKey: CREATED_AT)`, then the same with `after: pageInfo.endCursor` while
 *      `pageInfo.hasNextPage`. Shopify timestamps are UTC; the range is the shop's local day, and `parse` buckets
 *      every order into the shop's day again and drops any that falls outside it.
 *
 * Addressing: a real shop is its own host, so the base URL is the template `https://{shop}.myshopify.com` (the
 * default). A base URL without `{shop}` (the simulator's, which cannot have a hostname per shop on 127.0.0.1) serves
 * every shop, and the shop becomes a path prefix: `{baseUrl}/shops/{shop}/admin/api/2026-10/graphql.json`.
 *
 * Personal data: the queries select no customer, email, phone, name or address fields; `redact` strips any that
 * arrive anyway before a body is landed; the record schema is strict and has no field that could hold them.
 *
 * Access: needs the `read_orders` scope; orders older than 60 days also need `read_all_orders`. Shopify paginates
 * at most 25,000 objects of one connection.
 *
 * References: https://shopify.dev/docs/api/admin-graphql/latest/queries/orders (arguments, search syntax),
 * https://shopify.dev/docs/api/admin-graphql/latest/enums/OrderSortKeys (CREATED_AT),
 * https://shopify.dev/docs/api/admin-graphql/latest/objects/Shop (ianaTimezone, currencyCode),
 * https://shopify.dev/docs/api/admin-graphql/latest/objects/CustomerJourneySummary (lastVisit),
 * https://shopify.dev/docs/api/admin-graphql/latest/objects/customervisit and …/objects/utmparameters,
 * https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits (calculated query cost, throttleStatus),
 * https://shopify.dev/docs/api/usage/versioning (quarterly versions; 2026-10 released October 1, 2026).
 */
import { BoscoError } from '../../../core/errors.js';
import { dayInTimeZone } from '../../../core/dates.js';
import { parsePayload, rejectErrorAnswer, unknownFieldPaths } from '../payload.js';
import type { ApiRequest, ApiResponse, Connector, FetchContext, PageResult, ResponseVerdict } from '../types.js';
import { retryAfterHeaderMs, throttled } from '../verdicts.js';
import {
  createdAtSearch,
  ORDERS_QUERY,
  ordersQueryCost,
  SHOP_QUERY,
  SHOPIFY_API_VERSION,
  SHOPIFY_DEFAULT_PAGE_SIZE,
  SHOPIFY_GRAPHQL_PATH,
  SHOPIFY_MAX_PAGE_SIZE,
  SHOPIFY_MAX_QUERY_COST,
  shopBaseUrl,
  shopDayUtcBounds,
  shopDayUtcRange,
  type GraphqlBody,
  type OrdersVariables,
} from './shopify-query.js';
import {
  OrdersResponseSchema,
  ShopifyErrorBodySchema,
  ShopifyOrderRecordSchema,
  ShopResponseSchema,
  type OrderNode,
  type ShopifyCost,
  type ShopifyErrorBody,
  type ShopifyOrderRecord,
} from './shopify-schema.js';

export type { ShopifyOrderRecord } from './shopify-schema.js';
export { SHOPIFY_API_VERSION, SHOPIFY_DEFAULT_PAGE_SIZE } from './shopify-query.js';

const PURPOSE_SHOP = 'shop';
const PURPOSE_ORDERS = 'orders';

export interface ShopifyConnectorOptions {
  /** Orders per page (`first`); small values exercise paging in tests. Bounded by the 1000-point query cost. */
  pageSize?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Personal data

/** Keys whose whole value is a person or an address: dropped with everything beneath them. */
const PERSONAL_OBJECT_KEYS = new Set(['customer', 'customers', 'billingAddress', 'shippingAddress', 'displayAddress', 'defaultAddress', 'addresses', 'addressesV2', 'purchasingEntity']);

/**
 * Keys that identify a person wherever they appear. Visit URLs are here because Shopify marks them protected
 * customer data: landing pages and referrers carry emails and tokens in their query strings.
 */
const PERSONAL_FIELD_KEYS = new Set([
  'email',
  'contactEmail',
  'phone',
  'firstName',
  'lastName',
  'displayName',
  'address1',
  'address2',
  'zip',
  'latitude',
  'longitude',
  'browserIp',
  'clientIp',
  'note',
  'landingPage',
  'landingPageHtml',
  'referrerUrl',
  'referralInfoHtml',
]);

/** Any string value that is an email address, whatever its key: the net under a field nobody listed yet. */
const EMAIL_VALUE = /[^\s@"]+@[^\s@"]+\.[^\s@"]+/;

/** A copy of `body` without personal data; the input is not modified. */
export function redactShopifyBody(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(redactShopifyBody);
  if (typeof body === 'string') return body.includes('@') && EMAIL_VALUE.test(body) ? '[redacted]' : body;
  if (body === null || typeof body !== 'object') return body;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (PERSONAL_OBJECT_KEYS.has(key) || PERSONAL_FIELD_KEYS.has(key)) continue;
    out[key] = redactShopifyBody(value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// classify

/**
 * How long until the bucket holds the query's cost again: (requested − currently available) / restore rate
 * seconds. Undefined when the answer lacks the numbers to say.
 */
export function throttleWaitMs(cost: ShopifyCost | undefined): number | undefined {
  const status = cost?.throttleStatus;
  if (!status || cost?.requestedQueryCost === undefined || !(status.restoreRate > 0)) return undefined;
  const ms = ((cost.requestedQueryCost - status.currentlyAvailable) / status.restoreRate) * 1000;
  // Round away float noise first (903 / 30.1 is not exactly 30), then up to a whole millisecond.
  return Math.max(0, Math.ceil(Math.round(ms * 1000) / 1000));
}

function describeCost(cost: ShopifyCost | undefined): string {
  const status = cost?.throttleStatus;
  if (!status) return 'no cost information';
  return `query cost ${cost?.requestedQueryCost ?? '?'}, ${status.currentlyAvailable} of ${status.maximumAvailable} points available, restoring ${status.restoreRate}/s`;
}

interface ErrorEntry {
  message: string;
  code?: string;
}

/** The `errors` of any Shopify error shape as a flat list. */
function errorEntries(errors: ShopifyErrorBody['errors']): ErrorEntry[] {
  if (errors === undefined) return [];
  if (typeof errors === 'string') return [{ message: errors }];
  if (Array.isArray(errors)) return errors.map((error) => ({ message: error.message ?? 'no message', code: error.extensions?.code }));
  return Object.entries(errors).map(([key, value]) => ({ message: `${key}: ${Array.isArray(value) ? value.join(', ') : String(value)}` }));
}

const describeErrors = (entries: ErrorEntry[]) => entries.map((entry) => (entry.code ? `${entry.message} (${entry.code})` : entry.message)).join('; ') || 'no error message';

function classifyStatus(status: number, detail: string): ResponseVerdict | undefined {
  if (status === 401) return { kind: 'fatal', reason: `access token rejected: ${detail}; issue a new Admin API access token for the shop` };
  if (status === 403) return { kind: 'fatal', reason: `forbidden: ${detail}; the app needs the read_orders scope (and read_all_orders beyond 60 days)` };
  if (status === 402) return { kind: 'fatal', reason: `payment required: ${detail}; the shop is frozen until its bill is paid` };
  if (status === 404) return { kind: 'fatal', reason: `not found: ${detail}; check the shop name and the API version` };
  if (status === 423) return { kind: 'fatal', reason: `locked: ${detail}; the shop is locked by Shopify` };
  if (status >= 500) return { kind: 'retryable', reason: `server error: ${detail}` };
  return undefined;
}

/**
 * Every Shopify limit is the app's on one shop (the cost bucket, REST's 429s), and each shop is its own host: a
 * throttle pauses that shop only, and an answer whose bucket cannot pay for another query like it pauses the shop
 * until it can, instead of earning a THROTTLED.
 */
function classify(response: ApiResponse): ResponseVerdict {
  const { status, headers } = response;
  if (response.bodyInvalid) {
    if (status >= 200 && status < 300) return { kind: 'retryable', reason: 'truncated body: a 2xx answer that is not valid JSON' };
    if (status === 429) return throttled('HTTP 429 with a non-JSON body', retryAfterHeaderMs(headers['retry-after']), 'account');
    return classifyStatus(status, `HTTP ${status} with a non-JSON body`) ?? { kind: 'fatal', reason: `HTTP ${status} with a non-JSON body` };
  }
  const envelope = ShopifyErrorBodySchema.safeParse(response.body);
  const body = envelope.success ? envelope.data : {};
  const errors = errorEntries(body.errors);
  const cost = body.extensions?.cost;

  // Cost-based throttling answers HTTP 200 with a THROTTLED error; the cost block says how long to wait.
  if (errors.some((error) => error.code === 'THROTTLED' || error.message === 'Throttled')) {
    return throttled(`THROTTLED: ${describeCost(cost)}`, throttleWaitMs(cost) ?? retryAfterHeaderMs(headers['retry-after']), 'account');
  }
  if (status === 429) return throttled(`HTTP 429: ${describeErrors(errors)}`, retryAfterHeaderMs(headers['retry-after']) ?? throttleWaitMs(cost), 'account');
  const byStatus = classifyStatus(status, describeErrors(errors));
  if (byStatus) return byStatus;
  if (status >= 200 && status < 300) {
    if (errors.length === 0) {
      // The next page costs what this one was priced at; the bucket says how long until it holds that much.
      const pause = throttleWaitMs(cost);
      return pause ? { kind: 'ok', accountPauseMs: pause } : { kind: 'ok' };
    }
    // Shopify's own "something went wrong on our end", sent with HTTP 200: worth another try.
    if (errors.some((error) => error.code === 'INTERNAL_SERVER_ERROR')) return { kind: 'retryable', reason: `Shopify internal error: ${describeErrors(errors)}` };
    return { kind: 'fatal', reason: `GraphQL query rejected: ${describeErrors(errors)}` };
  }
  return { kind: 'fatal', reason: `HTTP ${status}: ${describeErrors(errors)}` };
}

// ---------------------------------------------------------------------------------------------------------------
// requests and parse

function graphqlRequest(path: string, body: GraphqlBody, purpose: string): ApiRequest {
  return { method: 'POST', path, body, purpose };
}

/** The variables of an orders request this connector built. */
function ordersVariables(request: ApiRequest): OrdersVariables {
  return (request.body as GraphqlBody).variables as unknown as OrdersVariables;
}

function toRecord(node: OrderNode, shopDate: string): ShopifyOrderRecord {
  const utm = node.customerJourneySummary?.lastVisit?.utmParameters ?? null;
  return {
    id: node.id,
    name: node.name,
    created_at: node.createdAt,
    shop_date: shopDate,
    amount: node.totalPriceSet.shopMoney.amount,
    currency: node.totalPriceSet.shopMoney.currencyCode,
    utm_campaign: utm?.campaign ?? null,
    utm_source: utm?.source ?? null,
    utm_medium: utm?.medium ?? null,
  };
}

export function createShopifyConnector(options: ShopifyConnectorOptions = {}): Connector<ShopifyOrderRecord> {
  const pageSize = options.pageSize ?? SHOPIFY_DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > SHOPIFY_MAX_PAGE_SIZE) {
    throw new RangeError(`shopify page size must be an integer from 1 to ${SHOPIFY_MAX_PAGE_SIZE}, got ${pageSize}`);
  }
  if (ordersQueryCost(pageSize) > SHOPIFY_MAX_QUERY_COST) {
    throw new RangeError(`shopify page size ${pageSize} makes the orders query cost ${ordersQueryCost(pageSize)} points, over Shopify's ${SHOPIFY_MAX_QUERY_COST}-point limit per query`);
  }

  function parseShop(body: unknown, context: FetchContext, request: ApiRequest): PageResult<ShopifyOrderRecord> {
    const { shop } = parsePayload(ShopResponseSchema, body, 'shopify').data;
    const variables: OrdersVariables = { first: pageSize, after: null, query: createdAtSearch(shopDayUtcRange(context.date, shop.ianaTimezone)) };
    return {
      records: [],
      account: { currency: shop.currencyCode, timeZone: shop.ianaTimezone },
      next: graphqlRequest(request.path, { query: ORDERS_QUERY, variables: { ...variables } }, PURPOSE_ORDERS),
      unknownFields: unknownFieldPaths(ShopResponseSchema, body),
    };
  }

  function parseOrders(body: unknown, context: FetchContext, request: ApiRequest): PageResult<ShopifyOrderRecord> {
    const { shop, orders } = parsePayload(OrdersResponseSchema, body, 'shopify').data;
    const records: ShopifyOrderRecord[] = [];
    // Bucket by the shop's own clock, not UTC (an order at 23:30 in Los Angeles is the next day in UTC): an order is
    // on the shop's day when its instant falls between the day's two local midnights.
    const day = shopDayUtcBounds(context.date, shop.ianaTimezone);
    for (const { node } of orders.edges) {
      const at = Date.parse(node.createdAt);
      // Defence in depth: the range already asked for this day only; an order outside it is not this partition's.
      if (at < day.from || at >= day.to) continue;
      records.push(toRecord(node, context.date));
    }
    const { hasNextPage, endCursor } = orders.pageInfo;
    if (hasNextPage && !endCursor) {
      throw new BoscoError('PAYLOAD_INVALID', 'shopify payload: data.orders.pageInfo.endCursor: missing while hasNextPage is true', {
        hint: 'the page cannot be followed; compare the body with the connector\'s schema',
      });
    }
    const next = hasNextPage && endCursor ? graphqlRequest(request.path, { query: ORDERS_QUERY, variables: { ...ordersVariables(request), after: endCursor } }, PURPOSE_ORDERS) : undefined;
    return {
      records,
      next,
      account: { currency: shop.currencyCode, timeZone: shop.ianaTimezone },
      unknownFields: unknownFieldPaths(OrdersResponseSchema, body),
    };
  }

  return {
    platform: 'shopify',
    // Every shop is its own host: `accountBaseUrl` fills in `{shop}` per account.
    defaultBaseUrl: 'https://{shop}.myshopify.com',
    publishedLimits: { requestsPerSecond: 2, burst: 4, perAccountRequestsPerSecond: 2 },
    api: `Shopify Admin GraphQL API ${SHOPIFY_API_VERSION} (orders by created_at over the shop's local day)`,
    connectorVersion: '1.0.0',
    recordSchema: ShopifyOrderRecordSchema,
    purposes: [PURPOSE_SHOP, PURPOSE_ORDERS],
    authHeaders: (credential) => ({ 'X-Shopify-Access-Token': credential }),
    accountBaseUrl: shopBaseUrl,
    firstRequest: () => graphqlRequest(SHOPIFY_GRAPHQL_PATH, { query: SHOP_QUERY, variables: {} }, PURPOSE_SHOP),
    classify,
    parse(body, context, request) {
      rejectErrorAnswer('shopify', body, (answer) => {
        const envelope = ShopifyErrorBodySchema.safeParse(answer);
        const errors = envelope.success ? errorEntries(envelope.data.errors) : [];
        return errors.length > 0 ? describeErrors(errors) : undefined;
      });
      return request.purpose === PURPOSE_SHOP ? parseShop(body, context, request) : parseOrders(body, context, request);
    },
    redact: redactShopifyBody,
    replayDay(body, purpose) {
      if (purpose !== PURPOSE_ORDERS) return undefined;
      // One page holds one shop day (the range asked for it), so its first order's day is the page's.
      const page = OrdersResponseSchema.safeParse(body);
      if (!page.success) return undefined;
      const first = page.data.data.orders.edges[0]?.node;
      return first ? dayInTimeZone(new Date(first.createdAt), page.data.data.shop.ianaTimezone) : undefined;
    },
  };
}

export const shopifyConnector: Connector<ShopifyOrderRecord> = createShopifyConnector();
