/**
 * Response shapes of the TikTok API for Business v1.3 that the TikTok Ads connector reads: the synchronous report
 * `GET /open_api/v1.3/report/integrated/get/` and the ad account details `GET /open_api/v1.3/advertiser/info/`.
 * Every answer is HTTP 200 with an envelope `{code, message, request_id, data}`; `code` 0 means success. Report
 * metrics come as JSON text and stay text here: the transform converts them.
 */
import { z } from 'zod';

/** An integer or decimal written as text, the way the report writes every metric. */
export const numericText = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a number written as text');

/** TikTok ids are 19 digits: only text carries them exactly (a JSON number has lost precision past 2^53). */
const tiktokId = z.string().regex(/^\d+$/, 'expected an id of digits written as text');

/** `stat_time_day` is the start of the advertiser's reporting day, e.g. `2026-11-22 00:00:00`. */
const statTimeDay = z.string().regex(/^\d{4}-\d{2}-\d{2} 00:00:00$/, 'expected YYYY-MM-DD 00:00:00');

/**
 * One report row for `data_level=AUCTION_CAMPAIGN`, `dimensions=["campaign_id","stat_time_day"]`. Purchases are
 * `complete_payment` and their value `total_complete_payment_rate` (a total, despite the name); `conversion` counts
 * the campaign's optimisation event, which need not be a purchase.
 */
export const TiktokReportRowSchema = z.object({
  dimensions: z.object({
    campaign_id: tiktokId,
    stat_time_day: statTimeDay,
  }),
  metrics: z.object({
    campaign_name: z.string(),
    spend: numericText,
    impressions: numericText,
    clicks: numericText,
    conversion: numericText,
    complete_payment: numericText,
    total_complete_payment_rate: numericText,
  }),
});
export type TiktokReportRow = z.infer<typeof TiktokReportRowSchema>;

export const TiktokPageInfoSchema = z.object({
  page: z.number().int(),
  page_size: z.number().int(),
  total_number: z.number().int(),
  total_page: z.number().int(),
});

export const TiktokReportResponseSchema = z.object({
  code: z.literal(0),
  message: z.string(),
  request_id: z.string(),
  data: z.object({
    list: z.array(TiktokReportRowSchema),
    page_info: TiktokPageInfoSchema,
  }),
});

/** One ad account from `advertiser/info`; `timezone` is the zone the report days are counted in. */
export const TiktokAdvertiserSchema = z.object({
  advertiser_id: tiktokId,
  currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code'),
  timezone: z.string().min(1),
});

export const TiktokAdvertiserInfoResponseSchema = z.object({
  code: z.literal(0),
  message: z.string(),
  request_id: z.string(),
  data: z.object({ list: z.array(TiktokAdvertiserSchema) }),
});

/** The envelope alone, read leniently to classify an answer before anything else is trusted. */
export const TiktokEnvelopeSchema = z.object({
  code: z.number(),
  message: z.string().optional(),
  request_id: z.string().optional(),
});
