/**
 * GA4 connector, written against the Google Analytics Data API v1beta (https://analyticsdata.googleapis.com/v1beta),
 * the Data API's stable version (v1alpha carries preview features such as funnel reports).
 *
 * One partition (a property's day) is one or more requests:
 *   `POST /v1beta/properties/{propertyId}:runReport` with `dateRanges` = the day, dimensions `date`,
 *   `sessionCampaignId`, `sessionCampaignName`, metrics `advertiserAdCost`, `advertiserAdImpressions`,
 *   `advertiserAdClicks`, `keyEvents`, `totalRevenue`, a fixed `orderBys` (offset paging is only stable over a
 *   stable order), `limit` and `offset` (int64, sent as strings), `returnPropertyQuota: true`; then the same body
 *   with `offset` advanced by the rows received, until `offset + rows >= rowCount`.
 * Auth is `Authorization: Bearer <OAuth access token>` (scope analytics.readonly); the credential is that token.
 *
 * References: https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runReport,
 * https://developers.google.com/analytics/devguides/reporting/data/v1/basics (limit/offset pagination, 10,000 default,
 * 250,000 max), https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/RunReportResponse,
 * https://developers.google.com/analytics/devguides/reporting/data/v1/errors (error format and codes),
 * https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema (dimension and metric names).
 */
import { BoscoError } from '../../../core/errors.js';
import { classifyGoogleResponse, classifyRpcStatus, describeRpcErrorBody } from '../google-rpc.js';
import { parsePayload, rejectErrorAnswer, unknownFieldPaths } from '../payload.js';
import type { ApiRequest, ApiResponse, Connector, FetchContext, PageResult, ResponseVerdict } from '../types.js';
import {
  GA4_DIMENSIONS,
  GA4_METRICS,
  Ga4PagingSchema,
  Ga4RecordsSchema,
  Ga4ReportRowSchema,
  Ga4RunReportResponseSchema,
  type Ga4ReportRow,
  type Ga4RunReportResponse,
} from './ga4-schema.js';

export type { Ga4ReportRow } from './ga4-schema.js';
export { GA4_DIMENSIONS, GA4_METRICS } from './ga4-schema.js';

/** The Data API version every path is built with. */
export const GA4_API_VERSION = 'v1beta';

/** Rows per page: the API's own default. */
export const GA4_DEFAULT_PAGE_SIZE = 10_000;
/** The API rejects a larger `limit`. */
export const GA4_MAX_PAGE_SIZE = 250_000;

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

export interface Ga4ConnectorOptions {
  /** Rows per page (`limit`); small values exercise paging in tests. */
  pageSize?: number;
}

