/**
 * The Google Analytics Data API v1beta as the simulator speaks it: `POST /v1beta/properties/{propertyId}:runReport`
 * with `dateRanges`, `dimensions`, `metrics`, `orderBys`, `limit`/`offset` (int64 as strings or numbers) and
 * `returnPropertyQuota`, answered with `dimensionHeaders`, `metricHeaders` (name and MetricType), `rows` of string
 * `dimensionValues`/`metricValues`, `rowCount`, `metadata` (currency, time zone), `propertyQuota` and `kind`, in
 * proto3 JSON (empty `rows` and a zero `rowCount` are left out). Rows are aggregated over the requested dimensions,
 * as GA4 does. Errors are `google.rpc.Status` bodies: 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED,
 * 429 RESOURCE_EXHAUSTED, 500 INTERNAL.
 *
 * Cost, clicks and impressions are GA4's `advertiserAd*` metrics (imported from the linked ad platform); conversions
 * are `keyEvents`, revenue is `totalRevenue`; the day is the property's day, written `YYYYMMDD`.
 */
import { addDays } from '../../../core/dates.js';
import type { SimDailyStats } from '../world.js';
import type { SimEnv, SimRequest, SimResponse, SimulatedPlatform } from '../types.js';

const RUN_REPORT_PATH = /^\/v1beta\/properties\/(\d+):runReport$/;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const DEFAULT_LIMIT = 10_000;
const MAX_LIMIT = 250_000;
/** The longest date range served; keeps answers small. */
const MAX_RANGE_DAYS = 92;
const SCHEMA_URL = 'https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema';

const DIMENSIONS: Record<string, (stats: SimDailyStats) => string> = {
  date: (stats) => stats.date.replace(/-/g, ''),
  sessionCampaignId: (stats) => stats.campaignId,
  sessionCampaignName: (stats) => stats.campaignName,
};

const METRICS: Record<string, { type: string; read: (stats: SimDailyStats) => number }> = {
  advertiserAdCost: { type: 'TYPE_CURRENCY', read: (stats) => stats.spend },
  advertiserAdImpressions: { type: 'TYPE_INTEGER', read: (stats) => stats.impressions },
  advertiserAdClicks: { type: 'TYPE_INTEGER', read: (stats) => stats.clicks },
  // Fractional key events come from the world's attributed conversions.
  keyEvents: { type: 'TYPE_FLOAT', read: (stats) => stats.conversions },
  totalRevenue: { type: 'TYPE_CURRENCY', read: (stats) => stats.revenue },
};

function googleError(httpStatus: number, status: string, message: string, details?: unknown[]): SimResponse {
  return { status: httpStatus, body: { error: { code: httpStatus, message, status, ...(details ? { details } : {}) } } };
}

const invalidArgument = (message: string) => googleError(400, 'INVALID_ARGUMENT', message);

/** Two-decimal money and fractional counts come out of sums as 12.340000000000002; GA4 writes clean decimals. */
const text = (value: number) => String(Math.round(value * 1e6) / 1e6);

interface ReportRequest {
  from: string;
  to: string;
  dimensions: string[];
  metrics: string[];
  orderBys: Array<{ name: string; kind: 'dimension' | 'metric'; desc: boolean }>;
  limit: number;
  offset: number;
  returnPropertyQuota: boolean;
}

function int64(value: unknown, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  const parsed = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof parsed === 'number' && Number.isInteger(parsed) && parsed >= 0 ? parsed : undefined;
}

