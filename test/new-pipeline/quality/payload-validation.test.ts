import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { metaAdsConnector } from '../../../new-pipeline/connectors/meta-ads/meta-ads-connector.js';
import { mergeDrift, validatePayloads, type DriftRecord } from '../../../new-pipeline/quality/payload-validation.js';
import { CLIENT_ID, DAY, googleAdsRow, googleAdsStreamBody, landedPage, landedPartition, metaInsightsRow } from '../../helpers/pipeline-factories.js';

const META_ACCOUNT = '120000000000000001';
const metaContext = { account: { clientId: CLIENT_ID, platform: 'meta_ads' as const, accountId: META_ACCOUNT }, date: DAY };
const accountInfoBody = { id: `act_${META_ACCOUNT}`, currency: 'EUR', timezone_name: 'Europe/Berlin' };
const insightsRequest = metaAdsConnector.parse(accountInfoBody, metaContext, metaAdsConnector.firstRequest(metaContext)).next!;

/** A Meta partition as landed: the account-info page, then insights pages. */
function metaPartition(insightsBodies: unknown[], times: string[] = []) {
  return landedPartition('meta_ads', [
    landedPage('meta_ads', META_ACCOUNT, accountInfoBody),
    ...insightsBodies.map((body, i) => landedPage('meta_ads', META_ACCOUNT, body, { request: insightsRequest, fetchedAt: times[i] })),
  ], { [META_ACCOUNT]: { currency: 'EUR', timeZone: 'Europe/Berlin' } });
}

describe('payload validation', () => {
  it('re-parses every page with the connector and hands each account its records and facts', () => {
    const rows = [metaInsightsRow({ campaignId: '1', currency: 'EUR' }), metaInsightsRow({ campaignId: '2', currency: 'EUR' })];
    const result = validatePayloads(metaPartition([{ data: rows.slice(0, 1), paging: { cursors: { after: 'x' }, next: 'https://graph.facebook.com/next' } }, { data: rows.slice(1) }]));
    expect(result.quarantine).toBeNull();
    expect(result.accounts).toEqual([{ accountId: META_ACCOUNT, facts: { currency: 'EUR', timeZone: 'Europe/Berlin' }, records: rows }]);
    expect(result.checks.map((check) => [check.check, check.outcome])).toEqual([['payload.schema', 'pass'], ['payload.drift', 'pass']]);
  });

  it('records unknown fields as drift with platform, path and when they were first and last seen, and still yields the records', () => {
    const drifted = { ...metaInsightsRow({ currency: 'EUR' }), cost_per_result: '1.20' };
    const result = validatePayloads(metaPartition([{ data: [drifted], paging: { cursors: { after: 'x' }, next: 'n' } }, { data: [drifted] }], [`${DAY}T06:00:02.000Z`, `${DAY}T06:00:05.000Z`]));
    expect(result.drift).toEqual([{ platform: 'meta_ads', field_path: 'data[].cost_per_result', first_seen_at: `${DAY}T06:00:02.000Z`, first_seen_run: 'run-1', last_seen_at: `${DAY}T06:00:05.000Z` }]);
    expect(result.accounts[0]!.records).toHaveLength(2);
    expect(result.accounts[0]!.records[0]).not.toHaveProperty('cost_per_result');
    expect(result.checks[1]).toMatchObject({ check: 'payload.drift', outcome: 'warn', count: 1, sample: [{ field_path: 'data[].cost_per_result' }] });
  });

  it('quarantines the partition on a mistyped required field, naming the field path and the page', () => {
    const body = googleAdsStreamBody([googleAdsRow()]) as Array<{ results: Array<{ metrics: Record<string, unknown> }> }>;
    body[0]!.results[0]!.metrics.costMicros = 12_340_000;
    const result = validatePayloads(landedPartition('google_ads', [landedPage('google_ads', '1234567890', body)]));
    expect(result.quarantine).toEqual({
      date: DAY, platform: 'google_ads', clientId: CLIENT_ID,
      reason: 'account 1234567890, page 1 (report): google_ads payload: [0].results[0].metrics.costMicros: Invalid input: expected string, received number',
    });
    expect(result.accounts).toEqual([]);
    expect(result.checks[0]).toMatchObject({ check: 'payload.schema', outcome: 'quarantine', count: 1, sample: [{ account_id: '1234567890', page: 1, request: 'report' }] });
  });

  it('quarantines on a missing required field, and on a body that is not JSON at all', () => {
    const { spend: _spend, ...withoutSpend } = metaInsightsRow();
    expect(validatePayloads(metaPartition([{ data: [withoutSpend] }])).quarantine?.reason).toContain('meta_ads payload: data[0].spend');
    expect(validatePayloads(metaPartition(['{"data":[{"campaign_id":"12'])).quarantine?.reason).toMatch(/page 2 \(insights\): meta_ads payload/);
  });

  it('surfaces an error that is not the payload\'s fault instead of quarantining', () => {
    // A landed request the connector cannot read back is a bug in what was landed, not bad data from GA4.
    const request = { method: 'POST' as const, path: '/v1beta/properties/345678901:runReport', body: { offset: { page: 2 } }, purpose: 'report' };
    const partition = landedPartition('ga4', [landedPage('ga4', '345678901', { dimensionHeaders: [], metricHeaders: [] }, { request })]);
    expect(() => validatePayloads(partition)).toThrow(ZodError);
  });

  it('keeps an account the header lists even when it has no records', () => {
    const partition = landedPartition('google_ads', [landedPage('google_ads', '1234567890', [])], { '1234567890': {}, '999': { currency: 'USD' } });
    const accounts = validatePayloads(partition).accounts.sort((a, b) => a.accountId.localeCompare(b.accountId));
    expect(accounts).toEqual([
      { accountId: '1234567890', facts: {}, records: [] },
      { accountId: '999', facts: { currency: 'USD' }, records: [] },
    ]);
  });
});

describe('merging drift', () => {
  const record = (field_path: string, first: string, last: string, run: string): DriftRecord => ({ platform: 'meta_ads', field_path, first_seen_at: first, first_seen_run: run, last_seen_at: last });

  it('keeps the first sighting and its run, moves the last one forward, and reports only new fields as added', () => {
    const known = [record('data[].a', '2026-11-01T00:00:00Z', '2026-11-10T00:00:00Z', 'run-a')];
    const observed = [record('data[].a', '2026-11-22T06:00:00Z', '2026-11-22T06:00:00Z', 'run-z'), record('data[].b', '2026-11-22T06:00:00Z', '2026-11-22T06:00:00Z', 'run-z')];
    const { records, added } = mergeDrift(known, observed);
    expect(records).toEqual([
      record('data[].a', '2026-11-01T00:00:00Z', '2026-11-22T06:00:00Z', 'run-a'),
      record('data[].b', '2026-11-22T06:00:00Z', '2026-11-22T06:00:00Z', 'run-z'),
    ]);
    expect(added.map((r) => r.field_path)).toEqual(['data[].b']);
    expect(known[0]!.last_seen_at).toBe('2026-11-10T00:00:00Z');
  });

  it('moves a first sighting back when a replay of older payloads saw the field earlier', () => {
    const { records } = mergeDrift([record('x', '2026-11-20T00:00:00Z', '2026-11-22T00:00:00Z', 'run-b')], [record('x', '2026-11-02T00:00:00Z', '2026-11-02T00:00:00Z', 'replay')]);
    expect(records).toEqual([record('x', '2026-11-02T00:00:00Z', '2026-11-22T00:00:00Z', 'replay')]);
  });
});
