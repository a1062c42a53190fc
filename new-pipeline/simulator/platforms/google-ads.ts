/**
 * The Google Ads API (REST) as the simulator speaks it: `POST /v{N}/customers/{customerId}/googleAds:searchStream`
 * with a GAQL query `SELECT … FROM campaign WHERE segments.date …`, answered as Google's REST streaming does, a JSON
 * array of `SearchGoogleAdsStreamResponse` batches (`results`, `fieldMask`, `requestId`, and
 * `queryResourceConsumption` on the last batch), rows in proto3 JSON (camelCase, int64 as strings, doubles as
 * numbers, `resourceName` for each resource selected). Errors are `google.rpc.Status` bodies carrying a
 * `GoogleAdsFailure`, with Google's HTTP mapping: 429 quota, 401 auth, 400 bad query, 500 internal. Any `v{N}` is
 * accepted.
 *
 * The GAQL understood is the subset a daily campaign pull needs: the fields in `FIELDS`, `FROM campaign`, a
 * `segments.date` filter (`=`, `BETWEEN … AND …`, or `>=` with `<=`) and an optional `LIMIT`.
 */
import { randomBytes } from 'node:crypto';
import { addDays } from '../../../core/dates.js';
import type { SimAccount, SimDailyStats } from '../world.js';
import type { SimEnv, SimRequest, SimResponse, SimulatedPlatform } from '../types.js';

const SEARCH_STREAM_PATH = /^\/(v\d+)\/customers\/(\d+)\/googleAds:searchStream$/;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
/** The version named in error `@type`s when the request's own version is not at hand (throttle, auth, 5xx). */
const DEFAULT_VERSION = 'v26';
/** Rows per stream batch: the real API sends up to 10,000. */
const DEFAULT_BATCH_SIZE = 10_000;
/** The longest date range served; keeps answers small (the real API allows years). */
const MAX_RANGE_DAYS = 92;

type Value = string | number;

/** GAQL field → how to read it for one campaign-day. Money is micros as text (int64), counts are int64 text. */
const FIELDS: Record<string, (account: SimAccount, stats: SimDailyStats) => Value> = {
  'customer.id': (account) => account.accountId,
  'customer.currency_code': (account) => account.currency,
  'customer.time_zone': (account) => account.timeZone,
  'campaign.id': (_, stats) => stats.campaignId,
  'campaign.name': (_, stats) => stats.campaignName,
  'segments.date': (_, stats) => stats.date,
  'metrics.cost_micros': (_, stats) => String(Math.round(stats.spend * 1e6)),
  'metrics.impressions': (_, stats) => String(stats.impressions),
  'metrics.clicks': (_, stats) => String(stats.clicks),
  'metrics.conversions': (_, stats) => stats.conversions,
  'metrics.conversions_value': (_, stats) => stats.revenue,
};

const camel = (name: string) => name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
const requestId = () => randomBytes(16).toString('base64url').slice(0, 22);

interface GoogleAdsErrorSpec {
  errorCode: Record<string, string>;
  message: string;
  details?: Record<string, unknown>;
}

function googleError(httpStatus: number, status: string, message: string, errors: GoogleAdsErrorSpec[], version = DEFAULT_VERSION): SimResponse {
  return {
    status: httpStatus,
    body: {
      error: {
        code: httpStatus,
        message,
        status,
        details: [{ '@type': `type.googleapis.com/google.ads.googleads.${version}.errors.GoogleAdsFailure`, errors, requestId: requestId() }],
      },
    },
  };
}

function queryError(version: string, code: string, message: string): SimResponse {
  return googleError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', [{ errorCode: { queryError: code }, message }], version);
}

interface ParsedQuery {
  fields: string[];
  from: string;
  to: string;
  limit?: number;
}