function readRequest(body: unknown): ReportRequest | SimResponse {
  const b = (body ?? {}) as Record<string, unknown>;
  const ranges = b.dateRanges as Array<{ startDate?: unknown; endDate?: unknown }> | undefined;
  if (!Array.isArray(ranges) || ranges.length !== 1) return invalidArgument('The simulator answers exactly one date range; dateRanges must have one entry.');
  const { startDate, endDate } = ranges[0]!;
  if (typeof startDate !== 'string' || typeof endDate !== 'string' || !ISO_DAY.test(startDate) || !ISO_DAY.test(endDate)) {
    return invalidArgument('Invalid date range: startDate and endDate must be YYYY-MM-DD.');
  }
  if (startDate > endDate) return invalidArgument(`Invalid date range: startDate ${startDate} is after endDate ${endDate}.`);
  const names = (list: unknown) => (Array.isArray(list) ? list.map((entry) => String((entry as { name?: unknown }).name ?? '')) : []);
  const dimensions = names(b.dimensions);
  const metrics = names(b.metrics);
  if (metrics.length === 0) return invalidArgument('At least one metric is required.');
  const badDimension = dimensions.find((name) => !(name in DIMENSIONS));
  if (badDimension !== undefined) return invalidArgument(`Field ${badDimension} is not a valid dimension. For a list of valid dimensions and metrics, see ${SCHEMA_URL}`);
  const badMetric = metrics.find((name) => !(name in METRICS));
  if (badMetric !== undefined) return invalidArgument(`Field ${badMetric} is not a valid metric. For a list of valid dimensions and metrics, see ${SCHEMA_URL}`);
  const limit = int64(b.limit, DEFAULT_LIMIT);
  if (limit === undefined || limit < 1 || limit > MAX_LIMIT) return invalidArgument(`limit must be a positive integer no greater than ${MAX_LIMIT}.`);
  const offset = int64(b.offset, 0);
  if (offset === undefined) return invalidArgument('offset must be a non-negative integer.');

  const orderBys: ReportRequest['orderBys'] = [];
  for (const entry of (Array.isArray(b.orderBys) ? b.orderBys : []) as Array<Record<string, { dimensionName?: string; metricName?: string } | boolean>>) {
    const dimension = (entry.dimension as { dimensionName?: string } | undefined)?.dimensionName;
    const metric = (entry.metric as { metricName?: string } | undefined)?.metricName;
    const name = dimension ?? metric;
    const known = dimension !== undefined ? dimensions.includes(dimension) : metric !== undefined && metrics.includes(metric);
    if (!name || !known) return invalidArgument(`orderBys must name a dimension or metric of the request; got ${JSON.stringify(entry)}.`);
    orderBys.push({ name, kind: dimension !== undefined ? 'dimension' : 'metric', desc: entry.desc === true });
  }
  return { from: startDate, to: endDate, dimensions, metrics, orderBys, limit, offset, returnPropertyQuota: b.returnPropertyQuota === true };
}

/** GA4's ALPHANUMERIC order: by Unicode code point ("2" < "A" < "b"), not by locale. */
const codePointOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface TableRow {
  dimensions: string[];
  metrics: number[];
}

/** The day range's campaign stats grouped by the requested dimensions, metrics summed, as GA4 aggregates. */
function table(propertyId: string, request: ReportRequest, env: SimEnv): TableRow[] {
  const groups = new Map<string, TableRow>();
  for (let day = request.from, n = 0; day <= request.to && n < MAX_RANGE_DAYS; day = addDays(day, 1), n++) {
    for (const stats of env.world.dailyStats('ga4', propertyId, day, env.pullsBefore(propertyId, day, request.offset === 0))) {
      const dimensions = request.dimensions.map((name) => DIMENSIONS[name]!(stats));
      const key = JSON.stringify(dimensions);
      const group = groups.get(key) ?? { dimensions, metrics: request.metrics.map(() => 0) };
      request.metrics.forEach((name, i) => (group.metrics[i]! += METRICS[name]!.read(stats)));
      groups.set(key, group);
    }
  }
  const rows = [...groups.values()];
  if (request.orderBys.length === 0) return rows;
  return rows.sort((a, b) => {
    for (const order of request.orderBys) {
      const cmp =
        order.kind === 'dimension'
          ? codePointOrder(a.dimensions[request.dimensions.indexOf(order.name)]!, b.dimensions[request.dimensions.indexOf(order.name)]!)
          : a.metrics[request.metrics.indexOf(order.name)]! - b.metrics[request.metrics.indexOf(order.name)]!;
      if (cmp !== 0) return order.desc ? -cmp : cmp;
    }
    return 0;
  });
}