/** Properties are configured as digits; tolerate the `properties/` resource-name prefix. */
function propertyId(context: FetchContext): string {
  const id = context.account.accountId.replace(/^properties\//, '');
  if (!/^\d+$/.test(id)) {
    throw new BoscoError('CONFIG_INVALID', `ga4: property id '${context.account.accountId}' is not a GA4 property id`, {
      hint: 'use the numeric property id from GA4 Admin > Property details',
    });
  }
  return id;
}

function reportBody(date: string, pageSize: number) {
  if (!ISO_DAY.test(date)) throw new BoscoError('USAGE', `ga4: '${date}' is not a YYYY-MM-DD day`);
  return {
    dateRanges: [{ startDate: date, endDate: date }],
    dimensions: GA4_DIMENSIONS.map((name) => ({ name })),
    metrics: GA4_METRICS.map((name) => ({ name })),
    orderBys: [{ dimension: { dimensionName: 'date' } }, { dimension: { dimensionName: 'sessionCampaignId' } }],
    limit: String(pageSize),
    offset: '0',
    returnPropertyQuota: true,
  };
}

const classify = (response: ApiResponse): ResponseVerdict =>
  classifyGoogleResponse(response, {
    answer: 'a 2xx runReport answer',
    classifyStatus: (httpStatus, status, headers) =>
      // Every GA4 quota (tokens per hour/day, concurrent requests) answers 429 RESOURCE_EXHAUSTED, and each is counted
      // per property: one property out of tokens waits while the client's other properties go on.
      classifyRpcStatus(httpStatus, status, headers, {
        reason: `${status.message ?? 'no message'} (HTTP ${httpStatus}${status.status ? `, ${status.status}` : ''})`,
        throttleLabel: 'property quota exhausted',
        throttleScope: 'account',
        permissionHint: 'the user needs Viewer access to this property',
      }),
    classifyOk: (body) =>
      body !== null && typeof body === 'object' && !Array.isArray(body) ? { kind: 'ok' } : { kind: 'retryable', reason: 'truncated body: a 2xx runReport answer that is not a JSON object' },
  });

/** Each row as `{ headerName: value }`, dimensions then metrics, values untouched. */
function recordsOf(report: Ga4RunReportResponse): Array<Record<string, unknown>> {
  return (report.rows ?? []).map((row) => {
    const record: Record<string, unknown> = {};
    report.dimensionHeaders.forEach((header, i) => (record[header.name] = row.dimensionValues?.[i]?.value));
    report.metricHeaders.forEach((header, i) => (record[header.name] = row.metricValues?.[i]?.value));
    return record;
  });
}

export function createGa4Connector(options: Ga4ConnectorOptions = {}): Connector<Ga4ReportRow> {
  const pageSize = options.pageSize ?? GA4_DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > GA4_MAX_PAGE_SIZE) {
    throw new RangeError(`ga4 page size must be an integer from 1 to ${GA4_MAX_PAGE_SIZE}, got ${pageSize}`);
  }

  function parse(body: unknown, context: FetchContext, request: ApiRequest): PageResult<Ga4ReportRow> {
    rejectErrorAnswer('ga4', body, describeRpcErrorBody);
    const report = parsePayload(Ga4RunReportResponseSchema, body, 'ga4');
    const raw = recordsOf(report);
    const records = parsePayload(Ga4RecordsSchema, { rows: raw }, 'ga4').rows;
    // A row from another day would land under this partition's date; the report asked for one day only.
    const day = context.date.replace(/-/g, '');
    const stray = records.findIndex((record) => record.date !== day);
    if (stray >= 0) throw new BoscoError('PAYLOAD_INVALID', `ga4 payload: rows[${stray}].date: expected ${day}, received ${records[stray]!.date}`);

    // Advance by the rows received, not by the limit: a short page then cannot make the next one skip rows.
    const paging = Ga4PagingSchema.parse(request.body ?? {});
    const offset = Number(paging.offset ?? 0);
    const seen = offset + records.length;
    const rowCount = report.rowCount ?? 0;
    const next = records.length > 0 && seen < rowCount ? { ...request, body: { ...(request.body as object), offset: String(seen) } } : undefined;

    const { currencyCode, timeZone } = report.metadata ?? {};
    const account = currencyCode || timeZone ? { ...(currencyCode ? { currency: currencyCode } : {}), ...(timeZone ? { timeZone } : {}) } : undefined;
    return {
      records,
      next,
      account,
      // Drift shows at two levels: the envelope (a new key on a row) and the table (a new column).
      unknownFields: [...new Set([...unknownFieldPaths(Ga4RunReportResponseSchema, body), ...unknownFieldPaths(Ga4RecordsSchema, { rows: raw })])],
    };
  }

  return {
    platform: 'ga4',
    defaultBaseUrl: 'https://analyticsdata.googleapis.com',
    publishedLimits: { requestsPerSecond: 10, burst: 10 },
    api: `Google Analytics Data API ${GA4_API_VERSION} (properties.runReport, campaign by date, limit/offset paging)`,
    connectorVersion: '1.0.0',
    recordSchema: Ga4ReportRowSchema,
    purposes: ['report'],
    authHeaders: (credential) => ({ Authorization: `Bearer ${credential}` }),
    firstRequest: (context) => ({
      method: 'POST',
      path: `/${GA4_API_VERSION}/properties/${propertyId(context)}:runReport`,
      body: reportBody(context.date, pageSize),
      purpose: 'report',
    }),
    classify,
    parse,
    replayDay(body) {
      const report = Ga4RunReportResponseSchema.safeParse(body);
      const date = report.success ? recordsOf(report.data)[0]?.date : undefined;
      return typeof date === 'string' && /^\d{8}$/.test(date) ? `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}` : undefined;
    },
  };
}

export const ga4Connector: Connector<Ga4ReportRow> = createGa4Connector();
