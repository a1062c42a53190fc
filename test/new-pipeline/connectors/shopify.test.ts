import { describe, expect, it } from 'vitest';
import { BoscoError } from '../../../core/errors.js';
import { createShopifyConnector, SHOPIFY_API_VERSION, shopifyConnector, type ShopifyOrderRecord } from '../../../new-pipeline/connectors/shopify/shopify-connector.js';
import { ORDERS_QUERY } from '../../../new-pipeline/connectors/shopify/shopify-query.js';
import type { ApiRequest, ApiResponse, Connector, FetchContext } from '../../../new-pipeline/connectors/types.js';
import { simulatedShopify } from '../../../new-pipeline/simulator/platforms/shopify.js';
import type { SimEnv, SimRequest } from '../../../new-pipeline/simulator/types.js';
import { SimWorld, type SimOrder } from '../../../new-pipeline/simulator/world.js';
import { envFactory, expectPayloadInvalid, runPartition, sum, toApiResponse, toSimRequest } from './sim-harness.js';

const TOKEN = 'shpat_test_token';
const DATE = '2026-11-22';

/** The first `shop-<n>` whose simulated time zone is `timeZone`: the world assigns zones by hashing the name. */
function shopIn(timeZone: string): string {
  const world = new SimWorld();
  for (let i = 0; i < 500; i++) if (world.account('shopify', `shop-${i}`).timeZone === timeZone) return `shop-${i}`;
  throw new Error(`no simulated shop in ${timeZone}`);
}

const SYDNEY = shopIn('Australia/Sydney');
const LOS_ANGELES = shopIn('America/Los_Angeles');
const BERLIN = shopIn('Europe/Berlin');

function contextFor(shop: string, date = DATE): FetchContext {
  return { account: { clientId: 'client-1', platform: 'shopify', accountId: shop }, date };
}

/** The simulator's base URL: no `{shop}` in it, so shops are addressed by path. */
const SIM_URL = 'http://127.0.0.1:4010';

/** The path the simulator sees for `shop`: its base URL has no `{shop}`, so the shop is a path prefix. */
const simPath = (request: ApiRequest, shop: string) => new URL(shopifyConnector.accountBaseUrl!(SIM_URL, shop) + request.path).pathname;

function send(connector: Connector<ShopifyOrderRecord>, request: ApiRequest, env: SimEnv, shop: string, token = TOKEN): ApiResponse {
  const simRequest = toSimRequest(request, connector.authHeaders(token), simPath(request, shop));
  expect(simulatedShopify.matches(simRequest)).toBe(true);
  if (!simulatedShopify.authorized(simRequest, TOKEN)) return toApiResponse(simulatedShopify.unauthorized());
  return toApiResponse(simulatedShopify.handle(simRequest, env));
}

const fetchPartition = (connector: Connector<ShopifyOrderRecord>, env: SimEnv, context: FetchContext) =>
  runPartition(connector, (request) => send(connector, request, env, context.account.accountId), context);
const variablesOf = (request: ApiRequest) => (request.body as { variables: Record<string, unknown> }).variables;

/** Every piece of personal data the simulated orders carry: none of it may survive redaction. */
function personalStrings(orders: SimOrder[]): string[] {
  return orders.flatMap((order) => [order.customer.email, order.customer.phone, `${order.customer.firstName} ${order.customer.lastName}`, order.shippingAddress.address1]);
}

function expectNoPersonalData(json: string, orders: SimOrder[]) {
  for (const value of personalStrings(orders)) expect(json).not.toContain(value);
  for (const key of ['"email"', '"phone"', '"firstName"', '"lastName"', '"address1"', '"shippingAddress"', '"defaultAddress"', '"customer"']) expect(json).not.toContain(key);
  expect(json).not.toMatch(/@example\.com/);
}

