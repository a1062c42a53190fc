/**
 * Google Ads connector, written against the Google Ads API v26 over REST (https://googleads.googleapis.com/v26).
 * v26 is the latest major version (released October 2026); v21 and v22 were sunset on August 5 and October 7, 2026.
 *
 * One partition (a customer's day) is one request:
 *   `POST /v26/customers/{customerId}/googleAds:searchStream` with the body `{ "query": "<GAQL>" }`, the query
 *   selecting campaign id and name, cost/impressions/clicks/conversions/conversion value, `segments.date` and the
 *   customer's currency and time zone, `FROM campaign WHERE segments.date = 'D'`.
 * searchStream streams the whole result in one HTTP response (a JSON array of batches), so there is never a next page.
 *
 * Auth: `Authorization: Bearer <OAuth access token>` plus the `developer-token` header, and `login-customer-id` when a
 * manager account's credentials reach a client account. The credential is therefore
 * `<access token>|<developer token>[|<login customer id>]`; a credential without `|` is sent as the bearer token
 * alone, for gateways that add the developer token themselves (and for the simulator).
 *
 * References: https://developers.google.com/google-ads/api/docs/rest/common/search (Search and SearchStream over REST),
 * https://developers.google.com/google-ads/api/reference/rpc/v26/SearchGoogleAdsStreamResponse,
 * https://developers.google.com/google-ads/api/docs/best-practices/understand-api-errors (canonical codes, retry advice),
 * https://developers.google.com/google-ads/api/reference/rpc/v26/QuotaErrorDetails (`retry_delay`),
 * https://developers.google.com/google-ads/api/docs/sunset-dates and
 * https://developers.google.com/ads/blog/posts/2025/09/more-frequent-releases-coming-for (v26: October 2026).
 */
import { BoscoError } from '../../../core/errors.js';
import { classifyGoogleResponse, classifyRpcStatus, durationMs, GoogleRpcStatusSchema, type GoogleRpcStatus } from '../google-rpc.js';
import { parsePayload, rejectErrorAnswer, unknownFieldPaths } from '../payload.js';
import type { ApiRequest, ApiResponse, Connector, FetchContext, PageResult, ResponseVerdict } from '../types.js';
import { GoogleAdsErrorSchema, GoogleAdsFailureSchema, GoogleAdsRowSchema, SearchStreamResponseSchema, type GoogleAdsError, type GoogleAdsRow } from './google-ads-schema.js';

export type { GoogleAdsRow } from './google-ads-schema.js';

/** The Google Ads API version every path is built with. */
export const GOOGLE_ADS_API_VERSION = 'v26';

/** GAQL fields selected, in snake_case as GAQL names them; the response names them in camelCase. */
export const GOOGLE_ADS_QUERY_FIELDS = [
  'customer.currency_code',
  'customer.time_zone',
  'campaign.id',
  'campaign.name',
  'segments.date',
  'metrics.cost_micros',
  'metrics.impressions',
  'metrics.clicks',
  'metrics.conversions',
  'metrics.conversions_value',
] as const;

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Quota errors that mean "slow down and come back", as opposed to ACCESS_PROHIBITED (no access at all). */
const THROTTLE_QUOTA_ERRORS = new Set([
  'RESOURCE_EXHAUSTED',
  'RESOURCE_TEMPORARILY_EXHAUSTED',
  'EXCESSIVE_SHORT_TERM_QUERY_RESOURCE_CONSUMPTION',
  'EXCESSIVE_LONG_TERM_QUERY_RESOURCE_CONSUMPTION',
]);

export interface GoogleAdsCredential {
  accessToken: string;
  developerToken?: string;
  /** The manager account the access token belongs to, digits only. */
  loginCustomerId?: string;
}

/** Splits `<access token>|<developer token>[|<login customer id>]`; see the file comment. */
export function parseGoogleAdsCredential(credential: string): GoogleAdsCredential {
  const [accessToken = '', developerToken, loginCustomerId] = credential.split('|').map((part) => part.trim());
  const login = loginCustomerId?.replace(/-/g, '');
  return {
    accessToken,
    ...(developerToken ? { developerToken } : {}),
    ...(login ? { loginCustomerId: login } : {}),
  };
}

