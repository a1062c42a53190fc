import { describe, expect, it } from 'vitest';
import { conversionDefinition, currencyUnconverted, dayShift, droppedCampaign, duplicateRows, explainClients, roundingDrift } from '../../reconcile/explain/index.js';
import { clientResult } from '../../reconcile/rollup.js';
import type { Difference, RowCounts } from '../../reconcile/types.js';

const client = (rows: Partial<RowCounts> = {}) =>
  clientResult('c', { legacy: 10, new: 10, matched: 10, missing_in_new: 0, missing_in_legacy: 0, duplicate_keys: 0, ...rows }, [
    { metric: 'spend', legacyTotal: 1, newTotal: 2, rowsMismatched: 1, missingRowsWithValue: 0 },
  ]);

const difference = (overrides: Partial<Difference>): Difference => ({
  client_id: 'c', date: '2026-11-22', platform: 'meta_ads', account_id: 'a1', campaign_id: 'k1',
  kind: 'value_mismatch', metric: 'spend', legacy: 10, new: 10.5, ...overrides,
});

describe('difference explainers', () => {
  it('names a double insert from duplicate keys', () => {
    const note = duplicateRows.explain(client({ duplicate_keys: 1 }), [difference({ kind: 'duplicate_key', metric: null, legacy: 2, new: 1 })]);
    expect(note).toContain('in legacy');
  });

  it('names the campaign that is on one side only', () => {
    const note = droppedCampaign.explain(client(), [difference({ kind: 'missing_in_new', metric: null, legacy: null, new: null, campaign_id: '999' })]);
    expect(note).toContain('campaign 999 (only in legacy)');
  });

  it('recognises an unconverted currency by a constant money ratio on an account', () => {
    const rows = [10, 20, 30].map((legacy, i) => difference({ campaign_id: String(i), legacy, new: legacy * 1.08 }));
    expect(currencyUnconverted.explain(client(), rows)).toContain('×1.0800');
  });

  it('does not call varying ratios a currency problem', () => {
    const rows = [difference({ legacy: 10, new: 12 }), difference({ legacy: 10, new: 15 })];
    expect(currencyUnconverted.explain(client(), rows)).toBeUndefined();
  });

  it('does not call a money ratio a currency when a count differs on the account too: the money follows the count', () => {
    // Legacy counted a narrower conversion action: conversions and revenue lower by one factor, spend equal.
    const rows = ['1', '2', '3'].flatMap((campaign_id, i) => [
      difference({ campaign_id, metric: 'conversions', legacy: 17 * (i + 1), new: 20 * (i + 1) }),
      difference({ campaign_id, metric: 'revenue', legacy: 850 * (i + 1), new: 1000 * (i + 1) }),
    ]);
    expect(currencyUnconverted.explain(client(), rows)).toBeUndefined();
    const notes = explainClients([client()], rows).get('c')!;
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/the sides count different conversion actions/);
    // On another account, money alone at a constant ratio is still a currency.
    const foreign = [10, 20].map((legacy, i) => difference({ account_id: 'a2', campaign_id: `f${i}`, legacy, new: legacy * 0.6752 }));
    expect(currencyUnconverted.explain(client(), [...rows, ...foreign])).toContain('account a2: new/legacy money is a constant ×0.6752');
  });

  it('suspects a day shift when most metrics differ on many campaigns of one account', () => {
    const rows = ['1', '2', '3'].flatMap((campaign_id) =>
      ['spend', 'impressions', 'clicks'].map((metric) => difference({ campaign_id, metric, legacy: 100, new: 150 + Number(campaign_id) })),
    );
    expect(dayShift.explain(client(), rows)).toContain("time zone");
  });

  it('names a conversion definition gap when only conversions and revenue differ on one platform', () => {
    const rows = ['1', '2'].flatMap((campaign_id) => [
      difference({ campaign_id, metric: 'conversions', legacy: 0, new: 4 }),
      difference({ campaign_id, metric: 'revenue', legacy: 0, new: 210 }),
    ]);
    expect(conversionDefinition.explain(client(), rows)).toMatch(/meta_ads: only conversions and revenue differ, on 2 campaigns, lower in legacy/);
    expect(conversionDefinition.explain(client(), [...rows, difference({ metric: 'spend' })])).toBeUndefined();
    expect(conversionDefinition.explain(client(), [...rows, difference({ platform: 'ga4', metric: 'conversions' })])).toBeUndefined();
  });

  it('calls cent-sized money differences rounding drift', () => {
    expect(roundingDrift.explain(client(), [difference({ legacy: 10, new: 10.03 })])).toContain('rounding');
    expect(roundingDrift.explain(client(), [difference({ legacy: 10, new: 12 })])).toBeUndefined();
  });

  it('explains only failing clients', () => {
    const passing = clientResult('p', { legacy: 1, new: 1, matched: 1, missing_in_new: 0, missing_in_legacy: 0, duplicate_keys: 0 }, []);
    const notes = explainClients([passing, client({ duplicate_keys: 1 })], []);
    expect([...notes.keys()]).toEqual(['c']);
  });
});