/** A hand-made orders page, as the API would send it, for a shop in `timeZone`. */
function ordersPage(timeZone: string, createdAts: string[], pageInfo = { hasNextPage: false, endCursor: null as string | null }) {
  return {
    data: {
      shop: { ianaTimezone: timeZone, currencyCode: 'USD' },
      orders: {
        edges: createdAts.map((createdAt, i) => ({
          cursor: `c${i}`,
          node: { id: `gid://shopify/Order/${1000 + i}`, name: `#${1000 + i}`, createdAt, totalPriceSet: { shopMoney: { amount: '10.0', currencyCode: 'USD' } }, customerJourneySummary: null },
        })),
        pageInfo,
      },
    },
  };
}

function ordersRequestFor(connector: Connector<ShopifyOrderRecord>, context: FetchContext, timeZone: string): ApiRequest {
  return connector.parse({ data: { shop: { ianaTimezone: timeZone, currencyCode: 'USD' } } }, context, connector.firstRequest(context)).next!;
}

describe('Shopify connector against the simulated Admin GraphQL API', () => {
  it('posts GraphQL to the versioned endpoint with the token in X-Shopify-Access-Token', () => {
    const request = shopifyConnector.firstRequest(contextFor('acme-store'));
    expect(request).toMatchObject({ method: 'POST', path: `/admin/api/${SHOPIFY_API_VERSION}/graphql.json`, purpose: 'shop' });
    expect((request.body as { query: string }).query).toMatch(/shop\s*\{\s*ianaTimezone currencyCode\s*\}/);
    expect(shopifyConnector.authHeaders('secret')).toEqual({ 'X-Shopify-Access-Token': 'secret' });
    expect(shopifyConnector.api).toContain(`Admin GraphQL API ${SHOPIFY_API_VERSION}`);
  });

  it('addresses a real shop by its own host: the default base URL is https://{shop}.myshopify.com', () => {
    expect(shopifyConnector.defaultBaseUrl).toBe('https://{shop}.myshopify.com');
    expect(shopifyConnector.accountBaseUrl!(shopifyConnector.defaultBaseUrl, 'acme-store')).toBe('https://acme-store.myshopify.com');
  });

  it('addresses shops by path when the base URL is one host for every shop, as the simulator is', () => {
    expect(shopifyConnector.accountBaseUrl!(`${SIM_URL}/`, 'acme-store')).toBe(`${SIM_URL}/shops/acme-store`);
    expect(shopifyConnector.accountBaseUrl!(`${SIM_URL}/shops/{shop}`, 'acme-store')).toBe(`${SIM_URL}/shops/acme-store`);
  });

  it('accepts the account as a myshopify.com domain and rejects one that is not a shop name', () => {
    expect(shopifyConnector.accountBaseUrl!(shopifyConnector.defaultBaseUrl, 'Acme-Store.myshopify.com')).toBe('https://acme-store.myshopify.com');
    expect(() => shopifyConnector.accountBaseUrl!(SIM_URL, '../admin')).toThrow(BoscoError);
  });

  it('pulls every order of the day across small pages: count, ids and revenue match the ground truth', () => {
    const env = envFactory();
    const truth = env.world.orders(BERLIN, DATE);
    expect(truth.length).toBeGreaterThan(20);
    const { records } = fetchPartition(createShopifyConnector({ pageSize: 7 }), env, contextFor(BERLIN));

    expect(records).toHaveLength(truth.length);
    expect(records.map((r) => r.id).sort()).toEqual(truth.map((o) => o.id).sort());
    expect(sum(records.map((r) => Number(r.amount)))).toBeCloseTo(sum(truth.map((o) => o.amount)), 6);
    expect(new Set(records.map((r) => r.currency))).toEqual(new Set([env.world.account('shopify', BERLIN).currency]));
    expect(records.every((r) => /^\d+\.\d+$/.test(r.amount))).toBe(true);
  });

  it('keeps each order\'s UTM campaign as text, and null for unattributed orders', () => {
    const env = envFactory();
    const truth = new Map(env.world.orders(BERLIN, DATE).map((o) => [o.id, o.utmCampaign ?? null]));
    const { records } = fetchPartition(createShopifyConnector({ pageSize: 50 }), env, contextFor(BERLIN));
    expect(records.map((r) => [r.id, r.utm_campaign])).toEqual(records.map((r) => [r.id, truth.get(r.id)]));
    expect(records.some((r) => r.utm_campaign === null)).toBe(true);
    expect(records.some((r) => r.utm_campaign !== null)).toBe(true);
  });

  it('asks for the shop first and reports its currency and IANA time zone', () => {
    const env = envFactory();
    const { account, requests } = fetchPartition(shopifyConnector, env, contextFor(SYDNEY));
    const truth = env.world.account('shopify', SYDNEY);
    expect(requests[0]!.purpose).toBe('shop');
    expect(requests.slice(1).every((r) => r.purpose === 'orders')).toBe(true);
    expect(account).toEqual({ currency: truth.currency, timeZone: truth.timeZone });
  });

  it('asks for orders created from local midnight to the next local midnight, in UTC, as GraphQL variables', () => {
    const la = variablesOf(ordersRequestFor(shopifyConnector, contextFor('x'), 'America/Los_Angeles'));
    expect(la).toEqual({ first: 150, after: null, query: "created_at:>='2026-11-22T08:00:00Z' AND created_at:<'2026-11-23T08:00:00Z'" });
    const sydney = variablesOf(ordersRequestFor(shopifyConnector, contextFor('x'), 'Australia/Sydney'));
    expect(sydney.query).toBe("created_at:>='2026-11-21T13:00:00Z' AND created_at:<'2026-11-22T13:00:00Z'");
    const brisbane = variablesOf(ordersRequestFor(shopifyConnector, contextFor('x'), 'Australia/Brisbane'));
    expect(brisbane.query).toBe("created_at:>='2026-11-21T14:00:00Z' AND created_at:<'2026-11-22T14:00:00Z'");
  });

  it('spans 25 hours on the day Los Angeles leaves daylight time and 23 on the day Sydney enters it', () => {
    const fallBack = variablesOf(ordersRequestFor(shopifyConnector, contextFor('x', '2026-11-01'), 'America/Los_Angeles'));
    expect(fallBack.query).toBe("created_at:>='2026-11-01T07:00:00Z' AND created_at:<'2026-11-02T08:00:00Z'");
    const springForward = variablesOf(ordersRequestFor(shopifyConnector, contextFor('x', '2026-10-04'), 'Australia/Sydney'));
    expect(springForward.query).toBe("created_at:>='2026-10-03T14:00:00Z' AND created_at:<'2026-10-04T13:00:00Z'");
  });

  it.each([
    [SYDNEY, DATE],
    [SYDNEY, '2026-06-15'],
    [SYDNEY, '2026-10-04'],
    [LOS_ANGELES, DATE],
    [LOS_ANGELES, '2026-11-01'],
  ])('gives every order of %s on %s that day as shop_date, matching the ground truth', (shop, date) => {
    const env = envFactory();
    const truth = env.world.orders(shop, date);
    const { records } = fetchPartition(createShopifyConnector({ pageSize: 40 }), env, contextFor(shop, date));
    expect(records).toHaveLength(truth.length);
    expect(records.every((r) => r.shop_date === date)).toBe(true);
    expect(records.map((r) => r.id).sort()).toEqual(truth.map((o) => o.id).sort());
  });

  it('buckets by the shop\'s clock, not UTC: many orders fall on another UTC date than their shop day', () => {
    const env = envFactory();
    for (const shop of [SYDNEY, LOS_ANGELES]) {
      const { records } = fetchPartition(createShopifyConnector({ pageSize: 100 }), env, contextFor(shop));
      expect(records.some((r) => r.created_at.slice(0, 10) !== r.shop_date)).toBe(true);
    }
  });

  it('puts orders a second either side of midnight on the right day, and drops those outside it (UTC+10, UTC−8)', () => {
    const cases = [
      // Brisbane is UTC+10 all year: local midnight of Nov 22 is 14:00Z on Nov 21.
      { zone: 'Australia/Brisbane', before: '2026-11-21T13:59:59Z', first: '2026-11-21T14:00:00Z', last: '2026-11-22T13:59:59Z', after: '2026-11-22T14:00:00Z' },
      // Los Angeles is UTC−8 in November: local midnight of Nov 22 is 08:00Z on Nov 22.
      { zone: 'America/Los_Angeles', before: '2026-11-22T07:59:59Z', first: '2026-11-22T08:00:00Z', last: '2026-11-23T07:59:59Z', after: '2026-11-23T08:00:00Z' },
    ];
    for (const { zone, before, first, last, after } of cases) {
      const context = contextFor('x');
      const page = shopifyConnector.parse(ordersPage(zone, [before, first, last, after]), context, ordersRequestFor(shopifyConnector, context, zone));
      expect(page.records.map((r) => r.created_at)).toEqual([first, last]);
      expect(page.records.every((r) => r.shop_date === DATE)).toBe(true);
    }
  });

  it('follows endCursor exactly: one request per page, the previous endCursor as after, no order twice', () => {
    const env = envFactory();
    const count = env.world.orders(LOS_ANGELES, DATE).length;
    const pageSize = 9;
    const { requests, records, bodies } = fetchPartition(createShopifyConnector({ pageSize }), env, contextFor(LOS_ANGELES));
    const orders = requests.filter((r) => r.purpose === 'orders');
    expect(orders).toHaveLength(Math.max(1, Math.ceil(count / pageSize)));
    expect(variablesOf(orders[0]!).after).toBeNull();
    orders.slice(1).forEach((request, i) => {
      const previous = bodies[i + 1] as { data: { orders: { pageInfo: { endCursor: string } } } };
      expect(variablesOf(request).after).toBe(previous.data.orders.pageInfo.endCursor);
      expect(variablesOf(request).first).toBe(pageSize);
    });
    expect(new Set(records.map((r) => r.id)).size).toBe(count);
  });

  it('lands a day with no orders as one empty page', () => {
    const context = contextFor('x');
    const page = shopifyConnector.parse(ordersPage('UTC', []), context, ordersRequestFor(shopifyConnector, context, 'UTC'));
    expect(page).toMatchObject({ records: [], next: undefined, unknownFields: [] });
  });

  it('fails rather than loops when a page says there is more but gives no endCursor', () => {
    const context = contextFor('x');
    expectPayloadInvalid(
      () => shopifyConnector.parse(ordersPage('UTC', ['2026-11-22T10:00:00Z'], { hasNextPage: true, endCursor: null }), context, ordersRequestFor(shopifyConnector, context, 'UTC')),
      'data.orders.pageInfo.endCursor',
    );
  });

  it('rejects a shop time zone that is not IANA, naming data.shop.ianaTimezone', () => {
    const context = contextFor('x');
    expectPayloadInvalid(() => shopifyConnector.parse({ data: { shop: { ianaTimezone: 'Mars/Olympus', currencyCode: 'USD' } } }, context, shopifyConnector.firstRequest(context)), 'data.shop.ianaTimezone');
  });

  it('refuses a page size whose query would cost more than Shopify\'s 1000 points, or is not a count', () => {
    expect(() => createShopifyConnector({ pageSize: 250 })).toThrow(/1000-point/);
    expect(() => createShopifyConnector({ pageSize: 0 })).toThrow(RangeError);
    expect(() => createShopifyConnector({ pageSize: 2.5 })).toThrow(RangeError);
    expect(() => createShopifyConnector({ pageSize: 166 })).not.toThrow();
  });
});

