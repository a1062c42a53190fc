import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config.js';
import { BoscoError } from '../../../core/errors.js';
import { PLATFORMS, type Platform } from '../../../core/metric-row.js';
import { CONNECTORS } from '../../../new-pipeline/connectors/index.js';
import { fxTable } from '../../../new-pipeline/transform/currency-conversion.js';
import { TRANSFORMS, transformFor } from '../../../new-pipeline/transform/index.js';
import { SHOPIFY_UNATTRIBUTED_CAMPAIGN } from '../../../new-pipeline/connectors/shopify/shopify-transform.js';
import { transformPartition } from '../../../new-pipeline/transform/transform-partition.js';
import type { AccountRecords } from '../../../new-pipeline/transform/types.js';
import { accountRecords, clientConfig, DAY, ga4Row, googleAdsRow, metaInsightsRow, partitionKey, shopifyOrder, tiktokRow } from '../../helpers/pipeline-factories.js';
import { checkConversions } from '../../../new-pipeline/transform/conversions.js';

/** The rows of one account's records, in USD, for a client counting `conversions` (default: the platform's). */
function rowsOf(platform: Platform, account: AccountRecords, conversions?: Record<string, string[]>) {
  return transformPartition({
    key: partitionKey(platform),
    client: clientConfig(conversions ? { conversions } : {}),
    clientTimeZone: 'America/New_York',
    accounts: [account],
    rates: fxTable([]),
  }).rows;
}

