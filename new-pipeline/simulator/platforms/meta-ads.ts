/**
 * The Meta Marketing API (Graph API) as the simulator speaks it: the ad account node `GET /v{N}/act_{id}` and the
 * Ads Insights edge `GET /v{N}/act_{id}/insights` at `level=campaign`, `time_increment=1`, with cursor paging
 * (`paging.cursors.after`, `paging.next` only while rows remain), only the requested `fields`, numbers as JSON
 * text, conversions and revenue inside `actions` / `action_values`, and Graph's own error envelope and
 * `x-business-use-case-usage` header when throttled. Any `vNN.0` version prefix is accepted.
 */
import { randomBytes } from 'node:crypto';
import { addDays } from '../../../core/dates.js';
import type { SimDailyStats } from '../world.js';
import type { SimEnv, SimRequest, SimResponse, SimulatedPlatform } from '../types.js';

const ACCOUNT_PATH = /^\/v\d+\.\d+\/act_(\d+)\/?$/;
const INSIGHTS_PATH = /^\/v\d+\.\d+\/act_(\d+)\/insights\/?$/;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Graph's default page size for edges, and the most rows this simulator hands out per page. */
const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 5000;
/** The longest `time_range` the simulator serves (Graph allows 37 months; a short cap keeps answers small). */
const MAX_RANGE_DAYS = 92;
/** The business object id the throttle header is keyed by (Graph keys it by the business or ad account id). */
const BUSINESS_ID = '1000000000000001';

/** Insights fields this route can answer; `date_start`/`date_stop` are always returned, as Graph does. */
const INSIGHTS_FIELDS = new Set(['account_id', 'account_currency', 'campaign_id', 'campaign_name', 'spend', 'impressions', 'clicks', 'actions', 'action_values', 'date_start', 'date_stop']);
const ACCOUNT_FIELDS = new Set(['id', 'account_id', 'currency', 'timezone_name', 'timezone_offset_hours_utc']);

const fbtraceId = () => randomBytes(8).toString('base64url');

function graphError(status: number, error: { message: string; type?: string; code: number; error_subcode?: number; is_transient?: boolean }, headers?: Record<string, string>): SimResponse {
  return { status, headers, body: { error: { type: 'OAuthException', ...error, fbtrace_id: fbtraceId() } } };
}

const invalidParameter = (message: string) => graphError(400, { message: `(#100) ${message}`, code: 100 });

/** Graph cursors are opaque base64 text; here they carry the index of a row in the day's ordered result. */
const encodeCursor = (index: number) => Buffer.from(`sim-row:${index}`).toString('base64url');
function decodeCursor(cursor: string): number | undefined {
  const match = /^sim-row:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

/** The share of purchases the Meta pixel itself saw (the rest came through the Conversions API or in-app). */
const PIXEL_SHARE = 0.85;
const pixel = (value: number) => Math.round(value * PIXEL_SHARE * 100) / 100;

/**
 * Actions Graph reports per campaign, non-zero only: clicks-derived types sit beside `purchase` on purpose, and the
 * narrower `offsite_conversion.fb_pixel_purchase` is a part of `purchase`, as Graph reports it.
 */
function actionsOf(stats: SimDailyStats): Array<{ action_type: string; value: string }> {
  const entries: Array<[string, number]> = [
    ['link_click', Math.round(stats.clicks * 0.85)],
    ['landing_page_view', Math.round(stats.clicks * 0.7)],
    ['lead', Math.round(stats.clicks * 0.02)],
    ['offsite_conversion.fb_pixel_purchase', pixel(stats.conversions)],
    ['purchase', stats.conversions],
    ['omni_purchase', stats.conversions],
  ];
  return entries.filter(([, value]) => value > 0).map(([action_type, value]) => ({ action_type, value: String(value) }));
}

function actionValuesOf(stats: SimDailyStats): Array<{ action_type: string; value: string }> {
  if (stats.revenue <= 0) return [];
  return [
    { action_type: 'offsite_conversion.fb_pixel_purchase', value: String(pixel(stats.revenue)) },
    ...['purchase', 'omni_purchase'].map((action_type) => ({ action_type, value: String(stats.revenue) })),
  ];
}

/** Every field the route knows for one campaign-day; the request's `fields` then picks from it. */
function fullRow(accountId: string, currency: string, stats: SimDailyStats): Record<string, unknown> {
  const row: Record<string, unknown> = {
    account_id: accountId,
    account_currency: currency,
    campaign_id: stats.campaignId,
    campaign_name: stats.campaignName,
    spend: String(stats.spend),
    impressions: String(stats.impressions),
    clicks: String(stats.clicks),
    date_start: stats.date,
    date_stop: stats.date,
  };
  // Graph leaves out `actions` and `action_values` when a campaign had none that day.
  const actions = actionsOf(stats);
  if (actions.length > 0) row.actions = actions;
  const values = actionValuesOf(stats);
  if (values.length > 0) row.action_values = values;
  return row;
}

function pick(row: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of [...fields, 'date_start', 'date_stop']) if (field in row) out[field] = row[field];
  return out;
}

