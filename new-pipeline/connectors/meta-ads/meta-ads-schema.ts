/**
 * Response shapes of the Meta Marketing API v26.0 (Graph API) that the Meta Ads connector reads:
 * the ad account node (`GET /v26.0/act_{id}`) and the Ads Insights edge (`GET /v26.0/act_{id}/insights`).
 * Graph returns every insights number as JSON text, so the schema keeps them as text: converting them is the
 * transform's job, and text is the only lossless carrier for 18-digit campaign ids.
 */
import { z } from 'zod';

/** An integer or decimal written as text, the way Graph writes `spend`, `impressions` and action values. */
export const numericText = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a number written as text');

/** Graph ids are digits written as text; as JSON numbers they would already have lost precision past 2^53. */
const graphId = z.string().regex(/^\d+$/, 'expected an id of digits written as text');

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

/** One entry of `actions` or `action_values`: how many of one action type (or their value), as text. */
export const MetaActionStatSchema = z.object({
  action_type: z.string().min(1),
  value: numericText,
});
export type MetaActionStat = z.infer<typeof MetaActionStatSchema>;

/**
 * One insights row at `level=campaign` with `time_increment=1`: one campaign on one day of the account's time
 * zone. `actions` and `action_values` are absent when the campaign had no attributed actions that day; conversions
 * are the `purchase` entry of `actions` and revenue the `purchase` entry of `action_values`.
 */
export const MetaInsightsRowSchema = z.object({
  account_currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code'),
  campaign_id: graphId,
  campaign_name: z.string(),
  spend: numericText,
  impressions: numericText,
  clicks: numericText,
  actions: z.array(MetaActionStatSchema).optional(),
  action_values: z.array(MetaActionStatSchema).optional(),
  date_start: isoDay,
  date_stop: isoDay,
});
export type MetaInsightsRow = z.infer<typeof MetaInsightsRowSchema>;

/** Cursor-based paging: `next` is present only while more rows remain; `cursors.after` is what to send back. */
const PagingSchema = z.object({
  cursors: z.object({ before: z.string().optional(), after: z.string().optional() }).optional(),
  next: z.string().optional(),
  previous: z.string().optional(),
});

export const MetaInsightsPageSchema = z.object({
  data: z.array(MetaInsightsRowSchema),
  // Graph leaves `paging` out entirely when the edge is empty.
  paging: PagingSchema.optional(),
});
export type MetaInsightsPage = z.infer<typeof MetaInsightsPageSchema>;

/** `GET /act_{id}?fields=currency,timezone_name`; Graph always adds the node's `id` (`act_<digits>`). */
export const MetaAdAccountSchema = z.object({
  id: z.string().regex(/^act_\d+$/, 'expected act_<digits>'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code'),
  timezone_name: z.string().min(1),
});
export type MetaAdAccount = z.infer<typeof MetaAdAccountSchema>;

/** Graph's error envelope, sent with a 4xx/5xx status. Read leniently: classification must not throw. */
export const MetaErrorSchema = z.object({
  error: z.object({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.number().optional(),
    error_subcode: z.number().optional(),
    is_transient: z.boolean().optional(),
    fbtrace_id: z.string().optional(),
  }),
});
export type MetaError = z.infer<typeof MetaErrorSchema>['error'];

/** One entry of `x-business-use-case-usage`, keyed there by business object id. */
const BusinessUseCaseUsageSchema = z.record(
  z.string(),
  z.array(
    z.object({
      type: z.string().optional(),
      call_count: z.number().optional(),
      total_cputime: z.number().optional(),
      total_time: z.number().optional(),
      /** Minutes until calls are accepted again; 0 while Meta gives no estimate. */
      estimated_time_to_regain_access: z.number().optional(),
    }),
  ),
);

/** `x-ad-account-usage`: per-account utilisation, with the seconds until the window resets. */
const AdAccountUsageSchema = z.object({
  acc_id_util_pct: z.number().optional(),
  reset_time_duration: z.number().optional(),
  ads_api_access_tier: z.string().optional(),
});

function parseHeaderJson<T>(schema: z.ZodType<T>, value: string | undefined): T | undefined {
  if (!value) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The longest wait any business use case reports, in minutes (undefined when none says). */
export function minutesToRegainAccess(header: string | undefined): number | undefined {
  const usage = parseHeaderJson(BusinessUseCaseUsageSchema, header);
  if (!usage) return undefined;
  const minutes = Object.values(usage)
    .flat()
    .map((entry) => entry.estimated_time_to_regain_access ?? 0);
  return minutes.length > 0 ? Math.max(...minutes) : undefined;
}

/** Seconds until the ad account's usage window resets, when the account is at or over its limit. */
export function adAccountResetSeconds(header: string | undefined): number | undefined {
  const usage = parseHeaderJson(AdAccountUsageSchema, header);
  if (!usage || (usage.acc_id_util_pct ?? 0) < 100) return undefined;
  return usage.reset_time_duration;
}