/** Customer ids are configured as shown in the Ads UI (`123-456-7890`) or bare; the path takes bare digits. */
function customerId(context: FetchContext): string {
  const id = context.account.accountId.replace(/-/g, '');
  if (!/^\d+$/.test(id)) {
    throw new BoscoError('CONFIG_INVALID', `google_ads: customer id '${context.account.accountId}' is not a Google Ads customer id`, {
      hint: 'use the 10-digit customer id shown in the Google Ads UI, with or without dashes',
    });
  }
  return id;
}

/** The day's query. The date is checked first: it is interpolated into GAQL text. */
export function googleAdsQuery(date: string): string {
  if (!ISO_DAY.test(date)) throw new BoscoError('USAGE', `google_ads: '${date}' is not a YYYY-MM-DD day`);
  return `SELECT ${GOOGLE_ADS_QUERY_FIELDS.join(', ')} FROM campaign WHERE segments.date = '${date}'`;
}

/** The `GoogleAdsError`s inside a status's details, each read on its own so one odd detail cannot hide the rest. */
function readDetails(status: GoogleRpcStatus): { errors: GoogleAdsError[]; requestId?: string } {
  const errors: GoogleAdsError[] = [];
  let requestId: string | undefined;
  for (const detail of status.details ?? []) {
    const failure = GoogleAdsFailureSchema.safeParse(detail);
    if (!failure.success) continue;
    requestId ??= failure.data.requestId;
    for (const raw of failure.data.errors ?? []) {
      const error = GoogleAdsErrorSchema.safeParse(raw);
      if (error.success) errors.push(error.data);
    }
  }
  return { errors, requestId };
}

/** `quotaError: RESOURCE_EXHAUSTED`-style names of every error code in the failure. */
function errorCodes(errors: GoogleAdsError[]): string[] {
  return errors.flatMap((error) => Object.entries(error.errorCode ?? {}).map(([family, value]) => `${family}: ${String(value)}`));
}

function describeError(httpStatus: number, status: GoogleRpcStatus, errors: GoogleAdsError[], requestId: string | undefined): string {
  // The GoogleAdsError message is the specific one ("Oauth token is invalid."); the status message is generic.
  const message = errors.find((error) => error.message)?.message ?? status.message ?? 'no message';
  const parts = [`HTTP ${httpStatus}`, status.status, ...errorCodes(errors), requestId && `request-id ${requestId}`].filter(Boolean);
  return `${message} (${parts.join(', ')})`;
}

function classifyStatus(httpStatus: number, status: GoogleRpcStatus, headers: Record<string, string>): ResponseVerdict {
  const { errors, requestId } = readDetails(status);
  const reason = describeError(httpStatus, status, errors, requestId);
  const quotaErrors = errors.map((error) => error.errorCode?.quotaError).filter((value): value is string => typeof value === 'string');
  // No access to the API at all is not a rate limit, whatever the status says.
  if (quotaErrors.includes('ACCESS_PROHIBITED')) return { kind: 'fatal', reason: `developer token has no access: ${reason}` };
  const quotaDelay = errors.map((error) => durationMs(error.details?.quotaErrorDetails?.retryDelay)).find((ms) => ms !== undefined);
  return classifyRpcStatus(httpStatus, status, headers, {
    reason,
    throttleLabel: 'quota exhausted',
    throttled: quotaErrors.some((code) => THROTTLE_QUOTA_ERRORS.has(code)),
    retryAfterMs: quotaDelay,
    permissionHint: 'check the developer token and that the user can read this customer (login-customer-id for manager access)',
  });
}

/** The first `{ error }` element of a stream that failed after it started, if any. */
function streamError(body: unknown): { index: number; status: GoogleRpcStatus } | undefined {
  if (!Array.isArray(body)) return undefined;
  for (const [index, element] of body.entries()) {
    if (element !== null && typeof element === 'object' && 'error' in element) {
      const status = GoogleRpcStatusSchema.safeParse(element);
      return { index, status: status.success ? status.data.error : { message: 'malformed error element' } };
    }
  }
  return undefined;
}

