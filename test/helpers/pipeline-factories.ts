/**
 * Small factories for the new pipeline's transform and quality tests. Raw records go through their connector's own
 * schema, so a factory cannot build a record the connector would refuse.
 */
import type { ClientConfig } from '../../core/config.js';
import type { MetricRow, Platform } from '../../core/metric-row.js';
import { connectorFor } from '../../new-pipeline/connectors/index.js';
import { Ga4ReportRowSchema, type Ga4ReportRow } from '../../new-pipeline/connectors/ga4/ga4-schema.js';
import { GoogleAdsRowSchema, type GoogleAdsRow } from '../../new-pipeline/connectors/google-ads/google-ads-schema.js';
import { MetaInsightsRowSchema, type MetaActionStat, type MetaInsightsRow } from '../../new-pipeline/connectors/meta-ads/meta-ads-schema.js';
import { ShopifyOrderRecordSchema, type ShopifyOrderRecord } from '../../new-pipeline/connectors/shopify/shopify-schema.js';
import { TiktokReportRowSchema, type TiktokReportRow } from '../../new-pipeline/connectors/tiktok-ads/tiktok-ads-schema.js';
import type { AccountFacts, ApiRequest } from '../../new-pipeline/connectors/types.js';
import type { LandedPage, PartitionHeader, PartitionKey } from '../../new-pipeline/landing/raw-landing.js';
import type { AccountRecords } from '../../new-pipeline/transform/types.js';

export const DAY = '2026-11-22';
export const CLIENT_ID = 'acme';

export function partitionKey(platform: Platform, overrides: Partial<PartitionKey> = {}): PartitionKey {
  return { date: DAY, platform, clientId: CLIENT_ID, ...overrides };
}

/** The client fields the transform reads. */
export function clientConfig(overrides: Partial<Pick<ClientConfig, 'currency' | 'conversions'>> = {}): Pick<ClientConfig, 'currency' | 'conversions'> {
  return { currency: 'USD', ...overrides };
}

export function accountRecords<R>(accountId: string, records: readonly R[], facts: AccountFacts = { currency: 'USD', timeZone: 'America/New_York' }): AccountRecords<R> {
  return { accountId, facts, records };
}

/** One `GoogleAdsRow` of the connector's searchStream query: int64 values as text, doubles as numbers. */
export function googleAdsRow(fields: { campaignId?: string; date?: string; costMicros?: string; impressions?: string; clicks?: string; conversions?: number; conversionsValue?: number; currency?: string; timeZone?: string } = {}): GoogleAdsRow {
  const campaignId = fields.campaignId ?? '21474836470';
  return GoogleAdsRowSchema.parse({
    customer: { resourceName: 'customers/1234567890', currencyCode: fields.currency ?? 'USD', timeZone: fields.timeZone ?? 'America/New_York' },
    campaign: { resourceName: `customers/1234567890/campaigns/${campaignId}`, id: campaignId, name: 'Brand 1' },
    metrics: {
      costMicros: fields.costMicros ?? '12340000',
      impressions: fields.impressions ?? '1000',
      clicks: fields.clicks ?? '50',
      conversions: fields.conversions ?? 2,
      conversionsValue: fields.conversionsValue ?? 80.5,
    },
    segments: { date: fields.date ?? DAY },
  });
}

/** One Meta insights row at level=campaign, time_increment=1: every number as text, actions as typed entries. */
export function metaInsightsRow(fields: { campaignId?: string; date?: string; spend?: string; impressions?: string; clicks?: string; actions?: MetaActionStat[]; actionValues?: MetaActionStat[]; currency?: string } = {}): MetaInsightsRow {
  const date = fields.date ?? DAY;
  return MetaInsightsRowSchema.parse({
    account_currency: fields.currency ?? 'USD',
    campaign_id: fields.campaignId ?? '120210000000000001',
    campaign_name: 'Prospecting 2',
    spend: fields.spend ?? '25.10',
    impressions: fields.impressions ?? '3000',
    clicks: fields.clicks ?? '90',
    actions: fields.actions ?? [
      { action_type: 'link_click', value: '90' },
      { action_type: 'lead', value: '4' },
      { action_type: 'purchase', value: '3' },
      { action_type: 'omni_purchase', value: '3' },
    ],
    action_values: fields.actionValues ?? [
      { action_type: 'purchase', value: '149.97' },
      { action_type: 'omni_purchase', value: '149.97' },
    ],
    date_start: date,
    date_stop: date,
  });
}