describe('transform registry', () => {
  it('has one transform per platform, each with a version, like the connectors', () => {
    expect(TRANSFORMS.map((t) => t.platform).sort()).toEqual([...PLATFORMS].sort());
    expect(CONNECTORS.map((c) => c.platform).sort()).toEqual(TRANSFORMS.map((t) => t.platform).sort());
    for (const transform of TRANSFORMS) expect(transform.transformVersion).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('refuses an unknown platform with the list of known ones', () => {
    expect(() => transformFor('bing_ads')).toThrow(/no transform for platform 'bing_ads'/);
  });
});

describe('Google Ads transform', () => {
  it('turns cost_micros into units and int64 text into numbers', () => {
    const [row] = rowsOf('google_ads', accountRecords('1234567890', [googleAdsRow({ costMicros: '12345678', impressions: '9007199254', clicks: '77', conversions: 2.5, conversionsValue: 99.99 })]));
    expect(row).toEqual({
      client_id: 'acme', date: DAY, platform: 'google_ads', account_id: '1234567890', campaign_id: '21474836470', currency: 'USD',
      spend: 12.35, impressions: 9_007_199_254, clicks: 77, conversions: 2.5, revenue: 99.99,
    });
  });

  it('sums micros exactly before rounding: three rows of one campaign at 0.333333 are 1.00, not 0.99', () => {
    const rows = ['333333', '333333', '333334'].map((costMicros) => googleAdsRow({ costMicros, impressions: '1', clicks: '0' }));
    const [row] = rowsOf('google_ads', accountRecords('1234567890', rows));
    expect(row!.spend).toBe(1);
    expect(row!.impressions).toBe(3);
  });

  it('keeps fractional data-driven conversions, to hundredths', () => {
    const [row] = rowsOf('google_ads', accountRecords('1234567890', [googleAdsRow({ conversions: 1.3333333333, conversionsValue: 0.005 })]));
    expect(row).toMatchObject({ conversions: 1.33, revenue: 0.01 });
  });
});

describe('Meta Ads transform', () => {
  it('counts purchases by default, not leads, clicks or omni_purchase (which repeats purchase)', () => {
    const [row] = rowsOf('meta_ads', accountRecords('120000000000000001', [metaInsightsRow()]));
    expect(row).toMatchObject({ spend: 25.1, impressions: 3000, clicks: 90, conversions: 3, revenue: 149.97 });
  });

  it('counts what the client configured: leads for a lead-generation client', () => {
    const [row] = rowsOf('meta_ads', accountRecords('120000000000000001', [metaInsightsRow()]), { meta_ads: ['lead'] });
    expect(row).toMatchObject({ conversions: 4, revenue: 0 });
  });

  it('sums several configured action types', () => {
    const record = metaInsightsRow({
      actions: [{ action_type: 'offsite_conversion.fb_pixel_purchase', value: '2' }, { action_type: 'onsite_web_purchase', value: '1' }],
      actionValues: [{ action_type: 'offsite_conversion.fb_pixel_purchase', value: '40.10' }, { action_type: 'onsite_web_purchase', value: '9.95' }],
    });
    const [row] = rowsOf('meta_ads', accountRecords('120000000000000001', [record]), { meta_ads: ['offsite_conversion.fb_pixel_purchase', 'onsite_web_purchase'] });
    expect(row).toMatchObject({ conversions: 3, revenue: 50.05 });
  });

  it('reads a campaign without actions as zero conversions, not unknown', () => {
    const { actions: _actions, action_values: _values, ...record } = metaInsightsRow();
    const [row] = rowsOf('meta_ads', accountRecords('120000000000000001', [record]));
    expect(row).toMatchObject({ conversions: 0, revenue: 0 });
  });

  it('refuses a row that spans more than one day', () => {
    const record = { ...metaInsightsRow(), date_stop: '2026-11-23' };
    expect(() => rowsOf('meta_ads', accountRecords('120000000000000001', [record]))).toThrow(/spans 2026-11-22 to 2026-11-23/);
  });

  it('refuses a fractional impression count rather than truncating it', () => {
    const error = captureError(() => rowsOf('meta_ads', accountRecords('120000000000000001', [metaInsightsRow({ impressions: '10.5' })])));
    expect(error.code).toBe('PAYLOAD_INVALID');
    expect(error.message).toContain("campaign 120210000000000001: impressions: expected a whole number, received '10.5'");
  });
});

function captureError(work: () => unknown): BoscoError {
  try {
    work();
  } catch (error) {
    if (error instanceof BoscoError) return error;
    throw error;
  }
  throw new Error('expected a BoscoError');
}

describe('GA4 transform', () => {
  it('reads the advertiserAd metrics, keyEvents as conversions and totalRevenue, on the YYYYMMDD day', () => {
    const [row] = rowsOf('ga4', accountRecords('345678901', [ga4Row({ totalRevenue: '1.005e2', keyEvents: '3.75' })], { currency: 'USD', timeZone: 'America/New_York' }));
    expect(row).toMatchObject({ date: DAY, campaign_id: '21474836470', spend: 12.34, impressions: 1000, clicks: 50, conversions: 3.75, revenue: 100.5 });
  });

  it('folds rows of one campaign id reported under two names (a rename mid-day) into one row', () => {
    const rows = rowsOf('ga4', accountRecords('345678901', [ga4Row({ sessionCampaignName: 'Old name' }), ga4Row({ sessionCampaignName: 'New name' })]));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ spend: 24.68, impressions: 2000, conversions: 5 });
  });

  it('fails rather than guesses when the report did not say its currency', () => {
    expect(() => rowsOf('ga4', accountRecords('345678901', [ga4Row()], { timeZone: 'UTC' }))).toThrow(/did not say which currency/);
  });
});

describe('TikTok Ads transform', () => {
  it('counts purchases (complete_payment) by default, with their total value as revenue', () => {
    const [row] = rowsOf('tiktok_ads', accountRecords('7000000000000000001', [tiktokRow()]));
    expect(row).toMatchObject({ campaign_id: '1790000000000000001', spend: 40, impressions: 8000, clicks: 120, conversions: 6, revenue: 300 });
  });

  it('counts the optimisation event instead when the client says so', () => {
    const [row] = rowsOf('tiktok_ads', accountRecords('7000000000000000001', [tiktokRow()]), { tiktok_ads: ['conversion'] });
    expect(row).toMatchObject({ conversions: 9, revenue: 300 });
  });

  it('refuses a conversion name the connector does not fetch when the config is bypassed', () => {
    expect(() => rowsOf('tiktok_ads', accountRecords('7000000000000000001', [tiktokRow()]), { tiktok_ads: ['registration'] })).toThrow(/'registration' is not a conversion metric/);
  });
});