/** Schema drift the way Meta has shipped it: a field renamed, a new field, a field's JSON type changed. */
function drift(row: Record<string, unknown>, kind: 'rename' | 'add' | 'type'): Record<string, unknown> {
  if (kind === 'add') return { ...row, estimated_ad_recallers: String(Math.round(Number(row.impressions ?? 0) * 0.1)) };
  if (kind === 'type') return { ...row, impressions: Number(row.impressions ?? 0) };
  const { spend, ...rest } = row;
  return { ...rest, amount_spent: spend };
}

function fieldsParam(request: SimRequest, fallback: string): string[] {
  return (request.query.get('fields') ?? fallback).split(',').map((field) => field.trim()).filter(Boolean);
}

function accountInfo(accountId: string, request: SimRequest, env: SimEnv): SimResponse {
  const fields = fieldsParam(request, 'id');
  const unknown = fields.find((field) => !ACCOUNT_FIELDS.has(field));
  if (unknown) return invalidParameter(`Tried accessing nonexisting field (${unknown}) on node type (AdAccount)`);
  const account = env.world.account('meta_ads', accountId);
  const known: Record<string, unknown> = {
    account_id: accountId,
    currency: account.currency,
    timezone_name: account.timeZone,
    timezone_offset_hours_utc: zoneOffsetHours(account.timeZone) ?? 0,
  };
  const body: Record<string, unknown> = {};
  for (const field of fields) if (field !== 'id') body[field] = known[field];
  body.id = `act_${accountId}`;
  return { status: 200, body };
}

/** The zone's current UTC offset in hours, as Graph reports `timezone_offset_hours_utc`. */
function zoneOffsetHours(timeZone: string): number | undefined {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(new Date()).find((part) => part.type === 'timeZoneName')?.value;
  const match = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name ?? '');
  if (!match) return undefined;
  if (!match[1]) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) + Number(match[3]) / 60);
}

function parseTimeRange(raw: string | null): { since: string; until: string } | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as { since?: unknown; until?: unknown };
    if (typeof value.since !== 'string' || typeof value.until !== 'string') return undefined;
    if (!ISO_DAY.test(value.since) || !ISO_DAY.test(value.until) || value.since > value.until) return undefined;
    return { since: value.since, until: value.until };
  } catch {
    return undefined;
  }
}