/** One GA4 report row as the connector keys it by header name: every value text, the date `YYYYMMDD`. */
export function ga4Row(fields: Partial<Ga4ReportRow> = {}): Ga4ReportRow {
  return Ga4ReportRowSchema.parse({
    date: DAY.replaceAll('-', ''),
    sessionCampaignId: '21474836470',
    sessionCampaignName: 'Brand 1',
    advertiserAdCost: '12.34',
    advertiserAdImpressions: '1000',
    advertiserAdClicks: '50',
    keyEvents: '2.5',
    totalRevenue: '80.5',
    ...fields,
  });
}

/** One TikTok report row (AUCTION_CAMPAIGN by stat_time_day): metrics as text. */
export function tiktokRow(fields: { campaignId?: string; date?: string; metrics?: Partial<TiktokReportRow['metrics']> } = {}): TiktokReportRow {
  return TiktokReportRowSchema.parse({
    dimensions: { campaign_id: fields.campaignId ?? '1790000000000000001', stat_time_day: `${fields.date ?? DAY} 00:00:00` },
    metrics: {
      campaign_name: 'Launch 5',
      spend: '40.00',
      impressions: '8000',
      clicks: '120',
      conversion: '9',
      complete_payment: '6',
      total_complete_payment_rate: '300.00',
      ...fields.metrics,
    },
  });
}

/** One Shopify order record: the UTC instant Shopify gave and the shop's day the connector bucketed it into. */
export function shopifyOrder(fields: Partial<ShopifyOrderRecord> = {}): ShopifyOrderRecord {
  return ShopifyOrderRecordSchema.parse({
    id: 'gid://shopify/Order/5500000000001',
    name: '#1001',
    created_at: `${DAY}T15:00:00Z`,
    shop_date: DAY,
    amount: '59.90',
    currency: 'USD',
    utm_campaign: '21474836470',
    utm_source: 'google',
    utm_medium: 'cpc',
    ...fields,
  });
}

/** A canonical row as the transform yields it. */
export function canonicalRow(overrides: Partial<MetricRow> = {}): MetricRow {
  return {
    client_id: CLIENT_ID,
    date: DAY,
    platform: 'google_ads',
    account_id: '1234567890',
    campaign_id: '21474836470',
    currency: 'USD',
    spend: 12.34,
    impressions: 1000,
    clicks: 50,
    conversions: 2,
    revenue: 80.5,
    ...overrides,
  };
}

/** A landed page: `body` as the API answered, `request` the connector's own (first, unless given). */
export function landedPage(platform: Platform, accountId: string, body: unknown, options: { request?: ApiRequest; fetchedAt?: string } = {}): LandedPage {
  const request = options.request ?? connectorFor(platform).firstRequest({ account: { clientId: CLIENT_ID, platform, accountId }, date: DAY });
  return { account_id: accountId, request, status: 200, fetched_at: options.fetchedAt ?? `${DAY}T06:00:00.000Z`, body };
}

/** A landed partition as `readLandedPartition` returns it. */
export function landedPartition(platform: Platform, pages: LandedPage[], accounts: PartitionHeader['accounts'] = {}): { header: PartitionKey & PartitionHeader; pages: LandedPage[] } {
  const connector = connectorFor(platform);
  return {
    header: { ...partitionKey(platform), run_id: 'run-1', api: connector.api, connector_version: connector.connectorVersion, accounts, unknown_fields: [] },
    pages,
  };
}

/** A searchStream answer: one batch holding `rows`. */
export function googleAdsStreamBody(rows: GoogleAdsRow[]): unknown {
  return [{ results: rows, fieldMask: 'customer.currencyCode,customer.timeZone,campaign.id,campaign.name,segments.date,metrics.costMicros', requestId: 'req-1' }];
}
