import { dayInTimeZone } from '../../../core/dates.js';
import { BoscoError } from '../../../core/errors.js';
import type { ShopifyOrderRecord } from './shopify-schema.js';
import { ONE } from '../../transform/decimal.js';
import { readDecimal } from '../../transform/read-values.js';
import type { PlatformTransform } from '../../transform/types.js';

/** The campaign of orders without UTM attribution, spelled as GA4 spells an unknown dimension value. */
export const SHOPIFY_UNATTRIBUTED_CAMPAIGN = '(not set)';

export const shopifyTransform: PlatformTransform<ShopifyOrderRecord> = {
  platform: 'shopify',
  transformVersion: '1.0.0',
  description: "one row per UTM campaign of the shop's local day: conversions are orders, revenue their total price in shop money; no spend, impressions or clicks",
  read(order, { facts }) {
    if (!facts.timeZone) {
      throw new BoscoError('PAYLOAD_INVALID', `shopify record: order ${order.id}: the shop's time zone is unknown, so its day cannot be told`, {
        hint: 'every landed orders page carries data.shop.ianaTimezone; fetch the day again',
      });
    }
    return {
      // From the UTC instant, not the record's shop_date: the day is re-derived so a replay never trusts a stored label.
      day: dayInTimeZone(new Date(order.created_at), facts.timeZone),
      campaignId: order.utm_campaign || SHOPIFY_UNATTRIBUTED_CAMPAIGN,
      currency: order.currency,
      spend: null,
      impressions: null,
      clicks: null,
      conversions: ONE,
      revenue: readDecimal('shopify', `order ${order.id}: amount`, order.amount),
    };
  },
};
