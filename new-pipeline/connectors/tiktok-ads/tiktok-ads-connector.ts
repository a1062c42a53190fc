/**
 * TikTok Ads connector, written against the TikTok API for Business v1.3 (https://business-api.tiktok.com/open_api/v1.3).
 *
 * One partition (an advertiser's day) is two or more requests:
 *   1. `GET /open_api/v1.3/advertiser/info/?advertiser_ids=["<id>"]&fields=[…]`: the account's currency and time zone;
 *   2. `GET /open_api/v1.3/report/integrated/get/` with `report_type=BASIC`, `data_level=AUCTION_CAMPAIGN`,
 *      `dimensions=["campaign_id","stat_time_day"]`, `metrics=[…]`, `start_date`=`end_date`=the day, and
 *      `page`/`page_size`, page after page until `page_info.total_page`.
 * Auth is the `Access-Token` header. TikTok answers errors with HTTP 200 and a non-zero `code` in the body, so
 * `classify` reads the body, not just the status.
 *
 * References: https://business-api.tiktok.com/portal/docs?id=1740302848100353 (synchronous report),
 * https://business-api.tiktok.com/portal/docs?id=1739593083610113 (advertiser info),
 * https://business-api.tiktok.com/portal/docs?id=1737172488964097 (return codes),
 * https://github.com/tiktok/tiktok-business-api-sdk (v1.3 SDK: parameters, page_size 1–1000).
 */
import type { z } from 'zod';
import { parsePayload, rejectErrorAnswer, unknownFieldPaths } from '../payload.js';
import type { ApiRequest, ApiResponse, Connector, FetchContext, PageResult, ResponseVerdict } from '../types.js';
import { classifyInvalidBody, retryAfterHeaderMs, throttled } from '../verdicts.js';
import {
  TiktokAdvertiserInfoResponseSchema,
  TiktokEnvelopeSchema,
  TiktokReportResponseSchema,
  TiktokReportRowSchema,
  type TiktokReportRow,
} from './tiktok-ads-schema.js';

export type { TiktokReportRow } from './tiktok-ads-schema.js';

/** The API version every path is built with. */
export const TIKTOK_API_VERSION = 'v1.3';
const BASE_PATH = `/open_api/${TIKTOK_API_VERSION}`;

/** Report metrics requested; `campaign_name` is an attribute metric, the rest are basic and page-event metrics. */
export const TIKTOK_REPORT_METRICS = ['campaign_name', 'spend', 'impressions', 'clicks', 'conversion', 'complete_payment', 'total_complete_payment_rate'] as const;

/** The report's largest page (its range is 1–1000): fewer calls against the app's QPS limit. */
export const TIKTOK_DEFAULT_PAGE_SIZE = 1000;

const PURPOSE_ADVERTISER = 'advertiser-info';
const PURPOSE_REPORT = 'report';

/** 40100: the app went over its QPS/QPM/QPD limit ("App … reaches the QPS limit"). */
const RATE_LIMIT_CODE = 40100;
/** 40001: no permission on this advertiser; 401xx besides 40100: the app or the access token is invalid. */
const PERMISSION_CODE = 40001;
const isAuthCode = (code: number) => code > RATE_LIMIT_CODE && code < 40200;
/** 5xxxx: TikTok's system errors and internal timeouts, which it says to retry. */
const isServerCode = (code: number) => code >= 50000 && code < 60000;

export interface TiktokAdsConnectorOptions {
  /** Report rows per page (`page_size`, 1–1000); small values exercise paging in tests. */
  pageSize?: number;
}

function advertiserInfoRequest(context: FetchContext): ApiRequest {
  return {
    method: 'GET',
    path: `${BASE_PATH}/advertiser/info/`,
    query: {
      advertiser_ids: JSON.stringify([context.account.accountId]),
      fields: JSON.stringify(['advertiser_id', 'currency', 'timezone']),
    },
    purpose: PURPOSE_ADVERTISER,
  };
}

function reportRequest(context: FetchContext, pageSize: number, page: number): ApiRequest {
  return {
    method: 'GET',
    path: `${BASE_PATH}/report/integrated/get/`,
    query: {
      advertiser_id: context.account.accountId,
      service_type: 'AUCTION',
      report_type: 'BASIC',
      data_level: 'AUCTION_CAMPAIGN',
      dimensions: JSON.stringify(['campaign_id', 'stat_time_day']),
      metrics: JSON.stringify(TIKTOK_REPORT_METRICS),
      // Dates are days of the advertiser's own time zone, which is what the partition's date is.
      start_date: context.date,
      end_date: context.date,
      page: String(page),
      page_size: String(pageSize),
    },
    purpose: PURPOSE_REPORT,
  };
}

