import { describe, expect, it } from 'vitest';
import { buildToleranceTable, DEFAULT_TOLERANCES, toleranceFor } from '../../reconcile/tolerance.js';

const METRICS = ['spend', 'impressions', 'clicks', 'conversions', 'revenue'];

describe('tolerance table', () => {
  it('defaults money and conversions to a cent and counts to exact', () => {
    const table = buildToleranceTable(METRICS);
    expect(table.defaults.spend).toEqual({ abs: 0.01, rel: 0 });
    expect(table.defaults.conversions).toEqual({ abs: 0.01, rel: 0 });
    expect(table.defaults.impressions).toEqual({ abs: 0, rel: 0 });
    expect(table.defaults).toEqual(DEFAULT_TOLERANCES);
  });

  it('lets config override one part of a metric default and keeps the other', () => {
    const table = buildToleranceTable(METRICS, { spend: { rel: 0.001 } });
    expect(table.defaults.spend).toEqual({ abs: 0.01, rel: 0.001 });
  });

  it('applies a per-client override only to that client', () => {
    const table = buildToleranceTable(METRICS, {}, { 'acme-retail': { tolerances: { clicks: { abs: 2 } } } });
    expect(toleranceFor(table, 'acme-retail', 'clicks')).toEqual({ abs: 2, rel: 0 });
    expect(toleranceFor(table, 'other', 'clicks')).toEqual({ abs: 0, rel: 0 });
    expect(toleranceFor(table, 'acme-retail', 'spend')).toEqual({ abs: 0.01, rel: 0 });
  });

  it('builds a per-client override on the configured default, not the built-in one', () => {
    const table = buildToleranceTable(METRICS, { spend: { abs: 1 } }, { c: { tolerances: { spend: { rel: 0.1 } } } });
    expect(toleranceFor(table, 'c', 'spend')).toEqual({ abs: 1, rel: 0.1 });
  });
});
