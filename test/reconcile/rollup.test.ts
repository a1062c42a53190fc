import { describe, expect, it } from 'vitest';
import { clientResult, metricResult, runStatus, type MetricCounts } from '../../reconcile/rollup.js';
import type { RowCounts } from '../../reconcile/types.js';

const counts = (overrides: Partial<MetricCounts> = {}): MetricCounts => ({
  metric: 'spend', legacyTotal: 100, newTotal: 100, rowsMismatched: 0, missingRowsWithValue: 0, ...overrides,
});
const rows = (overrides: Partial<RowCounts> = {}): RowCounts => ({
  legacy: 10, new: 10, matched: 10, missing_in_new: 0, missing_in_legacy: 0, duplicate_keys: 0, ...overrides,
});

describe('status rollup', () => {
  it('passes a metric with no mismatched rows and no valued missing rows', () => {
    expect(metricResult(counts()).status).toBe('pass');
  });

  it('fails a metric when a matched row mismatches on it', () => {
    expect(metricResult(counts({ rowsMismatched: 1 })).status).toBe('fail');
  });

  it('fails a metric when a missing row carries a non-zero value of it', () => {
    expect(metricResult(counts({ missingRowsWithValue: 1 })).status).toBe('fail');
  });

  it('reports delta and relative delta against the legacy total, free of float noise', () => {
    const result = metricResult(counts({ legacyTotal: 0.1 + 0.2, newTotal: 0.4 }));
    expect(result.delta).toBe(0.1);
    expect(result.rel_delta).toBeCloseTo(0.333333, 6);
  });

  it('gives no relative delta when the legacy total is zero', () => {
    expect(metricResult(counts({ legacyTotal: 0, newTotal: 5 })).rel_delta).toBeNull();
  });

  it('fails a client with missing rows even when every metric passes', () => {
    expect(clientResult('c', rows({ missing_in_legacy: 1 }), [counts()]).status).toBe('fail');
  });

  it('fails a client with a duplicate key even when totals agree', () => {
    expect(clientResult('c', rows({ duplicate_keys: 1 }), [counts()]).status).toBe('fail');
  });

  it('fails a client when any one metric fails', () => {
    expect(clientResult('c', rows(), [counts(), counts({ metric: 'clicks', rowsMismatched: 2 })]).status).toBe('fail');
  });

  it('fails the run when any client fails and passes it when none do', () => {
    const pass = clientResult('a', rows(), [counts()]);
    const fail = clientResult('b', rows({ missing_in_new: 1 }), [counts()]);
    expect(runStatus([pass, fail])).toBe('fail');
    expect(runStatus([pass])).toBe('pass');
  });
});