/** The GAQL subset above; an error answer for anything else, as the real API rejects what it cannot run. */
function parseQuery(query: string, version: string): ParsedQuery | SimResponse {
  const match = /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(query);
  if (!match) return queryError(version, 'UNEXPECTED_END_OF_QUERY', 'The simulator understands SELECT … FROM … [WHERE …] [LIMIT n] only.');
  const [, select, resource, where = '', limit] = match;
  if (resource!.toLowerCase() !== 'campaign') return queryError(version, 'BAD_RESOURCE_TYPE_IN_FROM_CLAUSE', `Invalid resource type '${resource}' in the FROM clause; the simulator serves FROM campaign.`);
  const fields = select!.split(',').map((field) => field.trim());
  const unknown = fields.find((field) => !(field in FIELDS));
  if (unknown) return queryError(version, 'UNRECOGNIZED_FIELD', `Unrecognized field in the query: '${unknown}'.`);

  // BETWEEN holds an AND of its own, so the date conditions are taken out before the rest is looked at.
  const bounds: { from?: string; to?: string } = {};
  let rest = where;
  const between = /segments\.date\s+BETWEEN\s+'([^']*)'\s+AND\s+'([^']*)'/i.exec(rest);
  if (between) {
    [bounds.from, bounds.to] = [between[1], between[2]];
    rest = rest.replace(between[0], '');
  }
  for (const [condition, op, day] of rest.matchAll(/segments\.date\s*(=|>=|<=)\s*'([^']*)'/gi)) {
    if (op !== '<=') bounds.from = day;
    if (op !== '>=') bounds.to = day;
    rest = rest.replace(condition, '');
  }
  const other = rest.replace(/^\s*AND\s+|\s+AND\s*$/gi, '').trim();
  if (other.replace(/\bAND\b/gi, '').trim() !== '') return queryError(version, 'BAD_FIELD_NAME', `The simulator filters on segments.date only, not on: ${other}`);
  const { from, to } = bounds;
  if (!from || !to) return queryError(version, 'DATE_RANGE_TOO_WIDE', 'Date filters fail to restrict date to a finite range; filter segments.date.');
  if (!ISO_DAY.test(from) || !ISO_DAY.test(to)) return queryError(version, 'BAD_VALUE', `Invalid date in segments.date filter: '${ISO_DAY.test(from) ? to : from}'.`);
  if (from > to) return queryError(version, 'DATE_RANGE_TOO_NARROW', 'Filters on date have a start date after end date.');
  return { fields, from, to, limit: limit === undefined ? undefined : Number(limit) };
}

/** A GoogleAdsRow holding `fields`, nested and camelCased as proto3 JSON writes it, with each resource's `resourceName`. */
function rowOf(fields: readonly string[], account: SimAccount, stats: SimDailyStats): Record<string, Record<string, Value>> {
  const row: Record<string, Record<string, Value>> = {};
  for (const field of fields) {
    const [resource, ...rest] = field.split('.');
    const key = camel(resource!);
    row[key] ??= {};
    row[key][camel(rest.join('.'))] = FIELDS[field]!(account, stats);
  }
  if (row.customer) row.customer = { resourceName: `customers/${account.accountId}`, ...row.customer };
  if (row.campaign) row.campaign = { resourceName: `customers/${account.accountId}/campaigns/${stats.campaignId}`, ...row.campaign };
  return row;
}

/** Schema drift the way a new API version ships it: a field renamed, a field added, a field's JSON type changed. */
function drift(row: Record<string, Record<string, Value>>, kind: 'rename' | 'add' | 'type'): Record<string, Record<string, unknown>> {
  const metrics = row.metrics ?? {};
  if (kind === 'add') return { ...row, metrics: { ...metrics, engagements: String(Math.round(Number(metrics.clicks ?? 0) * 0.3)) } };
  if (kind === 'type') return { ...row, metrics: { ...metrics, impressions: Number(metrics.impressions ?? 0) } };
  const { costMicros, ...rest } = metrics;
  return { ...row, metrics: { ...rest, costAmountMicros: costMicros ?? '0' } };
}

export interface SimulatedGoogleAdsOptions {
  /** Rows per stream batch; small values exercise multi-batch answers in tests. */
  batchSize?: number;
  /**
   * The `developer-token` header every request must carry besides its bearer token, as the real API requires;
   * undefined: not checked (callers that hold one credential for every platform).
   */
  developerToken?: string;
}