function describeEnvelope({ code, message, request_id: requestId }: z.infer<typeof TiktokEnvelopeSchema>): string {
  return `${message ?? 'no message'} (code ${code}${requestId ? `, request_id ${requestId}` : ''})`;
}

function classify(response: ApiResponse): ResponseVerdict {
  const { status, headers } = response;
  if (response.bodyInvalid) return classifyInvalidBody(response);
  // The API itself always answers 200; anything else came from a gateway in front of it.
  if (status === 429) return throttled('HTTP 429 from the gateway', retryAfterHeaderMs(headers['retry-after']));
  if (status >= 500) return { kind: 'retryable', reason: `HTTP ${status} from the gateway` };
  if (status < 200 || status >= 300) return { kind: 'fatal', reason: `HTTP ${status}` };

  const envelope = TiktokEnvelopeSchema.safeParse(response.body);
  // Not TikTok's envelope: let `parse` reject it with the field path.
  if (!envelope.success) return { kind: 'ok' };
  const { code } = envelope.data;
  if (code === 0) return { kind: 'ok' };
  const detail = describeEnvelope(envelope.data);
  // TikTok never says how long; a Retry-After from a gateway in front of it is still honoured.
  if (code === RATE_LIMIT_CODE) return throttled(`rate limited: ${detail}`, retryAfterHeaderMs(headers['retry-after']));
  if (isAuthCode(code)) return { kind: 'fatal', reason: `access token or app credentials rejected: ${detail}; re-authorise the advertiser` };
  if (code === PERMISSION_CODE) return { kind: 'fatal', reason: `no permission on this advertiser: ${detail}` };
  if (isServerCode(code)) return { kind: 'retryable', reason: `TikTok system error: ${detail}` };
  return { kind: 'fatal', reason: `request rejected: ${detail}` };
}

export function createTiktokAdsConnector(options: TiktokAdsConnectorOptions = {}): Connector<TiktokReportRow> {
  const pageSize = options.pageSize ?? TIKTOK_DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new RangeError(`tiktok_ads page size must be an integer from 1 to 1000, got ${pageSize}`);

  function parseAdvertiser(body: unknown, context: FetchContext): PageResult<TiktokReportRow> {
    const info = parsePayload(TiktokAdvertiserInfoResponseSchema, body, 'tiktok_ads');
    const advertiser = info.data.list.find((entry) => entry.advertiser_id === context.account.accountId);
    return {
      records: [],
      account: advertiser ? { currency: advertiser.currency, timeZone: advertiser.timezone } : undefined,
      next: reportRequest(context, pageSize, 1),
      unknownFields: unknownFieldPaths(TiktokAdvertiserInfoResponseSchema, body),
    };
  }

  function parseReport(body: unknown, context: FetchContext, request: ApiRequest): PageResult<TiktokReportRow> {
    const report = parsePayload(TiktokReportResponseSchema, body, 'tiktok_ads');
    // Count from the page we asked for, not the one echoed back, so a misreported page cannot loop forever.
    const page = Number(request.query?.page ?? 1);
    const next = page < report.data.page_info.total_page ? reportRequest(context, pageSize, page + 1) : undefined;
    return { records: report.data.list, next, unknownFields: unknownFieldPaths(TiktokReportResponseSchema, body) };
  }

  return {
    platform: 'tiktok_ads',
    defaultBaseUrl: 'https://business-api.tiktok.com',
    publishedLimits: { requestsPerSecond: 10, burst: 10 },
    api: `TikTok API for Business ${TIKTOK_API_VERSION} (report/integrated/get, BASIC, AUCTION_CAMPAIGN by stat_time_day)`,
    connectorVersion: '1.0.0',
    recordSchema: TiktokReportRowSchema,
    purposes: [PURPOSE_ADVERTISER, PURPOSE_REPORT],
    authHeaders: (credential) => ({ 'Access-Token': credential }),
    firstRequest: advertiserInfoRequest,
    classify,
    parse(body, context, request) {
      rejectErrorAnswer('tiktok_ads', body, (answer) => {
        const envelope = TiktokEnvelopeSchema.safeParse(answer);
        return envelope.success && envelope.data.code !== 0 ? describeEnvelope(envelope.data) : undefined;
      });
      return request.purpose === PURPOSE_ADVERTISER ? parseAdvertiser(body, context) : parseReport(body, context, request);
    },
  };
}

export const tiktokAdsConnector: Connector<TiktokReportRow> = createTiktokAdsConnector();
