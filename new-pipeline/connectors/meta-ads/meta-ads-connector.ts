/**
 * Meta Ads connector, written against the Meta Marketing API v26.0 (Graph API, https://graph.facebook.com/v26.0).
 *
 * One partition (an ad account's day) is two or more requests:
 *   1. `GET /v26.0/act_{id}?fields=currency,timezone_name`: the account's currency and reporting time zone;
 *   2. `GET /v26.0/act_{id}/insights?level=campaign&time_increment=1&time_range={"since":D,"until":D}&fields=…&limit=N`,
 *      then the same with `after=<paging.cursors.after>` while the page carries `paging.next`.
 * Auth is `Authorization: Bearer <token>`, which Graph accepts in place of the `access_token` parameter and which
 * keeps the token out of URLs, logs and the `paging.next` links Graph echoes back.
 *
 * References: https://developers.facebook.com/docs/marketing-api/insights (insights edge, paging),
 * https://developers.facebook.com/docs/marketing-api/insights/error-codes,
 * https://developers.facebook.com/docs/marketing-api/overview/rate-limiting and
 * https://developers.facebook.com/docs/graph-api/overview/rate-limiting (throttle codes and usage headers),
 * https://developers.facebook.com/docs/graph-api/changelog (v26.0, introduced July 29, 2026).
 */
import { parsePayload, rejectErrorAnswer, unknownFieldPaths } from '../payload.js';
import type { ApiRequest, ApiResponse, Connector, FetchContext, LimitScope, PageResult, ResponseVerdict } from '../types.js';
import { classifyInvalidBody, retryAfterHeaderMs, throttled } from '../verdicts.js';
import {
  adAccountResetSeconds,
  MetaAdAccountSchema,
  MetaErrorSchema,
  MetaInsightsPageSchema,
  MetaInsightsRowSchema,
  minutesToRegainAccess,
  type MetaError,
  type MetaInsightsRow,
} from './meta-ads-schema.js';

export type { MetaInsightsRow } from './meta-ads-schema.js';

/** The Graph API version every path is built with. */
export const META_API_VERSION = 'v26.0';

/** Fields requested from the insights edge; `date_start`/`date_stop` come back whether asked for or not. */
export const META_INSIGHTS_FIELDS = ['campaign_id', 'campaign_name', 'spend', 'impressions', 'clicks', 'actions', 'action_values', 'account_currency', 'date_start', 'date_stop'] as const;

/** Rows per insights page. Graph's default is 25; larger pages mean fewer calls against the insights rate limit. */
export const META_DEFAULT_PAGE_SIZE = 500;

const PURPOSE_ACCOUNT = 'account-info';
const PURPOSE_INSIGHTS = 'insights';

/** Graph's throttle codes: app (4), user (17), pages (32), custom (613) and the business-use-case range. */
const THROTTLE_CODES = new Set([4, 17, 32, 613]);
const isThrottleCode = (code: number) => THROTTLE_CODES.has(code) || (code >= 80000 && code <= 80014);
/** Code 17 with this subcode is the Marketing API's per-ad-account limit ("User request limit reached"). */
const AD_ACCOUNT_LIMIT_SUBCODE = 2446079;

/**
 * Whose limit a throttle code is: the ad account's for the business-use-case codes (80000–80014, keyed by the ad
 * account or business called), 613 ("too many calls from this ad-account") and 17 with subcode 2446079; the whole
 * app's (every account waits) for 4 (application), 17 otherwise (the token's user) and 32 (pages).
 */
function throttleScope(error: MetaError): LimitScope {
  const code = error.code ?? -1;
  if (code >= 80000 && code <= 80014) return 'account';
  if (code === 613) return 'account';
  if (code === 17 && error.error_subcode === AD_ACCOUNT_LIMIT_SUBCODE) return 'account';
  return 'platform';
}
/** 1 "unknown error" and 2 "service temporarily unavailable": Meta's own advice is to retry. */
const TRANSIENT_CODES = new Set([1, 2]);
/** Code 100 with this subcode is an insights query that timed out server-side, not a bad parameter. */
const INSIGHTS_TIMEOUT_SUBCODE = 1504018;

export interface MetaAdsConnectorOptions {
  /** Insights rows per page (`limit`); small values exercise paging in tests. */
  pageSize?: number;
}

/** Graph account paths take `act_<digits>`; accounts are configured as bare digits, but tolerate the prefix. */
function adAccountPath(context: FetchContext): string {
  return `/${META_API_VERSION}/act_${context.account.accountId.replace(/^act_/, '')}`;
}

function insightsRequest(context: FetchContext, pageSize: number): ApiRequest {
  return {
    method: 'GET',
    path: `${adAccountPath(context)}/insights`,
    query: {
      level: 'campaign',
      time_increment: '1',
      time_range: JSON.stringify({ since: context.date, until: context.date }),
      fields: META_INSIGHTS_FIELDS.join(','),
      // Attribute conversions the way Ads Manager shows them, so the numbers match what clients see there.
      use_unified_attribution_setting: 'true',
      limit: String(pageSize),
    },
    purpose: PURPOSE_INSIGHTS,
  };
}

/** How long Meta says to wait: the business-use-case estimate, then the ad account window, then Retry-After. */
function throttleWaitMs(headers: Record<string, string>): number | undefined {
  return accountSpentMs(headers) ?? retryAfterHeaderMs(headers['retry-after']);
}