type JsonRow = { dimensionValues: Array<{ value: unknown }>; metricValues: Array<{ value: unknown }> } & Record<string, unknown>;

/** Schema drift the way GA4 has shipped it (it renamed `conversions` to `keyEvents` in 2024): renamed, added, retyped. */
function drift(report: { metricHeaders: Array<{ name: string; type: string }>; rows?: JsonRow[] }, metrics: string[], kind: 'rename' | 'add' | 'type'): void {
  if (kind === 'rename') {
    const header = report.metricHeaders.find((h) => h.name === 'advertiserAdCost');
    if (header) header.name = 'advertiserAdSpend';
    return;
  }
  for (const row of report.rows ?? []) {
    if (kind === 'add') row.sampled = false;
    const at = metrics.indexOf('advertiserAdImpressions');
    if (kind === 'type' && at >= 0) row.metricValues[at]!.value = Number(row.metricValues[at]!.value);
  }
}

function runReport(propertyId: string, request: SimRequest, env: SimEnv): SimResponse {
  const report = readRequest(request.body);
  if ('status' in report) return report;
  const all = table(propertyId, report, env);
  const page = all.slice(report.offset, report.offset + report.limit);
  const account = env.world.account('ga4', propertyId);

  const body: Record<string, unknown> & { metricHeaders: Array<{ name: string; type: string }>; rows?: JsonRow[] } = {
    dimensionHeaders: report.dimensions.map((name) => ({ name })),
    metricHeaders: report.metrics.map((name) => ({ name, type: METRICS[name]!.type })),
  };
  // proto3 JSON leaves out an empty repeated field and a zero int32.
  if (page.length > 0) {
    body.rows = page.map((row) => ({
      dimensionValues: row.dimensions.map((value) => ({ value })),
      metricValues: row.metrics.map((value) => ({ value: text(value) })),
    }));
  }
  if (all.length > 0) body.rowCount = all.length;
  body.metadata = { currencyCode: account.currency, timeZone: account.timeZone };
  if (report.returnPropertyQuota) {
    body.propertyQuota = {
      tokensPerDay: { consumed: 1, remaining: 199_990 },
      tokensPerHour: { consumed: 1, remaining: 39_990 },
      concurrentRequests: { consumed: 0, remaining: 10 },
      serverErrorsPerProjectPerHour: { consumed: 0, remaining: 10 },
      potentiallyThresholdedRequestsPerHour: { consumed: 0, remaining: 120 },
      tokensPerProjectPerHour: { consumed: 1, remaining: 13_990 },
    };
  }
  body.kind = 'analyticsData#runReport';
  if (env.faults.drift?.platform === 'ga4') drift(body, report.metrics, env.faults.drift.kind);
  return { status: 200, body };
}

export const simulatedGa4: SimulatedPlatform = {
  platform: 'ga4',
  matches: (request) => request.method === 'POST' && RUN_REPORT_PATH.test(request.pathname),
  authorized: (request, token) => request.headers.authorization === `Bearer ${token}`,
  handle: (request, env) => runReport(RUN_REPORT_PATH.exec(request.pathname)![1]!, request, env),
  accountOf: (request) => RUN_REPORT_PATH.exec(request.pathname)?.[1],
  throttled: (retryAfterMs) =>
    googleError(429, 'RESOURCE_EXHAUSTED', 'Exhausted concurrent requests quota.', [
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterMs / 1000}s` },
    ]),
  unauthorized: () =>
    googleError(
      401,
      'UNAUTHENTICATED',
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED',
          domain: 'googleapis.com',
          metadata: { service: 'analyticsdata.googleapis.com', method: 'google.analytics.data.v1beta.BetaAnalyticsData.RunReport' },
        },
      ],
    ),
  serverError: () => googleError(500, 'INTERNAL', 'Internal error encountered.'),
};