describe('Shopify personal data', () => {
  it('never asks for customer, email, phone, names or addresses', () => {
    const { requests } = fetchPartition(createShopifyConnector({ pageSize: 50 }), envFactory(), contextFor(BERLIN));
    for (const request of requests) {
      const query = (request.body as { query: string }).query;
      expect(query).not.toMatch(/\bcustomer\s*\{|email|phone|firstName|lastName|[aA]ddress|displayName|note|landingPage|referrerUrl/);
    }
  });

  it('redacts every trace of the customer from a body that asked for customer data, as the real API returns it', () => {
    const env = envFactory();
    const context = contextFor(BERLIN);
    const greedy = { ...ordersRequestFor(shopifyConnector, context, 'Europe/Berlin') };
    greedy.body = {
      query: ORDERS_QUERY.replace('name\n', 'name\n        email\n        customer { email firstName lastName phone defaultAddress { address1 city zip } }\n        shippingAddress { name address1 zip }\n'),
      variables: variablesOf(greedy),
    };
    const response = send(shopifyConnector, greedy, env, BERLIN);
    const truth = env.world.orders(BERLIN, DATE).slice(0, 150);
    const raw = JSON.stringify(response.body);
    expect(raw).toContain(truth[0]!.customer.email);
    expect(raw).toContain(truth[0]!.shippingAddress.address1);

    const redacted = shopifyConnector.redact!(response.body);
    expectNoPersonalData(JSON.stringify(redacted), truth);
    // What the metrics need survives, and the redacted body still parses.
    const page = shopifyConnector.parse(redacted, context, greedy);
    expect(page.records.map((r) => r.id)).toEqual(truth.map((o) => o.id));
    expect(JSON.stringify(response.body)).toBe(raw);
  });

  it('keeps personal data out of records and landed bodies when drift adds a customer object to every order', () => {
    const env = envFactory({ faults: { drift: { platform: 'shopify', kind: 'add' } } });
    const { records, bodies } = fetchPartition(createShopifyConnector({ pageSize: 25 }), env, contextFor(BERLIN));
    const truth = env.world.orders(BERLIN, DATE);
    expect(JSON.stringify(bodies)).toContain(truth[0]!.customer.email);
    expectNoPersonalData(JSON.stringify(bodies.map((body) => shopifyConnector.redact!(body))), truth);
    expectNoPersonalData(JSON.stringify(records), truth);
    expect(records.every((r) => shopifyConnector.recordSchema.safeParse(r).success)).toBe(true);
  });

  it('has a record schema that refuses any extra key, so a record cannot carry an email', () => {
    const record: ShopifyOrderRecord = { id: 'gid://shopify/Order/1', name: '#1001', created_at: '2026-11-22T10:00:00Z', shop_date: DATE, amount: '10.0', currency: 'USD', utm_campaign: null, utm_source: null, utm_medium: null };
    expect(shopifyConnector.recordSchema.safeParse(record).success).toBe(true);
    expect(shopifyConnector.recordSchema.safeParse({ ...record, email: 'ana.smith@example.com' }).success).toBe(false);
  });

  it('redacts email addresses under keys nobody listed, and keeps order names', () => {
    const redacted = shopifyConnector.redact!({ data: { order: { name: '#1001', contact: 'ana.smith@example.com', staffNote: { note: 'call +15551234567' } } } });
    expect(redacted).toEqual({ data: { order: { name: '#1001', contact: '[redacted]', staffNote: {} } } });
  });
});

describe('Shopify classify', () => {
  const connector = shopifyConnector;
  const graphqlError = (message: string, code: string, extra: Record<string, unknown> = {}): ApiResponse => ({ status: 200, headers: {}, body: { errors: [{ message, extensions: { code } }], ...extra } });

  it('treats a 200 with data and no errors as ok', () => {
    expect(connector.classify({ status: 200, headers: {}, body: ordersPage('UTC', []) })).toEqual({ kind: 'ok' });
  });

  it('waits (requested − available) / restoreRate seconds on a THROTTLED answer', () => {
    const cost = { requestedQueryCost: 903, actualQueryCost: null, throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 503, restoreRate: 100 } };
    const verdict = connector.classify(graphqlError('Throttled', 'THROTTLED', { extensions: { cost } }));
    expect(verdict).toMatchObject({ kind: 'throttled', retryAfterMs: 4000 });
    expect(verdict.kind === 'throttled' && verdict.reason).toContain('THROTTLED');
  });

  it('pauses only the shop on a THROTTLED or a 429: every Shopify limit is per shop', () => {
    expect(connector.classify(toApiResponse(simulatedShopify.throttled(3_000)))).toMatchObject({ scope: 'account' });
    expect(connector.classify({ status: 429, headers: { 'retry-after': '2.0' }, body: { errors: 'Exceeded 2 calls per second for api client.' } })).toMatchObject({ scope: 'account' });
  });

  it('pauses the shop before it is throttled when its bucket cannot pay for another query like the last', () => {
    const low = { requestedQueryCost: 903, actualQueryCost: 600, throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 303, restoreRate: 100 } };
    expect(connector.classify({ status: 200, headers: {}, body: { ...ordersPage('UTC', []), extensions: { cost: low } } })).toEqual({ kind: 'ok', accountPauseMs: 6000 });
    const plenty = { ...low, throttleStatus: { ...low.throttleStatus, currentlyAvailable: 1400 } };
    expect(connector.classify({ status: 200, headers: {}, body: { ...ordersPage('UTC', []), extensions: { cost: plenty } } })).toEqual({ kind: 'ok' });
  });

  it('reads the simulator\'s own throttle answer as the wait it was given', () => {
    expect(connector.classify(toApiResponse(simulatedShopify.throttled(3_000)))).toMatchObject({ kind: 'throttled', retryAfterMs: 3000 });
    expect(connector.classify(toApiResponse(simulatedShopify.throttled(30_000)))).toMatchObject({ kind: 'throttled', retryAfterMs: 30_000 });
    expect(connector.classify(toApiResponse(simulatedShopify.throttled(40)))).toMatchObject({ kind: 'throttled', retryAfterMs: 40 });
  });

  it('treats HTTP 429 as throttled for as long as Retry-After says', () => {
    expect(connector.classify({ status: 429, headers: { 'retry-after': '2.0' }, body: { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' } })).toMatchObject({ kind: 'throttled', retryAfterMs: 2000 });
  });

  it('retries a 500, a 502 HTML page and an internal error sent with 200', () => {
    expect(connector.classify(toApiResponse(simulatedShopify.serverError())).kind).toBe('retryable');
    expect(connector.classify({ status: 502, headers: {}, body: '<html>Bad Gateway</html>', bodyInvalid: true }).kind).toBe('retryable');
    expect(connector.classify(graphqlError('Internal error. Looks like something went wrong on our end.', 'INTERNAL_SERVER_ERROR')).kind).toBe('retryable');
  });

  it('retries a 2xx body cut short as a truncated body', () => {
    const verdict = connector.classify({ status: 200, headers: {}, body: '{"data":{"orders":{"edges":[{"cursor":"ey', bodyInvalid: true });
    expect(verdict.kind).toBe('retryable');
    expect(verdict.kind === 'retryable' && verdict.reason).toContain('truncated body');
  });

  it('fails the partition on a rejected token (401) and on missing scopes (403)', () => {
    const unauthorized = connector.classify(toApiResponse(simulatedShopify.unauthorized()));
    expect(unauthorized.kind).toBe('fatal');
    expect(unauthorized.kind === 'fatal' && unauthorized.reason).toMatch(/access token/i);
    const forbidden = connector.classify({ status: 403, headers: {}, body: { errors: '[API] This action requires merchant approval for read_orders scope.' } });
    expect(forbidden.kind === 'fatal' && forbidden.reason).toContain('read_orders');
  });

  it('fails on any other GraphQL error, with its message', () => {
    const verdict = connector.classify(graphqlError("Field 'bogus' doesn't exist on type 'Order'", 'undefinedField'));
    expect(verdict).toEqual({ kind: 'fatal', reason: expect.stringContaining("Field 'bogus' doesn't exist on type 'Order'") });
  });

  it('fails when the simulated API refuses a query costing over 1000 points', () => {
    const context = contextFor(BERLIN);
    const request = ordersRequestFor(shopifyConnector, context, 'Europe/Berlin');
    request.body = { ...(request.body as object), variables: { ...variablesOf(request), first: 250 } };
    const verdict = connector.classify(send(shopifyConnector, request, envFactory(), BERLIN));
    expect(verdict.kind === 'fatal' && verdict.reason).toContain('MAX_COST_EXCEEDED');
  });

  it('answers every request with extensions.cost', () => {
    const { bodies } = fetchPartition(createShopifyConnector({ pageSize: 100 }), envFactory(), contextFor(BERLIN));
    for (const body of bodies) expect((body as { extensions: { cost: { throttleStatus: unknown } } }).extensions.cost.throttleStatus).toBeDefined();
  });
});

describe('Shopify schema drift and auth', () => {
  const drifted = (kind: 'rename' | 'add' | 'type') => envFactory({ faults: { drift: { platform: 'shopify', kind } } });

  it('reports added fields as unknown and still yields every order', () => {
    const env = drifted('add');
    const { records, unknownFields } = fetchPartition(createShopifyConnector({ pageSize: 25 }), env, contextFor(BERLIN));
    expect(unknownFields.sort()).toEqual(['data.orders.edges[].node.customer', 'data.orders.edges[].node.sourceName']);
    expect(records).toHaveLength(env.world.orders(BERLIN, DATE).length);
  });

  it('rejects a renamed totalPriceSet as PAYLOAD_INVALID naming the field', () => {
    expectPayloadInvalid(() => fetchPartition(shopifyConnector, drifted('rename'), contextFor(BERLIN)), 'data.orders.edges[0].node.totalPriceSet');
  });

  it('rejects an amount sent as a number as PAYLOAD_INVALID naming the field', () => {
    expectPayloadInvalid(() => fetchPartition(shopifyConnector, drifted('type'), contextFor(BERLIN)), 'data.orders.edges[0].node.totalPriceSet.shopMoney.amount');
  });

  it('is unauthorized with a wrong token, and the 401 is fatal', () => {
    const request = shopifyConnector.firstRequest(contextFor(BERLIN));
    expect(simulatedShopify.authorized(toSimRequest(request, shopifyConnector.authHeaders('shpat_wrong'), simPath(request, BERLIN)), TOKEN)).toBe(false);
    expect(simulatedShopify.authorized(toSimRequest(request, shopifyConnector.authHeaders(TOKEN), simPath(request, BERLIN)), TOKEN)).toBe(true);
    const response = send(shopifyConnector, request, envFactory(), BERLIN, 'shpat_wrong');
    expect(response.status).toBe(401);
    expect(shopifyConnector.classify(response).kind).toBe('fatal');
  });

  it('serves only POSTs to a shop\'s GraphQL endpoint', () => {
    const at = (method: string, pathname: string): SimRequest => ({ method, pathname, query: new URLSearchParams(), headers: {}, body: undefined });
    expect(simulatedShopify.matches(at('POST', `/shops/acme/admin/api/${SHOPIFY_API_VERSION}/graphql.json`))).toBe(true);
    expect(simulatedShopify.matches(at('GET', `/shops/acme/admin/api/${SHOPIFY_API_VERSION}/graphql.json`))).toBe(false);
    expect(simulatedShopify.matches(at('POST', `/admin/api/${SHOPIFY_API_VERSION}/graphql.json`))).toBe(false);
    expect(simulatedShopify.matches(at('GET', '/v26.0/act_1/insights'))).toBe(false);
  });
});