/** How long the account's usage headers say it is out of calls, on any answer; undefined while it has calls left. */
function accountSpentMs(headers: Record<string, string>): number | undefined {
  const minutes = minutesToRegainAccess(headers['x-business-use-case-usage']);
  if (minutes && minutes > 0) return minutes * 60_000;
  const seconds = adAccountResetSeconds(headers['x-ad-account-usage']);
  return seconds && seconds > 0 ? seconds * 1000 : undefined;
}

function describeError(error: MetaError): string {
  const code = error.error_subcode === undefined ? `code ${error.code}` : `code ${error.code}, subcode ${error.error_subcode}`;
  return `${error.message ?? 'no message'} (${code}${error.fbtrace_id ? `, fbtrace_id ${error.fbtrace_id}` : ''})`;
}

function classifyError(status: number, error: MetaError, headers: Record<string, string>): ResponseVerdict {
  const code = error.code ?? -1;
  if (isThrottleCode(code)) return throttled(`rate limited: ${describeError(error)}`, throttleWaitMs(headers), throttleScope(error));
  if (code === 190) return { kind: 'fatal', reason: `access token invalid or expired: ${describeError(error)}; issue a new token for the connection` };
  if (code === 102) return { kind: 'fatal', reason: `session invalid: ${describeError(error)}; reconnect the account` };
  if (code === 10 || (code >= 200 && code <= 299)) return { kind: 'fatal', reason: `permission denied: ${describeError(error)}; the token needs ads_read on this ad account` };
  if (TRANSIENT_CODES.has(code) || error.is_transient === true) return { kind: 'retryable', reason: `transient Graph error: ${describeError(error)}` };
  if (code === 100 && error.error_subcode === INSIGHTS_TIMEOUT_SUBCODE) return { kind: 'retryable', reason: `insights query timed out: ${describeError(error)}` };
  if (status >= 500) return { kind: 'retryable', reason: `server error: ${describeError(error)}` };
  return { kind: 'fatal', reason: `request rejected: ${describeError(error)}` };
}

function classify(response: ApiResponse): ResponseVerdict {
  const { status, headers } = response;
  if (response.bodyInvalid) return classifyInvalidBody(response);
  const envelope = MetaErrorSchema.safeParse(response.body);
  if (envelope.success) return classifyError(status, envelope.data.error, headers);
  if (status >= 200 && status < 300) {
    // A success that says the account is spent (usage at 100%, or time to regain access): its next call would be throttled.
    const pause = accountSpentMs(headers);
    return pause ? { kind: 'ok', accountPauseMs: pause } : { kind: 'ok' };
  }
  if (status === 429) return throttled('HTTP 429 without a Graph error body', throttleWaitMs(headers));
  if (status >= 500) return { kind: 'retryable', reason: `HTTP ${status} without a Graph error body` };
  return { kind: 'fatal', reason: `HTTP ${status} without a Graph error body` };
}

export function createMetaAdsConnector(options: MetaAdsConnectorOptions = {}): Connector<MetaInsightsRow> {
  const pageSize = options.pageSize ?? META_DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`meta_ads page size must be a positive integer, got ${pageSize}`);

  function parseAccount(body: unknown, context: FetchContext): PageResult<MetaInsightsRow> {
    const account = parsePayload(MetaAdAccountSchema, body, 'meta_ads');
    return {
      records: [],
      account: { currency: account.currency, timeZone: account.timezone_name },
      next: insightsRequest(context, pageSize),
      unknownFields: unknownFieldPaths(MetaAdAccountSchema, body),
    };
  }

  function parseInsights(body: unknown, request: ApiRequest): PageResult<MetaInsightsRow> {
    const page = parsePayload(MetaInsightsPageSchema, body, 'meta_ads');
    const after = page.paging?.cursors?.after;
    // `next` is Graph's signal that more rows remain; the last page still carries cursors, so `after` alone is not.
    const next = page.paging?.next && after ? { ...request, query: { ...request.query, after } } : undefined;
    const currency = page.data[0]?.account_currency;
    return {
      records: page.data,
      account: currency ? { currency } : undefined,
      next,
      unknownFields: unknownFieldPaths(MetaInsightsPageSchema, body),
    };
  }

  return {
    platform: 'meta_ads',
    defaultBaseUrl: 'https://graph.facebook.com',
    publishedLimits: { requestsPerSecond: 5, burst: 5, perAccountRequestsPerSecond: 2 },
    api: `Meta Marketing API ${META_API_VERSION} (Graph API ads insights, level=campaign, time_increment=1)`,
    connectorVersion: '1.0.0',
    recordSchema: MetaInsightsRowSchema,
    purposes: [PURPOSE_ACCOUNT, PURPOSE_INSIGHTS],
    authHeaders: (credential) => ({ Authorization: `Bearer ${credential}` }),
    firstRequest: (context) => ({ method: 'GET', path: adAccountPath(context), query: { fields: 'currency,timezone_name' }, purpose: PURPOSE_ACCOUNT }),
    classify,
    parse(body, context, request) {
      rejectErrorAnswer('meta_ads', body, (answer) => {
        const envelope = MetaErrorSchema.safeParse(answer);
        return envelope.success ? describeError(envelope.data.error) : undefined;
      });
      return request.purpose === PURPOSE_ACCOUNT ? parseAccount(body, context) : parseInsights(body, request);
    },
  };
}

export const metaAdsConnector: Connector<MetaInsightsRow> = createMetaAdsConnector();
