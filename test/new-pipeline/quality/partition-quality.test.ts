import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config.js';
import { partitionQuality, type QualityCheck } from '../../../new-pipeline/quality/partition-quality.js';
import { validatePayloads } from '../../../new-pipeline/quality/payload-validation.js';
import { checkRows } from '../../../new-pipeline/quality/row-rules.js';
import { checkVolume, volumeOf } from '../../../new-pipeline/quality/volume-anomaly.js';
import { fxTable } from '../../../new-pipeline/transform/currency-conversion.js';
import { transformPartition } from '../../../new-pipeline/transform/transform-partition.js';
import { clientConfig, DAY, googleAdsRow, googleAdsStreamBody, landedPage, landedPartition, partitionKey } from '../../helpers/pipeline-factories.js';

const check = (name: string, outcome: QualityCheck['outcome'], message = `${name} ${outcome}`): QualityCheck => ({ check: name, outcome, count: outcome === 'pass' ? 0 : 1, message, sample: [] });

describe('partition quality', () => {
  it('passes when every check passes', () => {
    expect(partitionQuality(partitionKey('meta_ads'), [check('a', 'pass'), check('b', 'pass')])).toEqual({
      date: DAY, platform: 'meta_ads', clientId: 'acme', status: 'pass', reason: null, checks: [check('a', 'pass'), check('b', 'pass')],
    });
  });

  it('warns on any warning, giving the first as the reason', () => {
    const quality = partitionQuality(partitionKey('meta_ads'), [check('a', 'pass'), check('volume.spend', 'warn', 'spend 10000 is 10×'), check('c', 'warn')]);
    expect(quality).toMatchObject({ status: 'warn', reason: 'spend 10000 is 10×' });
  });

  it('quarantines on any quarantining check, whose reason wins over earlier warnings', () => {
    const quality = partitionQuality(partitionKey('meta_ads'), [check('a', 'warn'), check('payload.schema', 'quarantine', 'data[0].spend: expected string')]);
    expect(quality).toMatchObject({ status: 'quarantined', reason: 'data[0].spend: expected string' });
  });

  it('runs payload, transform, row and volume checks over a landed partition end to end, all pure', () => {
    const rows = [googleAdsRow({ campaignId: '1', costMicros: '5000000000', clicks: '2000', impressions: '1000' }), googleAdsRow({ campaignId: '2', currency: 'USD' })];
    const landed = landedPartition('google_ads', [landedPage('google_ads', '1234567890', googleAdsStreamBody(rows))], { '1234567890': { currency: 'USD', timeZone: 'America/New_York' } });
    const payload = validatePayloads(landed);
    const key = partitionKey('google_ads');
    const transformed = transformPartition({ key, client: clientConfig({ currency: 'EUR' }), clientTimeZone: 'Europe/Berlin', accounts: payload.accounts, rates: fxTable([{ date: DAY, base: 'EUR', quote: 'USD', rate: 1.25 }]) });
    const history = [1, 2, 3, 4, 5, 6, 7].map((days) => ({ date: `2026-11-${String(22 - days).padStart(2, '0')}`, rows: 2, spend: 400 }));
    const quality = partitionQuality(key, [...payload.checks, ...checkRows(transformed.rows), ...checkVolume(volumeOf(DAY, transformed.rows), history, parseConfig({}, 'x').quality)]);

    expect(transformed.rows.map((row) => [row.campaign_id, row.currency, row.spend])).toEqual([['1', 'EUR', 4000], ['2', 'EUR', 9.87]]);
    expect(transformed.accounts['1234567890']).toMatchObject({ converted_from: 'USD', time_zone_differs: true, fx: { rate: 0.8, via: 'inverse' } });
    expect(quality.status).toBe('warn');
    expect(quality.checks.filter((c) => c.outcome !== 'pass').map((c) => c.check)).toEqual(['rows.clicks_le_impressions', 'volume.spend']);
  });
});
