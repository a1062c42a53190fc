import { describe, expect, it } from 'vitest';
import { BoscoError } from '../../../core/errors.js';
import { MetricRowSchema } from '../../../core/metric-row.js';
import { FxRateMissingError, fxTable } from '../../../new-pipeline/transform/currency-conversion.js';
import { transformPartition, type PartitionTransformInput } from '../../../new-pipeline/transform/transform-partition.js';
import { accountRecords, clientConfig, DAY, googleAdsRow, metaInsightsRow, partitionKey } from '../../helpers/pipeline-factories.js';

const EUR_USD = { date: DAY, base: 'EUR', quote: 'USD', rate: 1.08 };

function metaPartition(overrides: Partial<PartitionTransformInput> = {}): PartitionTransformInput {
  return {
    key: partitionKey('meta_ads'),
    client: clientConfig(),
    clientTimeZone: 'America/New_York',
    accounts: [
      accountRecords('111', [metaInsightsRow({ campaignId: '1', spend: '10.00' })], { currency: 'USD', timeZone: 'America/New_York' }),
      accountRecords('222', [metaInsightsRow({ campaignId: '2', spend: '100.00', currency: 'EUR' })], { currency: 'EUR', timeZone: 'Europe/Berlin' }),
    ],
    rates: fxTable([EUR_USD]),
    ...overrides,
  };
}

describe('transforming a partition', () => {
  it('yields valid canonical rows dated the client\'s reporting day, in the client\'s currency', () => {
    const { rows, transformVersion } = transformPartition(metaPartition());
    expect(rows.map((row) => MetricRowSchema.parse(row))).toHaveLength(2);
    expect(rows.every((row) => row.date === DAY && row.currency === 'USD' && row.client_id === 'acme' && row.platform === 'meta_ads')).toBe(true);
    expect(transformVersion).toBe('1.0.0');
  });

  it('converts spend and revenue of a foreign-currency account with the day\'s rate; counts are untouched', () => {
    const { rows } = transformPartition(metaPartition());
    const euro = rows.find((row) => row.account_id === '222')!;
    // 100.00 EUR × 1.08 and 149.97 EUR × 1.08 = 161.9676, rounded once.
    expect(euro).toMatchObject({ spend: 108, revenue: 161.97, conversions: 3, impressions: 3000, clicks: 90, currency: 'USD' });
    expect(rows.find((row) => row.account_id === '111')).toMatchObject({ spend: 10, revenue: 149.97 });
  });

  it('aggregates to the canonical grain: one row per account and campaign', () => {
    const records = [metaInsightsRow({ campaignId: '1', spend: '1.10' }), metaInsightsRow({ campaignId: '1', spend: '2.20' }), metaInsightsRow({ campaignId: '2' })];
    const { rows } = transformPartition(metaPartition({ accounts: [accountRecords('111', records)] }));
    expect(rows.map((row) => [row.campaign_id, row.spend, row.impressions])).toEqual([['1', 3.3, 6000], ['2', 25.1, 3000]]);
  });

  it('records per account its time zone, currency, what it was converted from and at which rate', () => {
    const { accounts } = transformPartition(metaPartition());
    expect(accounts).toEqual({
      '111': { time_zone: 'America/New_York', time_zone_differs: false, currency: 'USD', converted_from: null, fx: null, records: 1, rows: 1 },
      '222': { time_zone: 'Europe/Berlin', time_zone_differs: true, currency: 'USD', converted_from: 'EUR', fx: { date: DAY, rate: 1.08, via: 'direct' }, records: 1, rows: 1 },
    });
  });

  it('flags a time zone by the hours its day covers, not by its name', () => {
    const zoned = (timeZone: string, date = DAY) =>
      transformPartition(metaPartition({ key: partitionKey('meta_ads', { date }), clientTimeZone: 'UTC', accounts: [accountRecords('111', [], { currency: 'USD', timeZone })] })).accounts['111']!.time_zone_differs;
    expect(zoned('Etc/UTC')).toBe(false);
    // London keeps UTC in November but not in July.
    expect(zoned('Europe/London')).toBe(false);
    expect(zoned('Europe/London', '2026-07-15')).toBe(true);
    expect(zoned('America/Los_Angeles')).toBe(true);
    expect(zoned('Mars/Olympus')).toBe(true);
  });

  it('keeps an account without records in the lineage, with nothing to convert', () => {
    const { rows, accounts } = transformPartition(metaPartition({ accounts: [accountRecords('333', [], { currency: 'EUR' })], rates: fxTable([]) }));
    expect(rows).toEqual([]);
    expect(accounts['333']).toEqual({ time_zone: null, time_zone_differs: false, currency: 'USD', converted_from: null, fx: null, records: 0, rows: 0 });
  });

  it('fails the partition on a missing rate, naming every pair and account at once', () => {
    const accounts = [
      accountRecords('222', [metaInsightsRow({ currency: 'EUR' })], { currency: 'EUR' }),
      accountRecords('333', [metaInsightsRow({ currency: 'EUR' })], { currency: 'EUR' }),
      accountRecords('444', [metaInsightsRow({ currency: 'GBP' })], { currency: 'GBP' }),
    ];
    let error: unknown;
    try {
      transformPartition(metaPartition({ accounts, rates: fxTable([{ ...EUR_USD, date: '2026-11-21' }]) }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FxRateMissingError);
    expect((error as FxRateMissingError).missing).toEqual([
      { date: DAY, from: 'EUR', to: 'USD', accounts: ['222', '333'] },
      { date: DAY, from: 'GBP', to: 'USD', accounts: ['444'] },
    ]);
  });

  it('refuses an account whose records and facts disagree on its currency', () => {
    const accounts = [accountRecords('111', [metaInsightsRow({ currency: 'EUR' })], { currency: 'USD' })];
    expect(() => transformPartition(metaPartition({ accounts }))).toThrow(/account 111 reports money in EUR and USD/);
  });

  it('refuses a record of another day rather than filing it under the partition\'s', () => {
    const accounts = [accountRecords('1234567890', [googleAdsRow({ date: '2026-11-21' })])];
    const attempt = () => transformPartition({ ...metaPartition(), key: partitionKey('google_ads'), accounts });
    expect(attempt).toThrow(BoscoError);
    expect(attempt).toThrow(/google_ads acme 2026-11-22: account 1234567890: campaign 21474836470 has a record for 2026-11-21/);
  });
});
