import { describe, expect, it } from 'vitest';
import { isKnownCurrency } from '../../../new-pipeline/quality/currencies.js';
import { SAMPLE_SIZE } from '../../../new-pipeline/quality/partition-quality.js';
import { checkRows, ROW_RULES } from '../../../new-pipeline/quality/row-rules.js';
import { canonicalRow } from '../../helpers/pipeline-factories.js';

const resultOf = (rule: string, rows = [canonicalRow()]) => checkRows(rows).find((check) => check.check === `rows.${rule}`)!;

describe('row rules', () => {
  it('passes clean rows on every rule, one result per rule', () => {
    const checks = checkRows([canonicalRow(), canonicalRow({ campaign_id: '2' })]);
    expect(checks.map((check) => check.check)).toEqual(ROW_RULES.map((rule) => `rows.${rule.name}`));
    expect(checks.every((check) => check.outcome === 'pass' && check.count === 0 && check.sample.length === 0)).toBe(true);
  });

  it('quarantines negative values, counting rows and naming each negative metric', () => {
    const check = resultOf('non_negative', [canonicalRow(), canonicalRow({ campaign_id: '7', spend: -0.01, revenue: -5 })]);
    expect(check).toMatchObject({ outcome: 'quarantine', count: 1, message: '1 of 2 rows break the rule: no metric is negative' });
    expect(check.sample).toEqual([{ account_id: '1234567890', campaign_id: '7', negative: { spend: -0.01, revenue: -5 } }]);
  });

  it('treats a metric the platform does not measure (null) as not negative', () => {
    expect(resultOf('non_negative', [canonicalRow({ spend: null, impressions: null, clicks: null })]).outcome).toBe('pass');
  });

  it('warns, without blocking, when clicks exceed impressions', () => {
    const check = resultOf('clicks_le_impressions', [canonicalRow({ clicks: 11, impressions: 10 }), canonicalRow({ clicks: 10, impressions: 10 })]);
    expect(check).toMatchObject({ outcome: 'warn', count: 1, sample: [{ campaign_id: '21474836470', clicks: 11, impressions: 10 }] });
  });

  it('quarantines a currency that is not an ISO 4217 code, even one that looks like one', () => {
    expect(resultOf('currency_known', [canonicalRow({ currency: 'XYZ' })])).toMatchObject({ outcome: 'quarantine', sample: [{ currency: 'XYZ' }] });
    for (const code of ['USD', 'EUR', 'JPY', 'KWD', 'XOF']) expect(isKnownCurrency(code)).toBe(true);
    for (const code of ['usd', 'XAU', 'XXX', 'DEM', '']) expect(isKnownCurrency(code)).toBe(false);
  });

  it('quarantines empty key fields, whitespace included', () => {
    const check = resultOf('key_not_empty', [canonicalRow({ campaign_id: ' ', account_id: '' })]);
    expect(check).toMatchObject({ outcome: 'quarantine', count: 1 });
    expect(check.sample[0]).toMatchObject({ empty: ['account_id', 'campaign_id'] });
  });

  it('samples at most a few offenders but counts them all', () => {
    const rows = Array.from({ length: 12 }, (_, i) => canonicalRow({ campaign_id: String(i), clicks: -1 }));
    const check = resultOf('non_negative', rows);
    expect(check.count).toBe(12);
    expect(check.sample).toHaveLength(SAMPLE_SIZE);
  });
});
