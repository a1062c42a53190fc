/**
 * The Shopify Admin GraphQL API as the simulator speaks it: `POST …/admin/api/{version}/graphql.json` with a
 * `{query, variables}` body and the `X-Shopify-Access-Token` header, answering the `shop` fields and the `orders`
 * connection (`first`, `after`, a `created_at` range in `query`, cursor paging with `pageInfo`), with
 * `extensions.cost` on every answer and Shopify's own THROTTLED, 401 and internal-error bodies.
 *
 * The shop: real Shopify takes it from the host, `https://{shop}.myshopify.com`. The simulator cannot use per-shop
 * hostnames on 127.0.0.1, so the shop is a path prefix instead: `/shops/{shop}/admin/api/{version}/graphql.json`.
 *
 * The GraphQL text is read minimally: which root fields are selected (`shop {`, `orders(`), whether the selection
 * reaches for personal data, and `edges` versus `nodes`. Arguments come from `variables`. As on the real API,
 * customer data is returned when the query asks for it, so tests can prove the connector's redaction.
 */
import { randomUUID } from 'node:crypto';
import { addDays } from '../../../core/dates.js';
import { zonedDay, type SimOrder } from '../world.js';
import type { SimEnv, SimRequest, SimResponse, SimulatedPlatform } from '../types.js';

const GRAPHQL_PATH = /^\/shops\/([a-z0-9][a-z0-9-]*)\/admin\/api\/(\d{4}-\d{2}|unstable)\/graphql\.json$/;

const MAX_FIRST = 250;
const MAX_QUERY_COST = 1000;
/** Cost of one order node with the connector's selection (see `ORDER_NODE_COST`), a connection, and `shop`. */
const ORDER_NODE_COST = 6;
const CONNECTION_COST = 2;
const SHOP_COST = 1;
/** The bucket this simulator reports: Standard plan restore rate (100 points/s) and a 2000-point bucket. */
const BUCKET_SIZE = 2000;
const RESTORE_RATE = 100;
/** The longest created_at range served, to keep answers small. */
const MAX_RANGE_DAYS = 31;

type Json = Record<string, unknown>;

function graphqlErrors(errors: Array<{ message: string; code: string; extra?: Json }>, status = 200): SimResponse {
  return { status, body: { errors: errors.map(({ message, code, extra }) => ({ message, extensions: { code, ...extra } })) } };
}

const argumentError = (message: string) => graphqlErrors([{ message, code: 'argumentLiteralsIncompatible' }]);

function costExtensions(requested: number, actual: number): Json {
  return { cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: { maximumAvailable: BUCKET_SIZE, currentlyAvailable: BUCKET_SIZE - actual, restoreRate: RESTORE_RATE } } };
}

/** Shopify cursors are opaque base64; here they carry the index of an order in the range's ordered result. */
const encodeCursor = (index: number) => Buffer.from(JSON.stringify({ last_index: index })).toString('base64');
function decodeCursor(cursor: string): number | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as { last_index?: unknown };
    return Number.isInteger(value.last_index) && (value.last_index as number) >= 0 ? (value.last_index as number) : undefined;
  } catch {
    return undefined;
  }
}

/** Shopify writes DateTime to the second, in UTC (the world's instants are whole seconds). */
const isoSeconds = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');