function insights(accountId: string, request: SimRequest, env: SimEnv): SimResponse {
  const { query } = request;
  if (query.get('level') !== 'campaign') return invalidParameter('The simulator answers level=campaign only');
  if (query.get('time_increment') !== '1') return invalidParameter('The simulator answers time_increment=1 only');
  const range = parseTimeRange(query.get('time_range'));
  if (!range) return invalidParameter('Param time_range must be a JSON object {"since":"YYYY-MM-DD","until":"YYYY-MM-DD"}');
  const fields = fieldsParam(request, 'spend,impressions');
  const unknown = fields.find((field) => !INSIGHTS_FIELDS.has(field));
  if (unknown) return invalidParameter(`${unknown} is not valid for fields param`);
  const limit = Number(query.get('limit') ?? DEFAULT_LIMIT);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return invalidParameter(`Param limit must be an integer between 1 and ${MAX_LIMIT}`);
  const after = query.get('after');
  const start = after === null ? 0 : decodeCursor(after);
  if (start === undefined) return invalidParameter('Param after is not a valid cursor');

  const account = env.world.account('meta_ads', accountId);
  const rows: Array<Record<string, unknown>> = [];
  for (let day = range.since, n = 0; day <= range.until && n < MAX_RANGE_DAYS; day = addDays(day, 1), n++) {
    for (const stats of env.world.dailyStats('meta_ads', accountId, day, env.pullsBefore(accountId, day, after === null))) rows.push(fullRow(accountId, account.currency, stats));
  }
  if (rows.length === 0) return { status: 200, body: { data: [] } };

  const from = after === null ? 0 : start + 1;
  const drifted = env.faults.drift?.platform === 'meta_ads' ? env.faults.drift.kind : undefined;
  const data = rows.slice(from, from + limit).map((row) => {
    const picked = pick(row, fields);
    return drifted ? drift(picked, drifted) : picked;
  });
  const lastIndex = from + data.length - 1;
  const paging: Record<string, unknown> = { cursors: { before: encodeCursor(from), after: encodeCursor(Math.max(from, lastIndex)) } };
  if (lastIndex + 1 < rows.length) {
    const next = new URLSearchParams(query);
    next.set('after', encodeCursor(lastIndex));
    paging.next = `https://graph.facebook.com${request.pathname}?${next.toString()}`;
  }
  return { status: 200, body: { data, paging } };
}

export const simulatedMetaAds: SimulatedPlatform = {
  platform: 'meta_ads',
  matches: (request) => request.method === 'GET' && (INSIGHTS_PATH.test(request.pathname) || ACCOUNT_PATH.test(request.pathname)),
  // Graph takes the token as a bearer header or as the `access_token` parameter.
  authorized: (request, token) => request.headers.authorization === `Bearer ${token}` || request.query.get('access_token') === token,
  handle(request, env) {
    const insightsMatch = INSIGHTS_PATH.exec(request.pathname);
    if (insightsMatch) return insights(insightsMatch[1]!, request, env);
    return accountInfo(ACCOUNT_PATH.exec(request.pathname)![1]!, request, env);
  },
  accountOf: (request) => (INSIGHTS_PATH.exec(request.pathname) ?? ACCOUNT_PATH.exec(request.pathname))?.[1],
  throttled(retryAfterMs, scope = 'platform') {
    if (scope === 'platform') {
      // The app's own limit (code 4), reported through `x-app-usage` in percent, with no time to wait.
      return graphError(
        400,
        { message: '(#4) Application request limit reached', code: 4, error_subcode: 1504022, is_transient: true },
        { 'x-app-usage': JSON.stringify({ call_count: 100, total_cputime: 40, total_time: 52 }) },
      );
    }
    // The ad account's insights limit: Meta reports the wait in whole minutes; 0 means "soon", and a client then
    // backs off on its own.
    const usage = { [BUSINESS_ID]: [{ type: 'ads_insights', call_count: 100, total_cputime: 34, total_time: 41, estimated_time_to_regain_access: Math.floor(retryAfterMs / 60_000) }] };
    return graphError(
      400,
      { message: '(#80000) There have been too many calls from this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-insights.', code: 80000, error_subcode: 2446079, is_transient: true },
      { 'x-business-use-case-usage': JSON.stringify(usage) },
    );
  },
  unauthorized: () =>
    graphError(400, { message: 'Invalid OAuth access token - Cannot parse access token', code: 190 }, { 'www-authenticate': 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token - Cannot parse access token"' }),
  serverError: () => graphError(500, { message: 'An unknown error occurred', code: 1, error_subcode: 99, is_transient: true }),
};