const developerTokenError = (errorCode: string, message: string) => googleError(401, 'UNAUTHENTICATED', 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.', [{ errorCode: { authenticationError: errorCode }, message }]);

export function createSimulatedGoogleAds(options: SimulatedGoogleAdsOptions = {}): SimulatedPlatform {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const { developerToken } = options;

  function searchStream(version: string, customerId: string, request: SimRequest, env: SimEnv): SimResponse {
    const query = (request.body as { query?: unknown } | undefined)?.query;
    if (typeof query !== 'string' || query.trim() === '') {
      return googleError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', [{ errorCode: { requestError: 'REQUIRED_FIELD_MISSING' }, message: 'Required field was not specified: query' }], version);
    }
    const parsed = parseQuery(query, version);
    if ('status' in parsed) return parsed;

    const account = env.world.account('google_ads', customerId);
    const rows: Array<Record<string, unknown>> = [];
    for (let day = parsed.from, n = 0; day <= parsed.to && n < MAX_RANGE_DAYS; day = addDays(day, 1), n++) {
      for (const stats of env.world.dailyStats('google_ads', customerId, day, env.pullsBefore(customerId, day, true))) rows.push(rowOf(parsed.fields, account, stats));
    }
    const drifted = env.faults.drift?.platform === 'google_ads' ? env.faults.drift.kind : undefined;
    const results = rows.slice(0, parsed.limit ?? rows.length).map((row) => (drifted ? drift(row as Record<string, Record<string, Value>>, drifted) : row));

    const fieldMask = parsed.fields.map((field) => field.split('.').map(camel).join('.')).join(',');
    const id = requestId();
    const batches: Array<Record<string, unknown>> = [];
    for (let start = 0; start < results.length; start += batchSize) batches.push({ results: results.slice(start, start + batchSize), fieldMask, requestId: id });
    // No rows is still one batch, without `results` (proto3 JSON leaves out an empty repeated field).
    if (batches.length === 0) batches.push({ fieldMask, requestId: id });
    batches[batches.length - 1]!.queryResourceConsumption = String(10 + results.length);
    return { status: 200, body: batches };
  }

  return {
    platform: 'google_ads',
    matches: (request) => request.method === 'POST' && SEARCH_STREAM_PATH.test(request.pathname),
    authorized: (request, token) => request.headers.authorization === `Bearer ${token}`,
    handle(request, env) {
      const [, version, customerId] = SEARCH_STREAM_PATH.exec(request.pathname)!;
      if (developerToken !== undefined) {
        const sent = request.headers['developer-token'];
        // AuthenticationError has one code for both (DEVELOPER_TOKEN_INVALID); the message tells them apart.
        if (!sent) return developerTokenError('DEVELOPER_TOKEN_INVALID', 'The developer-token header is missing.');
        if (sent !== developerToken) return developerTokenError('DEVELOPER_TOKEN_INVALID', 'The developer token is not valid.');
      }
      return searchStream(version!, customerId!, request, env);
    },
    accountOf: (request) => SEARCH_STREAM_PATH.exec(request.pathname)?.[2],
    // The quota that ran out: the customer account's, or the developer token's (every account of the caller).
    throttled: (retryAfterMs, scope = 'platform') =>
      googleError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', [
        {
          errorCode: { quotaError: 'RESOURCE_EXHAUSTED' },
          message: `Too many requests. Retry in ${retryAfterMs / 1000} seconds.`,
          // A protobuf Duration: seconds, fractions allowed.
          details: {
            quotaErrorDetails:
              scope === 'account'
                ? { rateScope: 'ACCOUNT', rateName: 'Requests per account', retryDelay: `${retryAfterMs / 1000}s` }
                : { rateScope: 'DEVELOPER', rateName: 'Requests per developer token', retryDelay: `${retryAfterMs / 1000}s` },
          },
        },
      ]),
    unauthorized: () =>
      googleError(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        [{ errorCode: { authenticationError: 'OAUTH_TOKEN_INVALID' }, message: 'Oauth token is invalid.' }],
      ),
    serverError: () => googleError(500, 'INTERNAL', 'Internal error encountered.', [{ errorCode: { internalError: 'INTERNAL_ERROR' }, message: 'An internal error has occurred.' }]),
  };
}

export const simulatedGoogleAds: SimulatedPlatform = createSimulatedGoogleAds();
