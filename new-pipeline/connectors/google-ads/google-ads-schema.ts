/**
 * Response shapes of the Google Ads API REST `GoogleAdsService.SearchStream` method
 * (`POST /v{N}/customers/{customerId}/googleAds:searchStream`) that the Google Ads connector reads, and the
 * `GoogleAdsFailure` detail it finds inside Google's error envelope (`../google-rpc.ts`).
 *
 * REST renders the protobuf messages as proto3 JSON: field names in lowerCamelCase, int64 values (ids,
 * `costMicros`, `impressions`, `clicks`) as JSON strings, doubles (`conversions`, `conversionsValue`) as JSON
 * numbers. The schema keeps every value exactly as the API sends it: converting is the transform's job, and text
 * is the only lossless carrier of an int64.
 *
 * References: https://developers.google.com/google-ads/api/reference/rpc/v26/SearchGoogleAdsStreamResponse,
 * https://developers.google.com/google-ads/api/docs/rest/common/search (searchStream wraps its batches in a JSON array),
 * https://developers.google.com/google-ads/api/docs/best-practices/understand-api-errors,
 * https://developers.google.com/google-ads/api/reference/rpc/v26/QuotaErrorDetails.
 */
import { z } from 'zod';

/** An int64 as proto3 JSON writes it: decimal digits in a string. */
const int64Text = z.string().regex(/^-?\d+$/, 'expected an int64 written as text');

/** Google Ads ids are int64: text here, because as JSON numbers they would lose precision past 2^53. */
const idText = z.string().regex(/^\d+$/, 'expected an id of digits written as text');

/** A double as proto3 JSON writes it: a JSON number. */
const double = z.number().finite();

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

export const GoogleAdsCustomerSchema = z.object({
  /** `customers/{id}`: the API adds the resource name of every resource the query selects from. */
  resourceName: z.string().optional(),
  currencyCode: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code'),
  timeZone: z.string().min(1),
});

export const GoogleAdsCampaignSchema = z.object({
  /** `customers/{id}/campaigns/{campaignId}`. */
  resourceName: z.string().optional(),
  id: idText,
  name: z.string(),
});

export const GoogleAdsMetricsSchema = z.object({
  /** Spend in millionths of the account currency. */
  costMicros: int64Text,
  impressions: int64Text,
  clicks: int64Text,
  /** Fractional under data-driven attribution, hence a double. */
  conversions: double,
  conversionsValue: double,
});

export const GoogleAdsSegmentsSchema = z.object({
  /** The account's reporting day (its own time zone). */
  date: isoDay,
});

/**
 * One `GoogleAdsRow` of the connector's query: one campaign on one day, with the account's currency and time zone
 * repeated on every row (GAQL selects `customer.*` alongside the campaign).
 */
export const GoogleAdsRowSchema = z.object({
  customer: GoogleAdsCustomerSchema,
  campaign: GoogleAdsCampaignSchema,
  metrics: GoogleAdsMetricsSchema,
  segments: GoogleAdsSegmentsSchema,
});
export type GoogleAdsRow = z.infer<typeof GoogleAdsRowSchema>;

/** One `SearchGoogleAdsStreamResponse`: a batch of up to 10,000 rows. */
export const SearchStreamBatchSchema = z.object({
  /** Absent (proto3 JSON leaves out empty repeated fields) when the query matched nothing. */
  results: z.array(GoogleAdsRowSchema).optional(),
  /** The selected fields, camelCase and comma-separated. */
  fieldMask: z.string().optional(),
  /** Only when the query asked for `summaryRowSetting`; the connector does not. */
  summaryRow: z.unknown().optional(),
  requestId: z.string().optional(),
  /** On the final batch only. */
  queryResourceConsumption: int64Text.optional(),
  metricAttributes: z.array(z.unknown()).optional(),
});
export type SearchStreamBatch = z.infer<typeof SearchStreamBatchSchema>;

/** searchStream's REST body: the stream's batches, wrapped in one JSON array. */
export const SearchStreamResponseSchema = z.array(SearchStreamBatchSchema);

/** One `GoogleAdsError` inside a `GoogleAdsFailure`. */
export const GoogleAdsErrorSchema = z.object({
  /** A one-key object naming the error family and its enum, e.g. `{ "quotaError": "RESOURCE_EXHAUSTED" }`. */
  errorCode: z.record(z.string(), z.unknown()).optional(),
  message: z.string().optional(),
  details: z
    .object({
      quotaErrorDetails: z
        .object({
          rateScope: z.string().optional(),
          rateName: z.string().optional(),
          /** A protobuf Duration in JSON: `"40591s"`, `"1.5s"`. */
          retryDelay: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
});
export type GoogleAdsError = z.infer<typeof GoogleAdsErrorSchema>;

/** The `GoogleAdsFailure` detail: `@type` `type.googleapis.com/google.ads.googleads.v{N}.errors.GoogleAdsFailure`. */
export const GoogleAdsFailureSchema = z.object({
  '@type': z.string().regex(/\.errors\.GoogleAdsFailure$/),
  errors: z.array(z.unknown()).optional(),
  requestId: z.string().optional(),
});