/** The index of the first order (of a day, in time order) created at or after `iso`; ISO instants in UTC order as text does. */
function firstAtOrAfter(orders: readonly SimOrder[], iso: string): number {
  let low = 0;
  let high = orders.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (orders[middle]!.createdAt < iso) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** A Decimal as Shopify writes it: always with a fractional part (`100.0`, `12.3`). */
const decimalText = (value: number) => (Number.isInteger(value) ? `${value}.0` : String(value));

/** `created_at:>='…' AND created_at:<'…'` → epoch-ms bounds `[from, to)`; undefined without both ends. */
function createdAtRange(search: string): { from: number; to: number } | undefined {
  let from: number | undefined;
  let to: number | undefined;
  for (const match of search.matchAll(/created_at:(>=|<=|>|<)\s*(?:'([^']*)'|"([^"]*)"|(\S+))/g)) {
    const at = Date.parse(match[2] ?? match[3] ?? match[4] ?? '');
    if (Number.isNaN(at)) return undefined;
    if (match[1] === '>=') from = at;
    if (match[1] === '>') from = at + 1000;
    if (match[1] === '<') to = at;
    if (match[1] === '<=') to = at + 1000;
  }
  return from !== undefined && to !== undefined && from < to ? { from, to } : undefined;
}

interface Selection {
  shop: boolean;
  orders: boolean;
  journey: boolean;
  /** The query reaches for the customer (`customer {`, `email`, addresses), as an app with the scope may. */
  personal: boolean;
  nodes: boolean;
}

function selectionOf(query: string): Selection {
  return {
    shop: /\bshop\s*\{/.test(query),
    orders: /\borders\s*\(/.test(query),
    journey: /\bcustomerJourneySummary\b/.test(query),
    personal: /\bcustomer\s*\{|\bemail\b|\bshippingAddress\s*\{/.test(query),
    nodes: /\bnodes\s*\{/.test(query) && !/\bedges\s*\{/.test(query),
  };
}

function customerOf(order: SimOrder): Json {
  const { customer, shippingAddress } = order;
  return {
    id: `gid://shopify/Customer/${order.id.replace(/\D/g, '').slice(0, 13)}`,
    email: customer.email,
    firstName: customer.firstName,
    lastName: customer.lastName,
    displayName: `${customer.firstName} ${customer.lastName}`,
    phone: customer.phone,
    defaultAddress: { ...shippingAddress, firstName: customer.firstName, lastName: customer.lastName, phone: customer.phone },
  };
}

/** Schema drift the way Shopify could ship it: a field renamed, fields added (with customer data), a type changed. */
function drift(node: Json, order: SimOrder, kind: 'rename' | 'add' | 'type'): Json {
  if (kind === 'add') return { ...node, sourceName: 'web', customer: customerOf(order) };
  if (kind === 'type') {
    const price = node.totalPriceSet as { shopMoney: Json } | undefined;
    return price ? { ...node, totalPriceSet: { shopMoney: { ...price.shopMoney, amount: order.amount } } } : node;
  }
  const { totalPriceSet, ...rest } = node;
  return { ...rest, totalPrice: totalPriceSet };
}

function orderNode(order: SimOrder, selection: Selection, env: SimEnv): Json {
  let node: Json = {
    id: order.id,
    name: order.name,
    createdAt: isoSeconds(order.createdAt),
    totalPriceSet: { shopMoney: { amount: decimalText(order.amount), currencyCode: order.currency } },
  };
  if (selection.journey) {
    node.customerJourneySummary = {
      lastVisit: order.utmCampaign ? { utmParameters: { campaign: order.utmCampaign, source: 'paid_ads', medium: 'cpc' } } : null,
    };
  }
  if (selection.personal) node = { ...node, customer: customerOf(order), shippingAddress: { ...order.shippingAddress, name: `${order.customer.firstName} ${order.customer.lastName}` } };
  const kind = env.faults.drift?.platform === 'shopify' ? env.faults.drift.kind : undefined;
  return kind ? drift(node, order, kind) : node;
}

function ordersConnection(shop: string, variables: Json, selection: Selection, env: SimEnv): { connection: Json; returned: number } | SimResponse {
  const first = variables.first;
  if (!Number.isInteger(first) || (first as number) < 1 || (first as number) > MAX_FIRST) return argumentError(`Argument 'first' on Field 'orders' must be between 1 and ${MAX_FIRST}`);
  const range = typeof variables.query === 'string' ? createdAtRange(variables.query) : undefined;
  if (!range) return argumentError("The simulator serves orders for a created_at range only: query \"created_at:>='<from>' AND created_at:<'<to>'\"");
  if (range.to - range.from > MAX_RANGE_DAYS * 86_400_000) return argumentError(`The simulator serves created_at ranges of at most ${MAX_RANGE_DAYS} days`);
  const after = variables.after ?? null;
  const afterIndex = after === null ? -1 : typeof after === 'string' ? decodeCursor(after) : undefined;
  if (afterIndex === undefined) return argumentError('Invalid cursor for current pagination sort.');

  // Orders are generated per shop day, each day in time order; gather every local day the UTC range touches, each
  // cut to the range by createdAt (what Shopify filters on). The days follow each other, so the whole stays ordered.
  const { timeZone } = env.world.account('shopify', shop);
  const lastDay = zonedDay(range.to - 1, timeZone);
  const [fromIso, toIso] = [new Date(range.from).toISOString(), new Date(range.to).toISOString()];
  const all: SimOrder[] = [];
  for (let day = zonedDay(range.from, timeZone); day <= lastDay; day = addDays(day, 1)) {
    const orders = env.world.orders(shop, day);
    all.push(...orders.slice(firstAtOrAfter(orders, fromIso), firstAtOrAfter(orders, toIso)));
  }

  const start = afterIndex + 1;
  const page = all.slice(start, start + (first as number));
  const nodes = page.map((order) => orderNode(order, selection, env));
  const endCursor = page.length > 0 ? encodeCursor(start + page.length - 1) : null;
  const pageInfo = { hasNextPage: start + page.length < all.length, endCursor };
  const connection = selection.nodes ? { nodes, pageInfo } : { edges: nodes.map((node, i) => ({ cursor: encodeCursor(start + i), node })), pageInfo };
  return { connection, returned: page.length };
}

function handle(request: SimRequest, env: SimEnv): SimResponse {
  const shop = GRAPHQL_PATH.exec(request.pathname)![1]!;
  const body = (request.body ?? {}) as { query?: unknown; variables?: unknown };
  if (typeof body.query !== 'string' || body.query.trim() === '') return { status: 400, body: { errors: { query: 'Required parameter missing or invalid' } } };
  const variables = (body.variables && typeof body.variables === 'object' ? body.variables : {}) as Json;
  const selection = selectionOf(body.query);
  if (!selection.shop && !selection.orders) return graphqlErrors([{ message: 'The simulator answers the shop and orders fields only', code: 'undefinedField' }]);

  const data: Json = {};
  let requested = 0;
  let actual = 0;
  if (selection.shop) {
    const account = env.world.account('shopify', shop);
    data.shop = { ianaTimezone: account.timeZone, currencyCode: account.currency };
    requested += SHOP_COST;
    actual += SHOP_COST;
  }
  if (selection.orders) {
    const first = Number.isInteger(variables.first) ? (variables.first as number) : 0;
    requested += CONNECTION_COST + first * ORDER_NODE_COST;
    // Checked before anything runs, as Shopify does: the requested cost is the worst case of the query.
    if (requested > MAX_QUERY_COST) {
      return graphqlErrors([{ message: `Query cost is ${requested}, which exceeds the single query max cost limit (${MAX_QUERY_COST}).`, code: 'MAX_COST_EXCEEDED', extra: { cost: requested, maxCost: MAX_QUERY_COST } }]);
    }
    const result = ordersConnection(shop, variables, selection, env);
    if ('status' in result) return result;
    data.orders = result.connection;
    actual += CONNECTION_COST + result.returned * ORDER_NODE_COST;
  }
  return { status: 200, body: { data, extensions: costExtensions(requested, actual) } };
}

/** A typical orders page's requested cost (150 orders), what a throttled caller was asking for. */
const TYPICAL_REQUESTED_COST = SHOP_COST + CONNECTION_COST + 150 * ORDER_NODE_COST;

export const simulatedShopify: SimulatedPlatform = {
  platform: 'shopify',
  matches: (request) => request.method === 'POST' && GRAPHQL_PATH.test(request.pathname),
  authorized: (request, token) => request.headers['x-shopify-access-token'] === token,
  handle,
  accountOf: (request) => GRAPHQL_PATH.exec(request.pathname)?.[1],
  // Every Shopify limit is per shop, so whatever the scope the answer is the shop's cost bucket running dry.
  throttled(retryAfterMs) {
    // Shopify says how long only through the cost block: (requested − available) / restoreRate. The numbers are
    // chosen so that arithmetic gives the wait the simulator decided; long waits report a slower restore.
    const seconds = retryAfterMs / 1000;
    const requested = TYPICAL_REQUESTED_COST;
    const restoreRate = seconds * RESTORE_RATE <= requested ? RESTORE_RATE : requested / seconds;
    const currentlyAvailable = requested - seconds * restoreRate;
    return {
      status: 200,
      body: {
        errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
        extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: { maximumAvailable: BUCKET_SIZE, currentlyAvailable, restoreRate } } },
      },
    };
  },
  unauthorized: () => ({ status: 401, body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' } }),
  serverError() {
    const requestId = randomUUID();
    return {
      status: 500,
      headers: { 'x-request-id': requestId },
      body: { errors: [{ message: `Internal error. Looks like something went wrong on our end.\nRequest ID: ${requestId} (include this in support requests).`, extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] },
    };
  },
};
