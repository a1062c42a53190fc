/**
 * Response shapes of the Shopify Admin GraphQL API 2026-10 that the Shopify connector reads: the `shop` fields
 * (`ianaTimezone`, `currencyCode`) and the `orders` connection with the fields `ORDERS_QUERY` selects, plus the
 * error envelope and the `extensions.cost` block used to classify answers.
 *
 * Money comes as a Decimal written as text (`"12.3"`), and the schema keeps it so: converting is the transform's
 * job. GraphQL returns every selected field, so nullable fields are `nullable`, never `optional`: a missing field
 * is drift and must fail loudly.
 */
import { z } from 'zod';
import { isValidTimeZone } from '../../../core/dates.js';

/** A Shopify Decimal, e.g. `"12.3"` or `"100.0"`. */
export const decimalText = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal written as text');

const currencyCode = z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code');

/** Zones already found valid: checking one builds a formatter, dear enough to matter on every page. */
const knownZones = new Set<string>();
const ianaTimeZone = z
  .string()
  .min(1)
  .refine((zone) => knownZones.has(zone) || (isValidTimeZone(zone) && Boolean(knownZones.add(zone))), 'expected an IANA time zone such as America/New_York');

/** Shopify's DateTime: ISO 8601, UTC (`Z`) in practice; an explicit offset is accepted and still a single instant. */
const dateTime = z.iso.datetime({ offset: true });

const orderGid = z.string().regex(/^gid:\/\/shopify\/Order\/\d+$/, 'expected gid://shopify/Order/<digits>');

export const ShopFieldsSchema = z.object({
  ianaTimezone: ianaTimeZone,
  currencyCode,
});

/**
 * `extensions` (query cost) is transport metadata, not data: declared opaque here so a new key inside it is not
 * reported as drift of the payload. `classify` reads it with `ShopifyCostSchema`.
 */
const extensions = z.unknown().optional();

export const ShopResponseSchema = z.object({
  data: z.object({ shop: ShopFieldsSchema }),
  extensions,
});
export type ShopResponse = z.infer<typeof ShopResponseSchema>;

const UtmParametersSchema = z.object({
  campaign: z.string().nullable(),
  source: z.string().nullable(),
  medium: z.string().nullable(),
});

/** Attribution of the order: the UTM parameters of the last session before it; null where Shopify has none. */
const CustomerJourneySummarySchema = z.object({
  lastVisit: z.object({ utmParameters: UtmParametersSchema.nullable() }).nullable(),
});

export const OrderNodeSchema = z.object({
  id: orderGid,
  /** The order's display name, e.g. `#1001` (not a person's name). */
  name: z.string(),
  createdAt: dateTime,
  totalPriceSet: z.object({ shopMoney: z.object({ amount: decimalText, currencyCode }) }),
  customerJourneySummary: CustomerJourneySummarySchema.nullable(),
});
export type OrderNode = z.infer<typeof OrderNodeSchema>;

export const OrdersResponseSchema = z.object({
  data: z.object({
    shop: ShopFieldsSchema,
    orders: z.object({
      edges: z.array(z.object({ cursor: z.string(), node: OrderNodeSchema })),
      pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
    }),
  }),
  extensions,
});
export type OrdersResponse = z.infer<typeof OrdersResponseSchema>;

/**
 * One record per order, on the shop's reporting day. Strict: it is built field by field from the order and must
 * never grow a key that could hold personal data (email, phone, names, addresses).
 */
export const ShopifyOrderRecordSchema = z.strictObject({
  id: orderGid,
  name: z.string(),
  /** UTC instant, as Shopify gave it. */
  created_at: dateTime,
  /** The shop's reporting day the order belongs to, in the shop's `ianaTimezone`. */
  shop_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD'),
  /** Total price in the shop's currency, as text. */
  amount: decimalText,
  currency: currencyCode,
  utm_campaign: z.string().nullable(),
  utm_source: z.string().nullable(),
  utm_medium: z.string().nullable(),
});
export type ShopifyOrderRecord = z.infer<typeof ShopifyOrderRecordSchema>;

/** `extensions.cost`, read leniently: it drives the throttle wait and must never make classification throw. */
export const ShopifyCostSchema = z.object({
  requestedQueryCost: z.number().optional(),
  actualQueryCost: z.number().nullable().optional(),
  throttleStatus: z
    .object({
      maximumAvailable: z.number(),
      currentlyAvailable: z.number(),
      restoreRate: z.number(),
    })
    .optional(),
});
export type ShopifyCost = z.infer<typeof ShopifyCostSchema>;

const GraphqlErrorSchema = z.looseObject({
  message: z.string().optional(),
  extensions: z.looseObject({ code: z.string().optional() }).optional(),
});

/**
 * Shopify's error bodies: a GraphQL `errors` array (with HTTP 200 for query errors and throttling), or, from the
 * HTTP layer, `errors` as one string (401: `[API] Invalid API key or access token …`) or an object of messages.
 */
export const ShopifyErrorBodySchema = z.looseObject({
  errors: z.union([z.string(), z.array(GraphqlErrorSchema), z.record(z.string(), z.unknown())]).optional(),
  extensions: z.looseObject({ cost: ShopifyCostSchema.optional() }).optional(),
});
export type ShopifyErrorBody = z.infer<typeof ShopifyErrorBodySchema>;
