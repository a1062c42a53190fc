/**
 * Response shapes of the Google Analytics Data API v1beta `properties.runReport`
 * (`POST /v1beta/properties/{propertyId}:runReport`) that the GA4 connector reads; errors come in
 * Google's envelope (`../google-rpc.ts`).
 *
 * A report is a table: `dimensionHeaders` and `metricHeaders` name the columns, each row holds `dimensionValues` and
 * `metricValues` in header order, and every value is a string whatever its type (`date` is `YYYYMMDD`, money is a
 * decimal in the property currency). The connector turns each row into one record keyed by header name, still text;
 * `Ga4ReportRowSchema` is that record.
 *
 * References: https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/RunReportResponse,
 * https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/PropertyQuota,
 * https://github.com/googleapis/googleapis/blob/master/google/analytics/data/v1beta/data.proto (ResponseMetaData,
 * MetricType, Row), https://developers.google.com/analytics/devguides/reporting/data/v1/errors.
 */
import { z } from 'zod';

/** A number as GA4 writes metric values: text, a decimal or (for very small doubles) exponent notation. */
const numericText = z.string().regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/, 'expected a number written as text');

/** The dimensions the connector requests, in request (and so header) order. */
export const GA4_DIMENSIONS = ['date', 'sessionCampaignId', 'sessionCampaignName'] as const;
/** The metrics the connector requests, in request (and so header) order. */
export const GA4_METRICS = ['advertiserAdCost', 'advertiserAdImpressions', 'advertiserAdClicks', 'keyEvents', 'totalRevenue'] as const;

/**
 * One report row as a record keyed by header name. Campaign ids stay text: GA4 reports the ad platform's id, which
 * may exceed 2^53, and sessions without one read `(not set)`.
 */
export const Ga4ReportRowSchema = z.object({
  /** The property's reporting day, `YYYYMMDD`. */
  date: z.string().regex(/^\d{8}$/, 'expected YYYYMMDD'),
  sessionCampaignId: z.string().min(1),
  sessionCampaignName: z.string(),
  /** Cost imported from linked ad platforms, in the property currency. */
  advertiserAdCost: numericText,
  advertiserAdImpressions: numericText,
  advertiserAdClicks: numericText,
  keyEvents: numericText,
  totalRevenue: numericText,
});
export type Ga4ReportRow = z.infer<typeof Ga4ReportRowSchema>;

/** The records of one page, as `parse` validates them: errors name `rows[3].advertiserAdCost`, the column by name. */
export const Ga4RecordsSchema = z.object({ rows: z.array(Ga4ReportRowSchema) });

/**
 * A dimension or metric cell. Its `value` is checked per column by `Ga4ReportRowSchema`, so that a wrong type is
 * reported under the column's name rather than a header index.
 */
const CellSchema = z.object({ value: z.unknown().optional() });

const RowSchema = z.object({
  dimensionValues: z.array(CellSchema).optional(),
  metricValues: z.array(CellSchema).optional(),
});

const QuotaStatusSchema = z.object({ consumed: z.number().optional(), remaining: z.number().optional() });

export const Ga4PropertyQuotaSchema = z.object({
  tokensPerDay: QuotaStatusSchema.optional(),
  tokensPerHour: QuotaStatusSchema.optional(),
  concurrentRequests: QuotaStatusSchema.optional(),
  serverErrorsPerProjectPerHour: QuotaStatusSchema.optional(),
  potentiallyThresholdedRequestsPerHour: QuotaStatusSchema.optional(),
  tokensPerProjectPerHour: QuotaStatusSchema.optional(),
});

export const Ga4ResponseMetadataSchema = z.object({
  dataLossFromOtherRow: z.boolean().optional(),
  schemaRestrictionResponse: z.unknown().optional(),
  /** The report's currency: the property's, unless the request named one. */
  currencyCode: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code').optional(),
  /** The property's IANA time zone: the zone of its reporting day. */
  timeZone: z.string().min(1).optional(),
  emptyReason: z.string().optional(),
  subjectToThresholding: z.boolean().optional(),
  samplingMetadatas: z.array(z.object({ samplesReadCount: z.string().optional(), samplingSpaceSize: z.string().optional() })).optional(),
});

export const Ga4RunReportResponseSchema = z.object({
  dimensionHeaders: z.array(z.object({ name: z.string() })),
  /** `type` is a MetricType name: `TYPE_INTEGER`, `TYPE_FLOAT`, `TYPE_CURRENCY`, … */
  metricHeaders: z.array(z.object({ name: z.string(), type: z.string().optional() })),
  /** Left out (proto3 JSON) when the page is empty. */
  rows: z.array(RowSchema).optional(),
  totals: z.array(RowSchema).optional(),
  maximums: z.array(RowSchema).optional(),
  minimums: z.array(RowSchema).optional(),
  /** Rows in the whole result, whatever `limit`/`offset` returned; left out when 0. An int32, so a JSON number. */
  rowCount: z.number().int().nonnegative().optional(),
  metadata: Ga4ResponseMetadataSchema.optional(),
  propertyQuota: Ga4PropertyQuotaSchema.optional(),
  kind: z.string().optional(),
});
export type Ga4RunReportResponse = z.infer<typeof Ga4RunReportResponseSchema>;

/** The paging fields of the connector's own request body, read back to build the next page. */
export const Ga4PagingSchema = z.object({
  /** int64 fields: proto3 JSON accepts them as strings or numbers. */
  limit: z.union([z.string(), z.number()]).optional(),
  offset: z.union([z.string(), z.number()]).optional(),
});
