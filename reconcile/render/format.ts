import type { ClientResult, Difference } from '../types.js';

export function formatNumber(value: number | null): string {
  if (value === null) return 'NULL';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 6 });
}

export function formatDelta(value: number): string {
  return `${value > 0 ? '+' : ''}${formatNumber(value)}`;
}

/** "spend +12.34 (3 rows)" for each failing metric of a client. */
export function failingMetrics(client: ClientResult): string[] {
  return client.metrics
    .filter((metric) => metric.status === 'fail')
    .map((metric) => `${metric.metric} ${formatDelta(metric.delta)}${metric.rows_mismatched ? ` (${metric.rows_mismatched} rows)` : ''}`);
}

export function rowProblems(client: ClientResult): string[] {
  const r = client.rows;
  return [
    r.missing_in_new ? `${r.missing_in_new} missing in new` : '',
    r.missing_in_legacy ? `${r.missing_in_legacy} missing in legacy` : '',
    r.duplicate_keys ? `${r.duplicate_keys} duplicate keys` : '',
  ].filter(Boolean);
}

export function differenceKey(difference: Difference): string {
  return `${difference.client_id} / ${difference.platform} / ${difference.account_id} / ${difference.campaign_id} (${difference.date})`;
}

export function differenceValues(difference: Difference): string {
  switch (difference.kind) {
    case 'duplicate_key':
      return `${difference.legacy}× in legacy, ${difference.new}× in new`;
    case 'value_mismatch':
      return `${formatNumber(difference.legacy)} → ${formatNumber(difference.new)}` +
        (difference.legacy !== null && difference.new !== null ? ` (${formatDelta(Math.round((difference.new - difference.legacy) * 1e6) / 1e6)})` : '');
    default:
      return '';
  }
}
