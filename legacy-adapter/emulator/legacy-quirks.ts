import { z } from 'zod';

/**
 * Which clients or accounts a known legacy behaviour hits: `'all'`, or the clients and account ids listed (an account
 * id is the platform's own, as configured in `clients[].accounts`).
 */
export const QuirkScopeSchema = z.union([
  z.literal('all'),
  z
    .object({
      clients: z.array(z.string().min(1)).optional(),
      accounts: z.array(z.string().min(1)).optional(),
    })
    .strict(),
]);
export type QuirkScope = z.infer<typeof QuirkScopeSchema>;

/**
 * The legacy system's known behaviours, each off unless scoped. With none on, the emulator writes what the
 * platforms report, the way the new pipeline reads it, so a dual run is clean.
 */
export const LegacyQuirksSchema = z
  .object({
    /**
     * Legacy days are UTC days. Whole-day reports (Google Ads, Meta, GA4, TikTok) are asked for the client's day in
     * which the UTC day began, so a client west of UTC gets the previous day's numbers under the day's date; Shopify
     * orders are bucketed by their UTC day instead of the shop's. Default: off.
     */
    utcDays: QuirkScopeSchema.optional(),
    /**
     * Money (spend and revenue) left in the account's currency and labelled with it (`ccy`), where the new pipeline
     * converts to the client's currency. The `bosco_legacy_v1` mapping carries `ccy` over without converting, so the
     * reconciler sees a constant ratio, the day's rate, on the account's rows. Default: off.
     */
    unconvertedCurrency: QuirkScopeSchema.optional(),
    /**
     * Meta conversions and revenue counted from `PIXEL_PURCHASE_ACTION` only (purchases the pixel saw), not from the
     * client's conversion definition (default `purchase`). Default: off.
     */
    pixelPurchasesOnly: QuirkScopeSchema.optional(),
    /**
     * The insert of an account's first page of rows is acknowledged after the loader's timeout; the loader sends it
     * again although the first insert landed, so that page's rows are in the table twice. Default: off.
     */
    retryDoubleInsert: QuirkScopeSchema.optional(),
  })
  .strict();
export type LegacyQuirks = z.infer<typeof LegacyQuirksSchema>;

export type QuirkName = keyof LegacyQuirks;

/** The narrower Meta action type `pixelPurchasesOnly` counts: purchases reported by the Meta pixel only. */
export const PIXEL_PURCHASE_ACTION = 'offsite_conversion.fb_pixel_purchase';

/** True when `quirk` is on for this client's account. */
export function quirkApplies(quirks: LegacyQuirks, quirk: QuirkName, clientId: string, accountId: string): boolean {
  const scope = quirks[quirk];
  if (scope === undefined) return false;
  if (scope === 'all') return true;
  return Boolean(scope.clients?.includes(clientId) || scope.accounts?.includes(accountId));
}