const classify = (response: ApiResponse): ResponseVerdict =>
  classifyGoogleResponse(response, {
    answer: 'a 2xx searchStream answer',
    classifyStatus,
    classifyOk(body, status, headers) {
      // searchStream always answers a JSON array; anything else on a 2xx was cut short or is not this API's.
      if (!Array.isArray(body)) return { kind: 'retryable', reason: 'truncated body: a 2xx searchStream answer that is not a JSON array' };
      const failed = streamError(body);
      return failed ? classifyStatus(status, failed.status, headers) : { kind: 'ok' };
    },
  });

/** A body that is a whole Google Ads error answer (not a stream), described with its GoogleAdsFailure codes. */
function describeErrorBody(body: unknown): string | undefined {
  const envelope = Array.isArray(body) ? undefined : GoogleRpcStatusSchema.safeParse(body);
  if (!envelope?.success) return undefined;
  const status = envelope.data.error;
  const { errors, requestId } = readDetails(status);
  return describeError(status.code ?? 0, status, errors, requestId);
}

function parse(body: unknown, context: FetchContext): PageResult<GoogleAdsRow> {
  rejectErrorAnswer('google_ads', body, describeErrorBody);
  // A stream that failed midway still parses as batches (unknown keys are dropped), so refuse it explicitly:
  // its rows are a prefix of the day, and landing them as the whole day would under-count silently.
  const failed = streamError(body);
  if (failed) {
    throw new BoscoError('PAYLOAD_INVALID', `google_ads payload: [${failed.index}].error: the stream ended with an error: ${failed.status.message ?? 'no message'}`, {
      hint: 'the answer is partial; fetch the day again',
    });
  }
  const batches = parsePayload(SearchStreamResponseSchema, body, 'google_ads');
  const records = batches.flatMap((batch) => batch.results ?? []);
  // A row from another day would land under this partition's date; the query asked for one day only.
  for (const [batchIndex, batch] of batches.entries()) {
    const at = (batch.results ?? []).findIndex((row) => row.segments.date !== context.date);
    if (at >= 0) {
      throw new BoscoError('PAYLOAD_INVALID', `google_ads payload: [${batchIndex}].results[${at}].segments.date: expected ${context.date}, received ${batch.results![at]!.segments.date}`);
    }
  }
  // Every row repeats the customer's facts; with no rows the day had no traffic and there is nothing to convert.
  const customer = records[0]?.customer;
  return {
    records,
    account: customer ? { currency: customer.currencyCode, timeZone: customer.timeZone } : undefined,
    next: undefined,
    unknownFields: unknownFieldPaths(SearchStreamResponseSchema, body),
  };
}

export const googleAdsConnector: Connector<GoogleAdsRow> = {
  platform: 'google_ads',
  defaultBaseUrl: 'https://googleads.googleapis.com',
  publishedLimits: { requestsPerSecond: 10, burst: 10 },
  api: `Google Ads API ${GOOGLE_ADS_API_VERSION} (REST GoogleAdsService.SearchStream, FROM campaign segmented by date)`,
  connectorVersion: '1.0.0',
  recordSchema: GoogleAdsRowSchema,
  purposes: ['report'],
  authHeaders(credential) {
    const { accessToken, developerToken, loginCustomerId } = parseGoogleAdsCredential(credential);
    return {
      Authorization: `Bearer ${accessToken}`,
      ...(developerToken ? { 'developer-token': developerToken } : {}),
      ...(loginCustomerId ? { 'login-customer-id': loginCustomerId } : {}),
    };
  },
  firstRequest: (context): ApiRequest => ({
    method: 'POST',
    path: `/${GOOGLE_ADS_API_VERSION}/customers/${customerId(context)}/googleAds:searchStream`,
    body: { query: googleAdsQuery(context.date) },
    purpose: 'report',
  }),
  classify,
  parse: (body, context) => parse(body, context),
  replayDay(body) {
    const batches = SearchStreamResponseSchema.safeParse(body);
    return batches.success ? batches.data.flatMap((batch) => batch.results ?? [])[0]?.segments.date : undefined;
  },
};
