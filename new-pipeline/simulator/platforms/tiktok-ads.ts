/**
 * The TikTok API for Business v1.3 as the simulator speaks it: the synchronous report
 * `GET /open_api/v1.3/report/integrated/get/` (BASIC, AUCTION_CAMPAIGN, by `campaign_id` and `stat_time_day`,
 * `page`/`page_size` paging with `page_info`) and `GET /open_api/v1.3/advertiser/info/`. Like the real API it
 * answers everything with HTTP 200 and an envelope `{code, message, request_id, data}` whose non-zero `code` is the
 * error, takes the token in the `Access-Token` header, and writes every metric as JSON text.
 */
import { randomBytes } from 'node:crypto';
import { addDays } from '../../../core/dates.js';
import type { SimDailyStats } from '../world.js';
import type { SimEnv, SimRequest, SimResponse, SimulatedPlatform } from '../types.js';

const REPORT_PATH = /^\/open_api\/v1\.3\/report\/integrated\/get\/?$/;
const ADVERTISER_PATH = /^\/open_api\/v1\.3\/advertiser\/info\/?$/;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The report's documented default and largest page sizes, and its longest range with `stat_time_day`. */
const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 1000;
const MAX_RANGE_DAYS = 30;
/** The simulated app id TikTok names in its QPS answer. */
const APP_ID = '7000000000000000001';

const REPORT_METRICS = new Set(['campaign_name', 'spend', 'impressions', 'clicks', 'conversion', 'complete_payment', 'total_complete_payment_rate', 'cpc', 'ctr']);
const ADVERTISER_FIELDS = new Set(['advertiser_id', 'name', 'currency', 'timezone', 'status']);

/** TikTok request ids: a timestamp followed by hex, e.g. `20261122120000A1B2C3D4E5F6A7B8C9`. */
function requestId(): string {
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  return stamp + randomBytes(9).toString('hex').toUpperCase();
}

function envelope(code: number, message: string, data: unknown = {}): SimResponse {
  return { status: 200, body: { code, message, request_id: requestId(), data } };
}

const invalidParams = (message: string) => envelope(40002, `Invalid params: ${message}`);

