import type { ClientResult, MetricResult, RowCounts, Status } from './types.js';

/** What the engine counts for one client and metric. */
export interface MetricCounts {
  metric: string;
  legacyTotal: number;
  newTotal: number;
  rowsMismatched: number;
  /** Rows present on one side only that carry a non-zero value of this metric. */
  missingRowsWithValue: number;
}

/** Totals are sums of doubles; six decimals keep reports free of float noise without hiding a cent. */
export function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** A metric fails when a matched row mismatches on it, or a missing row carries a non-zero value of it. */
export function metricResult(counts: MetricCounts): MetricResult {
  const delta = round6(counts.newTotal - counts.legacyTotal);
  return {
    metric: counts.metric,
    legacy_total: round6(counts.legacyTotal),
    new_total: round6(counts.newTotal),
    delta,
    rel_delta: counts.legacyTotal === 0 ? null : round6(delta / Math.abs(counts.legacyTotal)),
    rows_mismatched: counts.rowsMismatched,
    status: counts.rowsMismatched > 0 || counts.missingRowsWithValue > 0 ? 'fail' : 'pass',
  };
}

/** A client fails when any metric fails or it has missing or duplicate rows. */
export function clientResult(clientId: string, rows: RowCounts, metrics: MetricCounts[]): ClientResult {
  const results = metrics.map(metricResult);
  const rowsClean = rows.missing_in_new === 0 && rows.missing_in_legacy === 0 && rows.duplicate_keys === 0;
  const status: Status = rowsClean && results.every((metric) => metric.status === 'pass') ? 'pass' : 'fail';
  return { client_id: clientId, status, rows, metrics: results };
}

/** The run fails when any client fails. */
export function runStatus(clients: readonly ClientResult[]): Status {
  return clients.every((client) => client.status === 'pass') ? 'pass' : 'fail';
}