describe('Shopify transform', () => {
  const shop = (records: ReturnType<typeof shopifyOrder>[], timeZone = 'America/Los_Angeles') => accountRecords('acme-store', records, { currency: 'USD', timeZone });

  it('counts orders as conversions and sums shop money as revenue, per UTM campaign', () => {
    const rows = rowsOf('shopify', shop([
      shopifyOrder({ id: 'gid://shopify/Order/1', amount: '10.10' }),
      shopifyOrder({ id: 'gid://shopify/Order/2', amount: '20.20' }),
      shopifyOrder({ id: 'gid://shopify/Order/3', amount: '5', utm_campaign: null }),
    ]));
    expect(rows).toEqual([
      expect.objectContaining({ campaign_id: '21474836470', conversions: 2, revenue: 30.3, spend: null, impressions: null, clicks: null }),
      expect.objectContaining({ campaign_id: SHOPIFY_UNATTRIBUTED_CAMPAIGN, conversions: 1, revenue: 5 }),
    ]);
  });

  it('buckets by the shop\'s clock from the UTC instant: 07:59Z on the 23rd is still the 22nd in Los Angeles', () => {
    const [row] = rowsOf('shopify', shop([shopifyOrder({ created_at: '2026-11-23T07:59:59Z' }), shopifyOrder({ created_at: '2026-11-22T08:00:00Z' })]));
    expect(row).toMatchObject({ date: DAY, conversions: 2 });
  });

  it('refuses an order whose UTC instant is another day on the shop\'s clock, whatever its shop_date says', () => {
    const early = shopifyOrder({ created_at: '2026-11-22T07:59:59Z' });
    expect(() => rowsOf('shopify', shop([early]))).toThrow(/has a record for 2026-11-21/);
  });

  it('refuses to bucket orders when the shop\'s time zone is unknown', () => {
    expect(() => rowsOf('shopify', accountRecords('acme-store', [shopifyOrder()], { currency: 'USD' }))).toThrow(/time zone is unknown/);
  });
});

describe('conversion definitions in the config', () => {
  const client = (conversions: unknown) => ({ clients: [{ id: 'acme', conversions }] });

  it('accepts any Meta action type and the metrics each other connector fetches', () => {
    const config = parseConfig(client({ meta_ads: ['lead', 'purchase'], tiktok_ads: ['conversion'], google_ads: ['conversions'] }), 'bosco.config.json');
    expect(config.clients[0]!.conversions).toEqual({ meta_ads: ['lead', 'purchase'], tiktok_ads: ['conversion'], google_ads: ['conversions'] });
  });

  it('leaves a client without conversions on the platform defaults', () => {
    expect(parseConfig({ clients: [{ id: 'acme' }] }, 'bosco.config.json').clients[0]!.conversions).toBeUndefined();
  });

  it('names a conversion a platform\'s connector cannot count, and the choices', () => {
    // The config's shape is core's to check; which names a platform takes, its folder's (checked before a fetch or transform).
    expect(() => checkConversions(parseConfig(client({ google_ads: ['purchase'] }), 'bosco.config.json'), 'bosco.config.json')).toThrow(
      /bosco\.config\.json: clients\.0\.conversions\.google_ads: 'purchase' is not a google_ads conversion; use conversions/,
    );
  });

  it('refuses a conversion listed twice, which would count it twice', () => {
    expect(() => parseConfig(client({ meta_ads: ['purchase', 'purchase'] }), 'bosco.config.json')).toThrow(/listed twice/);
  });

  it('refuses an empty list and an unknown platform', () => {
    expect(() => parseConfig(client({ meta_ads: [] }), 'bosco.config.json')).toThrow(/conversions\.meta_ads/);
    expect(() => parseConfig(client({ bing_ads: ['x'] }), 'bosco.config.json')).toThrow(/conversions/);
  });
});