/** A JSON array of strings in a query parameter, the way TikTok takes `dimensions`, `metrics`, `fields`, ids. */
function jsonList(raw: string | null): string[] | undefined {
  if (raw === null) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Every metric the route knows for one campaign-day; the request's `metrics` then picks from it. */
function allMetrics(stats: SimDailyStats): Record<string, string> {
  // The optimisation event counts sign-ups as well as purchases, so `conversion` is not the purchase count.
  const registrations = Math.round(stats.clicks * 0.02);
  return {
    campaign_name: stats.campaignName,
    spend: stats.spend.toFixed(2),
    impressions: String(stats.impressions),
    clicks: String(stats.clicks),
    conversion: String(Math.round((stats.conversions + registrations) * 100) / 100),
    complete_payment: String(stats.conversions),
    total_complete_payment_rate: stats.revenue.toFixed(2),
    cpc: stats.clicks > 0 ? (stats.spend / stats.clicks).toFixed(2) : '0.00',
    ctr: stats.impressions > 0 ? ((stats.clicks / stats.impressions) * 100).toFixed(2) : '0.00',
  };
}

/** Schema drift as TikTok has shipped it: a metric renamed, a new metric, a metric's JSON type changed. */
function drift(metrics: Record<string, unknown>, kind: 'rename' | 'add' | 'type'): Record<string, unknown> {
  if (kind === 'add') return { ...metrics, video_play_actions: String(Math.round(Number(metrics.impressions ?? 0) * 0.3)) };
  if (kind === 'type') return { ...metrics, impressions: Number(metrics.impressions ?? 0) };
  const { spend, ...rest } = metrics;
  return { ...rest, cost: spend };
}

function report(request: SimRequest, env: SimEnv): SimResponse {
  const { query } = request;
  const advertiserId = query.get('advertiser_id');
  if (!advertiserId || !/^\d+$/.test(advertiserId)) return invalidParams('advertiser_id is required');
  if (query.get('report_type') !== 'BASIC') return invalidParams('the simulator answers report_type BASIC only');
  if ((query.get('service_type') ?? 'AUCTION') !== 'AUCTION') return invalidParams('the simulator answers service_type AUCTION only');
  if (query.get('data_level') !== 'AUCTION_CAMPAIGN') return invalidParams('the simulator answers data_level AUCTION_CAMPAIGN only');
  const dimensions = jsonList(query.get('dimensions'));
  if (!dimensions || dimensions.length !== 2 || !dimensions.includes('campaign_id') || !dimensions.includes('stat_time_day')) {
    return invalidParams('dimensions must be ["campaign_id","stat_time_day"]');
  }
  const metrics = jsonList(query.get('metrics')) ?? ['spend', 'impressions'];
  const unknown = metrics.find((metric) => !REPORT_METRICS.has(metric));
  if (unknown) return invalidParams(`metrics: ${unknown} is not supported`);
  const start = query.get('start_date');
  const end = query.get('end_date');
  if (!start || !end || !ISO_DAY.test(start) || !ISO_DAY.test(end) || start > end) return invalidParams('start_date and end_date must be YYYY-MM-DD, start_date <= end_date');
  if (addDays(start, MAX_RANGE_DAYS - 1) < end) return invalidParams(`the time span cannot exceed ${MAX_RANGE_DAYS} days with stat_time_day`);
  const page = Number(query.get('page') ?? 1);
  const pageSize = Number(query.get('page_size') ?? DEFAULT_PAGE_SIZE);
  if (!Number.isInteger(page) || page < 1) return invalidParams('page must be a positive integer');
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) return invalidParams(`page_size must be between 1 and ${MAX_PAGE_SIZE}`);

  const rows: SimDailyStats[] = [];
  for (let day = start; day <= end; day = addDays(day, 1)) rows.push(...env.world.dailyStats('tiktok_ads', advertiserId, day, env.pullsBefore(advertiserId, day, page === 1)));
  const drifted = env.faults.drift?.platform === 'tiktok_ads' ? env.faults.drift.kind : undefined;
  const list = rows.slice((page - 1) * pageSize, page * pageSize).map((stats) => {
    const known = allMetrics(stats);
    const picked = Object.fromEntries(metrics.map((metric) => [metric, known[metric]]));
    return {
      dimensions: { campaign_id: stats.campaignId, stat_time_day: `${stats.date} 00:00:00` },
      metrics: drifted ? drift(picked, drifted) : picked,
    };
  });
  const pageInfo = { page, page_size: pageSize, total_number: rows.length, total_page: Math.ceil(rows.length / pageSize) };
  return envelope(0, 'OK', { list, page_info: pageInfo });
}

function advertiserInfo(request: SimRequest, env: SimEnv): SimResponse {
  const ids = jsonList(request.query.get('advertiser_ids'));
  if (!ids || ids.length === 0 || ids.length > 100 || !ids.every((id) => /^\d+$/.test(id))) return invalidParams('advertiser_ids must be a JSON array of 1 to 100 advertiser ids');
  const fields = jsonList(request.query.get('fields')) ?? [...ADVERTISER_FIELDS];
  const unknown = fields.find((field) => !ADVERTISER_FIELDS.has(field));
  if (unknown) return invalidParams(`fields: ${unknown} is not supported`);
  const list = ids.map((id) => {
    const account = env.world.account('tiktok_ads', id);
    const known: Record<string, string> = { advertiser_id: id, name: `Advertiser ${id}`, currency: account.currency, timezone: account.timeZone, status: 'STATUS_ENABLE' };
    return Object.fromEntries(fields.map((field) => [field, known[field]]));
  });
  return envelope(0, 'OK', { list });
}

export const simulatedTiktokAds: SimulatedPlatform = {
  platform: 'tiktok_ads',
  matches: (request) => request.method === 'GET' && (REPORT_PATH.test(request.pathname) || ADVERTISER_PATH.test(request.pathname)),
  authorized: (request, token) => request.headers['access-token'] === token,
  handle: (request, env) => (REPORT_PATH.test(request.pathname) ? report(request, env) : advertiserInfo(request, env)),
  accountOf: (request) => request.query.get('advertiser_id') ?? jsonList(request.query.get('advertiser_ids'))?.[0],
  // TikTok says how busy, never how long to wait.
  throttled: () => envelope(40100, `App ${APP_ID} reaches the QPS limit 10, current QPS is 11.`),
  unauthorized: () => envelope(40105, 'Access token is incorrect or has been revoked.'),
  serverError: () => envelope(50000, 'Internal service error. Please try again later.'),
};
